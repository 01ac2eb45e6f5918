"""Calls the JVM writes behind the running one (docs/protocol.md section 4.2, QUEUED): they run in order
after it, even when read while it waits for a host call, and a cancel that comes before one begins
stops it before it runs."""
import time

from snakepit import cancel, protocol, values

HOSTS = "testadapters.hosts:HostsAdapter"


def _send_queued(jvm, tool, args):
    request_id = jvm._next_id
    jvm._next_id += 1
    body, attachments, flags = values.encode({"tool": tool, "args": args, "kwargs": {}, "timeout_ms": 5000})
    jvm._writer.write(protocol.CALL, request_id, body, attachments, flags | protocol.QUEUED)
    return request_id


def test_calls_written_back_to_back_are_answered_in_order(jvm_factory):
    jvm = jvm_factory()
    jvm.start()
    first = jvm.send_call("sleep", [0.05])
    second = _send_queued(jvm, "add", [1, 2])
    third = _send_queued(jvm, "add", [3, 4])
    assert jvm.reply(first).value == 0.05
    assert jvm.reply(second).value == 3
    assert jvm.reply(third).value == 7


def test_a_queued_call_read_during_a_host_call_waits_its_turn(jvm_factory):
    jvm = jvm_factory(HOSTS)
    jvm.start()
    outer = jvm.send_call("ask", ["double", 21])
    frame = jvm.read_frame()
    assert frame.kind == protocol.HOST_CALL
    queued = _send_queued(jvm, "add", [1, 2])  # not a nested call: it must not run inside the wait
    jvm.send(protocol.HOST_RESULT, frame.request_id, {"value": 42})
    assert jvm.reply(outer).value == 42
    assert jvm.reply(queued).value == 3


def test_a_cancel_before_a_queued_call_begins_stops_it_before_it_runs(jvm_factory):
    jvm = jvm_factory()
    jvm.start()
    first = jvm.send_call("sleep", [0.3])
    queued = _send_queued(jvm, "sleep", [30.0])
    jvm.cancel(queued, "caller gave up")
    started = time.monotonic()
    assert jvm.reply(first).value == 0.3
    error = jvm.reply(queued).error
    assert error["kind"] == "CANCELLED"
    assert time.monotonic() - started < 10  # it did not sleep its 30 s
    assert jvm.call("add", 1, 2).value == 3


def test_cancels_of_calls_not_begun_are_kept_for_a_bounded_number_of_ids():
    switch = cancel.CallSwitch(thread_id=0)
    for request_id in range(1, 3000):
        assert switch.cancel(request_id) is False
    assert len(switch._early) == cancel._MAX_EARLY_CANCELS
    assert 2999 in switch._early and 1 not in switch._early
