"""The event loop of async tools with concurrency > 1 (docs/protocol.md, section 4.2).

One loop, on a daemon thread of its own, started on first use and kept for the worker's life, so that
objects one call binds to it (client sessions, connection pools) stay usable by the next. The calls of
such tools that the worker runs concurrently are tasks of this loop (concurrent.py); one that it runs
serially (a session's call, an item of a batch, a streamed call) is a task of it too, which the main
thread hands over and waits for (``run``). Async tools with concurrency 1 keep running on the main
thread's own loop (adapter.py).
"""
import threading
from typing import Any

# How long stop() waits for the loop's thread, in seconds, and how long the tasks the tools left behind
# are given to end once cancelled; after that the thread, a daemon, is left to the process's exit.
_STOP_TIMEOUT = 2.0
_LEFTOVER_TIMEOUT = 1.0
# How often the main thread, waiting for a task, returns to the interpreter: an exception injected into
# it (a cancel, cancel.py) lands by then even if no wake-up signal interrupts the wait.
_WAIT_SLICE = 0.1


class TaskLoop:
    """The loop and its thread. ``run`` and ``stop`` are called from the main thread; anything else
    reaches the loop through ``loop.call_soon_threadsafe``."""

    def __init__(self) -> None:
        import asyncio  # only adapters that have such tools pay for it
        self.asyncio = asyncio
        self.loop = asyncio.new_event_loop()
        self._stopped = False
        self._thread = threading.Thread(target=self._run_forever, name="snakepit-async", daemon=True)
        self._thread.start()

    def _run_forever(self) -> None:
        asyncio = self.asyncio
        loop = self.loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            # Tasks the tools started and left running: cancelled, and given a moment to end.
            left = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in left:
                task.cancel()
            if left:
                loop.run_until_complete(asyncio.wait(left, timeout=_LEFTOVER_TIMEOUT))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    def run(self, coroutine: Any) -> Any:
        """Runs a coroutine to its end as a task of the loop and returns its value, or raises its
        exception; called by the main thread, which waits meanwhile.

        An exception that lands in the main thread while it waits (CallCancelled, or KeyboardInterrupt:
        cancel.py) cancels the task. Once the task has ended that exception is raised, with the
        traceback of the task's CancelledError when it has one, so that it shows where the tool was;
        but a tool that caught the cancel and returned has its value returned.
        """
        job = _Job(coroutine, self.asyncio)
        try:
            self.loop.call_soon_threadsafe(job.start)
            job.wait()
        except BaseException as landed:
            # The one exception a call receives has been delivered (cancel.py): waiting again is safe.
            self.loop.call_soon_threadsafe(job.cancel)
            job.wait()
            if job.started and job.error is None:
                return job.value
            if isinstance(job.error, self.asyncio.CancelledError) and job.error.__traceback__ is not None:
                raise landed.with_traceback(job.error.__traceback__)
            raise
        if job.error is not None:
            raise job.error
        return job.value

    def stop(self) -> None:
        """Stops the loop, cancelling the tasks left on it, and waits a bounded time for its thread."""
        if self._stopped:
            return
        self._stopped = True
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(_STOP_TIMEOUT)


class _Job:
    """One coroutine the main thread runs on the loop. Its fields are written on the loop's thread and
    read by the main thread once ``finished`` is set; ``_latch``, held until then, is what it waits on.

    A task cancelled before its first step would end without running any of its code, try blocks
    included; so the task is cancelled only once it has started, and one not started yet finds the
    request in ``cancel_requested``.
    """

    __slots__ = ("coroutine", "asyncio", "task", "started", "cancel_requested", "value", "error", "finished",
                 "_latch")

    def __init__(self, coroutine: Any, asyncio: Any) -> None:
        self.coroutine = coroutine
        self.asyncio = asyncio
        self.task = None
        self.started = False
        self.cancel_requested = False
        self.value = None
        self.error = None
        self.finished = False
        self._latch = threading.Lock()
        self._latch.acquire()

    def start(self) -> None:  # on the loop's thread
        self.task = self.asyncio.ensure_future(self._run())

    def cancel(self) -> None:  # on the loop's thread
        self.cancel_requested = True
        if self.started:
            self.task.cancel()
        elif self.task is None:
            # The exception landed before start() was scheduled: the coroutine never ran.
            self.coroutine.close()
            self._finish()

    async def _run(self) -> None:
        try:
            self.started = True
            if self.cancel_requested:
                self.coroutine.close()
                raise self.asyncio.CancelledError()
            self.value = await self.coroutine
        except BaseException as exc:  # KeyboardInterrupt and SystemExit too: they must not stop the loop
            self.error = exc
        finally:
            self._finish()

    def _finish(self) -> None:
        self.finished = True
        self._latch.release()

    def wait(self) -> None:
        """Returns once the job has finished. Each acquire is one C call, so an exception landing in
        the waiting thread finds the latch either untouched or taken, never broken."""
        while not self.finished:
            self._latch.acquire(timeout=_WAIT_SLICE)
