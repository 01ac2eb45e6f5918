"""The chaos adapter: a worker that misbehaves on request, to test how a pool copes.

Load it as ``snakepit_chaos.adapter:ChaosAdapter``. A misbehaviour is chosen in one of two ways:

- **Per call**, by calling the tool named after it: ``crash``, ``exit``, ``segfault``, ``hang``,
  ``leak``, ``slow``, ``hold_gil``, ``garbage``, ``flood_stdout``, ``spawn_grandchildren``. Harmless
  tools (``ping``, ``echo``, ``echo_async``, ``sleep``, ``pid``, ``calls``, ``rss``) observe the worker
  in between.
- **By environment**, for code that only makes ordinary calls: the tool ``work(value)`` answers
  ``{"pid": ..., "calls": <work calls so far>, "value": value}``, and misbehaves as these variables
  of the worker's environment say:

  ``CHAOS_MODE``
      ``none`` (the default) or one of the misbehaviours above.
  ``CHAOS_AT``
      The ``work`` call, counted from 1, from which the mode applies (default 1). crash, exit,
      segfault, hang and garbage fire at exactly that call; leak, slow, hold_gil, flood_stdout and
      spawn_grandchildren at every call from it on.
  ``CHAOS_EXIT_CODE``
      exit: the exit status, 0 to 255 (default 3).
  ``CHAOS_LEAK_MB``
      leak: MiB leaked per call (default 100).
  ``CHAOS_SLOW_STEP``
      slow: seconds of sleep per call the worker has served, this one included (default 0.05).
  ``CHAOS_GIL_SECONDS``
      hold_gil: seconds the GIL is held per call (default 1.0).
  ``CHAOS_FLOOD_MB``
      flood_stdout: MiB written per call (default 10).
  ``CHAOS_GRANDCHILDREN``
      spawn_grandchildren: processes started per call (default 2).

  In that mode, hang ignores cancellation and garbage writes 64 bytes. An unknown mode or a bad
  number fails the worker's start (``setup()``), naming the variable, so the pool reports it at once.
  (The names do not start with SNAKEPIT_: pools refuse to set those, they are the runtime's.)

Both ways run the same code (misbehaviour.py). Standard library only; Linux only (/proc, ctypes).
"""
import asyncio
import functools
import os
import time
from typing import Any, Callable, Dict, List, NoReturn

from snakepit import Adapter, tool

from . import misbehaviour, settings
from .settings import ChaosSettings

GARBAGE_BYTES = 64  # what garbage writes in the environment-driven mode


def _counted_tool(function: Callable) -> Any:
    """``@tool`` that also counts the call, before the tool runs (a crash never returns to count)."""
    @functools.wraps(function)  # keeps the signature and docstring the handshake describes
    def counted(self: "ChaosAdapter", *args: Any, **kwargs: Any) -> Any:
        self._calls += 1
        return function(self, *args, **kwargs)
    return tool(counted)


class ChaosAdapter(Adapter):
    """Tools that crash, hang, leak, slow down or corrupt the worker, on request."""

    def __init__(self) -> None:
        # All state is the main thread's: the runtime runs every call there, one at a time, but those
        # of echo_async, which touches none.
        self._settings = ChaosSettings()
        self._calls = 0  # tool calls served, the running one included
        self._work_calls = 0  # calls of work, the running one included

    def setup(self) -> None:
        """Reads the CHAOS_* variables; a bad one fails the worker's start."""
        self._settings = settings.from_environment()

    # ------------------------------------------------------------------ observing

    @_counted_tool
    def ping(self) -> None:
        """Does nothing: a call that surely succeeds on a healthy worker."""

    @_counted_tool
    def echo(self, value: Any) -> Any:
        """Returns its argument unchanged."""
        return value

    @tool
    def count(self, n: int, step: float = 0.0):
        """Yields 0 to n - 1, sleeping ``step`` seconds before each but the first: a stream whose items
        a consumer can check."""
        self._calls += 1
        for i in range(n):
            if i and step:
                time.sleep(step)
            yield i

    @_counted_tool
    def sleep(self, seconds: float) -> float:
        """Sleeps, then returns the seconds slept: a call that takes a while, which a cancel ends."""
        time.sleep(seconds)
        return seconds

    @tool(concurrency=8)
    async def echo_async(self, value: Any, seconds: float = 0.0) -> Any:
        """Awaits asyncio.sleep(seconds), then returns value; a worker runs up to 8 of these calls at
        once, off its main thread, so that a kill lands on several calls in flight. Not counted by
        ``calls`` (the count is the main thread's)."""
        await asyncio.sleep(seconds)
        return value

    @_counted_tool
    def pid(self) -> int:
        """Returns the worker's process id."""
        return os.getpid()

    @_counted_tool
    def calls(self) -> int:
        """Returns how many tool calls this worker has served, this one included."""
        return self._calls

    @_counted_tool
    def rss(self) -> int:
        """Returns the worker's resident set size in bytes (from /proc/self/statm)."""
        return misbehaviour.resident_bytes()

    # ------------------------------------------------------------------ dying

    @_counted_tool
    def crash(self) -> NoReturn:
        """Kills the worker with SIGKILL, as the kernel's OOM killer would."""
        misbehaviour.crash()

    @_counted_tool
    def exit(self, code: int = 3) -> NoReturn:
        """Ends the worker at once with os._exit(code), skipping teardown and cleanup."""
        misbehaviour.exit_with(code)

    @_counted_tool
    def segfault(self) -> NoReturn:
        """Crashes the interpreter with a real SIGSEGV (reads address 0), as a broken C extension
        would; the stacks faulthandler prints land on stderr."""
        misbehaviour.segfault()

    # ------------------------------------------------------------------ wedging

    @_counted_tool
    def hang(self, ignore_cancel: bool = True) -> NoReturn:
        """Never returns. With ignore_cancel (the default) it swallows the cancel and keeps sleeping,
        so the worker is wedged until killed; otherwise a cancel ends the call. Says so on stderr."""
        misbehaviour.hang(ignore_cancel)

    @_counted_tool
    def hold_gil(self, seconds: float) -> str:
        """Sleeps inside C for the given seconds without releasing the GIL: no heartbeat goes out and
        a cancel is seen only afterwards. Returns "released"."""
        return misbehaviour.hold_gil(seconds)

    @_counted_tool
    def garbage(self, nbytes: int = 64) -> NoReturn:
        """Writes nbytes (at least 4) that are no valid frame onto the data socket (a length field
        of 0xFFFFFFFF, oversize for any pool), then blocks until killed, ignoring cancellation."""
        misbehaviour.garbage(nbytes, self._settings.data_socket)

    # ------------------------------------------------------------------ degrading

    @_counted_tool
    def leak(self, mb: int = 100) -> int:
        """Allocates mb MiB that count in RSS and keeps them for the worker's life; returns the MiB
        leaked so far."""
        return misbehaviour.leak(mb)

    @_counted_tool
    def slow(self, step: float = 0.05) -> float:
        """Sleeps step seconds times the number of calls the worker served (this one included), so
        an older worker is slower; returns the seconds slept."""
        return misbehaviour.slow(step, self._calls)

    @_counted_tool
    def flood_stdout(self, mb: int = 10) -> int:
        """Writes mb MiB of text lines to fd 1 (which the runtime points at stderr); returns the
        bytes written."""
        return misbehaviour.flood_stdout(mb)

    @_counted_tool
    def spawn_grandchildren(self, count: int = 2) -> List[int]:
        """Starts count Python processes that sleep for an hour, in the worker's process group;
        returns their pids."""
        return misbehaviour.spawn_grandchildren(count)

    # ------------------------------------------------------------------ by environment

    @_counted_tool
    def work(self, value: Any = None) -> Dict[str, Any]:
        """An ordinary call, misbehaving as CHAOS_MODE says from the CHAOS_AT-th work call on.
        Returns {"pid": ..., "calls": <work calls so far>, "value": value}."""
        self._work_calls += 1
        chosen = self._settings
        if chosen.applies_to(self._work_calls):
            _MODES[chosen.mode](self, chosen)
        return {"pid": os.getpid(), "calls": self._work_calls, "value": value}


# What work does in each mode but "none", with the adapter and its settings.
_MODES = {
    "crash": lambda adapter, chosen: misbehaviour.crash(),
    "exit": lambda adapter, chosen: misbehaviour.exit_with(chosen.exit_code),
    "segfault": lambda adapter, chosen: misbehaviour.segfault(),
    "hang": lambda adapter, chosen: misbehaviour.hang(ignore_cancel=True),
    "garbage": lambda adapter, chosen: misbehaviour.garbage(GARBAGE_BYTES, chosen.data_socket),
    "leak": lambda adapter, chosen: misbehaviour.leak(chosen.leak_mb),
    "slow": lambda adapter, chosen: misbehaviour.slow(chosen.slow_step, adapter._calls),
    "hold_gil": lambda adapter, chosen: misbehaviour.hold_gil(chosen.gil_seconds),
    "flood_stdout": lambda adapter, chosen: misbehaviour.flood_stdout(chosen.flood_mb),
    "spawn_grandchildren": lambda adapter, chosen: misbehaviour.spawn_grandchildren(chosen.grandchildren),
}  # type: Dict[str, Callable[[ChaosAdapter, ChaosSettings], Any]]
