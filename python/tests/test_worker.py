"""The serve loop (snakepit/worker.py), end to end: a real worker process answers the fake JVM of
harness.py with results and errors, shuts down on SHUTDOWN and exits on a broken data socket."""
import os

import harness
from snakepit import protocol

PROBE = "testadapters.probe:ProbeAdapter"


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


def test_async_tool(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    assert jvm.call("async_add", 2, 3).value == 5
    assert jvm.call("async_add", 4, 5).value == 9


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


SESSIONS = "testadapters.sessions:SessionsAdapter"
S1 = "1" * 32
S2 = "2" * 32


def _session_call(jvm, session, tool, args=(), open_session=None):
    body = {"tool": tool, "args": list(args), "kwargs": {}, "timeout_ms": 5000, "session": session}
    if open_session is not None:
        body["open_session"] = open_session
    return jvm.request(protocol.CALL, body)


def test_session_frames_open_call_and_close_a_session(jvm_factory, tmp_path):
    log = tmp_path / "hooks.log"
    jvm = jvm_factory(SESSIONS, env={"SESSIONS_LOG": str(log)})
    hello = jvm.start()
    assert hello["session_hooks"] == ["open_session", "close_session", "snapshot_session", "restore_session"]
    assert jvm.request(protocol.SESSION_OPEN, {"session": S1, "timeout_ms": 5000}).value is None
    assert _session_call(jvm, S1, "add", ["a"]).value == 1
    assert _session_call(jvm, S1, "add", ["b"]).value == 2
    assert _session_call(jvm, S1, "current").value == {"id": S1, "calls": 3}
    assert jvm.call("current").value is None, "a call without a session has none"

    lost = _session_call(jvm, S2, "items").error
    assert (lost["kind"], lost["details"]) == ("SESSION_LOST", {"session": S2})
    assert "exception" not in lost
    assert _session_call(jvm, S2, "add", ["c"], open_session=True).value == 1

    assert jvm.request(protocol.SESSION_CLOSE, {"session": S1, "reason": "closed", "timeout_ms": 5000}).value is True
    assert jvm.request(protocol.SESSION_CLOSE, {"session": S1, "reason": "closed", "timeout_ms": 5000}).value is False
    assert _session_call(jvm, S1, "items").error["kind"] == "SESSION_LOST"
    jvm.shutdown()
    assert jvm.wait() == 0
    assert log.read_text().splitlines() == ["open " + S1, "open " + S2, "close " + S1 + " closed",
                                            "close " + S2 + " pool_closed"]


def test_session_snapshot_and_restore_through_frames(jvm_factory):
    jvm = jvm_factory(SESSIONS)
    jvm.start()
    jvm.request(protocol.SESSION_OPEN, {"session": S1})
    _session_call(jvm, S1, "add", ["x"])
    snapshot = jvm.request(protocol.SESSION_CLOSE, {"session": S1, "reason": "moved", "snapshot": True}).value
    assert snapshot == b"x"
    assert jvm.request(protocol.SESSION_OPEN, {"session": S2, "restore": snapshot}).value is None
    assert _session_call(jvm, S2, "items").value == ["x"]


def test_bad_session_frames_are_invalid_requests_and_the_worker_serves_on(jvm_factory):
    jvm = jvm_factory(SESSIONS)
    jvm.start()
    cases = [
        (protocol.SESSION_OPEN, ["x"], "SESSION_OPEN body must be a JSON object"),
        (protocol.SESSION_OPEN, {"session": "ABC"}, "SESSION_OPEN \"session\" = 'ABC' is invalid: it must be 32 lowercase hex digits"),
        (protocol.SESSION_OPEN, {"session": S1, "restore": "text"}, "SESSION_OPEN \"restore\" must be bytes, not str"),
        (protocol.SESSION_CLOSE, {"session": S1, "reason": "bored"}, "SESSION_CLOSE \"reason\" = 'bored' is invalid"),
        (protocol.SESSION_CLOSE, {"session": S1, "reason": "closed", "snapshot": 1}, "SESSION_CLOSE \"snapshot\" must be true or false"),
        (protocol.CALL, {"tool": "items", "session": 7}, "CALL \"session\" = 7 is invalid"),
        (protocol.CALL, {"tool": "items", "session": S1, "open_session": "yes"}, "CALL \"open_session\" must be true or false"),
    ]
    for kind, body, message in cases:
        error = jvm.request(kind, body).error
        assert error["kind"] == "INVALID_REQUEST", (body, error)
        assert error["message"].startswith(message), error["message"]
    jvm.request(protocol.SESSION_OPEN, {"session": S1})
    twice = jvm.request(protocol.SESSION_OPEN, {"session": S1}).error
    assert twice["kind"] == "INVALID_REQUEST" and "open already" in twice["message"]
    refused = jvm.request(protocol.SESSION_OPEN, {"session": "dead" + "0" * 28}).error
    assert refused["kind"] == "PYTHON_EXCEPTION" and refused["exception"]["type"] == "RuntimeError"
    assert [f["function"] for f in refused["exception"]["frames"]] == ["open_session"]
    assert jvm.call("current").value is None


def test_a_cancel_stops_a_running_open_session_and_opens_nothing(jvm_factory, tmp_path):
    log = tmp_path / "hooks.log"
    jvm = jvm_factory("testadapters.sessions:CancelledOpen", env={"SESSIONS_LOG": str(log)})
    jvm.start()
    request_id = jvm.send_request(protocol.SESSION_OPEN, {"session": S1, "timeout_ms": 5000})
    harness.wait_until(lambda: log.exists() and log.read_text().startswith("opening"), 10)
    jvm.cancel(request_id)
    error = jvm.reply(request_id).error
    assert error["kind"] == "CANCELLED"
    assert log.read_text().splitlines() == ["opening " + S1, "cancelled " + S1]
    assert _session_call(jvm, S1, "x").error["kind"] == "SESSION_LOST"


def test_a_session_frame_with_request_id_0_is_a_violation(jvm):
    jvm.send(protocol.SESSION_OPEN, 0, {"session": S1})
    assert jvm.wait() == 4
    assert "SESSION_OPEN with request id 0" in jvm.stderr_text()
