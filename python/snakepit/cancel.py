"""Cancelling the running call (docs/protocol.md, section 4.6).

The main thread runs tools; the control thread receives CANCEL. The control thread raises
``CallCancelled`` in the main thread with ``PyThreadState_SetAsyncExc``, which Python delivers at the
next bytecode boundary. It then sends the main thread a signal (a no-op handler), so that a blocking
system call that Python retries on EINTR (time.sleep, socket and pipe waits) returns to the
interpreter at once and the exception is raised there. C code that ignores EINTR sees the exception
only when it returns.

The same path raises KeyboardInterrupt in a tool when the worker receives SIGINT (signals.py).

Invariants, all under ``CallSwitch._lock``:
- an exception (CallCancelled or KeyboardInterrupt) is injected only while the call it is meant for
  is current, and at most once per call;
- ``finish()`` makes no call current and withdraws an injected exception not yet delivered;
- a call begun while another runs (a call nested in a host call, host.py) makes that one wait: a
  cancel meant for it is kept, and injected at the first ``release()`` after the nested call's
  ``finish()`` made it current again;
- a cancel for a call that has not begun (one the JVM wrote behind the running call) is kept, for a
  bounded number of request ids; ``begin()`` of that call raises CallCancelled at once;
- between ``hold()`` and ``release()`` nothing is injected: an exception meant for the call then waits
  and is injected by ``release()``. The main thread holds the switch while it reads a frame of the
  JVM during a call (streams.py), so that an exception never lands half-way through a frame.
So once ``finish()`` has returned, no injected exception can reach the main thread; before that, at
most one can. The worker's serve loop relies on exactly that.

A call of a tool with concurrency > 1 runs off the main thread (concurrent.py). One on a thread of the
tool's own runs under a switch made for that thread, with the same guarantees, but without the wake-up
signal: a thread blocked in a system call sees the cancel only once the call returns to Python. One on
the event loop of such tools is cancelled as asyncio tasks are. Either way ``current_call()`` finds the
call in ``CONCURRENT_CALL``, which each such thread and task sets for itself.
"""
import contextvars
import ctypes
import signal
import threading
import time
from collections import OrderedDict
from typing import Callable, Optional

# How many cancels of calls that have not begun are kept; older ones are forgotten. Most are cancels
# that came after their call ended, and request ids are never reused on a connection.
_MAX_EARLY_CANCELS = 1024


class CallCancelled(BaseException):
    """Raised inside a running tool when the JVM cancels its call.

    A BaseException, so ``except Exception`` in user code does not swallow it. A tool may catch it to
    clean up, but should re-raise it.
    """


class CallInfo:
    """What the runtime knows about the call being run."""

    __slots__ = ("request_id", "tool", "deadline")

    def __init__(self, request_id: int, tool: str, deadline: Optional[float]) -> None:
        self.request_id = request_id
        self.tool = tool
        # time.monotonic() value after which the JVM gives up on the call, or None. Informative: the
        # JVM enforces it.
        self.deadline = deadline

    def remaining(self) -> Optional[float]:
        """Seconds left before the deadline (may be negative), or None without a deadline."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def __repr__(self) -> str:
        return "CallInfo(request_id=%d, tool=%r, deadline=%r)" % (self.request_id, self.tool, self.deadline)


# The call of a tool with concurrency > 1 that this thread or asyncio task runs (concurrent.py); None
# elsewhere, where the main thread's switch tells the call. A ContextVar, so that each task of the
# event loop has its own.
CONCURRENT_CALL: "contextvars.ContextVar[Optional[CallInfo]]" = contextvars.ContextVar(
    "snakepit_concurrent_call", default=None)


def _async_exc_setter() -> Optional[Callable]:
    try:
        # A private prototype: setting argtypes on ctypes.pythonapi's shared function object would
        # change it for every other user in the process. PYFUNCTYPE keeps the GIL held, as required.
        prototype = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.py_object)
        return prototype(("PyThreadState_SetAsyncExc", ctypes.pythonapi))
    except (AttributeError, OSError):
        return None  # not CPython: cancellation is then a no-op


_set_async_exc = _async_exc_setter()
_NULL = ctypes.py_object()  # a NULL PyObject*: withdraws a pending async exception

# A real-time signal nobody else is likely to use; its handler does nothing, its job is the EINTR.
_WAKE_SIGNAL = getattr(signal, "SIGRTMIN", None)


class CallSwitch:
    """Tracks the current call of the main thread and cancels it on request from another thread."""

    def __init__(self, thread_id: Optional[int] = None) -> None:
        self._thread_id = thread_id if thread_id is not None else threading.main_thread().ident
        self._lock = threading.Lock()
        # Guarded by _lock: the running call's id (0 when idle), its tool and deadline, and whether
        # CallCancelled was injected into it.
        self._request_id = 0
        self._tool = ""
        self._deadline = None
        self._injected = False
        self._wake = False
        # Guarded by _lock: set between hold() and release(); the exception an injection deferred.
        self._held = False
        self._deferred: Optional[type] = None
        # Guarded by _lock: the calls that wait for a nested one, innermost last, each as
        # [request_id, tool, deadline, injected, exception kept for it or None].
        self._waiting: list = []
        # Guarded by _lock: request ids cancelled before their call began, oldest first.
        self._early: "OrderedDict[int, None]" = OrderedDict()

    def install_wakeup(self) -> None:
        """Lets cancellation interrupt blocking system calls; call from the main thread."""
        if _WAKE_SIGNAL is not None and hasattr(signal, "pthread_kill"):
            signal.signal(_WAKE_SIGNAL, _ignore_signal)
            self._wake = True

    def begin(self, request_id: int, tool: str, deadline: Optional[float]) -> None:
        """Makes the call current; raises CallCancelled, with the call current, if it was cancelled
        before it began (finish() then ends it as any cancelled call)."""
        with self._lock:
            if self._request_id:
                self._waiting.append([self._request_id, self._tool, self._deadline, self._injected, None])
            self._request_id = request_id
            self._tool = tool
            self._deadline = deadline
            self._injected = False
            self._held = False
            self._deferred = None
            if not self._early or self._early.pop(request_id, 0) == 0:
                return
        raise CallCancelled("cancelled before it began")

    def take_early(self, request_id: int) -> bool:
        """Whether a cancel came for ``request_id`` before its call began; forgets it. For a call that
        begins elsewhere than on this switch's thread (concurrent.py)."""
        with self._lock:
            return bool(self._early) and self._early.pop(request_id, 0) is None

    def finish(self, request_id: Optional[int] = None) -> bool:
        """Ends the current call (only if it is ``request_id``, when given); returns whether it was
        cancelled. Idempotent with a request id. The call it was nested in, if any, is current again;
        an exception kept for it waits, as if held, for the next release(), which the host call
        waiting for the nested one makes once it is back in its own loop."""
        with self._lock:
            if request_id is not None and request_id != self._request_id:
                return False
            injected = self._injected
            self._request_id = 0
            self._held = False
            self._deferred = None
            if injected and _set_async_exc is not None:
                _set_async_exc(self._thread_id, _NULL)
            if self._waiting:
                self._request_id, self._tool, self._deadline, self._injected, kept = self._waiting.pop()
                self._held = kept is not None
                self._deferred = kept
        return injected

    def cancel(self, request_id: int) -> bool:
        """Cancels the call if it is the current one; returns whether an exception was injected."""
        return self._inject(request_id, CallCancelled)

    def interrupt(self, request_id: int) -> bool:
        """Raises KeyboardInterrupt in the call if it is the current one (SIGINT, signals.py); returns
        whether it was injected. Shares the one exception a call may receive with cancel()."""
        return self._inject(request_id, KeyboardInterrupt)

    def hold(self) -> None:
        """Defers injections into the current call until release(); main thread only."""
        with self._lock:
            self._held = True

    def release(self) -> None:
        """Ends hold(), injecting the exception it deferred, if any. Idempotent; main thread only."""
        with self._lock:
            self._held = False
            deferred, self._deferred = self._deferred, None
            if deferred is None or not self._request_id:
                return
            request_id = self._request_id
            wake = self._deliver(deferred)
        if wake:
            self._start_waking(request_id)

    def _inject(self, request_id: int, exception: type) -> bool:
        with self._lock:
            if _set_async_exc is None or request_id == 0:
                return False
            if request_id != self._request_id:
                if self._keep_for_waiting(request_id, exception):
                    return True
                if exception is CallCancelled:
                    self._keep_for_later(request_id)
                return False
            if self._injected:
                return False
            self._injected = True
            if self._held:
                self._deferred = exception
                return True
            wake = self._deliver(exception)
        if wake:
            self._start_waking(request_id)
        return True

    def _keep_for_waiting(self, request_id: int, exception: type) -> bool:
        """Keeps the exception for a call waiting for a nested one; under _lock."""
        for waiting in self._waiting:
            if waiting[0] == request_id:
                if waiting[3]:
                    return False
                waiting[3] = True
                waiting[4] = exception
                return True
        return False

    def _keep_for_later(self, request_id: int) -> None:
        """Keeps a cancel for a call that may not have begun yet; under _lock."""
        self._early[request_id] = None
        if len(self._early) > _MAX_EARLY_CANCELS:
            self._early.popitem(last=False)

    def _deliver(self, exception: type) -> bool:
        """Raises ``exception`` in the main thread; under _lock. Returns whether to keep waking it."""
        _set_async_exc(self._thread_id, exception)
        return self._wake and self._signal_main()

    def _start_waking(self, request_id: int) -> None:
        # A signal that arrives just before the main thread enters a blocking call does not interrupt
        # it; so it is sent again, less and less often, until the call has ended.
        threading.Thread(target=self._keep_waking, args=(request_id,), name="snakepit-cancel",
                         daemon=True).start()

    def _keep_waking(self, request_id: int) -> None:
        delay = 0.005
        while True:
            time.sleep(delay)
            with self._lock:
                if self._request_id != request_id or not self._signal_main():
                    return
            delay = min(delay * 2, 1.0)

    def _signal_main(self) -> bool:
        try:
            signal.pthread_kill(self._thread_id, _WAKE_SIGNAL)
            return True
        except (OSError, ValueError):
            return False

    def running(self, request_id: int) -> bool:
        """Whether the call is current, or waits for a call nested in it."""
        with self._lock:
            return request_id == self._request_id or any(w[0] == request_id for w in self._waiting)

    def current(self) -> Optional[CallInfo]:
        with self._lock:
            if not self._request_id:
                return None
            return CallInfo(self._request_id, self._tool, self._deadline)


def _ignore_signal(signum, frame) -> None:
    pass


# The worker's switch; tools reach it through current_call().
SWITCH = CallSwitch()


def current_call() -> Optional[CallInfo]:
    """The call the worker is running now (request id, tool, deadline), or None outside a call. Inside a
    call of a tool with concurrency > 1, that call."""
    concurrent = CONCURRENT_CALL.get()
    if concurrent is not None:
        return concurrent
    return SWITCH.current()
