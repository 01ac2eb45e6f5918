"""A fake JVM: spawns real worker processes and speaks the protocol to them, as snakepit-core does.

Every blocking step has a timeout, so a broken worker fails a test instead of hanging the suite.
"""
import os
import queue
import select
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional

from snakepit import protocol, values

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADAPTERS_DIR = os.path.join(PYTHON_DIR, "tests", "adapters")
DEMO = "snakepit.examples.demo:DemoAdapter"
# Lets the suite run workers on another interpreter (say, the oldest supported one).
WORKER_PYTHON = os.environ.get("SNAKEPIT_TEST_PYTHON", sys.executable)
TIMEOUT = 10.0

# Process groups of every worker started, for the leftover check in conftest.py.
STARTED_GROUPS = set()


def stat_fields(pid: int) -> Optional[List[str]]:
    """Fields 3 (state), 4 (ppid), 5 (pgrp) ... of /proc/<pid>/stat; None once the process is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    # The command name is in parentheses and may contain anything, spaces and ')' included.
    return stat[stat.rindex(")") + 2:].split()


def processes() -> List[tuple]:
    """(pid, ppid, pgrp, state) of every process we can see."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = stat_fields(int(name))
            if fields is not None:
                out.append((int(name), int(fields[1]), int(fields[2]), fields[0]))
    return out


def group_members(pgid: int) -> List[int]:
    return [pid for pid, _, pgrp, state in processes() if pgrp == pgid and state != "Z"]


def alive(pid: int) -> bool:
    """Whether the process exists and has not exited (a zombie counts as gone)."""
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def parent_of(pid: int) -> int:
    fields = stat_fields(pid)
    assert fields is not None, "process %d is gone" % pid
    return int(fields[1])


def survivors(pids: List[int], seconds: float) -> List[int]:
    """Those of ``pids`` still alive once each has had up to ``seconds`` to exit."""
    wait_until_gone(pids, seconds)
    return [pid for pid in pids if alive(pid)]


def gone_within(pids: List[int], seconds: float) -> bool:
    """Whether every pid has exited (a zombie counts as gone) within ``seconds``."""
    return not survivors(pids, seconds)


def wait_until(condition, timeout: float) -> None:
    """Polls ``condition`` until it holds; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met within %.1f s" % timeout
        time.sleep(0.01)  # polls a condition with a bound


def wait_for_stderr(jvm: "FakeJvm", text: str, seconds: float) -> None:
    """Waits until the worker has written ``text`` to stderr; fails after ``seconds``."""
    deadline = time.monotonic() + seconds
    while text not in jvm.stderr_text():
        assert time.monotonic() < deadline, "the worker never wrote %r to stderr" % text
        time.sleep(0.01)  # polls a condition with a bound


def wait_until_gone(pids: List[int], timeout: float) -> None:
    """Waits for processes that are not our children (a SIGKILL takes effect asynchronously)."""
    deadline = time.monotonic() + timeout
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        finally:
            os.close(fd)


class StandInJvm:
    """A Python process playing the JVM: it runs ``code``, which starts workers and prints one line of
    pids; the test then kills it, as the JVM can be killed. Use as a context manager."""

    def __init__(self, code: str) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([PYTHON_DIR, ADAPTERS_DIR]),
                   SNAKEPIT_SOCKET="/nonexistent", SNAKEPIT_TOKEN="00")
        self.proc = subprocess.Popen([WORKER_PYTHON, "-c", code], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env)

    def pids(self) -> List[int]:
        """The pids the stand-in printed."""
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        assert ready, "the stand-in JVM did not report its workers"
        return [int(pid) for pid in self.proc.stdout.readline().split()]

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=5)

    def __enter__(self) -> "StandInJvm":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.proc.poll() is None:
            self.kill()
        self.proc.stdin.close()
        self.proc.stdout.close()


class Reply:
    def __init__(self, frame: protocol.Frame) -> None:
        self.kind = frame.kind
        self.request_id = frame.request_id
        self.flags = frame.flags
        self.attachments = frame.attachments
        self.body = values.decode(frame.body, frame.attachments, frame.flags)

    @property
    def value(self) -> Any:
        assert self.kind == protocol.RESULT, "expected RESULT, got %s: %r" % (
            protocol.kind_name(self.kind), self.body)
        return self.body["value"]

    @property
    def item(self) -> Any:
        assert self.kind == protocol.CHUNK, "expected CHUNK, got %s: %r" % (
            protocol.kind_name(self.kind), self.body)
        return self.body["value"]

    @property
    def error(self) -> Dict[str, Any]:
        assert self.kind == protocol.ERROR, "expected ERROR, got %s: %r" % (
            protocol.kind_name(self.kind), self.body)
        return self.body

    def __repr__(self) -> str:
        return "Reply(%s, %d, %r)" % (protocol.kind_name(self.kind), self.request_id, self.body)


class FakeJvm:
    def __init__(self, adapter: str = DEMO, env: Optional[Dict[str, Optional[str]]] = None,
                 max_frame_bytes: int = 1 << 20, python: str = WORKER_PYTHON,
                 ack_heartbeats: bool = True, read_control: bool = True) -> None:
        self.adapter = adapter
        self.ack_heartbeats = ack_heartbeats  # as the JVM does; a test may stop it at any time
        self._stdin_lock = threading.Lock()
        self.max_frame_bytes = max_frame_bytes
        self.token = secrets.token_hex(32)
        self.dir = tempfile.mkdtemp(prefix="snakepit-test-")  # mode 0700, as the JVM makes it
        self.socket_path = os.path.join(self.dir, "w1.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.socket_path)
        self.listener.listen(1)
        self.listener.settimeout(TIMEOUT)
        self.conn = None  # type: Optional[socket.socket]
        self._conn_file = None
        self._reader = None  # type: Optional[protocol.FrameReader]
        self._writer = None  # type: Optional[protocol.SocketFrameWriter]
        self._next_id = 1
        self.worker_pid = None  # type: Optional[int]
        self.control = queue.Queue()  # (kind, request_id, body) per control frame; None at EOF
        self._stderr = open(os.path.join(self.dir, "stderr.txt"), "w+b")
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEPIT_")}
        full_env.update({
            "PYTHONPATH": os.pathsep.join([PYTHON_DIR, ADAPTERS_DIR]),
            "SNAKEPIT_SOCKET": self.socket_path, "SNAKEPIT_TOKEN": self.token,
            "SNAKEPIT_WORKER_ID": "w1", "SNAKEPIT_POOL": "test",
            "SNAKEPIT_MAX_FRAME_BYTES": str(max_frame_bytes), "SNAKEPIT_PROTOCOL": "1",
            "SNAKEPIT_JVM_PID": str(os.getpid()),
        })
        for key, value in (env or {}).items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
        self.proc = subprocess.Popen([python, "-m", "snakepit", "--adapter", adapter],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=full_env, cwd=self.dir)
        STARTED_GROUPS.add(self.proc.pid)
        self._control_thread = None  # type: Optional[threading.Thread]
        if read_control:
            self._control_thread = threading.Thread(target=self._read_control, daemon=True,
                                                    name="fake-jvm-control")
            self._control_thread.start()

    # ------------------------------------------------------------------ control plane

    def _read_control(self) -> None:
        reader = protocol.FrameReader(self.proc.stdout, 1 << 24)
        try:
            while True:
                frame = reader.read_frame()
                if frame is None:
                    break
                if frame.kind == protocol.HEARTBEAT and self.ack_heartbeats:
                    try:
                        self._write_stdin(protocol.encode_header(protocol.HEARTBEAT_ACK, 0, frame.request_id, 0, []))
                    except (OSError, ValueError):
                        pass  # the test closed stdin on purpose
                self.control.put((frame.kind, frame.request_id,
                                  values.decode(frame.body, frame.attachments, frame.flags)))
        except Exception as err:  # reported to the test through the queue
            self.control.put(("broken", 0, repr(err)))
        finally:
            self.control.put(None)

    def next_control(self, kind: int, timeout: float = TIMEOUT) -> Dict[str, Any]:
        """The body of the next control frame of the given kind (others are skipped)."""
        while True:
            item = self.control.get(timeout=timeout)
            assert item is not None, "control plane closed; stderr:\n" + self.stderr_text()
            if item[0] == kind:
                return item[2]

    def send_control(self, kind: int, request_id: int, body: Dict[str, Any]) -> None:
        data, attachments, flags = values.encode(body)
        self._write_stdin(protocol.encode_header(kind, flags, request_id, len(data), [len(a) for a in attachments])
                          + data + b"".join(attachments))

    def _write_stdin(self, data: bytes) -> None:
        with self._stdin_lock:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def cancel(self, request_id: int, reason: str = "cancelled") -> None:
        self.send_control(protocol.CANCEL, request_id, {"reason": reason})

    # ------------------------------------------------------------------ data plane

    def accept(self) -> None:
        self.conn, _ = self.listener.accept()
        self.conn.settimeout(TIMEOUT)
        self._conn_file = self.conn.makefile("rb")
        self._reader = protocol.FrameReader(self._conn_file, self.max_frame_bytes)
        self._writer = protocol.SocketFrameWriter(self.conn, self.max_frame_bytes)

    def read_frame(self) -> Optional[protocol.Frame]:
        return self._reader.read_frame()

    def send(self, kind: int, request_id: int, body: Any) -> None:
        data, attachments, flags = values.encode(body)
        self._writer.write(kind, request_id, data, attachments, flags)

    def start(self) -> Dict[str, Any]:
        """Accepts the worker, checks HELLO's token, answers WELCOME; returns HELLO's body."""
        self.accept()
        frame = self.read_frame()
        assert frame is not None and frame.kind == protocol.HELLO, (frame, self.stderr_text())
        hello = values.decode(frame.body, frame.attachments, frame.flags)
        assert hello["token"] == self.token
        # The process started (self.proc) is the worker's keeper; the worker is its child.
        self.worker_pid = hello["pid"]
        STARTED_GROUPS.add(self.worker_pid)
        self.send(protocol.WELCOME, 0, {"protocol": 1, "pool": "test", "worker_id": "w1"})
        return hello

    def send_call(self, tool: str, args: Optional[List[Any]] = None,
                  kwargs: Optional[Dict[str, Any]] = None, timeout_ms: int = 5000) -> int:
        request_id = self._next_id
        self._next_id += 1
        body = {"tool": tool, "args": args or [], "kwargs": kwargs or {}, "timeout_ms": timeout_ms}
        self.send(protocol.CALL, request_id, body)
        return request_id

    def send_stream(self, tool: str, args: Optional[List[Any]] = None, credit: int = 16,
                    **fields: Any) -> int:
        """Sends a streamed CALL (section 4.13) granting ``credit``; more body fields may be given."""
        request_id = self._next_id
        self._next_id += 1
        body = {"tool": tool, "args": args or [], "kwargs": {}, "timeout_ms": 5000, "stream": {"credit": credit}}
        body.update(fields)
        self.send(protocol.CALL, request_id, body)
        return request_id

    def credit(self, request_id: int, credit: int) -> None:
        self.send(protocol.CREDIT, request_id, {"credit": credit})

    def send_request(self, kind: int, body: Any) -> int:
        """Sends a frame answered like a call (SESSION_OPEN, SESSION_CLOSE) with the next request id."""
        request_id = self._next_id
        self._next_id += 1
        self.send(kind, request_id, body)
        return request_id

    def request(self, kind: int, body: Any) -> Reply:
        return self.reply(self.send_request(kind, body))

    def reply(self, request_id: int) -> Reply:
        frame = self.read_frame()
        assert frame is not None, "worker closed the connection; stderr:\n" + self.stderr_text()
        reply = Reply(frame)
        assert reply.request_id == request_id, reply
        return reply

    def call(self, tool: str, *args: Any, **kwargs: Any) -> Reply:
        return self.reply(self.send_call(tool, list(args), kwargs))

    def close_connection(self) -> None:
        self._conn_file.close()
        self.conn.close()

    def shutdown(self, reason: str = "test") -> None:
        self.send(protocol.SHUTDOWN, 0, {"reason": reason})

    # ------------------------------------------------------------------ process

    def wait(self, timeout: float = TIMEOUT) -> int:
        return self.proc.wait(timeout=timeout)

    def stderr_text(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def close(self) -> None:
        """Ends the worker as the JVM does: lifeline first, then a kill of its groups.

        Fails when the worker's stderr shows trouble no test provokes on purpose.
        """
        try:
            if self.proc.poll() is None:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
                try:
                    self.proc.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    pass
            for group in (self.proc.pid, self.worker_pid):  # the keeper's group and the worker's
                if group is None:
                    continue
                try:
                    os.killpg(group, signal.SIGKILL)  # grandchildren share the worker's group
                except (ProcessLookupError, PermissionError):
                    pass
                else:
                    wait_until_gone(group_members(group), TIMEOUT)
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(timeout=TIMEOUT)
        finally:
            for closable in (self._conn_file, self.conn, self.listener, self.proc.stdin, self._stderr):
                try:
                    if closable is not None:
                        closable.close()
                except OSError:
                    pass
            if self._control_thread is not None:
                self._control_thread.join(timeout=TIMEOUT)
            self.proc.stdout.close()
            stderr = self._read_stderr_file()
            shutil.rmtree(self.dir, ignore_errors=True)
        for trouble in ("ResourceWarning", "Exception ignored"):
            assert trouble not in stderr, "worker stderr:\n" + stderr

    def _read_stderr_file(self) -> str:
        try:
            with open(os.path.join(self.dir, "stderr.txt"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


class Exits:
    """Stands in for an exit function (a Heartbeat's, the control reader's): records the status
    instead of ending the test process."""

    def __init__(self) -> None:
        self.status = None
        self.done = threading.Event()

    def __call__(self, status):
        self.status = status
        self.done.set()
