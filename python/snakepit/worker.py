"""The worker process: its main function and the serve loop (docs/protocol.md, sections 4 and 5).

Start-up order matters: the control plane is taken first, so the lifeline works and nothing printed
can corrupt it; the token leaves the environment before any user code is imported; then startup.py
loads the adapter, connects and shakes hands.

The data plane is served by the main thread alone, one call at a time (concurrency 1): Python's
signal handling and many C libraries expect to run there, and no lock or queue sits in the hot path.

Exit statuses: 0 orderly (SHUTDOWN, or the JVM went away), 2 bad command line, 3 could not start
(a FATAL frame says why), 4 protocol violation.
"""
import logging
import os
import socket
import sys
import time
from typing import Any, Dict, List, Optional

from . import errors, guard, keeper, logs, protocol, startup, values
from .adapter import Dispatcher, InvalidCall, split_args, strip_runtime_frames
from .cancel import SWITCH, CallCancelled, CallSwitch
from .control import (DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_HEARTBEAT_TIMEOUT_MS, EXIT_OK, EXIT_VIOLATION,
                      ControlChannel, Heartbeat, take_standard_streams)
from .protocol import FrameTooLarge, ProtocolError
from .signals import SignalPolicy
from .startup import StartFailed

EXIT_USAGE = 2  # a bad command line, as argparse would exit
_READ_BUFFER = 64 * 1024


def main(argv: Optional[List[str]] = None) -> int:
    """Runs a worker; returns its exit status after SHUTDOWN (other endings exit directly)."""
    try:
        control_in, control_out = take_standard_streams()
    except OSError as err:
        sys.stderr.write("snakepit: cannot take over stdin and stdout: %s\n" % err)
        return startup.EXIT_START_FAILED
    adapter_spec = _adapter_argument(sys.argv[1:] if argv is None else argv)
    # While the process has one thread: the limits are applied (the keeper and everything the worker
    # starts are capped with it), then the process splits into the keeper, which owns the tree and
    # stays behind here, and the worker, which returns (keeper.py).
    limits_failed = None
    try:
        guard.apply_limits()
    except (OSError, ValueError) as err:
        limits_failed = StartFailed("connect", "cannot apply the worker's resource limits: %s" % err)
    keeper_pid = keeper.split(control_in, _int_or_none(os.environ.get("SNAKEPIT_JVM_PID")))
    _lead_own_group()
    guard.arm_parent_death_signal(keeper_pid, parent_name="the keeper")
    guard.enable_stack_dumps()

    # Removed before any user code runs, so the adapter's children never inherit the token.
    token = os.environ.pop("SNAKEPIT_TOKEN", None)
    bad_setting = None
    try:
        max_frame_bytes = startup.int_setting("SNAKEPIT_MAX_FRAME_BYTES", protocol.DEFAULT_MAX_FRAME_BYTES,
                                              protocol.HEADER_SIZE)
    except StartFailed as failure:
        max_frame_bytes, bad_setting = protocol.DEFAULT_MAX_FRAME_BYTES, failure
    try:
        interval, timeout = startup.heartbeat_settings()
    except StartFailed as failure:
        interval, timeout = DEFAULT_HEARTBEAT_INTERVAL_MS / 1000.0, DEFAULT_HEARTBEAT_TIMEOUT_MS / 1000.0
        bad_setting = bad_setting or failure
    bad_setting = bad_setting or limits_failed

    channel = ControlChannel(control_in, control_out, max_frame_bytes)
    # Beats start before the adapter is imported: a slow import (a large ML library) is no silence.
    heartbeat = Heartbeat(channel, interval, timeout)
    SWITCH.install_wakeup()
    channel.start(SWITCH.cancel, heartbeat.acknowledged)
    heartbeat.start()
    SignalPolicy(SWITCH, channel.retire).install()
    logs.install(channel, os.environ.get("SNAKEPIT_LOG_LEVEL"))
    try:
        if bad_setting is not None:
            raise bad_setting
        dispatcher = startup.load_adapter(adapter_spec)
        sock = startup.connect(os.environ.get("SNAKEPIT_SOCKET"), token)
        worker = Worker(sock, dispatcher, SWITCH, max_frame_bytes)
        try:
            startup.handshake(worker.reader, worker.writer,
                              startup.hello_body(token, adapter_spec, dispatcher))
        except StartFailed:
            worker.close()
            raise
        sock.settimeout(None)
    except StartFailed as failure:
        startup.fatal(channel, failure)
    status = worker.serve()
    channel.flush_logs(startup.LOG_FLUSH_TIMEOUT)
    logs.flush_std_streams()
    if status != EXIT_OK:
        # A broken channel: threads the user started must not keep the process alive.
        os._exit(status)
    return status


_USAGE = "usage: python -m snakepit --adapter package.module:Class\n"


def _adapter_argument(argv: List[str]) -> str:
    """The value of --adapter, the one option; exits with EXIT_USAGE on anything else (argparse, which
    costs milliseconds of every start to import, would do the same)."""
    if argv in (["-h"], ["--help"]):
        sys.stdout.write(_USAGE + "\nSnakepit worker runtime; started by the JVM, which serves the "
                         "adapter's tools over the Snakepit protocol.\n")
        raise SystemExit(0)
    if len(argv) == 2 and argv[0] == "--adapter" and argv[1]:
        return argv[1]
    if len(argv) == 1 and argv[0].startswith("--adapter=") and len(argv[0]) > len("--adapter="):
        return argv[0][len("--adapter="):]
    sys.stderr.write(_USAGE + "python -m snakepit: error: expected exactly --adapter package.module:Class, got %r\n"
                     % (argv,))
    raise SystemExit(EXIT_USAGE)


def _lead_own_group() -> None:
    """Makes the worker the leader of a session and process group of its own (the keeper leads
    another), so that the JVM can signal the worker's group alone and no terminal reaches it."""
    try:
        os.setsid()
    except OSError:
        pass  # a group leader already: then it leads its group anyway


def _int_or_none(text: Optional[str]) -> Optional[int]:
    try:
        return int(text) if text else None
    except ValueError:
        return None


class Worker:
    """Owns the data socket; every method runs on the main thread."""

    def __init__(self, sock: socket.socket, dispatcher: Dispatcher, switch: CallSwitch,
                 max_frame_bytes: int) -> None:
        self._sock = sock
        self._stream = sock.makefile("rb", buffering=_READ_BUFFER)
        self.reader = protocol.FrameReader(self._stream, max_frame_bytes)
        self.writer = protocol.SocketFrameWriter(sock, max_frame_bytes)
        self._dispatcher = dispatcher
        self._switch = switch

    def serve(self) -> int:
        """Serves calls until SHUTDOWN; exits the process directly when the JVM goes away."""
        read_frame = self.reader.read_frame
        while True:
            try:
                frame = read_frame()
            except ProtocolError as err:
                return self._violation(str(err))
            except OSError:
                frame = None  # connection reset: the JVM is gone
            if frame is None:
                logs.flush_std_streams()
                os._exit(EXIT_OK)
            kind = frame.kind
            try:
                if kind == protocol.CALL:
                    if not frame.request_id:
                        return self._violation("CALL with request id 0")
                    self._handle_call(frame)
                elif kind == protocol.SHUTDOWN:
                    self._shutdown()
                    return EXIT_OK
                else:
                    return self._violation("unexpected %s frame on the data socket"
                                           % protocol.kind_name(kind))
            except OSError:
                # The answer could not be written: the JVM is gone.
                logs.flush_std_streams()
                os._exit(EXIT_OK)

    def _handle_call(self, frame: protocol.Frame) -> None:
        request_id = frame.request_id
        try:
            message = values.decode(frame.body, frame.attachments, frame.flags)
        except values.SerializationError as err:
            self._send_error(request_id, errors.serialization_error(
                "cannot decode the call's arguments: %s" % err, err.details()))
            return
        try:
            name, args, kwargs = split_args(message)
        except InvalidCall as invalid:
            self._send_error(request_id, invalid.body)
            return
        timeout_ms = message.get("timeout_ms")
        deadline = (time.monotonic() + timeout_ms / 1000.0
                    if type(timeout_ms) in (int, float) and timeout_ms > 0 else None)
        result = self._run(request_id, name, args, kwargs, deadline)
        if type(result) is _Cancelled:
            self._send_error(request_id, errors.cancelled(name, result.exception))
        elif type(result) is _Failure:
            self._send_error(request_id, result.body)
        else:
            self._send_result(request_id, name, result)

    def _run(self, request_id: int, name: str, args: list, kwargs: dict, deadline: Optional[float]) -> Any:
        """Runs the tool; returns its value, a _Failure or a _Cancelled. Never lets CallCancelled, nor a
        KeyboardInterrupt the signal thread injected, out.

        The control thread (or the signal thread) injects at most one exception per call, and none
        once finish() has returned. It may land anywhere up to then: in the tool, in the error description below, or
        in finish() itself. Every place is inside the outer try, and the handler's finish() cannot be
        interrupted because the one exception has been delivered already.
        """
        switch = self._switch
        try:
            switch.begin(request_id, name, deadline)
            try:
                result = self._dispatcher.call(name, args, kwargs)
            except InvalidCall as invalid:
                result = _Failure(invalid.body)
            except CallCancelled:
                raise
            except BaseException as exc:  # SystemExit and KeyboardInterrupt in a tool are its errors
                strip_runtime_frames(exc)
                result = _Failure(errors.error_body(errors.PYTHON_EXCEPTION, errors.summary(exc), exc))
            switch.finish()
            return result
        except (CallCancelled, KeyboardInterrupt) as landed:
            # A cancel's traceback says where it found the tool: the JVM reports it with a timeout. A
            # KeyboardInterrupt (SIGINT, signals.py) that landed outside the tool's own code is still
            # that call's error.
            strip_runtime_frames(landed)
            while True:
                try:
                    switch.finish()
                    if type(landed) is CallCancelled:
                        return _Cancelled(landed)
                    return _Failure(errors.error_body(errors.PYTHON_EXCEPTION, errors.summary(landed), landed))
                except (CallCancelled, KeyboardInterrupt):
                    pass

    def _send_result(self, request_id: int, name: str, value: Any) -> None:
        try:
            body, attachments, flags = values.encode_result(value)
        except values.SerializationError as err:
            self._send_error(request_id, errors.serialization_error(
                "result of '%s' cannot be serialized: %s" % (name, err), err.details()))
            return
        except Exception as err:
            self._send_error(request_id, errors.serialization_error(
                "result of '%s' cannot be serialized: %s" % (name, errors.summary(err)), {}, err))
            return
        try:
            self.writer.write(protocol.RESULT, request_id, body, attachments, flags)
        except FrameTooLarge as err:
            self._send_error(request_id, errors.serialization_error(
                "result of '%s' is %d bytes, above the maximum frame size of %d bytes"
                % (name, err.size, err.max_frame_bytes),
                {"size": err.size, "max_frame_bytes": err.max_frame_bytes}))

    def _send_error(self, request_id: int, body: Dict[str, Any]) -> None:
        data, attachments, flags = values.encode(body)
        try:
            self.writer.write(protocol.ERROR, request_id, data, attachments, flags)
        except FrameTooLarge:
            # A huge exception message or traceback: send what surely fits instead.
            message = body.get("message", "")
            short = errors.error_body(body.get("kind", errors.PYTHON_EXCEPTION),
                                      message[:4000] + (" [truncated]" if len(message) > 4000 else ""))
            data, attachments, flags = values.encode(short)
            self.writer.write(protocol.ERROR, request_id, data, attachments, flags)

    def _shutdown(self) -> None:
        teardown = getattr(self._dispatcher.instance, "teardown", None)
        if callable(teardown):
            try:
                teardown()
            except BaseException:
                logging.getLogger("snakepit.worker").exception("teardown() failed")
        self._dispatcher.close()
        self.close()
        logs.flush_std_streams()

    def _violation(self, what: str) -> int:
        sys.stderr.write("snakepit: protocol violation on the data socket: %s; exiting\n" % what)
        self.close()
        return EXIT_VIOLATION

    def close(self) -> None:
        self._stream.close()
        self._sock.close()


class _Failure:
    """An error answer computed while the call was current."""

    __slots__ = ("body",)

    def __init__(self, body: Dict[str, Any]) -> None:
        self.body = body


class _Cancelled:
    """A call stopped by a cancel, with the CallCancelled that stopped it."""

    __slots__ = ("exception",)

    def __init__(self, exception: BaseException) -> None:
        self.exception = exception
