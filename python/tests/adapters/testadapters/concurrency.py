"""Tools with concurrency > 1 (snakepit/concurrent.py), for the serve-loop tests of concurrent calls.

Calls meet through keys: ``started(key)`` waits until a call has reached its key, ``release(key)`` lets
the calls parked on it go on. Every wait is bounded by a timeout the test gives.
"""
import asyncio
import logging
import threading
import time
from typing import Any, Dict, List, Tuple

from snakepit import Adapter, cancel, current_call, current_session, host, tool


class _Keys:
    """Keys that calls have reached, and keys released; usable from any thread."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._reached = set()
        self._released = set()
        self._parked: Dict[str, List[Tuple[Any, asyncio.Event]]] = {}  # async waiters: (loop, event)

    def reach(self, key: str) -> None:
        with self._changed:
            self._reached.add(key)
            self._changed.notify_all()

    def reached(self, key: str, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: key in self._reached, timeout)

    def release(self, key: str) -> None:
        with self._changed:
            self._released.add(key)
            self._changed.notify_all()
            parked = self._parked.pop(key, [])
        for loop, event in parked:
            loop.call_soon_threadsafe(event.set)

    def wait_released(self, key: str, timeout: float) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: key in self._released, timeout):
                raise TimeoutError("%s was not released within %s s" % (key, timeout))

    async def wait_released_async(self, key: str, timeout: float) -> None:
        event = asyncio.Event()
        with self._changed:
            if key in self._released:
                return
            self._parked.setdefault(key, []).append((asyncio.get_running_loop(), event))
        await asyncio.wait_for(event.wait(), timeout)


_keys = _Keys()
_barriers: Dict[str, threading.Barrier] = {}
_barriers_lock = threading.Lock()
_meetings: Dict[str, list] = {}  # key -> [running, most running at once, asyncio.Event]; the loop's thread only
_left: list = []  # tasks leave_a_task() started


def _call() -> Dict[str, Any]:
    info = current_call()
    session = current_session()
    return {"request_id": info.request_id, "tool": info.tool, "remaining": info.remaining(),
            "thread": threading.current_thread().name, "ident": threading.get_ident(),
            "session": None if session is None else session.id}


def _spin_until(deadline: float) -> None:
    # A helper of its own: CPython may deliver an async exception at a loop's backward jump.
    while time.monotonic() < deadline:
        pass


class ConcurrencyAdapter(Adapter):
    @tool(concurrency=4)
    async def meet(self, key: str, parties: int, timeout: float) -> Dict[str, Any]:
        """Waits until ``parties`` calls with ``key`` run at once; returns the most it saw at once."""
        meeting = _meetings.setdefault(key, [0, 0, asyncio.Event()])
        meeting[0] += 1
        meeting[1] = max(meeting[1], meeting[0])
        if meeting[0] >= parties:
            meeting[2].set()
        try:
            await asyncio.wait_for(meeting[2].wait(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError("%d of %d calls of %s ran at once" % (meeting[1], parties, key)) from None
        finally:
            meeting[0] -= 1
            if meeting[0] == 0:
                del _meetings[key]
        return dict(_call(), seen=meeting[1])

    @tool(concurrency=3)
    def gather(self, key: str, parties: int, timeout: float) -> Dict[str, Any]:
        """Waits at a barrier of ``parties`` calls with ``key``."""
        with _barriers_lock:
            barrier = _barriers.setdefault(key, threading.Barrier(parties))
        barrier.wait(timeout)
        return _call()

    @tool(concurrency=3)
    def park(self, key: str, timeout: float) -> Dict[str, Any]:
        """Reaches ``key``, then waits until it is released."""
        _keys.reach(key)
        _keys.wait_released(key, timeout)
        return _call()

    @tool(concurrency=2)
    def park2(self, key: str, timeout: float) -> Dict[str, Any]:
        """park() with two threads."""
        return self.park(key, timeout)

    @tool(concurrency=4)
    async def park_async(self, key: str, timeout: float) -> Dict[str, Any]:
        _keys.reach(key)
        await _keys.wait_released_async(key, timeout)
        return _call()

    @tool(concurrency=4)
    async def hang_async(self, key: str) -> None:
        """Reaches ``key``, logs it (a warning) and waits for ever: it ends only when cancelled."""
        _keys.reach(key)
        logging.getLogger("testadapters.concurrency").warning("hanging at %s", key)
        await asyncio.Event().wait()

    @tool(concurrency=2)
    def spin(self, key: str, seconds: float) -> str:
        """Reaches ``key``, then runs Python code for ``seconds``: a cancel lands in it."""
        _keys.reach(key)
        _spin_until(time.monotonic() + seconds)
        return "spun"

    @tool(concurrency=3)
    def boom(self, message: str) -> None:
        raise ValueError(message)

    @tool(concurrency=4)
    async def boom_async(self, message: str) -> None:
        await asyncio.sleep(0)
        raise ValueError(message)

    @tool(concurrency=3)
    def unserializable(self) -> Any:
        return {"value": {1, 2}}

    @tool(concurrency=3)
    def whoami(self) -> Dict[str, Any]:
        return _call()

    @tool(concurrency=4)
    async def whoami_async(self) -> Dict[str, Any]:
        await asyncio.sleep(0)
        return dict(_call(), loop=id(asyncio.get_running_loop()))

    @tool(concurrency=3)
    def ask(self, function: str) -> Any:
        return host.call(function)

    @tool(concurrency=4)
    async def ask_async(self, function: str) -> Any:
        return await host.acall(function)

    @tool(concurrency=4)
    async def leave_a_task(self) -> str:
        """Starts a task that never ends, and returns."""
        _left.append(asyncio.get_running_loop().create_task(asyncio.Event().wait()))
        return "left"

    @tool
    def ask_serial(self, function: str) -> Any:
        return host.call(function)

    @tool
    def started(self, key: str, timeout: float) -> bool:
        """Whether a call reaches ``key`` within ``timeout`` seconds."""
        return _keys.reached(key, timeout)

    @tool
    def await_early_cancel(self, request_id: int, seconds: float) -> bool:
        """Whether, within ``seconds``, a cancel came for ``request_id``, a call not read yet: the cancel is
        kept for it."""
        switch = cancel.SWITCH
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            with switch._lock:
                if request_id in switch._early:
                    return True
            time.sleep(0.001)  # polls the switch's state, with a bound
        return False

    @tool
    def release(self, key: str) -> None:
        _keys.release(key)

    @tool
    def add(self, a: int, b: int) -> int:
        return a + b

    @tool
    def count(self, n: int):
        yield from range(n)

    @tool
    def main_thread(self) -> str:
        return threading.current_thread().name
