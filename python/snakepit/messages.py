"""The message bodies of docs/protocol.md, section 4, as the worker builds and reads them: HELLO,
WELCOME, CALL, SESSION_OPEN, SESSION_CLOSE, CREDIT, CANCEL, LOG, FATAL and RETIRE.

A body is a plain value here; values.py turns it into bytes and protocol.py frames it. Two bodies are
built next to what they are made of: ERROR bodies in errors.py, with the exception data they carry,
and RESULT bodies in values.encode_result, which writes ``{"value": ...}`` around the encoded value.
HEARTBEAT and HEARTBEAT_ACK have no body, and the worker does not read SHUTDOWN's.
"""
import os
import re
import sys
import time
from typing import Any, Dict, Optional, Tuple

from . import __version__, errors, protocol, sessions, values

# The protocol versions this runtime speaks, offered in HELLO (section 4.1).
PROTOCOL_VERSIONS = [1]

# platform.python_implementation()'s names, without importing platform (milliseconds of every start).
_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy", "ironpython": "IronPython", "jython": "Jython"}

# A session id (section 4.12), and the reasons a session may close for.
_SESSION_ID = re.compile(r"[0-9a-f]{32}\Z")
CLOSE_REASONS = ("closed", "idle", "lifetime", "moved", "drained", "pool_closed")
# The most credit one CALL or CREDIT frame may grant (section 4.13).
MAX_CREDIT = 1 << 20


class MessageError(Exception):
    """A body that does not follow its message's schema; the message says how."""


def python_version() -> str:
    """The version as platform.python_version() gives it (such as 3.13.0rc1)."""
    return sys.version.split()[0]


def hello_body(token: str, adapter_spec: str, runner: Any) -> Dict[str, Any]:
    """HELLO (section 4.1); ``runner`` is the adapter's ToolRunner, which describes its tools."""
    return {
        "protocol": PROTOCOL_VERSIONS, "token": token,
        "worker_id": os.environ.get("SNAKEPIT_WORKER_ID", ""), "pid": os.getpid(),
        "runtime_version": __version__,
        "python": {"version": python_version(),
                   "implementation": _IMPLEMENTATIONS.get(sys.implementation.name, sys.implementation.name),
                   "executable": sys.executable},
        "adapter": adapter_spec, "dispatch": runner.mode, "concurrency": 1,
        "session_hooks": sessions.defined_hooks(runner.instance), "tools": runner.describe_tools(),
    }


def parse_welcome(frame: protocol.Frame) -> Tuple[int, Dict[str, Any]]:
    """The protocol version WELCOME agreed on, and its body (section 4.1).

    Raises MessageError for an unreadable body, and for one that agrees on no version this runtime
    speaks, with the JVM's reason when it gave one."""
    try:
        welcome = values.decode(frame.body, frame.attachments, frame.flags)
    except values.SerializationError as err:
        raise MessageError("unreadable WELCOME: %s" % err) from err
    if type(welcome) is not dict:
        raise MessageError("WELCOME body is not an object")
    version = welcome.get("protocol")
    if type(version) is not int or version not in PROTOCOL_VERSIONS:
        reason = welcome.get("error")
        raise MessageError("no common protocol version (worker speaks %s, JVM chose %r)%s"
                           % (PROTOCOL_VERSIONS, version, ": %s" % reason if reason else ""))
    return version, welcome


def parse_call(message: Any) -> Tuple[str, list, dict]:
    """The tool, args and kwargs of a decoded CALL body (section 4.2); raises errors.InvalidCall when
    it is not a call."""
    if type(message) is not dict:
        raise errors.InvalidCall(errors.invalid_request("CALL body must be a JSON object"))
    name = message.get("tool")
    args = message.get("args", None)
    kwargs = message.get("kwargs", None)
    if type(name) is not str:
        raise errors.InvalidCall(errors.invalid_request("CALL body has no \"tool\" string"))
    if args is None:
        args = []
    elif type(args) is not list:
        raise errors.InvalidCall(errors.invalid_request("\"args\" must be a list", {"tool": name}))
    if kwargs is None:
        kwargs = {}
    elif type(kwargs) is not dict:
        raise errors.InvalidCall(errors.invalid_request("\"kwargs\" must be an object", {"tool": name}))
    return name, args, kwargs


def call_session(message: Dict[str, Any]) -> Tuple[Optional[str], bool]:
    """The session a decoded CALL body names (or None) and whether the worker is to open it if it does
    not hold it (section 4.12); raises errors.InvalidCall for fields that break the rules."""
    session_id = message.get("session")
    if session_id is None:
        return None, False
    _check_session_id(session_id, "CALL")
    return session_id, _flag(message, "open_session", "CALL", session_id)


def call_stream(message: Dict[str, Any]) -> Optional[int]:
    """The credit a streamed CALL grants at first (section 4.13), or None for a plain call; raises
    errors.InvalidCall for a ``stream`` field that breaks the rules."""
    stream = message.get("stream")
    if stream is None:
        return None
    credit = stream.get("credit") if type(stream) is dict else None
    if type(credit) is not int or not 1 <= credit <= MAX_CREDIT:
        raise errors.InvalidCall(errors.invalid_request(
            "CALL \"stream\" = %r is invalid: it must be an object whose \"credit\" is 1 to %d"
            % (stream, MAX_CREDIT), {"tool": message.get("tool")}))
    return credit


def parse_credit(frame: protocol.Frame) -> int:
    """The items a CREDIT frame grants (section 4.13); raises MessageError for a body that breaks the
    rules, a violation of the data plane."""
    try:
        body = values.decode(frame.body, frame.attachments, frame.flags)
    except values.SerializationError as err:
        raise MessageError("unreadable CREDIT: %s" % err) from err
    credit = body.get("credit") if type(body) is dict else None
    if type(credit) is not int or not 1 <= credit <= MAX_CREDIT:
        raise MessageError("CREDIT \"credit\" = %r is invalid: it must be 1 to %d" % (credit, MAX_CREDIT))
    return credit


def parse_session_open(message: Any) -> Tuple[str, Optional[bytes]]:
    """The session id of a decoded SESSION_OPEN body and the snapshot to restore it from, if any."""
    session_id = _session_of(message, "SESSION_OPEN")
    restore = message.get("restore")
    if restore is not None and type(restore) is not bytes:
        raise errors.InvalidCall(errors.invalid_request(
            "SESSION_OPEN \"restore\" must be bytes, not %s" % type(restore).__name__, {"session": session_id}))
    return session_id, restore


def parse_session_close(message: Any) -> Tuple[str, str, bool]:
    """The session id, reason and snapshot flag of a decoded SESSION_CLOSE body."""
    session_id = _session_of(message, "SESSION_CLOSE")
    reason = message.get("reason")
    if reason not in CLOSE_REASONS or type(reason) is not str:
        raise errors.InvalidCall(errors.invalid_request(
            "SESSION_CLOSE \"reason\" = %r is invalid: it must be one of %s" % (reason, ", ".join(CLOSE_REASONS)),
            {"session": session_id}))
    return session_id, reason, _flag(message, "snapshot", "SESSION_CLOSE", session_id)


def _session_of(message: Any, frame: str) -> str:
    """The session id of a SESSION_OPEN or SESSION_CLOSE body, checked."""
    if type(message) is not dict:
        raise errors.InvalidCall(errors.invalid_request("%s body must be a JSON object" % frame))
    session_id = message.get("session")
    _check_session_id(session_id, frame)
    return session_id


def _flag(message: Dict[str, Any], field: str, frame: str, session_id: str) -> bool:
    """An optional true/false field of a session's message, false when absent."""
    value = message.get(field, False)
    if type(value) is not bool:
        raise errors.InvalidCall(errors.invalid_request(
            "%s \"%s\" must be true or false, not %r" % (frame, field, value), {"session": session_id}))
    return value


def _check_session_id(session_id: Any, frame: str) -> None:
    if type(session_id) is not str or not _SESSION_ID.match(session_id):
        raise errors.InvalidCall(errors.invalid_request(
            "%s \"session\" = %r is invalid: it must be 32 lowercase hex digits" % (frame, session_id)))


def call_deadline(message: Dict[str, Any]) -> Optional[float]:
    """The time.monotonic() value at which a CALL's ``timeout_ms`` runs out, counted from now; None
    without a positive timeout. Informative only: the JVM enforces the deadline."""
    timeout_ms = message.get("timeout_ms")
    if type(timeout_ms) in (int, float) and timeout_ms > 0:
        return time.monotonic() + timeout_ms / 1000.0
    return None


def parse_cancel(frame: protocol.Frame) -> int:
    """The request id of the call a CANCEL is for (section 4.6). Its body, the reason, is only decoded:
    an unreadable one raises values.SerializationError, a violation of the control plane (section 5)."""
    values.decode(frame.body, frame.attachments, frame.flags)
    return frame.request_id


def log_body(level: int, logger: str, message: str, thread: str, created: float,
             exc: Optional[str]) -> Dict[str, Any]:
    """LOG (section 4.4): a record's level number, logger name, text, thread, time (seconds since the
    epoch) and formatted exception or None."""
    return {"level": level, "logger": logger, "message": message, "thread": thread, "time": created,
            "exc": exc}


def fatal_body(stage: str, message: str, cause: Optional[BaseException]) -> Dict[str, Any]:
    """FATAL (section 4.5): the start-up stage that failed, why, this process's pid, and the exception
    that caused it, if any."""
    return {"stage": stage, "message": message, "pid": os.getpid(),
            "exception": errors.exception_data(cause) if cause is not None else None}


def retire_body(reason: str) -> Dict[str, Any]:
    """RETIRE (section 4.11): asks the JVM to replace this worker, and says why."""
    return {"reason": reason}
