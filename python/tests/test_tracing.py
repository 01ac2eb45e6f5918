"""A call's trace context (snakepit/tracing.py, docs/protocol.md, section 4.2): the CALL's "trace" member
is checked, is what trace_context() gives while the call runs (serial, on a tool's threads, on the event
loop, streamed), is gone after it, and is OpenTelemetry's current context when its API is installed."""
import pytest

from snakepit import protocol, trace_context, tracing
from snakepit.errors import InvalidCall

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
TRACED = "testadapters.traced:Traced"


def call_body(tool, trace, **fields):
    body = {"tool": tool, "args": [], "kwargs": {}, "timeout_ms": 5000, "trace": trace}
    body.update(fields)
    return body


def test_a_call_without_trace_has_none():
    assert tracing.parse({"tool": "x"}) is None


def test_the_traceparent_and_tracestate_are_kept():
    assert tracing.parse({"trace": {"traceparent": PARENT}}) == {"traceparent": PARENT}
    assert tracing.parse({"trace": {"traceparent": PARENT, "tracestate": "a=1,b=2"}}) == {
        "traceparent": PARENT, "tracestate": "a=1,b=2"}


@pytest.mark.parametrize("trace", [
    "00-x", {"traceparent": "00-XYZ"}, {"traceparent": PARENT.upper()}, {"traceparent": PARENT, "baggage": "k=v"},
    {"tracestate": "a=1"}, [PARENT]])
def test_a_malformed_trace_is_an_invalid_call_naming_the_rule(trace):
    with pytest.raises(InvalidCall) as caught:
        tracing.parse({"trace": trace})
    assert "must be an object with a W3C \"traceparent\"" in caught.value.body["message"]


def test_a_tracestate_longer_than_512_characters_is_refused():
    with pytest.raises(InvalidCall) as caught:
        tracing.parse({"trace": {"traceparent": PARENT, "tracestate": "a=" + "x" * 511}})
    assert "at most 512 characters" in caught.value.body["message"]


def test_the_context_is_current_only_within_its_block():
    assert trace_context() == {}
    with tracing.attached({"traceparent": PARENT}):
        assert trace_context() == {"traceparent": PARENT}
        trace_context()["traceparent"] = "changed"  # a copy: the caller cannot change the call's
        assert trace_context() == {"traceparent": PARENT}
    assert trace_context() == {}
    with tracing.attached(None):
        assert trace_context() == {}


def test_opentelemetry_sees_the_callers_span_as_current():
    otel = pytest.importorskip("opentelemetry.trace")
    with tracing.attached({"traceparent": PARENT}):
        span = otel.get_current_span().get_span_context()
        assert "%032x" % span.trace_id == "0af7651916cd43dd8448eb211c80319c"
        assert "%016x" % span.span_id == "b7ad6b7169203331"
        assert span.is_remote
    assert not otel.get_current_span().get_span_context().is_valid


@pytest.mark.parametrize("tool", ["context", "context_threads", "context_async"])
def test_a_tool_runs_under_the_trace_context_of_its_call(jvm_factory, tool):
    jvm = jvm_factory(TRACED)
    jvm.start()

    traced = jvm.request(protocol.CALL, call_body(tool, {"traceparent": PARENT, "tracestate": "k=v"})).value
    untraced = jvm.call(tool).value

    assert traced["headers"] == {"traceparent": PARENT, "tracestate": "k=v"}
    assert untraced["headers"] == {}
    if traced["otel"] is not None:
        assert traced["otel"] == {"trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "b7ad6b7169203331"}
        assert untraced["otel"] == {"trace_id": None, "span_id": None}


def test_every_item_of_a_stream_is_made_under_its_trace_context(jvm_factory):
    jvm = jvm_factory(TRACED)
    jvm.start()

    request_id = jvm.send_stream("context_stream", [3], trace={"traceparent": PARENT})
    items = [jvm.reply(request_id).item for _ in range(3)]

    assert items == [{"traceparent": PARENT}] * 3


def test_a_call_with_a_malformed_trace_is_answered_invalid_request_and_the_worker_serves_on(jvm_factory):
    jvm = jvm_factory(TRACED)
    jvm.start()

    reply = jvm.request(protocol.CALL, call_body("context", {"traceparent": "nonsense"}))

    assert reply.kind == protocol.ERROR
    assert reply.body["kind"] == "INVALID_REQUEST"
    assert jvm.call("context").value["headers"] == {}
