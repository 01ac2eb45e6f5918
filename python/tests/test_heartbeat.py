"""Heartbeats on the control plane (docs/protocol.md, section 4.9): the worker beats at its interval,
ends itself when the JVM stops acknowledging or is gone, and lives on as long as acks arrive."""
import time

import harness
from snakepit import protocol


def fast(interval_ms=50, timeout_ms=400):
    return {"SNAKEPIT_HEARTBEAT_INTERVAL": str(interval_ms), "SNAKEPIT_HEARTBEAT_TIMEOUT": str(timeout_ms)}


def beats(jvm, count):
    """The request ids of the next ``count`` HEARTBEAT frames, and the seconds they took to come."""
    started = time.monotonic()
    ids = []
    while len(ids) < count:
        item = jvm.control.get(timeout=harness.TIMEOUT)
        assert item is not None, "control plane closed; stderr:\n" + jvm.stderr_text()
        if item[0] == protocol.HEARTBEAT:
            assert item[2] is None, "a HEARTBEAT has no body"
            ids.append(item[1])
    return ids, time.monotonic() - started


def test_beats_are_numbered_from_one_and_come_at_the_interval(jvm_factory):
    jvm = jvm_factory(env=fast(interval_ms=50, timeout_ms=5000))
    jvm.start()

    ids, seconds = beats(jvm, 6)

    assert ids == [1, 2, 3, 4, 5, 6]
    assert seconds >= 5 * 0.05 * 0.8  # five intervals between the first beat and the sixth, at least
    assert jvm.proc.poll() is None


def test_beats_start_before_the_adapter_is_imported(jvm_factory):
    jvm = jvm_factory("testadapters.slow_import:Never", env=fast(interval_ms=50, timeout_ms=5000))

    ids, _ = beats(jvm, 3)

    assert ids == [1, 2, 3]


def test_an_acknowledged_worker_outlives_the_timeout_while_its_tool_sleeps(jvm_factory):
    jvm = jvm_factory(env=fast(interval_ms=50, timeout_ms=300))
    jvm.start()

    assert jvm.call("sleep", 1.0).value == 1.0

    assert jvm.proc.poll() is None


def test_the_worker_exits_with_status_5_when_acks_stop(jvm_factory):
    jvm = jvm_factory(env=fast(interval_ms=50, timeout_ms=300))
    jvm.start()
    assert jvm.call("add", 1, 2).value == 3
    started = time.monotonic()

    jvm.ack_heartbeats = False

    assert jvm.wait() == 5
    assert time.monotonic() - started < 0.3 + 2.0  # the timeout plus an interval, with a wide margin
    assert "no heartbeat acknowledgement from the JVM" in jvm.stderr_text()


def test_the_worker_exits_when_a_beat_cannot_be_written(jvm_factory):
    jvm = jvm_factory(env=fast(interval_ms=50, timeout_ms=60000), read_control=False)
    jvm.start()

    jvm.proc.stdout.close()  # nobody reads the control plane any more: the pipe is broken

    assert jvm.wait() == 0
    assert "cannot send a heartbeat, the JVM is gone" in jvm.stderr_text()


def test_a_timeout_not_longer_than_the_interval_is_a_fatal_start_error(jvm_factory):
    jvm = jvm_factory(env=fast(interval_ms=500, timeout_ms=500))

    body = jvm.next_control(protocol.FATAL)

    assert "SNAKEPIT_HEARTBEAT_TIMEOUT=500 must be longer than SNAKEPIT_HEARTBEAT_INTERVAL=500" in body["message"]
    assert jvm.wait() == 3
