"""The heartbeat (snakepit/heartbeat.py, docs/protocol.md, section 4.9): the worker beats at its
interval, ends itself when the JVM stops acknowledging or is gone, and lives on as long as acks arrive.
Its settings are read with defaults, and a timeout not longer than the interval is refused."""
import queue
import time

import pytest

import harness
from snakepit import exits, protocol
from snakepit.heartbeat import DEFAULT_INTERVAL_MS, DEFAULT_TIMEOUT_MS, Heartbeat, heartbeat_settings
from snakepit.settings import SettingError


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
            assert item[2] is None or set(item[2]) == {"rtt_us"}, "a HEARTBEAT body holds only the round trip"
            ids.append(item[1])
    return ids, time.monotonic() - started


def test_beats_are_numbered_from_one_and_come_at_the_interval(jvm_factory):
    jvm = jvm_factory(env=fast(interval_ms=50, timeout_ms=5000))
    jvm.start()

    ids, seconds = beats(jvm, 6)

    assert ids == [1, 2, 3, 4, 5, 6]
    assert seconds >= 5 * 0.05 * 0.8  # five intervals between the first beat and the sixth, at least
    assert jvm.proc.poll() is None


def test_beats_after_an_acknowledged_one_carry_its_round_trip(jvm_factory):
    jvm = jvm_factory(env=fast(interval_ms=50, timeout_ms=5000))
    jvm.start()

    bodies = []
    while len(bodies) < 4:
        item = jvm.control.get(timeout=harness.TIMEOUT)
        if item[0] == protocol.HEARTBEAT:
            bodies.append(item[2])

    assert bodies[0] is None  # nothing was acknowledged before the first beat
    later = [body["rtt_us"] for body in bodies[2:]]
    assert all(isinstance(us, int) and 0 <= us < 5_000_000 for us in later), bodies


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


class FakeClock:
    """A clock that moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingChannel:
    """Takes the beats a Heartbeat sends, each with the fake time it was sent at; ``fail`` makes the
    next beat raise as a closed pipe does."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.beats = queue.Queue()
        self.round_trips = queue.Queue()
        self.fail = None

    def beat(self, sequence, timeout, round_trip_us=None):
        if self.fail is not None:
            raise self.fail
        self.beats.put((sequence, self.clock()))
        self.round_trips.put((sequence, round_trip_us))
        return True


@pytest.fixture
def beating():
    """A Heartbeat of 1 ms on a fake clock with a 10 s timeout; stopped after the test."""
    clock = FakeClock()
    channel, exit = RecordingChannel(clock), harness.Exits()
    heartbeat = Heartbeat(channel, 0.001, 10.0, exit=exit, clock=clock)
    heartbeat.start()
    yield heartbeat, clock, channel, exit
    heartbeat.stop()


def next_beats(channel, count):
    """The sequence numbers of the next ``count`` beats."""
    return [channel.beats.get(timeout=harness.TIMEOUT)[0] for _ in range(count)]


def beats_at(channel, now, count):
    """Waits for ``count`` beats sent at fake time ``now``; the second and later were checked at it too."""
    seen = []
    while len(seen) < count:
        sequence, at = channel.beats.get(timeout=harness.TIMEOUT)
        if at == now:
            seen.append(sequence)
    return seen


def test_beats_are_numbered_from_one_and_go_on_while_acks_keep_coming(beating):
    heartbeat, clock, channel, exit = beating

    assert next_beats(channel, 3) == [1, 2, 3]
    clock.now += 9.0  # silent for 9 s of a 10 s timeout
    heartbeat.acknowledged(3)
    clock.now += 9.0  # 18 s since the start, but only 9 s since the last ack

    later = beats_at(channel, clock.now, 2)

    assert later[0] > 3 and later[1] == later[0] + 1
    assert exit.status is None


def test_the_round_trip_is_the_time_from_a_beat_to_its_ack_and_later_acks_of_old_beats_are_ignored():
    clock = FakeClock()
    channel, exit = RecordingChannel(clock), harness.Exits()
    heartbeat = Heartbeat(channel, 0.001, 10.0, exit=exit, clock=clock)
    heartbeat._sent = (7, clock.now)  # beat 7 went out now
    clock.now += 0.0025
    heartbeat.acknowledged(6)  # an answer to an older beat: no round trip
    assert heartbeat._round_trip_us is None
    heartbeat.acknowledged(7)
    assert heartbeat._round_trip_us == 2500

    heartbeat.start()
    try:
        sequence, round_trip = channel.round_trips.get(timeout=harness.TIMEOUT)
    finally:
        heartbeat.stop()

    assert round_trip == 2500
    assert exit.status is None


def test_a_heartbeat_silent_past_its_timeout_exits_with_status_5(beating, capfd):
    heartbeat, clock, channel, exit = beating
    next_beats(channel, 1)

    clock.now += 10.5

    assert exit.done.wait(harness.TIMEOUT)
    assert exit.status == exits.EXIT_HEARTBEAT == 5
    assert ("snakepit: no heartbeat acknowledgement from the JVM for 10.5 s (timeout 10.0 s); exiting\n"
            in capfd.readouterr().err)


def test_a_beat_that_cannot_be_written_exits_with_status_0(beating, capfd):
    heartbeat, clock, channel, exit = beating
    next_beats(channel, 1)

    channel.fail = BrokenPipeError("pipe closed")

    assert exit.done.wait(harness.TIMEOUT)
    assert exit.status == exits.EXIT_OK
    assert "snakepit: cannot send a heartbeat, the JVM is gone (pipe closed); exiting" in capfd.readouterr().err


def test_a_stopped_heartbeat_neither_beats_nor_exits():
    clock = FakeClock()
    channel, exit = RecordingChannel(clock), harness.Exits()
    heartbeat = Heartbeat(channel, 0.001, 10.0, exit=exit, clock=clock)
    heartbeat.stop()

    heartbeat._run()  # returns at once: the stop is seen before the first beat

    assert channel.beats.empty() and exit.status is None


def test_heartbeat_settings_default_to_2_s_and_10_s(monkeypatch):
    monkeypatch.delenv("SNAKEPIT_HEARTBEAT_INTERVAL", raising=False)
    monkeypatch.delenv("SNAKEPIT_HEARTBEAT_TIMEOUT", raising=False)

    assert heartbeat_settings() == (2.0, 10.0)
    assert (DEFAULT_INTERVAL_MS, DEFAULT_TIMEOUT_MS) == (2000, 10000)


def test_heartbeat_settings_are_milliseconds(monkeypatch):
    monkeypatch.setenv("SNAKEPIT_HEARTBEAT_INTERVAL", "50")
    monkeypatch.setenv("SNAKEPIT_HEARTBEAT_TIMEOUT", "400")

    assert heartbeat_settings() == (0.05, 0.4)


@pytest.mark.parametrize("interval,timeout,message", [
    ("500", "500", "SNAKEPIT_HEARTBEAT_TIMEOUT=500 must be longer than SNAKEPIT_HEARTBEAT_INTERVAL=500"),
    ("0", "500", "SNAKEPIT_HEARTBEAT_INTERVAL=0 is below the minimum of 1"),
    ("50", "soon", "SNAKEPIT_HEARTBEAT_TIMEOUT='soon' is not an integer"),
])
def test_bad_heartbeat_settings_are_refused_with_the_rule(monkeypatch, interval, timeout, message):
    monkeypatch.setenv("SNAKEPIT_HEARTBEAT_INTERVAL", interval)
    monkeypatch.setenv("SNAKEPIT_HEARTBEAT_TIMEOUT", timeout)

    with pytest.raises(SettingError) as err:
        heartbeat_settings()
    assert str(err.value) == message
