"""End to end: a real worker process and the fake JVM of harness.py."""
import os
import platform
import subprocess
import sys
import time

import pytest

import harness
from snakepit import protocol

PROBE = "testadapters.probe:ProbeAdapter"


def test_hello_fields(jvm_factory):
    jvm = jvm_factory()
    hello = jvm.start()
    assert list(hello) == ["protocol", "token", "worker_id", "pid", "runtime_version", "python", "adapter",
                           "dispatch", "concurrency", "tools"]
    assert hello["protocol"] == [1]
    assert hello["worker_id"] == "w1"
    # The worker is the child of the process the JVM started, its keeper.
    assert hello["pid"] != jvm.proc.pid and harness.parent_of(hello["pid"]) == jvm.proc.pid
    assert hello["runtime_version"] == "0.1.0"
    assert hello["python"]["implementation"] == platform.python_implementation()
    assert hello["python"]["version"] == platform.python_version()
    assert hello["adapter"] == harness.DEMO
    assert (hello["dispatch"], hello["concurrency"]) == ("tools", 1)
    tools = {t["name"]: t for t in hello["tools"]}
    assert {"ping", "echo", "add", "sleep", "spin", "cpu", "fail", "pid", "bytes_len", "make_bytes",
            "big_result", "unserializable", "print_lines", "crash", "spawn_child"} <= set(tools)
    assert tools["add"] == {"name": "add", "doc": "Adds two numbers.", "parameters": [
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


def test_calls_return_results(jvm):
    assert jvm.call("ping").value is None
    assert jvm.call("add", 1).value == 3
    assert jvm.call("add", 1, b=5).value == 6
    assert jvm.call("cpu", 100).value == 25
    assert jvm.call("pid").value == jvm.worker_pid
    value = {"s": "\U0001f40d", "f": [1.5, float("inf")], "big": 2 ** 100, "n": None, "nested": {"$b": 1}}
    assert jvm.call("echo", value).value == value


def test_bytes_in_both_directions(jvm):
    payload = os.urandom(300000)
    assert jvm.call("bytes_len", payload).value == len(payload)
    reply = jvm.call("make_bytes", 1000)
    assert reply.flags & protocol.TAGGED
    assert reply.value == (bytes(range(256)) * 4)[:1000]
    echoed = jvm.call("echo", {"a": [b"", b"xyz"]}).value
    assert echoed == {"a": [b"", b"xyz"]}


def test_tool_exception_becomes_python_exception_with_chain(jvm):
    error = jvm.call("fail", "kaput").error
    assert error["kind"] == "PYTHON_EXCEPTION"
    assert error["message"] == "ValueError: kaput"
    exc = error["exception"]
    assert exc["type"] == "ValueError"
    # The traceback starts at the tool, not in the runtime.
    assert [f["function"] for f in exc["frames"]] == ["fail"]
    assert exc["cause"]["type"] == "KeyError"
    assert [f["function"] for f in exc["cause"]["frames"]] == ["fail", "_lookup"]
    assert "snakepit/worker.py" not in exc["traceback"]


def test_unknown_tool_and_bad_arguments_are_invalid_requests(jvm):
    error = jvm.call("ad").error
    assert error["kind"] == "INVALID_REQUEST"
    assert error["details"]["tool"] == "ad"
    assert "add" in error["details"]["available"]
    error = jvm.call("add").error
    assert error["kind"] == "INVALID_REQUEST"
    assert error["details"] == {"tool": "add", "signature": "(a: int, b: int = 2) -> int",
                                "reason": "missing a required argument: 'a'"}
    assert jvm.call("ping").value is None


def test_type_error_inside_a_tool_is_a_python_exception(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    error = jvm.call("type_error_inside", 1).error
    assert error["kind"] == "PYTHON_EXCEPTION"
    assert error["exception"]["type"] == "TypeError"


def test_unserializable_result_names_the_path(jvm):
    error = jvm.call("unserializable").error
    assert error["kind"] == "SERIALIZATION_ERROR"
    assert error["details"] == {"path": "$.value.ok[1]", "type": "set"}
    assert jvm.call("add", 1).value == 3


def test_undecodable_call_fails_only_that_call(jvm):
    request_id = 77
    jvm._writer.write(protocol.CALL, request_id, b'{"tool": "add", "args": [1', [], 0)
    error = jvm.reply(request_id).error
    assert error["kind"] == "SERIALIZATION_ERROR"
    jvm._writer.write(protocol.CALL, 78, b'{"tool":"echo","args":[{"$b":3}]}', [b"a"], protocol.TAGGED)
    assert jvm.reply(78).error["details"]["reason"] == "bad_tag"
    assert jvm.call("ping").value is None


def test_malformed_call_is_an_invalid_request(jvm):
    jvm.send(protocol.CALL, 5, {"args": []})
    assert jvm.reply(5).error["kind"] == "INVALID_REQUEST"


def test_oversize_result_is_a_serialization_error_and_the_connection_stays(jvm_factory):
    jvm = jvm_factory(max_frame_bytes=1 << 16)
    jvm.start()
    error = jvm.call("big_result", 1 << 17).error
    assert error["kind"] == "SERIALIZATION_ERROR"
    assert error["details"]["max_frame_bytes"] == 1 << 16
    assert error["details"]["size"] > 1 << 17
    assert jvm.call("big_result", 1000).value == b"x" * 1000


def test_cancelling_spin_answers_cancelled_and_the_worker_goes_on(jvm_factory):
    jvm = jvm_factory(env={"SNAKEPIT_LOG_LEVEL": "DEBUG"})
    jvm.start()
    request_id = jvm.send_call("spin", [30.0])
    assert jvm.next_control(protocol.LOG)["message"] == "spin started for 30.0 s"
    jvm.cancel(request_id, "timeout")
    error = jvm.reply(request_id).error
    assert error["kind"] == "CANCELLED"
    # The traceback shows where the cancel found the tool, starting at the tool.
    assert error["exception"]["type"] == "CallCancelled"
    assert error["exception"]["frames"][0]["function"] == "spin"
    assert "in spin" in error["exception"]["traceback"]
    assert jvm.call("add", 2, 2).value == 4


def test_cancel_interrupts_a_sleep_in_c(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    request_id = jvm.send_call("sleep_logged", [30.0])
    assert jvm.next_control(protocol.LOG)["message"] == "sleeping"
    started = time.monotonic()
    jvm.cancel(request_id)
    assert jvm.reply(request_id).error["kind"] == "CANCELLED"
    # The wake-up signal interrupts time.sleep; without it the answer would wait out the 30 s.
    assert time.monotonic() - started < 5
    assert jvm.call("token").value is None


def test_cancels_racing_the_end_of_calls_never_break_the_worker(jvm):
    # Calls of 0 to 64 ms, each cancelled at once. How long a cancel takes to land depends on the
    # GIL switch interval (5 ms) and on the machine's load, so durations are spread geometrically:
    # some cancels land in the tool, some just after it returned, some after the answer. Every
    # call must still get exactly one answer, and the worker must keep serving.
    durations = [0.0] + [0.0005 * 2 ** (k / 2) for k in range(15)]
    outcomes = []
    for _ in range(10):
        for seconds in durations:
            request_id = jvm.send_call("spin", [seconds])
            jvm.cancel(request_id)
            reply = jvm.reply(request_id)
            outcomes.append("RESULT" if reply.kind == protocol.RESULT else reply.error["kind"])
    assert set(outcomes) == {"RESULT", "CANCELLED"}
    assert jvm.call("add", 1).value == 3
    assert jvm.proc.poll() is None


def test_cancel_of_a_call_not_running_is_ignored(jvm):
    jvm.cancel(12345)
    assert jvm.call("add", 1).value == 3


def test_tool_that_swallows_the_cancel_still_answers_its_result(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    request_id = jvm.send_call("swallow_cancel", [30.0])
    assert jvm.next_control(protocol.LOG)["message"] == "swallow_cancel started"
    jvm.cancel(request_id)
    assert jvm.reply(request_id).value == "swallowed"
    assert jvm.call("token").value is None


def test_current_call_is_visible_to_tools(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    request_id = jvm.send_call("call_info", timeout_ms=5000)
    info = jvm.reply(request_id).value
    assert info["request_id"] == request_id and info["tool"] == "call_info"
    assert 0 < info["remaining"] <= 5


def test_async_tool(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    assert jvm.call("async_add", 2, 3).value == 5
    assert jvm.call("async_add", 4, 5).value == 9


def test_cancelled_async_tool_leaves_the_loop_usable(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    request_id = jvm.send_call("async_sleep_logged", [30.0])
    assert jvm.next_control(protocol.LOG)["message"] == "async sleeping"
    jvm.cancel(request_id)
    assert jvm.reply(request_id).error["kind"] == "CANCELLED"
    assert jvm.call("async_add", 1, 1).value == 2


def test_shutdown_runs_teardown_and_exits_0(jvm_factory, tmp_path):
    marker = tmp_path / "teardown"
    jvm = jvm_factory(PROBE, env={"PROBE_TEARDOWN_MARKER": str(marker)})
    jvm.start()
    jvm.shutdown()
    assert jvm.wait() == 0
    assert marker.read_text() == "teardown ran"
    assert jvm.read_frame() is None  # socket closed


def test_failing_teardown_is_logged_and_exit_is_still_0(jvm_factory):
    jvm = jvm_factory("testadapters.broken:FailingTeardown")
    jvm.start()
    jvm.shutdown()
    log = jvm.next_control(protocol.LOG)
    assert log["level"] == 40 and "teardown() failed" in log["message"]
    assert "teardown exploded" in log["exc"]
    assert jvm.wait() == 0


def test_socket_closed_by_the_jvm_ends_the_worker(jvm):
    jvm.close_connection()
    assert jvm.wait(5) == 0


def test_protocol_violation_on_the_data_socket_exits_4(jvm):
    jvm.conn.sendall(b"\x00\x00\x00\x14" + bytes([99]) + bytes(19))
    assert jvm.wait() == 4
    assert "protocol violation" in jvm.stderr_text()


def test_unexpected_kind_on_the_data_socket_exits_4(jvm):
    jvm.send(protocol.HELLO, 0, {})
    assert jvm.wait() == 4


def test_execute_tool_adapter(jvm_factory):
    jvm = jvm_factory("testadapters.dispatching:Dispatching")
    hello = jvm.start()
    assert hello["dispatch"] == "execute_tool"
    assert [t["name"] for t in hello["tools"]] == ["declared"]
    assert jvm.call("whatever", 1, k="v").value == {"name": "whatever", "args": [1], "kwargs": {"k": "v"}}
