"""Streamed results (snakepit/streams.py, docs/protocol.md section 4.13) against real workers: items go
out only against credit, a cancel closes the generator, and a stream's end or failure is one RESULT or
ERROR after its items."""
import io
import os

import harness
from snakepit import cancel, messages, protocol, values

STREAMS = "testadapters.streams:StreamsAdapter"
S1 = "a" * 32


def _items(jvm, request_id, n):
    return [jvm.reply(request_id).item for _ in range(n)]


def _state(jvm):
    return jvm.call("state").value


def test_a_generator_streams_its_items_then_a_result_with_their_count(jvm_factory):
    jvm = jvm_factory(STREAMS)
    hello = jvm.start()
    described = {t["name"]: t["stream"] for t in hello["tools"]}
    assert described["count"] is True and described["acount"] is True and described["single"] is False
    request_id = jvm.send_stream("count", [5], credit=16)
    assert _items(jvm, request_id, 5) == [0, 1, 2, 3, 4]
    assert jvm.reply(request_id).value == 5
    assert _state(jvm) == {"produced": 5, "closed": 1}


def test_the_generator_advances_only_against_credit(jvm_factory):
    jvm = jvm_factory(STREAMS)
    jvm.start()
    request_id = jvm.send_stream("endless", [1 << 16], credit=2)
    assert [len(b) for b in _items(jvm, request_id, 2)] == [1 << 16] * 2
    jvm.credit(request_id + 100, 50)  # credit of another call: skipped
    jvm.credit(request_id, 1)
    assert len(jvm.reply(request_id).item) == 1 << 16
    jvm.cancel(request_id, "stream closed")
    error = jvm.reply(request_id).error
    assert error["kind"] == "CANCELLED"
    # Three items went out, against three credits; the generator was closed where it waited.
    assert _state(jvm) == {"produced": 3, "closed": 1}


def test_credit_left_over_from_an_ended_stream_is_ignored(jvm_factory):
    jvm = jvm_factory(STREAMS)
    jvm.start()
    request_id = jvm.send_stream("count", [1], credit=1)
    assert _items(jvm, request_id, 1) == [0]
    jvm.credit(request_id, 5)  # the worker may read it in the wait after the last item
    assert jvm.reply(request_id).value == 1
    jvm.credit(request_id, 5)  # and this one in the serve loop
    assert jvm.call("state").value == {"produced": 1, "closed": 1}


def test_async_generators_stream_and_plain_calls_of_generators_get_lists(jvm_factory):
    jvm = jvm_factory(STREAMS)
    jvm.start()
    request_id = jvm.send_stream("acount", [3], credit=1)
    first = jvm.reply(request_id).item
    jvm.credit(request_id, 5)
    assert [first] + _items(jvm, request_id, 2) == [0, 1, 2]
    assert jvm.reply(request_id).value == 3
    assert jvm.call("count", 4).value == [0, 1, 2, 3]
    assert jvm.call("acount", 2).value == [0, 1]
    assert jvm.call("fail_after", 2).error["message"] == "ValueError: stream broke after 2 items"


def test_a_plain_value_is_a_stream_of_one_item(jvm_factory):
    jvm = jvm_factory(STREAMS)
    jvm.start()
    request_id = jvm.send_stream("single", credit=1)
    assert jvm.reply(request_id).item == 42
    assert jvm.reply(request_id).value == 1


def test_a_failing_generator_ends_its_stream_with_an_error_after_its_items(jvm_factory):
    jvm = jvm_factory(STREAMS)
    jvm.start()
    request_id = jvm.send_stream("fail_after", [2])
    assert _items(jvm, request_id, 2) == [0, 1]
    error = jvm.reply(request_id).error
    assert error["kind"] == "PYTHON_EXCEPTION"
    assert [f["function"] for f in error["exception"]["frames"]] == ["fail_after"]


def test_an_item_that_cannot_cross_ends_the_stream_and_closes_the_generator(jvm_factory):
    jvm = jvm_factory(STREAMS)
    jvm.start()
    request_id = jvm.send_stream("bad_item")
    assert jvm.reply(request_id).item == 1
    error = jvm.reply(request_id).error
    assert error["kind"] == "SERIALIZATION_ERROR"
    assert error["message"].startswith("an item of the stream of 'bad_item' cannot be serialized")
    assert _state(jvm)["closed"] == 1


def test_a_cancel_inside_the_generator_closes_it(jvm_factory):
    jvm = jvm_factory(STREAMS)
    jvm.start()
    request_id = jvm.send_stream("slow", [3, 30.0])
    assert jvm.reply(request_id).item == 0  # the generator now sleeps before its next item
    jvm.cancel(request_id)
    error = jvm.reply(request_id).error
    assert error["kind"] == "CANCELLED"
    assert _state(jvm)["closed"] == 1


def test_a_streamed_call_of_a_session_sees_its_session_in_the_generator(jvm_factory):
    jvm = jvm_factory(STREAMS)
    jvm.start()
    request_id = jvm.send_stream("session_ids", [2], session=S1, open_session=True)
    assert _items(jvm, request_id, 2) == [S1, S1]
    assert jvm.reply(request_id).value == 2


def test_a_bad_stream_field_is_an_invalid_request(jvm_factory):
    jvm = jvm_factory(STREAMS)
    jvm.start()
    for stream in ({"credit": 0}, {"credit": "5"}, 5, {"credit": (1 << 20) + 1}):
        request_id = jvm.send_call("count", [1])
        jvm.reply(request_id)
        request_id = jvm._next_id
        jvm._next_id += 1
        jvm.send(protocol.CALL, request_id, {"tool": "count", "args": [1], "stream": stream})
        error = jvm.reply(request_id).error
        assert error["kind"] == "INVALID_REQUEST" and "\"stream\"" in error["message"], (stream, error)


def test_a_malformed_credit_is_a_protocol_violation(jvm_factory):
    jvm = jvm_factory(STREAMS)
    jvm.start()
    request_id = jvm.send_stream("endless", credit=1)
    jvm.reply(request_id)
    jvm.send(protocol.CREDIT, request_id, {"credit": -1})
    assert jvm.wait() == 4
    assert "CREDIT \"credit\" = -1 is invalid" in jvm.stderr_text()


def test_a_held_switch_defers_a_cancel_until_it_is_released():
    switch = cancel.CallSwitch()
    switch.begin(7, "t", None)
    switch.hold()
    assert switch.cancel(7), "accepted, and counted as the call's one exception"
    assert not switch.cancel(7)
    landed = False
    try:
        switch.release()
        for _ in range(1000):
            pass
    except cancel.CallCancelled:
        landed = True
    assert landed
    assert switch.finish()


def test_the_golden_stream_frames_read_as_the_protocol_says():
    golden = os.path.join(harness.PYTHON_DIR, os.pardir, "docs", "protocol", "golden")

    def load(name):
        with open(os.path.join(golden, name + ".bin"), "rb") as f:
            return protocol.FrameReader(io.BytesIO(f.read())).read_frame()

    call = load("call_stream")
    assert messages.call_stream(values.decode(call.body, call.attachments, call.flags)) == 16
    assert messages.parse_credit(load("credit")) == 8
    assert load("chunk").kind == protocol.CHUNK
