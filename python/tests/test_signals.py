"""SIGINT and SIGTERM from outside the pool (snakepit/signals.py): neither ends a worker by surprise nor
corrupts a call."""
import os
import signal

import pytest

import harness
from snakepit import protocol

PROBE = "testadapters.probe:ProbeAdapter"


@pytest.fixture
def probe(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    return jvm


def next_log(jvm, text):
    """The next LOG record whose message contains ``text``."""
    while True:
        record = jvm.next_control(protocol.LOG)
        if text in record["message"]:
            return record


@pytest.mark.parametrize("target", ["worker", "keeper"])
def test_sigint_between_calls_is_ignored_with_a_warning(probe, target):
    os.kill(probe.worker_pid if target == "worker" else probe.proc.pid, signal.SIGINT)

    record = next_log(probe, "SIGINT between calls ignored")
    assert record["level"] == 30 and record["logger"] == "snakepit.signals"
    assert probe.call("children").value == []
    assert probe.proc.poll() is None


def test_sigint_during_a_call_raises_keyboard_interrupt_in_the_tool(probe):
    request_id = probe.send_call("sleep_logged", [30.0], timeout_ms=60000)
    next_log(probe, "sleeping")

    os.kill(probe.worker_pid, signal.SIGINT)

    error = probe.reply(request_id).error
    assert error["kind"] == "PYTHON_EXCEPTION"
    assert error["exception"]["type"] == "KeyboardInterrupt"
    assert error["exception"]["frames"][-1]["function"] == "sleep_logged"
    assert "raised KeyboardInterrupt in tool 'sleep_logged'" in next_log(probe, "SIGINT")["message"]
    assert probe.call("sleep_logged", 0.0).value == 0.0  # the worker serves on


def test_a_call_gets_one_keyboard_interrupt_however_many_sigints_come(probe):
    request_id = probe.send_call("absorb_interrupts", [1.0], timeout_ms=60000)
    next_log(probe, "absorbing")

    os.kill(probe.worker_pid, signal.SIGINT)
    next_log(probe, "caught KeyboardInterrupt")
    os.kill(probe.worker_pid, signal.SIGINT)

    assert "was interrupted or cancelled already" in next_log(probe, "SIGINT ignored")["message"]
    assert probe.reply(request_id).value == 1
    assert probe.call("sleep_logged", 0.0).value == 0.0


@pytest.mark.parametrize("target", ["worker", "keeper"])
def test_sigterm_asks_the_pool_to_retire_the_worker_which_serves_on(probe, target):
    os.kill(probe.worker_pid if target == "worker" else probe.proc.pid, signal.SIGTERM)

    assert probe.next_control(protocol.RETIRE) == {"reason": "received SIGTERM"}
    assert probe.call("sleep_logged", 0.0).value == 0.0
    probe.shutdown()
    assert probe.wait() == 0


def test_sigterm_during_a_call_lets_the_call_finish(probe):
    request_id = probe.send_call("sleep_logged", [0.3], timeout_ms=60000)
    next_log(probe, "sleeping")

    os.kill(probe.worker_pid, signal.SIGTERM)

    assert probe.next_control(protocol.RETIRE)["reason"] == "received SIGTERM"
    assert probe.reply(request_id).value == 0.3
