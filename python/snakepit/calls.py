"""Running one piece of work as a call under a call switch (cancel.py), and what comes of it: the
value, a Failure or a Cancelled. The serve loop runs its calls this way on the main thread, and the
threads of a tool with concurrency > 1 run theirs this way too, each under a switch of its own
(concurrent.py).
"""
from typing import Any, Callable, Dict, Optional

from . import errors
from .cancel import CallCancelled, CallSwitch
from .errors import InvalidCall, strip_runtime_frames


class Failure:
    """An error answer computed while the call was current."""

    __slots__ = ("body",)

    def __init__(self, body: Dict[str, Any]) -> None:
        self.body = body


class Cancelled:
    """A call stopped by a cancel, with the exception that stopped it (CallCancelled; for an async tool
    with concurrency > 1, asyncio.CancelledError)."""

    __slots__ = ("exception",)

    def __init__(self, exception: BaseException) -> None:
        self.exception = exception


def run_call(switch: CallSwitch, request_id: int, name: str, deadline: Optional[float], work: Callable,
             *work_args: Any) -> Any:
    """Runs ``work(*work_args)`` (a tool, or a session hook) as the call ``request_id`` on the thread the
    switch stands for; returns its value, a Failure or a Cancelled. Never lets CallCancelled, nor a
    KeyboardInterrupt the signal thread injected, out.

    The control thread (or the signal thread) injects at most one exception per call, and none once
    finish() has returned. It may land anywhere up to then: in the tool, in the error description
    below, or in finish() itself. Every place is inside the outer try, and the handler's finish()
    cannot be interrupted because the one exception has been delivered already.
    """
    try:
        switch.begin(request_id, name, deadline)
        try:
            result = work(*work_args)
        except InvalidCall as invalid:
            result = Failure(invalid.body)
        except CallCancelled:
            raise
        except BaseException as exc:  # SystemExit and KeyboardInterrupt in a tool are its errors
            strip_runtime_frames(exc)
            result = Failure(errors.raised(exc))
        switch.finish(request_id)
        return result
    except (CallCancelled, KeyboardInterrupt) as landed:
        # A cancel's traceback says where it found the tool: the JVM reports it with a timeout. A
        # KeyboardInterrupt (SIGINT, signals.py) that landed outside the tool's own code is still
        # that call's error.
        strip_runtime_frames(landed)
        while True:
            try:
                switch.finish(request_id)
                if type(landed) is CallCancelled:
                    return Cancelled(landed)
                return Failure(errors.raised(landed))
            except (CallCancelled, KeyboardInterrupt):
                pass
