"""The template: with preloading, the one process that imports the adapter and runs its ``preload()``,
and forks every worker of the pool from that state (docs/adr/0007, docs/protocol.md section 4.16).

``python -m snakepit --adapter package.module:Class --template``. Its stdin and stdout are its control
plane, as a worker's are: stdin is its lifeline, and frames go both ways on them. After the import and
``preload()`` it freezes the collector's objects (so that no collection writes to the pages the workers
share), checks that it has one thread, and sends TEMPLATE_READY. Then it waits, single-threaded, for:

- FORK {worker_id, environment}: forks. The child takes the environment, connects the worker's control
  and stderr sockets (``SNAKEPIT_CONTROL_SOCKET``, ``SNAKEPIT_STDERR_SOCKET``), sends each the token and
  a newline, puts them on descriptors 0, 1 and 2, and runs the worker's start-up as ``python -m
  snakepit`` would (startup.py): it splits into keeper and worker, and the worker serves. The template
  answers FORKED {worker_id, pid} with the keeper's pid, or {worker_id, error};
- its children's ends: REAPED {pid, status}, the status as the JVM reads a process's (the exit code, or
  128 + the signal's number);
- the end of its lifeline: the JVM is gone; it kills whatever of its tree is left and exits.

It is a child subreaper, so a process of a worker's tree that loses its keeper is re-parented here
and killed with the rest; its parent-death signal is SIGKILL, and each keeper's names the template.
"""
import gc
import os
import select
import signal
import socket
import threading
from typing import Any, Dict, List, NoReturn, Optional

from . import errors, guard, keeper, messages, protocol, startup, values
from .adapter import load_class
from .control import take_standard_streams
from .exits import EXIT_OK, EXIT_START_FAILED, flush_std_streams, write_stderr
from .protocol import FrameReader, PipeFrameWriter

# Thread pools of numeric libraries, started at import or first use, would not survive the fork; one
# thread each unless the pool's environment says otherwise (docs/adr/0007).
SINGLE_THREADED = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# Threads that libraries start and that survive a fork: jemalloc's background thread (pyarrow's allocator,
# imported by pandas and scikit-learn) is stopped by jemalloc's own fork handlers and started again in the
# child when it is needed.
FORK_SAFE_THREADS = ("jemalloc_bg_thd",)


def main(spec: str) -> int:
    """Runs the template for the adapter ``spec``; returns only when the JVM is gone."""
    control_in, control_out = take_standard_streams()
    guard.arm_parent_death_signal(startup._int_or_none(os.environ.get("SNAKEPIT_JVM_PID")), signal.SIGKILL)
    keeper.set_child_subreaper()
    writer = PipeFrameWriter(control_out)
    for name in SINGLE_THREADED:
        os.environ.setdefault(name, "1")
    cls = _preloaded(spec, writer)
    gc.freeze()
    others = _other_threads()
    if others:
        _fatal(writer, "preload", "the template has %d thread(s) besides its main one after preload(): %s; a forked"
                                  " worker keeps only the thread that forks, so start threads in setup(), which runs"
                                  " in each worker (a library's own threads, such as OpenBLAS's, can often be turned"
                                  " off by its environment variables)" % (len(others), ", ".join(others)), None)
    startup.PRELOADED = cls
    _send(writer, protocol.TEMPLATE_READY, {"pid": os.getpid(), "adapter": spec})
    return _serve(spec, control_in, control_out, writer)


def _preloaded(spec: str, writer: PipeFrameWriter) -> type:
    try:
        cls = load_class(spec)
    except BaseException as err:
        _fatal(writer, "import", errors.summary(err), err)
    preload = getattr(cls, "preload", None)
    if callable(preload):
        try:
            preload()
        except BaseException as err:
            _fatal(writer, "preload", errors.summary(err), err)
    return cls


def _serve(spec: str, control_in: int, control_out: int, writer: PipeFrameWriter) -> int:
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    reader = FrameReader(_ExactReads(control_in))
    poller = select.poll()
    poller.register(control_in, select.POLLIN)
    poller.register(wake_read, select.POLLIN)
    while True:
        _report_reaped(writer)
        for fd, mask in poller.poll():
            if fd == wake_read:
                keeper.drain(wake_read)
                continue
            frame = None
            if mask & select.POLLIN:
                try:
                    frame = reader.read_frame()
                except (OSError, protocol.ProtocolError):
                    frame = None
            if frame is None:  # the lifeline's end: the JVM is gone
                keeper.kill_descendants(os.getpid())
                return EXIT_OK
            if frame.kind == protocol.FORK:
                body = values.decode(frame.body, frame.attachments, frame.flags)
                _fork(spec, body, writer, (control_in, control_out, wake_read, wake_write))


class _ExactReads:
    """The template's stdin as FrameReader wants it, ``read(n)`` returning n bytes unless the stream
    ends, but reading no further than asked: a buffered reader could hold a whole FORK frame in its
    buffer while poll() reports the pipe empty."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def read(self, n: int) -> bytes:
        parts = []
        left = n
        while left > 0:
            chunk = os.read(self._fd, left)
            if not chunk:
                break
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)


def _fork(spec: str, body: Dict[str, Any], writer: PipeFrameWriter, own: tuple) -> None:
    worker_id = str(body.get("worker_id"))
    environment = body.get("environment") or {}
    others = _other_threads()
    if others:
        _send(writer, protocol.FORKED, {"worker_id": worker_id, "error": "the template has threads: %s" % ", ".join(others)})
        return
    try:
        pid = os.fork()
    except OSError as err:
        _send(writer, protocol.FORKED, {"worker_id": worker_id, "error": "cannot fork: %s" % err})
        return
    if pid == 0:
        _become_worker(spec, environment, own)
    _send(writer, protocol.FORKED, {"worker_id": worker_id, "pid": pid})


def _become_worker(spec: str, environment: Dict[str, str], own: tuple) -> NoReturn:
    """In the forked child: the worker's environment and planes, then the worker's own start-up."""
    status = EXIT_START_FAILED
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in own:
            os.close(fd)
        os.environ.update({str(k): str(v) for k, v in environment.items()})
        token = os.environ.get("SNAKEPIT_TOKEN", "")
        control = _connect(os.environ.get("SNAKEPIT_CONTROL_SOCKET"), token)
        stderr = _connect(os.environ.get("SNAKEPIT_STDERR_SOCKET"), token)
        os.dup2(control, 0)
        os.dup2(control, 1)
        os.dup2(stderr, 2)
        os.close(control)
        os.close(stderr)
        gc.unfreeze()
        status = startup.main(["--adapter", spec])
    except SystemExit as exit:
        status = exit.code if isinstance(exit.code, int) else EXIT_START_FAILED
    except BaseException as err:  # nothing of the template's loop may run in a worker
        write_stderr("snakepit: a worker forked from the template could not start: %r\n" % (err,))
    flush_std_streams()
    os._exit(status)


def _connect(path: Optional[str], token: str) -> int:
    """A connected Unix socket to ``path``, the token sent first; its descriptor."""
    if not path:
        raise RuntimeError("SNAKEPIT_CONTROL_SOCKET and SNAKEPIT_STDERR_SOCKET must be set by the JVM")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(startup.HANDSHAKE_TIMEOUT)
    sock.connect(path)
    sock.sendall(token.encode("ascii") + b"\n")
    sock.setblocking(True)
    return sock.detach()


def _report_reaped(writer: PipeFrameWriter) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        _send(writer, protocol.REAPED, {"pid": pid, "status": code})


def _other_threads() -> List[str]:
    """The names of this process's threads, C libraries' too (from /proc), but for the calling one and
    those known to survive a fork (FORK_SAFE_THREADS); else of Python's threads."""
    me = threading.get_native_id()
    python_names = {t.native_id: t.name for t in threading.enumerate()}
    try:
        tasks = [int(task) for task in os.listdir("/proc/self/task")]
    except OSError:
        return [name for tid, name in python_names.items() if tid != me]
    names = []
    for tid in sorted(tasks):
        if tid == me:
            continue
        try:
            with open("/proc/self/task/%d/comm" % tid) as f:
                command = f.read().strip()
        except OSError:
            continue  # ended since
        if command not in FORK_SAFE_THREADS:
            names.append(python_names.get(tid, "%s (a thread started outside Python)" % command))
    return names


def _send(writer: PipeFrameWriter, kind: int, body: Dict[str, Any]) -> None:
    data, attachments, flags = values.encode(body)
    try:
        writer.write(kind, 0, data, attachments, flags)
    except OSError:
        pass  # the JVM is gone; the lifeline says so next


def _fatal(writer: PipeFrameWriter, stage: str, message: str, cause: Optional[BaseException]) -> NoReturn:
    _send(writer, protocol.FATAL, messages.fatal_body(stage, message, cause))
    write_stderr("snakepit: the template failed to start (%s): %s\n" % (stage, message))
    flush_std_streams()
    os._exit(EXIT_START_FAILED)
