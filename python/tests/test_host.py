"""Calls from Python to Java (snakepit/host.py, docs/protocol.md section 4.14) against real workers: the
HOST_CALL frame, its answers, calls the JVM nests into the wait, and cancels that land in it."""
import pytest

from snakepit import cancel, host, protocol, values

HOSTS = "testadapters.hosts:HostsAdapter"


def _host_call(jvm):
    frame = jvm.read_frame()
    assert frame is not None and frame.kind == protocol.HOST_CALL, (frame, jvm.stderr_text())
    return frame.request_id, values.decode(frame.body, frame.attachments, frame.flags)


def test_a_host_call_sends_its_function_and_arguments_and_returns_the_answer(jvm_factory):
    jvm = jvm_factory(HOSTS)
    jvm.start()
    request_id = jvm.send_call("ask", ["double", 21])
    host_id, body = _host_call(jvm)
    assert body == {"call": request_id, "function": "double", "args": [21], "kwargs": {}}
    jvm.send(protocol.HOST_RESULT, host_id, {"value": [42, b"\x00"]})
    assert jvm.reply(request_id).value == [42, b"\x00"]

    request_id = jvm.send_call("ask_async", ["double", 2])
    second_id, body = _host_call(jvm)
    assert second_id > host_id and body["call"] == request_id
    jvm.send(protocol.HOST_RESULT, second_id, {"value": 4})
    assert jvm.reply(request_id).value == 4


def test_a_host_error_is_raised_as_host_error_with_the_java_type(jvm_factory):
    jvm = jvm_factory(HOSTS)
    jvm.start()
    request_id = jvm.send_call("ask_catching", ["lookup"])
    host_id, _ = _host_call(jvm)
    jvm.send(protocol.HOST_ERROR, host_id, {"kind": "JAVA_EXCEPTION", "type": "java.lang.IllegalStateException",
                                            "message": "no such user"})
    assert jvm.reply(request_id).value == {"kind": "JAVA_EXCEPTION", "type": "java.lang.IllegalStateException",
                                           "message": "no such user",
                                           "text": "java.lang.IllegalStateException: no such user"}
    request_id = jvm.send_call("ask", ["missing"])
    host_id, _ = _host_call(jvm)
    jvm.send(protocol.HOST_ERROR, host_id, {"kind": "UNKNOWN_FUNCTION", "type": None, "message": "not registered"})
    error = jvm.reply(request_id).error
    assert error["kind"] == "PYTHON_EXCEPTION" and error["exception"]["type"] == "HostError"
    assert error["message"] == "HostError: UNKNOWN_FUNCTION: not registered"


def test_the_jvm_may_call_the_waiting_worker_back_nested(jvm_factory):
    jvm = jvm_factory(HOSTS)
    jvm.start()
    outer = jvm.send_call("ask", ["sum_in_python"])
    host_id, _ = _host_call(jvm)
    nested = jvm.send_call("add", [1, 2])
    assert jvm.reply(nested).value == 3
    deeper = jvm.send_call("ask", ["again"])
    deeper_host, body = _host_call(jvm)
    assert body["call"] == deeper, "the innermost call asks"
    jvm.send(protocol.HOST_RESULT, deeper_host, {"value": "inner"})
    assert jvm.reply(deeper).value == "inner"
    jvm.send(protocol.HOST_RESULT, host_id, {"value": "outer"})
    assert jvm.reply(outer).value == "outer"


def test_a_cancel_lands_in_the_wait_and_a_late_answer_is_skipped(jvm_factory):
    jvm = jvm_factory(HOSTS)
    jvm.start()
    request_id = jvm.send_call("ask", ["slow"])
    host_id, _ = _host_call(jvm)
    jvm.cancel(request_id)
    assert jvm.reply(request_id).error["kind"] == "CANCELLED"
    jvm.send(protocol.HOST_RESULT, host_id, {"value": "too late"})
    assert jvm.call("add", 2, 3).value == 5


def test_a_cancel_of_a_call_waiting_for_a_nested_one_lands_once_the_nested_one_ends(jvm_factory):
    jvm = jvm_factory(HOSTS)
    jvm.start()
    outer = jvm.send_call("ask", ["call_python"])
    host_id, _ = _host_call(jvm)
    nested = jvm.send_call("ask", ["inner"])
    inner_id, _ = _host_call(jvm)  # the nested call runs now
    jvm.cancel(outer)  # kept for the outer call while the nested one runs, injected once it is back
    # The cancel crosses the control plane: a call nested one level further says when it is kept.
    assert jvm.reply(jvm.send_call("await_kept_cancel", [outer, 10.0])).value is True
    jvm.send(protocol.HOST_RESULT, inner_id, {"value": "inner"})
    assert jvm.reply(nested).value == "inner"
    jvm.send(protocol.HOST_RESULT, host_id, {"value": None})
    assert jvm.reply(outer).error["kind"] == "CANCELLED"
    assert jvm.call("add", 1, 1).value == 2


def test_credit_that_comes_while_a_generator_waits_for_the_host_is_kept_for_it(jvm_factory):
    jvm = jvm_factory(HOSTS)
    jvm.start()
    request_id = jvm.send_stream("asking_stream", [3], credit=1)
    host_id, body = _host_call(jvm)
    assert body["args"] == [0]
    jvm.send(protocol.HOST_RESULT, host_id, {"value": "a"})
    assert jvm.reply(request_id).item == "a"
    jvm.credit(request_id, 2)  # the generator waits for credit before it goes on
    host_id, _ = _host_call(jvm)
    jvm.credit(request_id, 1)  # arrives during the host call: kept for the stream
    jvm.send(protocol.HOST_RESULT, host_id, {"value": "b"})
    assert jvm.reply(request_id).item == "b"
    host_id, _ = _host_call(jvm)
    jvm.send(protocol.HOST_RESULT, host_id, {"value": "c"})
    assert jvm.reply(request_id).item == "c"
    assert jvm.reply(request_id).value == 3, "the kept credit let the generator find its end"


def test_host_call_outside_a_worker_says_where_it_works():
    with pytest.raises(RuntimeError, match="works only in a worker"):
        host.call("anything")


def test_a_cancel_for_a_call_waiting_for_a_nested_one_is_kept_until_it_is_current_again():
    switch = cancel.CallSwitch()
    switch.begin(1, "outer", None)
    switch.begin(2, "nested", None)
    assert switch.cancel(1), "kept for the outer call"
    assert not switch.cancel(1), "once"
    assert switch.finish(2) is False
    assert not switch.finish(2), "finishing the nested call again changes nothing"
    assert switch.current().request_id == 1
    with pytest.raises(cancel.CallCancelled):
        switch.release()
        for _ in range(1000):
            pass
    assert switch.finish(1) is True
    assert switch.current() is None


def test_host_call_works_only_on_the_main_thread(jvm_factory):
    jvm = jvm_factory(HOSTS)
    jvm.start()
    assert jvm.call("ask_from_a_thread").value == (
        "snakepit.host.call works only on the worker's main thread, where tools run; not on 'helper'")
