"""Cancelling the running call (snakepit/cancel.py): CallCancelled lands in the tool, only while its
call is current and at most once, and the worker serves on."""
import threading
import time

import pytest

import harness
from snakepit import cancel, protocol
from snakepit.cancel import CallCancelled, CallSwitch

PROBE = "testadapters.probe:ProbeAdapter"


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


def test_cancelled_async_tool_leaves_the_loop_usable(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    request_id = jvm.send_call("async_sleep_logged", [30.0])
    assert jvm.next_control(protocol.LOG)["message"] == "async sleeping"
    jvm.cancel(request_id)
    assert jvm.reply(request_id).error["kind"] == "CANCELLED"
    assert jvm.call("async_add", 1, 1).value == 2


needs_async_exc = pytest.mark.skipif(cancel._set_async_exc is None, reason="needs PyThreadState_SetAsyncExc")


class Tool(threading.Thread):
    """Runs a spinning 'tool' as call 7, for at most 10 s, under a CallSwitch aimed at this thread."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.switch = None
        self.running = threading.Event()
        self.outcome = None
        self.cancelled = None

    def run(self) -> None:
        self.switch = CallSwitch(thread_id=threading.get_ident())
        self.switch.begin(7, "spin", None)
        try:
            try:
                self.running.set()
                deadline = time.monotonic() + harness.TIMEOUT
                while time.monotonic() < deadline:
                    pass
                self.outcome = "ran out"
            except CallCancelled:
                self.outcome = "cancelled"
        finally:
            self.cancelled = self.switch.finish()


@needs_async_exc
def test_a_call_is_cancelled_once_and_only_by_its_own_request_id():
    spinning = Tool()
    spinning.start()
    assert spinning.running.wait(harness.TIMEOUT)
    switch = spinning.switch

    assert switch.current().request_id == 7
    assert switch.cancel(0) is False
    assert switch.cancel(8) is False
    assert switch.cancel(7) is True
    assert switch.cancel(7) is False  # one exception per call
    assert switch.interrupt(7) is False  # shared with interrupt()
    spinning.join(harness.TIMEOUT)

    assert (spinning.outcome, spinning.cancelled) == ("cancelled", True)
    assert switch.current() is None
    assert switch.cancel(7) is False  # the call is over


def test_an_idle_switch_cancels_nothing():
    switch = CallSwitch(thread_id=threading.get_ident())

    assert switch.current() is None
    assert switch.cancel(1) is False and switch.interrupt(1) is False
    assert switch.finish() is False


def test_the_current_call_tells_its_tool_deadline_and_time_left():
    switch = CallSwitch(thread_id=threading.get_ident())
    switch.begin(3, "add", time.monotonic() + 60.0)

    info = switch.current()

    assert (info.request_id, info.tool) == (3, "add")
    assert 59.0 < info.remaining() <= 60.0
    assert switch.finish() is False
    switch.begin(4, "echo", None)
    assert switch.current().remaining() is None
    switch.finish()
