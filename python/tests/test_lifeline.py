"""The worker's ties to the JVM: lifeline, start-up failures, stream isolation, logs, secrets."""
import os
import signal
import select
import time

import pytest

import harness
from snakepit import protocol

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


def fatal_of(jvm):
    body = jvm.next_control(protocol.FATAL)
    assert jvm.wait() == 3
    return body


def test_import_error_sends_fatal_and_exits_3(jvm_factory):
    jvm = jvm_factory("testadapters.import_error:Whatever")
    body = fatal_of(jvm)
    assert body["stage"] == "import"
    assert body["message"] == "ModuleNotFoundError: No module named 'snakepit_no_such_module'"
    assert body["exception"]["type"] == "ModuleNotFoundError"
    assert "import_error.py" in body["exception"]["traceback"]
    assert "Traceback (most recent call last)" in jvm.stderr_text()


def test_missing_adapter_class_is_an_import_failure(jvm_factory):
    body = fatal_of(jvm_factory("snakepit.examples.demo:Nope"))
    assert body["stage"] == "import" and body["exception"]["type"] == "AttributeError"


def test_constructor_failure(jvm_factory):
    body = fatal_of(jvm_factory("testadapters.broken:FailingConstruct"))
    assert body["stage"] == "construct"
    assert body["message"] == "RuntimeError: cannot construct"


def test_setup_failure_sends_logs_then_fatal_despite_a_running_thread(jvm_factory):
    jvm = jvm_factory("testadapters.broken:FailingSetup")
    log = jvm.next_control(protocol.LOG)
    assert log["message"] == "about to fail in setup"
    body = fatal_of(jvm)
    assert body["stage"] == "setup"
    assert body["exception"]["cause"]["type"] == "KeyError"


def test_unreachable_socket_is_a_connect_failure(jvm_factory):
    jvm = jvm_factory(env={"SNAKEPIT_SOCKET": "/nonexistent/dir/w.sock"})
    body = fatal_of(jvm)
    assert body["stage"] == "connect"
    assert body["exception"]["type"] == "FileNotFoundError"


def test_missing_token_is_a_connect_failure(jvm_factory):
    body = fatal_of(jvm_factory(env={"SNAKEPIT_TOKEN": None}))
    assert body["stage"] == "connect" and "SNAKEPIT_TOKEN" in body["message"]


def test_wrong_token_is_refused_by_closing_and_the_worker_exits_3(jvm_factory):
    jvm = jvm_factory()
    jvm.accept()
    hello = protocol.FrameReader(jvm._conn_file).read_frame()
    assert hello.kind == protocol.HELLO
    jvm.close_connection()  # what the JVM does on a wrong token: close without a word
    body = fatal_of(jvm)
    assert body["stage"] == "handshake"
    assert "closed the connection" in body["message"]


def test_no_common_protocol_version(jvm_factory):
    jvm = jvm_factory()
    jvm.accept()
    jvm.read_frame()
    jvm.send(protocol.WELCOME, 0, {"protocol": None, "error": "JVM speaks only 2"})
    body = fatal_of(jvm)
    assert body["stage"] == "handshake"
    assert "JVM speaks only 2" in body["message"]


def test_bad_max_frame_setting(jvm_factory):
    body = fatal_of(jvm_factory(env={"SNAKEPIT_MAX_FRAME_BYTES": "lots"}))
    assert "SNAKEPIT_MAX_FRAME_BYTES" in body["message"]


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


def test_log_records_and_warnings_become_log_frames(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    jvm.call("debug_log").value
    info = jvm.next_control(protocol.LOG)
    assert (info["level"], info["logger"], info["message"]) == (20, "probe", "an info record")
    assert info["thread"] == "MainThread" and info["exc"] is None
    assert abs(info["time"] - time.time()) < 60
    jvm.call("log_error").value
    error = jvm.next_control(protocol.LOG)
    assert error["level"] == 40 and "RuntimeError: logged failure" in error["exc"]
    jvm.call("warn").value
    warning = jvm.next_control(protocol.LOG)
    assert warning["logger"] == "py.warnings" and "deprecated thing" in warning["message"]


def test_numeric_log_level(jvm_factory):
    jvm = jvm_factory(PROBE, env={"SNAKEPIT_LOG_LEVEL": "30"})
    jvm.start()
    jvm.call("debug_log").value
    jvm.call("warn").value
    assert jvm.next_control(protocol.LOG)["logger"] == "py.warnings"


def test_token_is_not_visible_to_user_code_nor_in_argv(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    assert jvm.call("token").value is None
    with open("/proc/%d/cmdline" % jvm.proc.pid, "rb") as f:
        assert jvm.token.encode() not in f.read()


def test_worker_leads_its_own_process_group_with_its_children(jvm):
    pid = jvm.worker_pid
    assert pid != jvm.proc.pid and os.getpgid(jvm.proc.pid) == jvm.proc.pid  # the keeper leads another
    assert os.getpgid(pid) == pid
    assert os.getsid(pid) == pid
    child = jvm.call("spawn_child", 60.0).value
    assert os.getpgid(child) == pid
    # The fake JVM's close() kills the group, as the JVM does; the leftover check proves it worked.


def test_worker_killed_mid_call_closes_the_socket(jvm):
    request_id = jvm.send_call("crash", [0])
    assert jvm.read_frame() is None
    # The keeper exits with 128 + N for a worker killed by signal N: the value Java reports for it.
    assert jvm.wait() == 128 + signal.SIGKILL
    del request_id


def test_worker_exit_code_from_os_exit(jvm):
    jvm.send_call("crash", [7])
    assert jvm.wait() == 7


def test_garbage_on_the_control_plane_exits_4(jvm):
    jvm.proc.stdin.write(b"\x00\x00\x00\x14" + bytes([99]) + bytes(19))
    jvm.proc.stdin.flush()
    assert jvm.wait() == 4
    assert "control plane broken" in jvm.stderr_text()


def test_heartbeat_ack_is_ignored(jvm):
    jvm.send_control(protocol.HEARTBEAT_ACK, 0, {})
    assert jvm.call("ping").value is None
