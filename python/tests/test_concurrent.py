"""Tools with concurrency > 1 (snakepit/concurrent.py, docs/protocol.md sections 4.2 and 4.6) against
real workers: their plain calls run at once, off the main thread, up to the tool's concurrency, and are
answered as they end; a cancel stops only its own call; everything else stays serial."""
from typing import Dict, List

import pytest

import harness
from snakepit import protocol
from snakepit.cancel import CallInfo, CallSwitch
from snakepit.concurrent import CallTable, _ThreadCall

CONCURRENCY = "testadapters.concurrency:ConcurrencyAdapter"
SESSION = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def worker(jvm_factory):
    jvm = jvm_factory(CONCURRENCY)
    jvm.hello = jvm.start()
    return jvm


def _answers(jvm, request_ids: List[int]) -> Dict[int, harness.Reply]:
    """One answer for each of ``request_ids``, read in whatever order they come; ``order`` lists them as
    they came."""
    wanted = set(request_ids)
    got: Dict[int, harness.Reply] = {}
    _answers.order = []
    while len(got) < len(wanted):
        frame = jvm.read_frame()
        assert frame is not None, "worker closed the connection; stderr:\n" + jvm.stderr_text()
        reply = harness.Reply(frame)
        assert reply.request_id in wanted and reply.request_id not in got, reply
        got[reply.request_id] = reply
        _answers.order.append(reply.request_id)
    return got


def _started(jvm, key: str, timeout: float = 5.0) -> bool:
    return jvm.call("started", key, timeout).value


def _release(jvm, key: str, *parked: int) -> Dict[int, harness.Reply]:
    """Releases ``key`` and reads the answers of the calls ``parked`` on it."""
    return _answers(jvm, [jvm.send_call("release", [key])] + list(parked))


def _session_call(jvm, tool, args=(), session=SESSION):
    request_id = jvm._next_id
    jvm._next_id += 1
    jvm.send(protocol.CALL, request_id, {"tool": tool, "args": list(args), "kwargs": {}, "timeout_ms": 5000,
                                         "session": session, "open_session": True})
    return request_id


def test_hello_describes_each_tools_concurrency(worker):
    tools = {t["name"]: t for t in worker.hello["tools"]}
    assert (tools["meet"]["concurrency"], tools["park"]["concurrency"], tools["park2"]["concurrency"]) == (4, 3, 2)
    assert (tools["add"]["concurrency"], tools["count"]["concurrency"], tools["count"]["stream"]) == (1, 1, True)
    assert worker.hello["concurrency"] == 1, "the main thread's own"


def test_async_calls_overlap_and_are_answered_as_they_end(worker):
    late = worker.send_call("park_async", ["late", 5.0])
    first = worker.send_call("meet", ["pair", 2, 5.0])
    second = worker.send_call("meet", ["pair", 2, 5.0])
    answers = _answers(worker, [first, second])
    for request_id in (first, second):
        assert answers[request_id].value["seen"] == 2
        assert answers[request_id].value["request_id"] == request_id
        assert answers[request_id].value["thread"] == "snakepit-async"
    assert _release(worker, "late", late)[late].value["request_id"] == late


def test_a_thread_tool_runs_as_many_calls_at_once_as_its_concurrency(worker):
    calls = [worker.send_call("gather", ["three", 3, 5.0]) for _ in range(3)]
    answers = _answers(worker, calls)
    assert [answers[c].value["request_id"] for c in calls] == calls
    assert len({answers[c].value["ident"] for c in calls}) == 3
    assert all(answers[c].value["thread"].startswith("snakepit-gather-") for c in calls)


@pytest.mark.parametrize("tool, size", [("park", 3), ("park_async", 4)])
def test_a_call_beyond_the_tools_concurrency_waits_for_one_to_end(worker, tool, size):
    keys = ["%s-%d" % (tool, i) for i in range(size + 1)]
    calls = [worker.send_call(tool, [key, 5.0]) for key in keys]
    assert all(_started(worker, key) for key in keys[:size])
    assert not _started(worker, keys[size], 0.3), "ran beyond the tool's concurrency"
    assert _release(worker, keys[0], calls[0])[calls[0]].value["request_id"] == calls[0]
    assert _started(worker, keys[size])
    for key, call in zip(keys[1:], calls[1:]):
        _release(worker, key, call)


def test_serial_calls_are_served_while_concurrent_calls_run(worker):
    parked = [worker.send_call("park", ["s1", 5.0]), worker.send_call("park_async", ["s2", 5.0])]
    assert _started(worker, "s1") and _started(worker, "s2")
    assert worker.call("add", 1, 2).value == 3
    assert worker.call("main_thread").value == "MainThread"
    _release(worker, "s1", parked[0])
    _release(worker, "s2", parked[1])


def test_a_cancel_stops_one_async_call_only(worker):
    hanging = worker.send_call("hang_async", ["h1"])
    other = worker.send_call("park_async", ["other-a", 5.0])
    assert _started(worker, "h1") and _started(worker, "other-a")
    worker.cancel(hanging)
    error = _answers(worker, [hanging])[hanging].error
    assert error["kind"] == "CANCELLED"
    assert error["exception"]["type"] == "CancelledError"
    assert error["exception"]["frames"][0]["function"] == "hang_async"
    assert _release(worker, "other-a", other)[other].value["request_id"] == other


def test_a_cancel_stops_one_thread_call_only(worker):
    spinning = worker.send_call("spin", ["s", 30.0])
    other = worker.send_call("park", ["other-t", 5.0])
    assert _started(worker, "s") and _started(worker, "other-t")
    worker.cancel(spinning)
    error = _answers(worker, [spinning])[spinning].error
    assert error["kind"] == "CANCELLED"
    assert error["exception"]["type"] == "CallCancelled"
    assert error["exception"]["frames"][0]["function"] == "spin"
    assert _release(worker, "other-t", other)[other].value["request_id"] == other


@pytest.mark.parametrize("tool", ["park", "park_async"])
def test_a_call_cancelled_before_it_was_read_is_answered_cancelled_without_running(worker, tool):
    # The main thread is busy with a serial call while the JVM writes the call and cancels it.
    waiting = worker.send_call("await_early_cancel", [worker._next_id + 1, 5.0])
    early = worker.send_call(tool, ["early-" + tool, 5.0])
    worker.cancel(early)
    answers = _answers(worker, [waiting, early])
    assert answers[waiting].value is True
    assert answers[early].error["kind"] == "CANCELLED"
    assert not _started(worker, "early-" + tool, 0.2)


def test_a_late_cancel_leaves_the_next_call_on_that_thread_alone(worker):
    worker.call("release", "a")
    first = worker.call("park2", "a", 5.0).value
    # Both threads of park2 busy: one of them is the thread that ran the first call.
    calls = [worker.send_call("park2", ["b", 5.0]), worker.send_call("park2", ["c", 5.0])]
    assert _started(worker, "b") and _started(worker, "c")
    worker.cancel(first["request_id"])
    # Control frames are read in order: once this cancel has landed, the late one has been handled.
    marker = worker.send_call("hang_async", ["marker"])
    assert _started(worker, "marker")
    worker.cancel(marker)
    assert _answers(worker, [marker])[marker].error["kind"] == "CANCELLED"
    answers = _release(worker, "b", calls[0])
    answers.update(_release(worker, "c", calls[1]))
    assert all(answers[c].kind == protocol.RESULT for c in calls)
    assert first["ident"] in {answers[c].value["ident"] for c in calls}


def test_cancels_racing_the_end_of_concurrent_calls_never_reach_another_call(worker):
    # As in test_cancel.py: calls of 0 to 45 ms, each cancelled at once, so that cancels land in the
    # tool, just after it, or after its answer. The call after each, on the same two threads, is never hit.
    durations = [0.0] + [0.0005 * 2 ** (k / 2) for k in range(14)]
    outcomes = []
    for _ in range(4):
        for seconds in durations:
            target = worker.send_call("spin", ["race", seconds])
            worker.cancel(target)
            bystander = worker.send_call("spin", ["bystander", 0.001])
            answers = _answers(worker, [target, bystander])
            outcomes.append("RESULT" if answers[target].kind == protocol.RESULT else answers[target].error["kind"])
            assert answers[bystander].value == "spun"
    assert set(outcomes) <= {"RESULT", "CANCELLED"} and "CANCELLED" in outcomes
    assert worker.call("add", 1, 1).value == 2


def test_current_call_tells_each_concurrent_call_its_own(worker):
    calls = [worker.send_call("gather", ["ids", 3, 5.0]) for _ in range(3)]
    answers = _answers(worker, calls)
    assert [answers[c].value["request_id"] for c in calls] == calls
    assert all(answers[c].value["tool"] == "gather" and answers[c].value["session"] is None for c in calls)
    info = worker.call("whoami").value
    assert info["tool"] == "whoami" and 0 < info["remaining"] <= 5


def test_calls_to_java_are_refused_in_tools_with_concurrency_above_1(worker):
    for tool, concurrency in (("ask", 3), ("ask_async", 4)):
        error = worker.call(tool, "double").error
        assert error["kind"] == "PYTHON_EXCEPTION"
        assert error["exception"]["type"] == "RuntimeError"
        assert ("calls from Python to Java are available only in tools with concurrency 1, and tool '%s' has "
                "concurrency %d" % (tool, concurrency)) in error["message"]
    serial = _session_call(worker, "ask", ["double"])
    assert "available only in tools with concurrency 1" in worker.reply(serial).error["message"]
    # A tool with concurrency 1 still calls Java.
    request_id = worker.send_call("ask_serial", ["double"])
    frame = worker.read_frame()
    assert frame.kind == protocol.HOST_CALL
    worker.send(protocol.HOST_RESULT, frame.request_id, {"value": 42})
    assert worker.reply(request_id).value == 42


def test_failures_of_concurrent_calls_are_answered_and_the_worker_serves_on(worker):
    for tool in ("boom", "boom_async"):
        error = worker.call(tool, "bad input").error
        assert error["kind"] == "PYTHON_EXCEPTION" and error["message"] == "ValueError: bad input"
        assert error["exception"]["frames"][0]["function"] == tool
        assert "Traceback (most recent call last)" in error["exception"]["traceback"]
    error = worker.call("unserializable").error
    assert error["kind"] == "SERIALIZATION_ERROR" and error["details"]["type"] == "set"
    assert worker.call("park", "x").error["kind"] == "INVALID_REQUEST"
    assert worker.call("add", 2, 3).value == 5


def test_a_call_nested_in_a_host_call_may_be_of_a_concurrent_tool(worker):
    outer = worker.send_call("ask_serial", ["callback"])
    frame = worker.read_frame()
    assert frame.kind == protocol.HOST_CALL
    nested = worker.send_call("whoami")  # the Java function calls the pool back
    assert worker.reply(nested).value["request_id"] == nested
    worker.send(protocol.HOST_RESULT, frame.request_id, {"value": "done"})
    assert worker.reply(outer).value == "done"


def test_a_concurrent_call_written_while_a_stream_waits_for_credit_runs_at_once(worker):
    stream = worker.send_stream("count", [3], credit=1)
    assert worker.reply(stream).item == 0
    other = worker.send_call("whoami")
    assert worker.reply(other).value["request_id"] == other
    worker.credit(stream, 5)
    assert [worker.reply(stream).item for _ in range(2)] == [1, 2]
    assert worker.reply(stream).value == 3


def test_serial_calls_of_an_async_tool_run_on_the_loop_of_its_concurrent_calls(worker):
    concurrent = worker.call("whoami_async").value
    in_session = _session_call(worker, "whoami_async")
    serial = worker.reply(in_session).value
    assert serial["loop"] == concurrent["loop"] and serial["thread"] == concurrent["thread"] == "snakepit-async"
    assert (serial["request_id"], serial["session"], concurrent["session"]) == (in_session, SESSION, None)
    batch = worker._next_id
    worker._next_id += 1
    worker.send(protocol.CALL, batch, {"tool": "whoami_async", "batch": [{}, {}]})
    results = worker.reply(batch).value["results"]
    assert [r["loop"] for r in results] == [concurrent["loop"]] * 2


def test_a_cancel_stops_a_serial_call_waiting_for_the_loop(worker):
    request_id = _session_call(worker, "hang_async", ["serial"])
    assert worker.next_control(protocol.LOG)["message"] == "hanging at serial"
    worker.cancel(request_id)
    error = worker.reply(request_id).error
    assert error["kind"] == "CANCELLED" and error["exception"]["type"] == "CallCancelled"
    assert error["exception"]["frames"][0]["function"] == "hang_async"
    assert worker.call("whoami_async").value["thread"] == "snakepit-async"


def test_shutdown_after_concurrent_calls_exits_cleanly(worker):
    calls = [worker.send_call("whoami"), worker.send_call("whoami_async"), worker.send_call("leave_a_task")]
    _answers(worker, calls)
    worker.shutdown()
    assert worker.wait(timeout=harness.TIMEOUT) == 0
    assert worker.read_frame() is None


def test_the_call_table_routes_a_cancel_to_its_call_or_else_to_the_main_switch():
    main = CallSwitch(thread_id=0)  # idle: it injects nothing, and keeps cancels of calls not begun
    table = CallTable(main)
    assert table.cancel(5) is False
    assert table.enter(_ThreadCall(CallInfo(5, "park", None), [], {}, None)) is False, "its cancel came first"
    call = _ThreadCall(CallInfo(6, "park", None), [], {}, None)
    assert table.enter(call) is True
    assert table.cancel(6) is True and call.cancelled
    assert table.begin_on(call, CallSwitch(thread_id=0)) is False, "cancelled before its thread took it"
    table.leave(6)
    assert table.cancel(6) is False and main.take_early(6), "an ended call's cancel goes to the main switch"
