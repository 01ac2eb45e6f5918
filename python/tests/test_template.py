"""The template (template.py): workers forked from one process that ran preload(), each with its own
keeper, control plane and lifeline; their ends reported; nothing left when the JVM goes."""
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from typing import Any, Dict, List, Optional

import pytest

import harness
from snakepit import protocol, values

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="the template needs Linux")


class Forked:
    """The JVM's side of one forked worker: its control, stderr and data connections."""

    def __init__(self, jvm: "TemplateJvm", worker_id: str) -> None:
        self.token = secrets.token_hex(32)
        self.listeners = {}
        self.paths = {}
        for plane in ("data", "control", "stderr"):
            path = os.path.join(jvm.dir, "%s-%s.sock" % (worker_id, plane))
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(path)
            listener.listen(1)
            listener.settimeout(harness.TIMEOUT)
            self.listeners[plane], self.paths[plane] = listener, path
        self.environment = {
            "SNAKEPIT_SOCKET": self.paths["data"], "SNAKEPIT_TOKEN": self.token, "SNAKEPIT_WORKER_ID": worker_id,
            "SNAKEPIT_POOL": "test", "SNAKEPIT_MAX_FRAME_BYTES": str(1 << 20), "SNAKEPIT_PROTOCOL": "1",
            "SNAKEPIT_JVM_PID": str(jvm.proc.pid),  # the keeper's parent is the template
            "SNAKEPIT_CONTROL_SOCKET": self.paths["control"], "SNAKEPIT_STDERR_SOCKET": self.paths["stderr"],
        }
        self.control = None  # type: Optional[socket.socket]
        self.stderr = b""
        self.data = None  # type: Optional[socket.socket]
        self.worker_pid = 0

    def accept_planes(self) -> None:
        self.control = self._accept("control")
        threading.Thread(target=self._ack_heartbeats, daemon=True).start()
        stderr = self._accept("stderr")
        threading.Thread(target=self._collect_stderr, args=(stderr,), daemon=True).start()
        self.data, _ = self.listeners["data"].accept()
        self.data.settimeout(harness.TIMEOUT)
        self._file = self.data.makefile("rb")
        self.reader = protocol.FrameReader(self._file, 1 << 20)
        self.writer = protocol.SocketFrameWriter(self.data, 1 << 20)
        hello = harness.Reply(self.reader.read_frame()).body
        assert hello["token"] == self.token
        self.worker_pid = hello["pid"]
        harness.STARTED_GROUPS.add(self.worker_pid)
        self._send(protocol.WELCOME, 0, {"protocol": 1, "pool": "test", "worker_id": "w"})

    def call(self, tool: str, **kwargs: Any) -> Any:
        self._send(protocol.CALL, 7, {"tool": tool, "args": [], "kwargs": kwargs, "timeout_ms": 5000})
        frame = self.reader.read_frame()
        assert frame is not None, "the worker closed its data plane; stderr: %r" % self.stderr
        return harness.Reply(frame).value

    def shutdown(self) -> None:
        self._send(protocol.SHUTDOWN, 0, {"reason": "test"})

    def close(self) -> None:
        for conn in (self.control, self.data):
            if conn is not None:
                conn.close()
        for listener in self.listeners.values():
            listener.close()

    def _accept(self, plane: str) -> socket.socket:
        conn, _ = self.listeners[plane].accept()
        conn.settimeout(harness.TIMEOUT)
        line = b""
        while not line.endswith(b"\n"):
            chunk = conn.recv(1)
            assert chunk, "the %s plane closed before its token" % plane
            line += chunk
        assert line.strip().decode() == self.token
        conn.settimeout(None)
        return conn

    def _ack_heartbeats(self) -> None:
        reader = protocol.FrameReader(self.control.makefile("rb"), 1 << 20)
        try:
            while True:
                frame = reader.read_frame()
                if frame is None:
                    return
                if frame.kind == protocol.HEARTBEAT:
                    self.control.sendall(protocol.encode_header(protocol.HEARTBEAT_ACK, 0, frame.request_id, 0, []))
        except OSError:
            return

    def _collect_stderr(self, conn: socket.socket) -> None:
        while True:
            try:
                chunk = conn.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            self.stderr += chunk

    def _send(self, kind: int, request_id: int, body: Any) -> None:
        data, attachments, flags = values.encode(body)
        self.writer.write(kind, request_id, data, attachments, flags)


class TemplateJvm:
    """Starts a template as the JVM would and speaks its control plane."""

    def __init__(self, adapter: str, env: Optional[Dict[str, str]] = None) -> None:
        self.dir = tempfile.mkdtemp(prefix="snakepit-test-")
        self._stderr = open(os.path.join(self.dir, "template-stderr.txt"), "w+b")
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEPIT_")}
        full_env.update({"PYTHONPATH": os.pathsep.join([harness.PYTHON_DIR, harness.ADAPTERS_DIR]),
                         "SNAKEPIT_JVM_PID": str(os.getpid())})
        full_env.update(env or {})
        self.proc = subprocess.Popen([harness.WORKER_PYTHON, "-m", "snakepit", "--adapter", adapter, "--template"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=full_env, cwd=self.dir)
        harness.STARTED_GROUPS.add(self.proc.pid)
        self.frames = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.forked = []  # type: List[Forked]

    def _read(self) -> None:
        reader = protocol.FrameReader(self.proc.stdout, 1 << 20)
        while True:
            try:
                frame = reader.read_frame()
            except (OSError, protocol.ProtocolError):
                frame = None
            if frame is None:
                self.frames.put(None)
                return
            self.frames.put((frame.kind, values.decode(frame.body, frame.attachments, frame.flags)))

    def next(self, kind: int) -> Dict[str, Any]:
        while True:
            item = self.frames.get(timeout=harness.TIMEOUT)
            assert item is not None, "the template's control plane closed; stderr:\n" + self.stderr_text()
            if item[0] == kind:
                return item[1]

    def fork(self, worker_id: str) -> Forked:
        forked = Forked(self, worker_id)
        body, attachments, flags = values.encode({"worker_id": worker_id, "environment": forked.environment})
        self.proc.stdin.write(protocol.encode_header(protocol.FORK, flags, 0, len(body), [len(a) for a in attachments])
                              + body + b"".join(attachments))
        self.proc.stdin.flush()
        answer = self.next(protocol.FORKED)
        assert answer["worker_id"] == worker_id and "pid" in answer, answer
        forked.keeper_pid = answer["pid"]
        forked.accept_planes()
        self.forked.append(forked)
        return forked

    def stderr_text(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def close(self) -> None:
        for forked in self.forked:
            forked.close()
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=harness.TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def template_factory():
    made = []

    def make(adapter: str = "testadapters.preloaded:Preloaded", env: Optional[Dict[str, str]] = None) -> TemplateJvm:
        jvm = TemplateJvm(adapter, env)
        made.append(jvm)
        return jvm

    yield make
    for jvm in made:
        jvm.close()


def pss_and_shared(pid: int) -> Dict[str, int]:
    fields = {}
    with open("/proc/%d/smaps_rollup" % pid) as rollup:
        for line in rollup:
            name, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                fields[name] = int(rest.split()[0]) * 1024
    return fields


def test_workers_forked_from_the_template_serve_and_share_what_preload_loaded(template_factory):
    jvm = template_factory(env={"PRELOAD_MIB": "64"})
    ready = jvm.next(protocol.TEMPLATE_READY)
    assert ready["pid"] == jvm.proc.pid
    workers = [jvm.fork("w1"), jvm.fork("w2")]
    for forked in workers:
        where = forked.call("where")
        assert where["loaded_by"] == jvm.proc.pid and where["runs"] == 1, where  # preload ran once, in the template
        assert where["loaded"] == 64 << 20
        assert where["pid"] == forked.worker_pid and where["ppid"] == forked.keeper_pid
        assert harness.parent_of(forked.keeper_pid) == jvm.proc.pid
        # Its own process group and session, led by the keeper, as a worker the JVM starts has.
        assert harness.stat_fields(forked.keeper_pid)[2] == str(forked.keeper_pid)
        memory = pss_and_shared(forked.worker_pid)
        assert memory.get("Shared_Clean", 0) + memory.get("Shared_Dirty", 0) > 48 << 20, memory


def test_forks_asked_for_in_one_write_are_each_served(template_factory):
    jvm = template_factory()
    jvm.next(protocol.TEMPLATE_READY)
    first, second = Forked(jvm, "w1"), Forked(jvm, "w2")
    frames = b""
    for forked, worker_id in ((first, "w1"), (second, "w2")):
        body, attachments, flags = values.encode({"worker_id": worker_id, "environment": forked.environment})
        frames += protocol.encode_header(protocol.FORK, flags, 0, len(body), [len(a) for a in attachments]) + body
    jvm.proc.stdin.write(frames)  # two frames, one write: the template must not wait for a third
    jvm.proc.stdin.flush()
    for forked in (first, second):
        forked.keeper_pid = jvm.next(protocol.FORKED)["pid"]
        forked.accept_planes()
        jvm.forked.append(forked)
        assert forked.call("where")["runs"] == 1


def test_a_worker_that_ends_is_reported_reaped_with_its_status(template_factory):
    jvm = template_factory()
    jvm.next(protocol.TEMPLATE_READY)
    calm, killed = jvm.fork("w1"), jvm.fork("w2")
    calm.shutdown()
    reaped = jvm.next(protocol.REAPED)
    assert reaped == {"pid": calm.keeper_pid, "status": 0}
    os.kill(killed.worker_pid, signal.SIGKILL)
    reaped = jvm.next(protocol.REAPED)
    assert reaped == {"pid": killed.keeper_pid, "status": 128 + signal.SIGKILL}
    assert harness.gone_within([calm.worker_pid, killed.worker_pid], 2.0)
    third = jvm.fork("w3")  # the template serves on
    assert third.call("where")["runs"] == 1


def test_the_jvm_gone_ends_the_template_and_every_worker_and_what_it_started(template_factory):
    jvm = template_factory()
    jvm.next(protocol.TEMPLATE_READY)
    workers = [jvm.fork("w1"), jvm.fork("w2")]
    everything = [jvm.proc.pid] + [p for w in workers for p in (w.keeper_pid, w.worker_pid)]
    # The JVM's end closes every descriptor it held: the template's lifeline and each worker's.
    jvm.proc.stdin.close()
    for forked in workers:
        forked.close()
    assert harness.gone_within(everything, 2.0), harness.survivors(everything, 0)


def test_the_template_alone_losing_its_lifeline_takes_its_workers_down(template_factory):
    jvm = template_factory()
    jvm.next(protocol.TEMPLATE_READY)
    forked = jvm.fork("w1")
    jvm.proc.stdin.close()  # the workers' control planes stay open: the keepers' parent-death signals act
    assert harness.gone_within([jvm.proc.pid, forked.keeper_pid, forked.worker_pid], 2.0)


def test_a_preload_that_leaves_a_thread_fails_the_template_at_stage_preload(template_factory):
    jvm = template_factory("testadapters.preloaded:ThreadedPreload")
    fatal = jvm.next(protocol.FATAL)
    assert fatal["stage"] == "preload"
    assert "model-loader" in fatal["message"] and "setup()" in fatal["message"]
    assert jvm.proc.wait(timeout=harness.TIMEOUT) == 3


def test_an_import_failure_is_fatal_at_stage_import(template_factory):
    jvm = template_factory("testadapters.no_such_module:Adapter")
    assert jvm.next(protocol.FATAL)["stage"] == "import"
