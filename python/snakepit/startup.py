"""Start-up: ``main()`` and the order in which a worker process gets ready to serve (docs/protocol.md,
sections 1, 4.1, 4.5 and 4.10).

Each step below is a function named for it, called once, in the order of ``main``:

1. take_control_plane: stdin and stdout become the control plane first, so the lifeline works and
   nothing printed can corrupt it;
2. read_command_line: the adapter to serve;
3. apply_limits: while the process has one thread, so the keeper and everything the worker starts
   are capped with it;
4. split_off_keeper: the process splits into the keeper, which owns the tree and stays behind, and the
   worker, which goes on (keeper.py);
5. arm_guards: the parent-death signal and the stack dumps (guard.py);
6. take_token: the token leaves the environment before any user code is imported;
7. read_settings;
8. open_control_channel, start_heartbeat, listen_to_the_jvm: FATAL can go out from here on, and
   beats start before the adapter is imported, so a slow import is no silence;
9. handle_signals, forward_logs;
10. load (import, preload, construct, setup), connect, handshake: the stages of FATAL's ``stage`` field. The
    adapter is ready before the worker connects, so a worker that says HELLO can serve;
11. serve, until SHUTDOWN.

A problem found before step 8 (a bad setting, limits that cannot be applied) cannot be reported yet:
it is kept, and raised as the first thing of step 10, so that its FATAL goes out on the control plane.
"""
import os
import socket
import sys
import traceback
from typing import List, NoReturn, Optional, Tuple

from . import arrays, errors, guard, keeper, limits, logs, messages, protocol, shm, values
from .adapter import ToolRunner, load_class
from .cancel import SWITCH
from .concurrent import CALLS
from .control import ControlChannel, take_standard_streams
from .exits import EXIT_OK, EXIT_START_FAILED, EXIT_USAGE, flush_std_streams
from .heartbeat import DEFAULT_INTERVAL_MS, DEFAULT_TIMEOUT_MS, Heartbeat, heartbeat_settings
from .settings import SettingError, int_setting
from .signals import SignalPolicy
from .worker import Worker

HANDSHAKE_TIMEOUT = 30.0
# The adapter class whose preload() the template ran before forking this process (template.py); a
# worker forked from it does not run preload() again.
PRELOADED = None  # type: Optional[type]
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


class Settings:
    """What the worker reads from its environment before the adapter, and the first problem found."""

    __slots__ = ("max_frame_bytes", "heartbeat_interval", "heartbeat_timeout", "problem")

    def __init__(self, max_frame_bytes: int, heartbeat_interval: float, heartbeat_timeout: float,
                 problem: Optional[StartFailed]) -> None:
        self.max_frame_bytes = max_frame_bytes
        self.heartbeat_interval = heartbeat_interval  # seconds
        self.heartbeat_timeout = heartbeat_timeout  # seconds
        # A bad setting, reported once the control plane can carry its FATAL; the defaults stand in.
        self.problem = problem


def main(argv: Optional[List[str]] = None) -> int:
    """Runs a worker; returns its exit status after SHUTDOWN (other endings exit directly)."""
    try:
        control_in, control_out = take_control_plane()
    except OSError as err:
        sys.stderr.write("snakepit: cannot take over stdin and stdout: %s\n" % err)
        return EXIT_START_FAILED
    adapter_spec = read_command_line(sys.argv[1:] if argv is None else argv)
    limits_problem = apply_limits()
    keeper_pid = split_off_keeper(control_in)
    arm_guards(keeper_pid)
    token = take_token()
    settings = read_settings()
    channel = open_control_channel(control_in, control_out, settings)
    heartbeat = start_heartbeat(channel, settings)
    listen_to_the_jvm(channel, heartbeat)
    handle_signals(channel)
    forward_logs(channel)
    try:
        problem = settings.problem or limits_problem
        if problem is not None:
            raise problem
        runner = load(adapter_spec)
        sock = connect(os.environ.get("SNAKEPIT_SOCKET"), token)
        worker = handshake(sock, runner, messages.hello_body(token, adapter_spec, runner), settings)
    except StartFailed as failure:
        fatal(channel, failure)
    return serve(worker, channel)


def take_control_plane() -> Tuple[int, int]:
    """Moves stdin and stdout to private descriptors: (control in, control out). Raises OSError."""
    return take_standard_streams()


_USAGE = "usage: python -m snakepit --adapter package.module:Class [--template]\n"


def read_command_line(argv: List[str]) -> str:
    """The value of --adapter, the one option; exits with EXIT_USAGE on anything else (argparse, which
    costs milliseconds of every start to import, would do the same)."""
    if argv in (["-h"], ["--help"]):
        sys.stdout.write(_USAGE + "\nSnakepit worker runtime; started by the JVM, which serves the "
                         "adapter's tools over the Snakepit protocol.\n")
        raise SystemExit(EXIT_OK)
    if len(argv) == 2 and argv[0] == "--adapter" and argv[1]:
        return argv[1]
    if len(argv) == 1 and argv[0].startswith("--adapter=") and len(argv[0]) > len("--adapter="):
        return argv[0][len("--adapter="):]
    sys.stderr.write(_USAGE + "python -m snakepit: error: expected exactly --adapter package.module:Class, got %r\n"
                     % (argv,))
    raise SystemExit(EXIT_USAGE)


def apply_limits() -> Optional[StartFailed]:
    """Applies the resource limits the JVM asked for (limits.py); returns why they could not be, which
    is reported once the control plane can carry a FATAL."""
    try:
        limits.apply_limits()
    except (OSError, ValueError) as err:
        return StartFailed("connect", "cannot apply the worker's resource limits: %s" % err)
    return None


def split_off_keeper(lifeline: int) -> int:
    """Forks; the keeper stays behind in keeper.split for good, and the worker returns the keeper's pid,
    leading a session and process group of its own (the keeper leads another), so that the JVM can
    signal the worker's group alone and no terminal reaches it. Call while the process has one thread."""
    keeper_pid = keeper.split(lifeline, _int_or_none(os.environ.get("SNAKEPIT_JVM_PID")))
    try:
        os.setsid()
    except OSError:
        pass  # a group leader already: then it leads its group anyway
    return keeper_pid


def _int_or_none(text: Optional[str]) -> Optional[int]:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def arm_guards(keeper_pid: int) -> None:
    """The worker dies with its keeper, and writes its stacks on a crash or the JVM's dump signal."""
    guard.arm_parent_death_signal(keeper_pid, parent_name="the keeper")
    guard.enable_stack_dumps()


def take_token() -> Optional[str]:
    """Removes SNAKEPIT_TOKEN from the environment before any user code runs, so the adapter's children
    never inherit it; returns it for HELLO."""
    return os.environ.pop("SNAKEPIT_TOKEN", None)


def read_settings() -> Settings:
    """The maximum frame size, the heartbeat's interval and timeout, the arrays and shared-memory
    settings. A bad value does not stop the worker here: it stands in with the default and becomes the
    settings' problem."""
    problem = None
    try:
        max_frame_bytes = int_setting("SNAKEPIT_MAX_FRAME_BYTES", protocol.DEFAULT_MAX_FRAME_BYTES,
                                      protocol.HEADER_SIZE)
    except SettingError as err:
        max_frame_bytes, problem = protocol.DEFAULT_MAX_FRAME_BYTES, StartFailed("connect", str(err))
    try:
        interval, timeout = heartbeat_settings()
    except SettingError as err:
        interval, timeout = DEFAULT_INTERVAL_MS / 1000.0, DEFAULT_TIMEOUT_MS / 1000.0
        problem = problem or StartFailed("connect", str(err))
    try:
        arrays.configure()
    except SettingError as err:
        problem = problem or StartFailed("connect", str(err))
    try:
        shm.configure()
    except SettingError as err:
        problem = problem or StartFailed("connect", str(err))
    return Settings(max_frame_bytes, interval, timeout, problem)


def open_control_channel(control_in: int, control_out: int, settings: Settings) -> ControlChannel:
    return ControlChannel(control_in, control_out, settings.max_frame_bytes)


def start_heartbeat(channel: ControlChannel, settings: Settings) -> Heartbeat:
    """Starts beating now, before the adapter is imported: a slow import (a large ML library) is no
    silence."""
    heartbeat = Heartbeat(channel, settings.heartbeat_interval, settings.heartbeat_timeout)
    heartbeat.start()
    return heartbeat


def listen_to_the_jvm(channel: ControlChannel, heartbeat: Heartbeat) -> None:
    """Starts the control plane's threads: CANCEL stops the call it names (cancel.py; concurrent.py for
    a call running concurrently), HEARTBEAT_ACK keeps the heartbeat content, and the lifeline's end ends
    the worker."""
    SWITCH.install_wakeup()
    channel.start(CALLS.cancel, heartbeat.acknowledged)


def handle_signals(channel: ControlChannel) -> None:
    """SIGINT and SIGTERM from outside the pool (signals.py); before the adapter is imported."""
    SignalPolicy(SWITCH, channel.retire).install()


def forward_logs(channel: ControlChannel) -> None:
    """Python logging goes to the JVM as LOG frames (logs.py)."""
    logs.install(channel, os.environ.get("SNAKEPIT_LOG_LEVEL"))


def load(spec: str) -> ToolRunner:
    """Imports the adapter, runs its ``preload()``, constructs it and runs its ``setup()``."""
    try:
        cls = load_class(spec)
    except BaseException as err:
        raise StartFailed("import", errors.summary(err), err) from None
    preload = getattr(cls, "preload", None)
    if callable(preload) and cls is not PRELOADED:
        try:
            preload()
        except BaseException as err:
            raise StartFailed("preload", errors.summary(err), err) from None
    try:
        runner = ToolRunner(cls())
    except BaseException as err:
        raise StartFailed("construct", errors.summary(err), err) from None
    setup = getattr(runner.instance, "setup", None)
    if callable(setup):
        try:
            setup()
        except BaseException as err:
            raise StartFailed("setup", errors.summary(err), err) from None
    return runner


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


def handshake(sock: socket.socket, runner: ToolRunner, hello: dict, settings: Settings) -> Worker:
    """Sends HELLO and reads WELCOME on the connected socket; returns the worker that serves it, its
    socket now without a timeout. Closes the socket when the handshake fails."""
    worker = Worker(sock, runner, SWITCH, settings.max_frame_bytes)
    try:
        exchange_hello(worker.reader, worker.writer, hello)
    except StartFailed:
        worker.close()
        raise
    sock.settimeout(None)
    return worker


def exchange_hello(reader: protocol.FrameReader, writer: protocol.SocketFrameWriter,
                   hello: dict) -> Tuple[int, dict]:
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
        return messages.parse_welcome(frame)
    except messages.MessageError as err:
        raise StartFailed("handshake", str(err), err.__cause__) from None


def fatal(channel: ControlChannel, failure: StartFailed) -> NoReturn:
    """Sends FATAL, prints the failure to stderr and exits with status 3."""
    cause = failure.cause
    # Records logged while the adapter loaded go out first: they often explain the failure.
    channel.flush_logs(LOG_FLUSH_TIMEOUT)
    channel.send(protocol.FATAL, messages.fatal_body(failure.stage, failure.message, cause))
    text = "snakepit: worker failed to start (%s): %s\n" % (failure.stage, failure.message)
    if cause is not None:
        text += "".join(traceback.format_exception(type(cause), cause, cause.__traceback__))
    sys.stderr.write(text)
    flush_std_streams()
    # os._exit: threads the adapter's import may have started must not keep a failed worker alive.
    os._exit(EXIT_START_FAILED)


def serve(worker: Worker, channel: ControlChannel) -> int:
    """Serves until SHUTDOWN and returns 0; a broken data socket ends the process with its status."""
    status = worker.serve()
    channel.flush_logs(LOG_FLUSH_TIMEOUT)
    flush_std_streams()
    if status != EXIT_OK:
        # A broken channel: threads the user started must not keep the process alive.
        os._exit(status)
    return status
