"""Calls that run concurrently: the plain calls (no session, stream or batch) of a tool marked
``@tool(concurrency=N)`` with N above 1 (docs/protocol.md, sections 4.2 and 4.6).

The main thread reads such a call, hands it over here and goes straight back to the socket. An async
tool's call becomes a task of the event loop of such tools (taskloop.py), and at most N of the tool's
tasks run at once, the others waiting on its semaphore; a plain tool's call goes to the tool's own
threads, at most N, started as calls need them and daemons, so that they never keep the process from
exiting. Whichever thread finishes a call writes its RESULT or ERROR itself: SocketFrameWriter's lock
keeps frames whole, and answers go out in the order calls end. Every other call stays on the main
thread, serial, as if the tool had concurrency 1.

Invariants:
- a CANCEL reaches a running concurrent call only through the CallTable, and only that call: a
  thread's call is cancelled through a CallSwitch of that thread's (cancel.py), which injects
  CallCancelled only while that very call is current there; a task's call is cancelled as a task, on
  its loop, and only once the task has started;
- a call is in the table from before it is handed over until its outcome is known, and a cancel that
  came before it was read finds it in the main switch's early cancels, so none falls between the two;
- calls from Python to Java are refused in these calls (host.py): their answers are read by the main
  thread while it waits, and a concurrent call does not run there.
"""
import logging
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional

from . import errors, messages, tracing, values
from .calls import Cancelled, Failure, run_call
from .cancel import CONCURRENT_CALL, SWITCH, CallCancelled, CallInfo, CallSwitch
from .errors import InvalidCall, strip_runtime_frames
from .protocol import Frame

# How long stop() waits for the threads of all tools together, in seconds.
_STOP_TIMEOUT = 2.0
_LOG = logging.getLogger("snakepit.concurrent")


class CallTable:
    """The concurrent calls begun and not ended, by request id; routes each CANCEL of the control plane
    to its call, or else to the main thread's switch.

    ``_lock`` guards ``_running`` and each thread call's ``switch`` and ``cancelled``; the switches'
    locks are taken inside it, never the other way round.
    """

    def __init__(self, switch: CallSwitch) -> None:
        self._switch = switch
        self._lock = threading.Lock()
        self._running: Dict[int, Any] = {}

    def cancel(self, request_id: int) -> bool:
        """Cancels the call ``request_id`` (on the control thread); returns whether anything was done."""
        with self._lock:
            call = self._running.get(request_id)
            if call is None:
                return self._switch.cancel(request_id)
            return call.cancel()

    def enter(self, call: Any) -> bool:
        """Adds a call about to be handed over; False, adding nothing, when its cancel came first."""
        with self._lock:
            if self._switch.take_early(call.info.request_id):
                return False
            self._running[call.info.request_id] = call
            return True

    def begin_on(self, call: "_ThreadCall", switch: CallSwitch) -> bool:
        """Gives a thread's call the switch of the thread about to run it; False when it was cancelled
        before."""
        with self._lock:
            if call.cancelled:
                return False
            call.switch = switch
            return True

    def leave(self, request_id: int) -> None:
        with self._lock:
            self._running.pop(request_id, None)


# The worker's table: the control plane's CANCEL frames go to its cancel() (startup.py).
CALLS = CallTable(SWITCH)


class _ThreadCall:
    """A call for a tool's threads; ``switch`` and ``cancelled`` are guarded by the table's lock."""

    __slots__ = ("info", "args", "kwargs", "trace", "switch", "cancelled")

    def __init__(self, info: CallInfo, args: list, kwargs: dict, trace: Optional[Dict[str, str]]) -> None:
        self.info = info
        self.trace = trace
        self.args = args
        self.kwargs = kwargs
        self.switch: Optional[CallSwitch] = None
        self.cancelled = False

    def cancel(self) -> bool:
        if self.switch is None:
            self.cancelled = True  # its thread answers it without running it
            return True
        return self.switch.cancel(self.info.request_id)


class _TaskCall:
    """A call for the event loop; ``task`` and ``cancel_requested`` are touched on the loop's thread only.
    A task cancelled before its first step would end without running its try blocks, so the task is
    cancelled only once it has started, and one that has not finds the request in ``cancel_requested``."""

    __slots__ = ("info", "loop", "trace", "task", "cancel_requested")

    def __init__(self, info: CallInfo, loop: Any, trace: Optional[Dict[str, str]]) -> None:
        self.info = info
        self.loop = loop
        self.trace = trace
        self.task = None
        self.cancel_requested = False

    def cancel(self) -> bool:
        self.loop.call_soon_threadsafe(self._cancel_on_loop)
        return True

    def _cancel_on_loop(self) -> None:
        self.cancel_requested = True
        if self.task is not None:
            self.task.cancel()


class Concurrency:
    """Starts a worker's concurrent calls (``start`` and ``start_frame`` on the main thread) and answers
    them with ``answer(request_id, tool, outcome)``, from whichever thread finishes them.

    The main thread may start one while a serial call of its own waits (a call the JVM writes during a
    host call or a stream's wait for credit), and a cancel of that serial call may land meanwhile; the
    main thread's switch is held while a call is handed over, so that a call is either handed over
    whole or not at all.
    """

    def __init__(self, runner: Any, answer: Callable[[int, str, Any], None], table: CallTable,
                 switch: CallSwitch) -> None:
        self._runner = runner
        self._answer = answer
        self._table = table
        self._switch = switch
        self._pools: Dict[str, _ThreadPool] = {}  # main thread only
        self._limits: Dict[str, Any] = {}  # each async tool's asyncio.Semaphore; the loop's thread only

    def start(self, request_id: int, found: Any, args: list, kwargs: dict, deadline: Optional[float],
              trace: Optional[Dict[str, str]] = None) -> None:
        """Hands the call of ``found`` (a Tool with concurrency > 1) over, or answers it CANCELLED at once
        when it was cancelled before it was read; ``trace`` is its trace context (tracing.py)."""
        switch = self._switch
        try:
            switch.hold()
            self._hand_over(request_id, found, args, kwargs, deadline, trace)
        finally:
            switch.release()

    def start_frame(self, frame: Frame) -> bool:
        """Starts a CALL read while a serial call waits (for credit), when it is a plain call of a tool
        with concurrency > 1; returns False, starting nothing, for any other."""
        switch = self._switch
        try:
            switch.hold()
            try:
                message = values.decode(frame.body, frame.attachments, frame.flags)
                if type(message) is not dict or any(message.get(key) is not None
                                                    for key in ("session", "stream", "batch")):
                    return False
                name, args, kwargs = messages.parse_call(message)
                trace = tracing.parse(message)
            except (values.SerializationError, InvalidCall):
                return False
            found = self._runner.concurrent.get(name)
            if found is None:
                return False
            self._hand_over(frame.request_id, found, args, kwargs, messages.call_deadline(message), trace)
            return True
        finally:
            switch.release()

    def _hand_over(self, request_id: int, found: Any, args: list, kwargs: dict, deadline: Optional[float],
                   trace: Optional[Dict[str, str]]) -> None:
        info = CallInfo(request_id, found.name, deadline)
        if found.is_async:
            tasks = self._runner.tasks()
            call = _TaskCall(info, tasks.loop, trace)
            if self._table.enter(call):
                tasks.asyncio.run_coroutine_threadsafe(self._serve_task(call, tasks.asyncio, found, args, kwargs),
                                                       tasks.loop)
                return
        else:
            call = _ThreadCall(info, args, kwargs, trace)
            if self._table.enter(call):
                pool = self._pools.get(found.name)
                if pool is None:
                    pool = self._pools[found.name] = _ThreadPool(found.name, found.concurrency, self._serve_thread)
                pool.submit(call)
                return
        self._answer(request_id, found.name, Cancelled(CallCancelled("cancelled before it began")))

    def _serve_thread(self, call: _ThreadCall, switch: CallSwitch) -> None:
        """Runs a call on one of its tool's threads, under that thread's switch, and answers it."""
        info = call.info
        if not self._table.begin_on(call, switch):
            outcome: Any = Cancelled(CallCancelled("cancelled before it began"))
        else:
            token = CONCURRENT_CALL.set(info)
            try:
                with tracing.attached(call.trace):
                    outcome = run_call(switch, info.request_id, info.tool, info.deadline, self._runner.call, info.tool,
                                       call.args, call.kwargs)
            finally:
                CONCURRENT_CALL.reset(token)
        self._table.leave(info.request_id)
        self._answer(info.request_id, info.tool, outcome)

    async def _serve_task(self, call: _TaskCall, asyncio: Any, found: Any, args: list, kwargs: dict) -> None:
        """Runs a call as a task of the loop (this coroutine's own, so CONCURRENT_CALL is its own too)."""
        info = call.info
        try:
            call.task = asyncio.current_task()
            CONCURRENT_CALL.set(info)
            if call.cancel_requested:
                raise asyncio.CancelledError()
            limit = self._limits.get(found.name)
            if limit is None:
                limit = self._limits[found.name] = asyncio.Semaphore(found.concurrency)
            async with limit:
                with tracing.attached(call.trace):
                    outcome = await self._runner.coroutine(found, args, kwargs)
        except InvalidCall as invalid:
            outcome = Failure(invalid.body)
        except asyncio.CancelledError as cancelled:
            strip_runtime_frames(cancelled)
            outcome = Cancelled(cancelled)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt too: they must not stop the loop
            strip_runtime_frames(exc)
            outcome = Failure(errors.raised(exc))
        self._table.leave(info.request_id)
        self._answer(info.request_id, info.tool, outcome)

    def stop(self) -> None:
        """Lets the tools' threads end, waiting for them a bounded time (at SHUTDOWN, when every call has
        been answered); the loop stops with the runner (ToolRunner.close)."""
        threads: List[threading.Thread] = []
        for pool in self._pools.values():
            threads.extend(pool.stop())
        _join_all(threads, _STOP_TIMEOUT)


class _ThreadPool:
    """The threads of one plain tool with concurrency > 1: at most ``size``, each with a CallSwitch of its
    own, started when a call finds none idle. ``_ready``'s lock guards the queue, the counts and
    ``_stopping``."""

    def __init__(self, tool: str, size: int, serve: Callable[[_ThreadCall, CallSwitch], None]) -> None:
        self._tool = tool
        self._size = size
        self._serve = serve
        self._ready = threading.Condition(threading.Lock())
        self._queue: Deque[_ThreadCall] = deque()
        self._idle = 0
        self._threads: List[threading.Thread] = []
        self._stopping = False

    def submit(self, call: _ThreadCall) -> None:
        with self._ready:
            self._queue.append(call)
            more = len(self._queue) > self._idle and len(self._threads) < self._size
            if more:
                thread = threading.Thread(target=self._work, daemon=True,
                                          name="snakepit-%s-%d" % (self._tool, len(self._threads) + 1))
                self._threads.append(thread)
            self._ready.notify()
        if more:
            thread.start()

    def _work(self) -> None:
        switch = CallSwitch(threading.get_ident())  # no wake-up signal: it would reach the main thread's handler
        while True:
            with self._ready:
                while not self._queue:
                    if self._stopping:
                        return
                    self._idle += 1
                    try:
                        self._ready.wait()
                    finally:
                        self._idle -= 1
                call = self._queue.popleft()
            try:
                self._serve(call, switch)
            except BaseException:  # a bug here must not take the thread, and the tool's capacity, away
                _LOG.exception("serving call %d of tool '%s' failed", call.info.request_id, self._tool)

    def stop(self) -> List[threading.Thread]:
        """Asks the threads to end once the queue is empty; returns them, to be joined."""
        with self._ready:
            self._stopping = True
            self._ready.notify_all()
            return list(self._threads)


def _join_all(threads: List[threading.Thread], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for thread in threads:
        if thread.ident is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
