"""Start-up (snakepit/startup.py): the command line, the settings, the stages a FATAL names, the token,
the worker's own process group, and HELLO."""
import os
import platform
import socket
import subprocess
import sys
import threading

import pytest

import harness
from snakepit import protocol, startup, values
from snakepit.adapter import ToolRunner

PROBE = "testadapters.probe:ProbeAdapter"


def test_hello_fields(jvm_factory):
    jvm = jvm_factory()
    hello = jvm.start()
    assert list(hello) == ["protocol", "token", "worker_id", "pid", "runtime_version", "python", "adapter",
                           "dispatch", "concurrency", "session_hooks", "tools"]
    assert hello["protocol"] == [1]
    assert hello["worker_id"] == "w1"
    # The worker is the child of the process the JVM started, its keeper.
    assert hello["pid"] != jvm.proc.pid and harness.parent_of(hello["pid"]) == jvm.proc.pid
    assert hello["runtime_version"] == "0.1.0"
    assert hello["python"]["implementation"] == platform.python_implementation()
    assert hello["python"]["version"] == platform.python_version()
    assert hello["adapter"] == harness.DEMO
    assert (hello["dispatch"], hello["concurrency"]) == ("tools", 1)
    assert hello["session_hooks"] == ["open_session", "close_session"], "the Adapter base class's hooks"
    tools = {t["name"]: t for t in hello["tools"]}
    assert {"ping", "echo", "add", "sleep", "spin", "cpu", "fail", "pid", "bytes_len", "make_bytes",
            "big_result", "unserializable", "print_lines", "crash", "spawn_child"} <= set(tools)
    assert tools["add"] == {"name": "add", "doc": "Adds two numbers.", "stream": False, "concurrency": 1, "parameters": [
        {"name": "a", "kind": "positional_or_keyword", "required": True, "annotation": "int"},
        {"name": "b", "kind": "positional_or_keyword", "required": False, "default": 2, "default_repr": "2",
         "annotation": "int"}]}
    assert all(t["doc"] for t in hello["tools"])


@pytest.mark.parametrize("args", [[], ["--adapter"], ["--adapter="], ["--adapter", "a:B", "extra"], ["--other", "a:B"]])
def test_a_bad_command_line_exits_with_status_2_and_the_usage(args):
    done = subprocess.run([sys.executable, "-m", "snakepit"] + args, capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, PYTHONPATH=harness.PYTHON_DIR), stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "usage: python -m snakepit --adapter package.module:Class" in done.stderr
    assert repr(args) in done.stderr


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


def test_preload_failure_is_fatal_at_stage_preload(jvm_factory):
    jvm = jvm_factory("testadapters.broken:FailingPreload")
    body = fatal_of(jvm)
    assert body["stage"] == "preload"
    assert "the model does not fit" in body["message"]


def test_preload_runs_once_before_construction_and_setup():
    from testadapters.broken import Preloading
    Preloading.order.clear()
    runner = startup.load("testadapters.broken:Preloading")
    assert Preloading.order == ["preload", "construct", "setup"]
    assert runner.instance.size() == 1000


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


@pytest.mark.parametrize("argv", [["--adapter", "pkg.mod:Cls"], ["--adapter=pkg.mod:Cls"]])
def test_the_command_line_names_the_adapter(argv):
    assert startup.read_command_line(argv) == "pkg.mod:Cls"


def test_help_prints_the_usage_and_exits_0(capsys):
    with pytest.raises(SystemExit) as exit:
        startup.read_command_line(["--help"])
    assert exit.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m snakepit --adapter package.module:Class [--template]\n")


def clear_settings(monkeypatch):
    for name in ("SNAKEPIT_MAX_FRAME_BYTES", "SNAKEPIT_HEARTBEAT_INTERVAL", "SNAKEPIT_HEARTBEAT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)


def test_settings_default_to_the_protocols_values(monkeypatch):
    clear_settings(monkeypatch)

    settings = startup.read_settings()

    assert settings.max_frame_bytes == protocol.DEFAULT_MAX_FRAME_BYTES
    assert (settings.heartbeat_interval, settings.heartbeat_timeout) == (2.0, 10.0)
    assert settings.problem is None


def test_a_bad_setting_becomes_the_problem_and_its_default_stands_in(monkeypatch):
    clear_settings(monkeypatch)
    monkeypatch.setenv("SNAKEPIT_HEARTBEAT_INTERVAL", "500")
    monkeypatch.setenv("SNAKEPIT_HEARTBEAT_TIMEOUT", "500")

    settings = startup.read_settings()

    assert (settings.heartbeat_interval, settings.heartbeat_timeout) == (2.0, 10.0)
    assert (settings.problem.stage, settings.problem.message) == (
        "connect", "SNAKEPIT_HEARTBEAT_TIMEOUT=500 must be longer than SNAKEPIT_HEARTBEAT_INTERVAL=500")
    assert settings.problem.cause is None


def test_the_first_bad_setting_is_the_one_reported(monkeypatch):
    clear_settings(monkeypatch)
    monkeypatch.setenv("SNAKEPIT_MAX_FRAME_BYTES", "10")
    monkeypatch.setenv("SNAKEPIT_HEARTBEAT_TIMEOUT", "soon")

    settings = startup.read_settings()

    assert settings.max_frame_bytes == protocol.DEFAULT_MAX_FRAME_BYTES
    assert settings.problem.message == "SNAKEPIT_MAX_FRAME_BYTES=10 is below the minimum of %d" % protocol.HEADER_SIZE


def test_limits_that_cannot_be_applied_are_a_connect_problem_kept_for_later(tmp_path, monkeypatch):
    monkeypatch.setenv("SNAKEPIT_CGROUP_PROCS", str(tmp_path / "missing" / "cgroup.procs"))

    problem = startup.apply_limits()

    assert problem.stage == "connect"
    assert problem.message.startswith("cannot apply the worker's resource limits: ")


def test_the_token_leaves_the_environment(monkeypatch):
    monkeypatch.setenv("SNAKEPIT_TOKEN", "ab" * 32)

    assert startup.take_token() == "ab" * 32
    assert "SNAKEPIT_TOKEN" not in os.environ
    assert startup.take_token() is None


@pytest.mark.parametrize("spec,stage,message", [
    ("testadapters.import_error:Whatever", "import",
     "ModuleNotFoundError: No module named 'snakepit_no_such_module'"),
    ("testadapters.broken:FailingConstruct", "construct", "RuntimeError: cannot construct"),
    # Loaded in this process: the variant that leaves no non-daemon thread behind to block pytest's exit.
    ("testadapters.broken:FailingSetupInProcess", "setup", "ValueError: setup failed"),
])
def test_each_loading_stage_fails_with_its_name_and_cause(spec, stage, message):
    with pytest.raises(startup.StartFailed) as err:
        startup.load(spec)
    assert (err.value.stage, err.value.message) == (stage, message)
    assert message.startswith(type(err.value.cause).__name__)


def test_a_loaded_adapter_is_set_up_and_ready_to_run():
    runner = startup.load(PROBE)

    assert isinstance(runner, ToolRunner) and runner.instance.setup_ran


@pytest.mark.parametrize("path,token", [(None, "00"), ("", "00"), ("/some/socket", None)])
def test_connecting_needs_both_socket_and_token(path, token):
    with pytest.raises(startup.StartFailed) as err:
        startup.connect(path, token)
    assert (err.value.stage, err.value.message) == (
        "connect", "SNAKEPIT_SOCKET and SNAKEPIT_TOKEN must be set; workers are started by the JVM")


class JvmEnd:
    """The JVM's end of a socket pair: reads HELLO, then answers with ``reply(frame)``."""

    def __init__(self, reply) -> None:
        self.worker_end, self.jvm_end = socket.socketpair()
        self.jvm_end.settimeout(harness.TIMEOUT)
        self.worker_end.settimeout(harness.TIMEOUT)
        self.reader = protocol.FrameReader(self.jvm_end.makefile("rb"))
        self.writer = protocol.SocketFrameWriter(self.jvm_end)
        self.reply = reply
        self.hello = None

    def answer(self) -> None:
        frame = self.reader.read_frame()
        self.hello = values.decode(frame.body, frame.attachments, frame.flags)
        self.reply(self)

    def send(self, kind, body) -> None:
        data, attachments, flags = values.encode(body)
        self.writer.write(kind, 0, data, attachments, flags)

    def close(self) -> None:
        self.jvm_end.close()
        self.worker_end.close()


def shake(reply):
    """Runs startup.exchange_hello against a JVM end that answers with ``reply``."""
    jvm = JvmEnd(reply)
    try:
        stream = jvm.worker_end.makefile("rb")
        reader = protocol.FrameReader(stream)
        writer = protocol.SocketFrameWriter(jvm.worker_end)
        answering = threading.Thread(target=jvm.answer, daemon=True)
        answering.start()
        try:
            return startup.exchange_hello(reader, writer, {"protocol": [1], "token": "00"})
        finally:
            answering.join(harness.TIMEOUT)
            stream.close()
            assert jvm.hello == {"protocol": [1], "token": "00"}
    finally:
        jvm.close()


def test_the_handshake_returns_the_agreed_version_and_welcome():
    welcome = {"protocol": 1, "pool": "p", "worker_id": "w1"}
    assert shake(lambda jvm: jvm.send(protocol.WELCOME, welcome)) == (1, welcome)


@pytest.mark.parametrize("reply,message", [
    (lambda jvm: jvm.jvm_end.shutdown(socket.SHUT_WR),
     "the JVM closed the connection before WELCOME (a wrong token is refused that way)"),
    (lambda jvm: jvm.send(protocol.RESULT, {"value": 1}), "expected WELCOME, got RESULT"),
    (lambda jvm: jvm.send(protocol.WELCOME, {"protocol": 9}),
     "no common protocol version (worker speaks [1], JVM chose 9)"),
])
def test_a_failed_handshake_is_a_handshake_failure(reply, message):
    with pytest.raises(startup.StartFailed) as err:
        shake(reply)
    assert (err.value.stage, err.value.message, err.value.cause) == ("handshake", message, None)


def test_an_unreadable_welcome_fails_the_handshake_with_its_cause():
    with pytest.raises(startup.StartFailed) as err:
        shake(lambda jvm: jvm.writer.write(protocol.WELCOME, 0, b'{"protocol": 1', [], 0))
    assert err.value.stage == "handshake" and err.value.message.startswith("unreadable WELCOME: ")
    assert isinstance(err.value.cause, values.SerializationError)
