"""Python exceptions as plain data, and the bodies of ERROR frames (docs/protocol.md, section 4.3).

Exceptions cross the process boundary as data, never pickled: the JVM cannot unpickle, and a pickled
exception can fail to load on the other side. Building the data must never raise, whatever the user's
exception does in ``__str__``, so every user hook is guarded. The tracebacks users read start at their
tool: strip_runtime_frames drops the runtime's own frames first.
"""
import traceback
from typing import Any, Dict, Optional, Set

PYTHON_EXCEPTION = "PYTHON_EXCEPTION"
INVALID_REQUEST = "INVALID_REQUEST"
SERIALIZATION_ERROR = "SERIALIZATION_ERROR"
CANCELLED = "CANCELLED"
SESSION_LOST = "SESSION_LOST"
# A result that could not be written to the pool's shared memory (shm.py), the directory being full.
RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"

# An ERROR body too large for a frame is sent again with its message cut to this many characters.
MAX_SHORT_MESSAGE = 4000

# Levels of an exception's description, the top one counted: cause, context and the sub-exceptions of
# a group each add one. Deeper ones become null.
MAX_CHAIN_DEPTH = 16
# Sub-exceptions listed per exception group; the rest are counted in "exceptions_left_out".
MAX_GROUP_WIDTH = 64
# Exceptions described in one description in all, so that wide nested groups stay small; once it is
# reached, every further reference becomes null.
MAX_DESCRIBED = 256

try:
    _GROUP = BaseExceptionGroup  # Python 3.11 and later
except NameError:
    _GROUP = None  # Python 3.9 and 3.10 have no exception groups


class InvalidCall(Exception):
    """A call the adapter cannot run as asked (not a call, unknown tool, arguments not fitting); carries
    its ERROR body."""

    def __init__(self, body: Dict[str, Any]) -> None:
        super().__init__(body["message"])
        self.body = body


def exception_data(exc: BaseException) -> Dict[str, Any]:
    """Describes an exception with its cause and context chain and, for an exception group, its
    sub-exceptions.

    Each exception object is described once, where it is first met (depth first, a group's
    sub-exceptions before its cause and context): a second reference to it (a cycle, or
    ``raise X from Y`` inside ``except Y``, where cause and context are the same object) becomes
    null. The top level's ``traceback`` is the full text with the chain; nested levels carry their
    own text only, so a long chain costs linear, not quadratic, space.
    """
    return _Description().describe(exc, 1, chain=True)


class _Description:
    """One description's state: the exceptions described so far, and how many more may be."""

    def __init__(self) -> None:
        self.seen: Set[int] = set()
        self.budget = MAX_DESCRIBED

    def describe(self, exc: BaseException, level: int, chain: bool) -> Dict[str, Any]:
        self.seen.add(id(exc))
        self.budget -= 1
        members = _members(exc)
        if members is not None:
            # Before cause and context: a group raised while handling one of its own members shows
            # that member in its list, where a reader looks for it.
            listed = [self.linked(member, level) for member in members[:MAX_GROUP_WIDTH]]
        data = {
            "type": type(exc).__qualname__,
            "module": type(exc).__module__,
            "message": safe_str(exc),
            "frames": _frames(exc),
            "traceback": _traceback_text(exc, chain),
            "cause": self.linked(exc.__cause__, level),
            "context": self.linked(exc.__context__, level),
            "suppress_context": bool(exc.__suppress_context__),
        }
        if members is not None:
            data["exceptions"] = listed
            data["exceptions_left_out"] = len(members) - len(listed)
        return data

    def linked(self, exc: Any, level: int) -> Optional[Dict[str, Any]]:
        if (not isinstance(exc, BaseException) or level >= MAX_CHAIN_DEPTH or id(exc) in self.seen
                or self.budget <= 0):
            return None
        return self.describe(exc, level + 1, chain=False)


def _members(exc: BaseException) -> Optional[tuple]:
    """The sub-exceptions of an exception group; None for any other exception."""
    if _GROUP is None or not isinstance(exc, _GROUP):
        return None
    try:
        return tuple(exc.exceptions)
    except Exception:  # a subclass may override the attribute with anything
        return ()


def _frames(exc: BaseException) -> list:
    try:
        summary = traceback.extract_tb(exc.__traceback__)
    except Exception:
        return []
    return [{"file": f.filename, "line": f.lineno, "function": f.name, "source": f.line or None}
            for f in summary]


def _traceback_text(exc: BaseException, chain: bool) -> str:
    try:
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, chain=chain))
    except Exception:
        return "%s: %s\n" % (type(exc).__qualname__, safe_str(exc))


def safe_str(exc: BaseException) -> str:
    """str(exc), or a stand-in when the exception's __str__ itself fails."""
    try:
        return str(exc)
    except Exception:
        return "<str() of %s failed>" % type(exc).__qualname__


def summary(exc: BaseException) -> str:
    """One line as Python prints the last line of a traceback: ``ValueError: bad input``."""
    text = safe_str(exc)
    return "%s: %s" % (type(exc).__qualname__, text) if text else type(exc).__qualname__


def error_body(kind: str, message: str, exception: Optional[BaseException] = None,
               details: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The body of an ERROR frame."""
    body = {"kind": kind, "message": message}
    if exception is not None:
        body["exception"] = exception_data(exception)
    body["details"] = details if details is not None else {}
    return body


def raised(exc: BaseException) -> Dict[str, Any]:
    """The PYTHON_EXCEPTION body of what a tool raised, with its summary as the message."""
    return error_body(PYTHON_EXCEPTION, summary(exc), exc)


def cancelled(tool: str, exception: Optional[BaseException] = None) -> Dict[str, Any]:
    """A CANCELLED answer; with the CallCancelled whose traceback shows where the cancel landed."""
    return error_body(CANCELLED, "call to '%s' was cancelled" % tool, exception)


def session_lost(session_id: str) -> Dict[str, Any]:
    """A call of a session this worker does not hold (docs/protocol.md, section 4.12)."""
    return error_body(SESSION_LOST, "session %s is not open on this worker" % session_id,
                      details={"session": session_id})


def unknown_tool(tool: str, available: list) -> Dict[str, Any]:
    names = sorted(available)
    return error_body(INVALID_REQUEST, "unknown tool '%s'; available: %s" % (tool, ", ".join(names)),
                      details={"tool": tool, "available": names})


def bad_arguments(tool: str, signature: str, reason: str,
                  extra: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Arguments that do not fit the tool's signature; ``extra`` adds details such as the unexpected keywords."""
    details = {"tool": tool, "signature": signature, "reason": reason}
    if extra:
        details.update(extra)
    return error_body(INVALID_REQUEST, "arguments do not fit %s%s: %s" % (tool, signature, reason),
                      details=details)


def invalid_request(message: str, details: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return error_body(INVALID_REQUEST, message, details=details)


def serialization_error(message: str, details: Optional[Dict[str, Any]] = None,
                        exception: Optional[BaseException] = None) -> Dict[str, Any]:
    return error_body(SERIALIZATION_ERROR, message, exception, details)


def shortened(body: Dict[str, Any]) -> Dict[str, Any]:
    """An ERROR body that surely fits a frame: ``body``'s kind, and its message cut to
    MAX_SHORT_MESSAGE characters, without exception or details."""
    message = body.get("message", "")
    return error_body(body.get("kind", PYTHON_EXCEPTION), message[:MAX_SHORT_MESSAGE]
                      + (" [truncated]" if len(message) > MAX_SHORT_MESSAGE else ""))


# The modules whose frames head the traceback of whatever a tool raises: the serve loop, the runner, and
# the threads and event loop of tools with concurrency > 1.
_RUNTIME_MODULES = frozenset(("snakepit.worker", "snakepit.adapter", "snakepit.sessions", "snakepit.streams",
                              "snakepit.batches", "snakepit.calls", "snakepit.concurrent", "snakepit.taskloop"))


def strip_runtime_frames(exc: BaseException) -> None:
    """Drops the runtime's own frames (and an async tool's event loop) from the head of a traceback,
    and the wake-up signal's handler from its tail.

    Users read these tracebacks in Java logs; they should start at their tool.
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module not in _RUNTIME_MODULES and not module.startswith("asyncio"):
            break
        tb = tb.tb_next
    exc.__traceback__ = tb
    # An injected exception (a cancel, a SIGINT) often lands in the no-op handler of the signal that
    # woke the tool's blocking call: that frame says nothing about where the tool was.
    while tb is not None and tb.tb_next is not None:
        following = tb.tb_next
        if following.tb_next is None and following.tb_frame.f_globals.get("__name__") == "snakepit.cancel":
            tb.tb_next = None
            break
        tb = following
