"""Worker start-up: load the adapter, connect, handshake; or say why not (docs/protocol.md, 4.1, 4.5).

Stages run in the order of the FATAL frame's ``stage`` field: import, construct, setup, connect,
handshake. The adapter is ready before the worker connects, so a worker that says HELLO can serve.
"""
import os
import socket
import sys
import traceback
from typing import Any, Dict, NoReturn, Optional, Tuple

from . import __version__, control, errors, logs, protocol, values
from .adapter import Dispatcher, load_class
from .control import ControlChannel

EXIT_START_FAILED = 3
PROTOCOL_VERSIONS = [1]
HANDSHAKE_TIMEOUT = 30.0
# The data socket's send buffer, asked of the kernel (docs/protocol.md, section 1).
SEND_BUFFER = 4 * 1024 * 1024
# Bounds the wait for queued LOG frames before the process exits.
LOG_FLUSH_TIMEOUT = 2.0


class StartFailed(Exception):
    """Start-up cannot go on; becomes a FATAL frame for ``stage``."""

    def __init__(self, stage: str, message: str, cause: Optional[BaseException] = None) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.cause = cause


def heartbeat_settings() -> Tuple[float, float]:
    """(interval, timeout) in seconds from SNAKEPIT_HEARTBEAT_INTERVAL and _TIMEOUT (milliseconds)."""
    interval = int_setting("SNAKEPIT_HEARTBEAT_INTERVAL", control.DEFAULT_HEARTBEAT_INTERVAL_MS, 1)
    timeout = int_setting("SNAKEPIT_HEARTBEAT_TIMEOUT", control.DEFAULT_HEARTBEAT_TIMEOUT_MS, 1)
    if timeout <= interval:
        raise StartFailed("connect", "SNAKEPIT_HEARTBEAT_TIMEOUT=%d must be longer than "
                                     "SNAKEPIT_HEARTBEAT_INTERVAL=%d" % (timeout, interval))
    return interval / 1000.0, timeout / 1000.0


def int_setting(name: str, default: int, minimum: int) -> int:
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = int(text)
    except ValueError:
        raise StartFailed("connect", "%s=%r is not an integer" % (name, text)) from None
    if value < minimum:
        raise StartFailed("connect", "%s=%d is below the minimum of %d" % (name, value, minimum))
    return value


def load_adapter(spec: str) -> Dispatcher:
    """Imports, constructs and sets up the adapter."""
    try:
        cls = load_class(spec)
    except BaseException as err:
        raise StartFailed("import", errors.summary(err), err) from None
    try:
        dispatcher = Dispatcher(cls())
    except BaseException as err:
        raise StartFailed("construct", errors.summary(err), err) from None
    setup = getattr(dispatcher.instance, "setup", None)
    if callable(setup):
        try:
            setup()
        except BaseException as err:
            raise StartFailed("setup", errors.summary(err), err) from None
    return dispatcher


def connect(path: Optional[str], token: Optional[str]) -> socket.socket:
    """Connects to the JVM's socket; the socket keeps the handshake timeout until WELCOME."""
    if not path or token is None:
        raise StartFailed("connect", "SNAKEPIT_SOCKET and SNAKEPIT_TOKEN must be set; workers are "
                                     "started by the JVM")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        # A large result then wakes the JVM's reader far less often than with the default 208 KiB.
        # Linux caps the size at net.core.wmem_max; a refusal leaves the default, slower but correct.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
    except OSError:
        pass
    try:
        sock.settimeout(HANDSHAKE_TIMEOUT)
        sock.connect(path)
    except OSError as err:
        sock.close()
        raise StartFailed("connect", "cannot connect to %s: %s" % (path, errors.summary(err)), err) from None
    return sock


# platform.python_implementation()'s names, without importing platform (milliseconds of every start).
_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy", "ironpython": "IronPython", "jython": "Jython"}


def python_version() -> str:
    """The version as platform.python_version() gives it (such as 3.13.0rc1)."""
    return sys.version.split()[0]


def hello_body(token: str, adapter_spec: str, dispatcher: Dispatcher) -> Dict[str, Any]:
    return {
        "protocol": PROTOCOL_VERSIONS, "token": token,
        "worker_id": os.environ.get("SNAKEPIT_WORKER_ID", ""), "pid": os.getpid(),
        "runtime_version": __version__,
        "python": {"version": python_version(),
                   "implementation": _IMPLEMENTATIONS.get(sys.implementation.name, sys.implementation.name),
                   "executable": sys.executable},
        "adapter": adapter_spec, "dispatch": dispatcher.mode, "concurrency": 1,
        "tools": dispatcher.describe_tools(),
    }


def handshake(reader: protocol.FrameReader, writer: protocol.SocketFrameWriter,
              hello: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
    """Sends HELLO and reads WELCOME; returns the agreed version and WELCOME's body."""
    try:
        body, attachments, flags = values.encode(hello)
        writer.write(protocol.HELLO, 0, body, attachments, flags)
        frame = reader.read_frame()
    except (OSError, protocol.ProtocolError, protocol.FrameTooLarge, values.SerializationError) as err:
        raise StartFailed("handshake", "handshake failed: %s" % errors.summary(err), err) from None
    if frame is None:
        raise StartFailed("handshake", "the JVM closed the connection before WELCOME "
                                       "(a wrong token is refused that way)")
    if frame.kind != protocol.WELCOME:
        raise StartFailed("handshake", "expected WELCOME, got %s" % protocol.kind_name(frame.kind))
    try:
        welcome = values.decode(frame.body, frame.attachments, frame.flags)
    except values.SerializationError as err:
        raise StartFailed("handshake", "unreadable WELCOME: %s" % err, err) from None
    if type(welcome) is not dict:
        raise StartFailed("handshake", "WELCOME body is not an object")
    version = welcome.get("protocol")
    if type(version) is not int or version not in PROTOCOL_VERSIONS:
        reason = welcome.get("error")
        raise StartFailed("handshake", "no common protocol version (worker speaks %s, JVM chose %r)%s"
                          % (PROTOCOL_VERSIONS, version, ": %s" % reason if reason else ""))
    return version, welcome


def fatal(channel: ControlChannel, failure: StartFailed) -> NoReturn:
    """Sends FATAL, prints the failure to stderr and exits with status 3."""
    cause = failure.cause
    # Records logged while the adapter loaded go out first: they often explain the failure.
    channel.flush_logs(LOG_FLUSH_TIMEOUT)
    channel.send(protocol.FATAL, {
        "stage": failure.stage, "message": failure.message, "pid": os.getpid(),
        "exception": errors.exception_data(cause) if cause is not None else None})
    text = "snakepit: worker failed to start (%s): %s\n" % (failure.stage, failure.message)
    if cause is not None:
        text += "".join(traceback.format_exception(type(cause), cause, cause.__traceback__))
    sys.stderr.write(text)
    logs.flush_std_streams()
    # os._exit: threads the adapter's import may have started must not keep a failed worker alive.
    os._exit(EXIT_START_FAILED)
