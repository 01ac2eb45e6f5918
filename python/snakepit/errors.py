"""Python exceptions as plain data, and the bodies of ERROR frames (docs/protocol.md, section 4.3).

Exceptions cross the process boundary as data, never pickled: the JVM cannot unpickle, and a pickled
exception can fail to load on the other side. Building the data must never raise, whatever the user's
exception does in ``__str__``, so every user hook is guarded.
"""
import traceback
from typing import Any, Dict, Optional, Set

PYTHON_EXCEPTION = "PYTHON_EXCEPTION"
INVALID_REQUEST = "INVALID_REQUEST"
SERIALIZATION_ERROR = "SERIALIZATION_ERROR"
CANCELLED = "CANCELLED"

# Levels of cause/context below the top exception that are described; deeper ones become null.
MAX_CHAIN_DEPTH = 16


def exception_data(exc: BaseException) -> Dict[str, Any]:
    """Describes an exception with its cause and context chain.

    Each exception object is described once: a second reference to it (a cycle, or ``raise X from Y``
    inside ``except Y``, where cause and context are the same object) becomes null. The top level's
    ``traceback`` is the full text with the chain; nested levels carry their own text only, so a long
    chain costs linear, not quadratic, space.
    """
    return _describe(exc, 1, set(), chain=True)


def _describe(exc: BaseException, level: int, seen: Set[int], chain: bool) -> Dict[str, Any]:
    seen.add(id(exc))
    return {
        "type": type(exc).__qualname__,
        "module": type(exc).__module__,
        "message": safe_str(exc),
        "frames": _frames(exc),
        "traceback": _traceback_text(exc, chain),
        "cause": _linked(exc.__cause__, level, seen),
        "context": _linked(exc.__context__, level, seen),
        "suppress_context": bool(exc.__suppress_context__),
    }


def _linked(exc: Optional[BaseException], level: int, seen: Set[int]) -> Optional[Dict[str, Any]]:
    if exc is None or level >= MAX_CHAIN_DEPTH or id(exc) in seen:
        return None
    return _describe(exc, level + 1, seen, chain=False)


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


def cancelled(tool: str, exception: Optional[BaseException] = None) -> Dict[str, Any]:
    """A CANCELLED answer; with the CallCancelled whose traceback shows where the cancel landed."""
    return error_body(CANCELLED, "call to '%s' was cancelled" % tool, exception)


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
