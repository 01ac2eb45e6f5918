"""The control plane (snakepit/control.py): the lifeline, stdin and stdout taken from user code, and
the reader that ends the worker on a broken plane."""
import os
import select
import time

import pytest

import harness
from snakepit import exits, protocol, values
from snakepit.control import ControlChannel

PROBE = "testadapters.probe:ProbeAdapter"


def assert_exits_soon(jvm, limit=2.0):
    started = time.monotonic()
    jvm.proc.stdin.close()
    status = jvm.proc.wait(timeout=limit)
    assert time.monotonic() - started < limit
    return status


def test_stdin_eof_ends_an_idle_worker(jvm):
    assert assert_exits_soon(jvm) == 0


@pytest.mark.parametrize("tool", ["spin", "sleep"])
def test_stdin_eof_ends_a_busy_worker(jvm_factory, tool):
    jvm = jvm_factory(env={"SNAKEPIT_LOG_LEVEL": "DEBUG"})
    jvm.start()
    jvm.send_call(tool, [60.0])
    if tool == "spin":
        jvm.next_control(protocol.LOG)
    assert assert_exits_soon(jvm) == 0


def test_stdin_eof_ends_a_worker_still_importing_its_adapter(jvm_factory):
    jvm = jvm_factory("testadapters.slow_import:Never")
    assert assert_exits_soon(jvm) == 0


def wait_for_exit_of(pid, timeout):
    """Waits for a process that is not our child to end, without polling."""
    fd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs pidfd_open")
def test_worker_exits_when_its_parent_is_sigkilled():
    # A stand-in for the JVM starts the worker and is then killed with SIGKILL, so nobody closes
    # the worker's stdin but the kernel.
    code = ("import subprocess, sys\n"
            "p = subprocess.Popen([sys.executable, '-m', 'snakepit', '--adapter', 'testadapters.slow_import:Never'],"
            " stdin=subprocess.PIPE, stdout=subprocess.PIPE)\n"
            "print(p.pid, flush=True)\n"
            "sys.stdin.read()\n")
    with harness.StandInJvm(code) as parent:
        (worker_pid,) = parent.pids()
        harness.STARTED_GROUPS.add(worker_pid)
        parent.kill()
        assert wait_for_exit_of(worker_pid, 2.0), "worker survived its parent"
        # Its keeper saw the lifeline hang up and killed the worker's tree.
        harness.wait_until_gone(harness.group_members(worker_pid), 2.0)
        assert not harness.group_members(worker_pid)


def test_user_output_lands_on_stderr_never_on_the_control_plane(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    jvm.call("write_fd1", "from fd one\n").value
    jvm.call("child_prints", "from a child").value
    assert jvm.call("read_stdin").value == ""
    demo = jvm_factory()
    demo.start()
    assert demo.call("print_lines", 3).value == 3
    assert demo.next_control(protocol.LOG)["message"] == "printed 3 lines"
    assert "line 0\nline 1\nline 2\n" in demo.stderr_text()
    assert "from fd one" in jvm.stderr_text() and "from a child" in jvm.stderr_text()
    jvm.shutdown()
    demo.shutdown()
    assert jvm.wait() == 0 and demo.wait() == 0
    # Every frame read from the control plane was well formed: nothing printed ended up there.
    for made in (jvm, demo):
        items = []
        while True:
            item = made.control.get(timeout=harness.TIMEOUT)
            if item is None:
                break
            items.append(item)
        assert all(kind in (protocol.LOG, protocol.HEARTBEAT) for kind, _, _ in items), items


def test_garbage_on_the_control_plane_exits_4(jvm):
    jvm.proc.stdin.write(b"\x00\x00\x00\x14" + bytes([99]) + bytes(19))
    jvm.proc.stdin.flush()
    assert jvm.wait() == 4
    assert "control plane broken" in jvm.stderr_text()


def test_heartbeat_ack_is_ignored(jvm):
    jvm.send_control(protocol.HEARTBEAT_ACK, 0, {})
    assert jvm.call("ping").value is None


class Plane:
    """A ControlChannel on two pipes, with the JVM's ends in the test's hands."""

    def __init__(self) -> None:
        self.to_worker, self.jvm_writes = os.pipe()
        self.jvm_reads, self.from_worker = os.pipe()
        self.exit = harness.Exits()
        self.cancels = []
        self.acks = []
        self.started = False
        self.channel = ControlChannel(self.to_worker, self.from_worker, 1 << 20, exit=self.exit)
        self._jvm_reader = protocol.FrameReader(os.fdopen(self.jvm_reads, "rb", closefd=False), 1 << 20)

    def start(self) -> None:
        self.channel.start(self.cancels.append, self.acks.append)
        self.started = True

    def send(self, kind, request_id=0, body=None):
        data, attachments, flags = values.encode(body) if body is not None else (b"", [], 0)
        os.write(self.jvm_writes, protocol.encode_header(kind, flags, request_id, len(data), [])
                 + data)

    def read(self):
        """The next frame the worker wrote, decoded: (kind, request id, body)."""
        frame = self._jvm_reader.read_frame()
        return frame.kind, frame.request_id, values.decode(frame.body, frame.attachments, frame.flags)

    def end_lifeline(self) -> None:
        if self.jvm_writes is not None:
            os.close(self.jvm_writes)
            self.jvm_writes = None

    def close(self) -> None:
        self.end_lifeline()
        if self.started:
            assert self.exit.done.wait(harness.TIMEOUT)  # the reader has let go of its end
        else:
            os.close(self.to_worker)
        for fd in (self.jvm_reads, self.from_worker):
            os.close(fd)


# The reader leaves its end of the pipe to the process's exit, which the fake exit does not bring.
in_process = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def plane():
    made = Plane()
    yield made
    made.close()


@in_process
def test_the_end_of_the_lifeline_exits_with_status_0(plane):
    plane.start()

    plane.end_lifeline()

    assert plane.exit.done.wait(harness.TIMEOUT)
    assert plane.exit.status == exits.EXIT_OK


@in_process
def test_cancel_and_heartbeat_ack_reach_their_callbacks_in_order(plane):
    plane.start()

    plane.send(protocol.HEARTBEAT_ACK, 1)
    plane.send(protocol.CANCEL, 42, {"reason": "timeout"})
    plane.send(protocol.HEARTBEAT_ACK, 2)
    plane.end_lifeline()

    assert plane.exit.done.wait(harness.TIMEOUT)
    assert (plane.cancels, plane.acks, plane.exit.status) == ([42], [1, 2], exits.EXIT_OK)


@in_process
@pytest.mark.parametrize("send,problem", [
    (lambda p: p.send(protocol.LOG, 0, {}), "unexpected LOG frame on the control plane"),
    (lambda p: os.write(p.jvm_writes, protocol.encode_header(protocol.CANCEL, 0, 7, 1, []) + b"{"), "body is not valid JSON"),
    (lambda p: os.write(p.jvm_writes, b"\x00\x00\x00\x14" + bytes([99]) + bytes(19)), ""),
])
def test_a_broken_control_plane_exits_with_status_4_and_says_why(plane, capfd, send, problem):
    plane.start()

    send(plane)

    assert plane.exit.done.wait(harness.TIMEOUT)
    assert plane.exit.status == exits.EXIT_VIOLATION
    err = capfd.readouterr().err
    assert "snakepit: control plane broken: " in err and problem in err
    assert plane.cancels == []


@in_process
def test_retire_and_log_frames_go_to_the_jvm(plane):
    plane.start()

    assert plane.channel.retire("received SIGTERM")
    plane.channel.post_log({"level": 20, "logger": "x", "message": "hello", "thread": "t", "time": 1.0,
                            "exc": None})
    assert plane.channel.flush_logs(harness.TIMEOUT)

    assert plane.read() == (protocol.RETIRE, 0, {"reason": "received SIGTERM"})
    assert plane.read()[2]["message"] == "hello"


@in_process
def test_log_records_beyond_the_queue_are_counted_and_reported(plane):
    plane.channel.MAX_PENDING_LOGS = 2
    for n in range(5):  # before the writer runs: two wait, three are dropped
        plane.channel.post_log({"level": 20, "logger": "x", "message": "record %d" % n, "thread": "t",
                                "time": 1.0, "exc": None})
    plane.start()

    assert [plane.read()[2]["message"] for _ in range(2)] == ["record 0", "record 1"]
    kind, _, notice = plane.read()

    assert kind == protocol.LOG
    assert list(notice) == ["level", "logger", "message", "thread", "time", "exc"]
    assert (notice["level"], notice["logger"]) == (30, "snakepit")
    assert notice["message"] == "3 log records were dropped: more than 2 were waiting to be sent"


@in_process
def test_a_frame_that_cannot_be_sent_is_dropped_without_raising(plane):
    os.close(plane.jvm_reads)
    plane.jvm_reads = os.open(os.devnull, os.O_RDONLY)  # closed by the fixture instead

    assert plane.channel.send(protocol.RETIRE, {"reason": "gone"}) is False
