"""The chaos adapter on real worker processes, driven by the runtime suite's fake JVM (harness.py).

Every wait is bounded: replies and exits by the harness's timeouts, silences by select().
"""
import io
import os
import queue
import select
import signal
import socket
import time

import pytest

import harness
from snakepit import protocol
from snakepit_chaos import adapter, misbehaviour, settings

MIB = 1024 * 1024
TOOLS = ["ping", "echo", "echo_async", "count", "sleep", "pid", "calls", "rss", "crash", "exit", "segfault", "hang", "hold_gil", "garbage",
         "leak", "slow", "flood_stdout", "spawn_grandchildren", "work"]
# Beats every 50 ms, and a timeout long enough that a held GIL never ends the worker on its own.
FAST_BEATS = {"SNAKEPIT_HEARTBEAT_INTERVAL": "50", "SNAKEPIT_HEARTBEAT_TIMEOUT": "10000"}


def chaos_env(**chosen):
    """CHAOS_* variables from keywords: ``chaos_env(mode="crash", at=3)``."""
    return {settings.PREFIX + name.upper(): str(value) for name, value in chosen.items()}


def silent_for(jvm, seconds):
    """Whether nothing arrives on the data socket for the given seconds."""
    readable, _, _ = select.select([jvm.conn], [], [], seconds)
    return not readable


def read_exactly(jvm, n):
    """n raw bytes from the data socket (its timeout bounds the wait)."""
    data = b""
    while len(data) < n:
        chunk = jvm.conn.recv(n - len(data))
        assert chunk, "the worker closed the socket after %r" % data
        data += chunk
    return data


def assert_not_a_frame(data, max_frame_bytes):
    with pytest.raises(protocol.ProtocolError) as raised:
        protocol.FrameReader(io.BytesIO(data), max_frame_bytes).read_frame()
    assert raised.value.reason == "oversize"


def next_beat(jvm):
    """The number of the next HEARTBEAT to arrive."""
    while True:
        item = jvm.control.get(timeout=harness.TIMEOUT)
        assert item is not None, "control plane closed; stderr:\n" + jvm.stderr_text()
        if item[0] == protocol.HEARTBEAT:
            return item[1]


def longest_silence_during(jvm, tool, *args):
    """Runs a call while timing the heartbeats that arrive; returns its reply and the longest time,
    in seconds, from the call's start to its reply, in which no heartbeat came."""
    while not jvm.control.empty():
        jvm.control.get_nowait()  # older frames: only beats of this call's time count
    stamps = [time.monotonic()]
    request_id = jvm.send_call(tool, list(args))
    deadline = stamps[0] + harness.TIMEOUT
    while not select.select([jvm.conn], [], [], 0)[0]:
        assert time.monotonic() < deadline, "no reply; stderr:\n" + jvm.stderr_text()
        try:
            item = jvm.control.get(timeout=0.01)
        except queue.Empty:
            continue
        assert item is not None, "control plane closed; stderr:\n" + jvm.stderr_text()
        if item[0] == protocol.HEARTBEAT:
            stamps.append(time.monotonic())
    stamps.append(time.monotonic())
    return jvm.reply(request_id), max(later - earlier for earlier, later in zip(stamps, stamps[1:]))


def stderr_size(jvm):
    return os.path.getsize(os.path.join(jvm.dir, "stderr.txt"))


# ---------------------------------------------------------------------- the tools, one per call

def test_handshake_lists_every_tool_documented_and_annotated(chaos):
    hello = chaos(started=False).start()
    tools = {t["name"]: t for t in hello["tools"]}
    assert sorted(tools) == sorted(TOOLS)
    assert all(t["doc"] for t in tools.values())
    assert all("annotation" in p for t in tools.values() for p in t["parameters"])
    assert tools["exit"]["parameters"] == [{"name": "code", "kind": "positional_or_keyword", "required": False,
                                           "default": 3, "default_repr": "3", "annotation": "int"}]


def test_observing_tools_answer_and_every_call_is_counted(chaos):
    jvm = chaos()
    assert jvm.call("ping").value is None
    assert jvm.call("echo", {"a": [1, b"x"]}).value == {"a": [1, b"x"]}
    assert jvm.call("sleep", 0.01).value == 0.01
    assert jvm.call("pid").value == jvm.worker_pid
    assert jvm.call("calls").value == 5
    assert jvm.call("calls").value == 6
    request_id = jvm.send_stream("count", [3], credit=8)
    assert [jvm.reply(request_id).item for _ in range(3)] == [0, 1, 2]
    assert jvm.reply(request_id).value == 3
    assert jvm.call("calls").value == 8


def test_echo_async_runs_beside_its_other_calls_and_a_long_one_does_not_hold_a_short_one(chaos):
    jvm = chaos()
    slow = jvm.send_call("echo_async", ["slow", 30.0])
    quick = [jvm.send_call("echo_async", [i]) for i in range(5)]
    assert [jvm.reply(request_id).value for request_id in quick] == list(range(5))
    jvm.cancel(slow)
    assert jvm.reply(slow).error["kind"] == "CANCELLED"
    assert jvm.call("calls").value == 1  # echo_async is not counted


def test_crash_kills_the_worker_with_sigkill(chaos):
    jvm = chaos()
    jvm.send_call("crash")
    assert jvm.wait() == 128 + signal.SIGKILL  # the keeper relays the signal as Java reports it
    assert jvm.read_frame() is None
    assert "chaos: killing the worker with SIGKILL" in jvm.stderr_text()


def test_exit_ends_the_worker_with_the_given_status(chaos):
    jvm = chaos()
    jvm.send_call("exit", [7])
    assert jvm.wait() == 7


def test_exit_defaults_to_status_3_and_refuses_statuses_a_wait_cannot_carry(chaos):
    jvm = chaos()
    error = jvm.call("exit", 256).error
    assert error["kind"] == "PYTHON_EXCEPTION"
    assert error["message"] == "ValueError: code=256 is not allowed: it must be an integer from 0 to 255"
    jvm.send_call("exit")
    assert jvm.wait() == 3


def test_segfault_kills_the_worker_with_sigsegv_after_a_stack_dump(chaos):
    jvm = chaos()
    jvm.send_call("segfault")
    assert jvm.wait() == 128 + signal.SIGSEGV  # the keeper relays the signal as Java reports it
    stderr = jvm.stderr_text()
    assert "Fatal Python error: Segmentation fault" in stderr
    assert "in segfault" in stderr  # faulthandler's stack shows the tool


def test_hang_swallows_a_cancel_and_stays_wedged(chaos):
    jvm = chaos()
    request_id = jvm.send_call("hang")
    assert "chaos: hanging" in jvm.next_control(protocol.LOG)["message"]
    jvm.cancel(request_id)
    assert silent_for(jvm, 1.0)
    assert jvm.proc.poll() is None
    stderr = jvm.stderr_text()
    assert "chaos: hanging; ignoring cancellation" in stderr
    assert "chaos: cancel ignored, still blocking" in stderr


def test_hang_without_ignore_cancel_ends_on_a_cancel(chaos):
    jvm = chaos()
    request_id = jvm.send_call("hang", kwargs={"ignore_cancel": False})
    assert "chaos: hanging" in jvm.next_control(protocol.LOG)["message"]
    jvm.cancel(request_id)
    assert jvm.reply(request_id).error["kind"] == "CANCELLED"
    assert jvm.call("ping").value is None


def test_leak_grows_rss_by_the_leaked_amount(chaos):
    jvm = chaos()
    before = jvm.call("rss").value
    assert jvm.call("leak", 32).value == 32
    grown = jvm.call("rss").value - before
    assert 30 * MIB <= grown <= 40 * MIB
    assert jvm.call("leak", 16).value == 48


def test_slow_sleeps_one_step_more_per_call_served(chaos):
    jvm = chaos()
    assert jvm.call("slow", 0.05).value == pytest.approx(0.05)
    assert jvm.call("slow", 0.05).value == pytest.approx(0.10)
    assert jvm.call("ping").value is None
    assert jvm.call("slow", 0.01).value == pytest.approx(0.04)


def test_hold_gil_silences_the_heartbeat_until_it_returns(chaos):
    jvm = chaos(env=FAST_BEATS)
    reply, silence = longest_silence_during(jvm, "hold_gil", 1.0)
    assert reply.value == "released"
    # A worker that slept without the GIL would beat every 50 ms. The margin below the second held
    # covers a test thread that stamped the last beat before the hold late.
    assert silence >= 0.5, silence
    assert next_beat(jvm) > 0  # and it beats again


def test_garbage_writes_no_frame_onto_the_data_socket_and_never_answers(chaos):
    jvm = chaos()
    request_id = jvm.send_call("garbage", [16])
    data = read_exactly(jvm, 16)
    assert data[:4] == b"\xff\xff\xff\xff"
    assert_not_a_frame(data, jvm.max_frame_bytes)
    jvm.cancel(request_id)  # ignored: the channel is broken, only a kill ends this worker
    assert silent_for(jvm, 0.5)
    assert jvm.proc.poll() is None
    assert "bytes of garbage onto the data socket" in jvm.stderr_text()


def test_garbage_refuses_fewer_bytes_than_a_length_field(chaos):
    jvm = chaos()
    error = jvm.call("garbage", 3).error
    assert error["message"] == "ValueError: nbytes=3 is not allowed: it must be an integer of at least 4"
    assert jvm.call("ping").value is None


def test_flood_stdout_writes_to_stderr_and_the_worker_keeps_serving(chaos):
    jvm = chaos()
    assert jvm.call("flood_stdout", 2).value == 2 * MIB
    assert jvm.call("ping").value is None
    assert stderr_size(jvm) >= 2 * MIB
    assert "chaos: flood ..." in jvm.stderr_text()


def test_grandchildren_live_in_the_workers_group_and_die_with_it(chaos):
    jvm = chaos()
    pids = jvm.call("spawn_grandchildren", 2).value
    assert len(pids) == 2
    for pid in pids:
        assert harness.parent_of(pid) == jvm.worker_pid
        assert os.getpgid(pid) == jvm.worker_pid
    assert set(pids) <= set(harness.group_members(jvm.worker_pid))
    jvm.close()  # lifeline, then a kill of the worker's group, as the JVM ends a worker
    assert not set(pids) & set(harness.group_members(jvm.worker_pid))


# ---------------------------------------------------------------------- work, by environment

def test_work_without_a_mode_answers_its_call_count_and_value(chaos):
    jvm = chaos()
    assert jvm.call("work", "a").value == {"pid": jvm.worker_pid, "calls": 1, "value": "a"}
    assert jvm.call("work").value == {"pid": jvm.worker_pid, "calls": 2, "value": None}
    assert jvm.call("calls").value == 3


def test_crash_mode_serves_until_its_call_then_dies_by_sigkill(chaos):
    jvm = chaos(env=chaos_env(mode="crash", at=3))
    assert jvm.call("work", "a").value["calls"] == 1
    assert jvm.call("work", "b").value == {"pid": jvm.worker_pid, "calls": 2, "value": "b"}
    jvm.send_call("work", ["c"])
    assert jvm.read_frame() is None
    assert jvm.wait() == 128 + signal.SIGKILL  # the keeper relays the signal as Java reports it


def test_exit_mode_exits_with_the_configured_status(chaos):
    jvm = chaos(env=chaos_env(mode="exit", exit_code=9))
    jvm.send_call("work")
    assert jvm.wait() == 9


def test_segfault_mode(chaos):
    jvm = chaos(env=chaos_env(mode="segfault", at=2))
    assert jvm.call("work").value["calls"] == 1
    jvm.send_call("work")
    assert jvm.wait() == 128 + signal.SIGSEGV  # the keeper relays the signal as Java reports it


def test_hang_mode_ignores_the_cancel(chaos):
    jvm = chaos(env=chaos_env(mode="hang", at=2))
    assert jvm.call("work").value["calls"] == 1
    request_id = jvm.send_call("work")
    assert "chaos: hanging; ignoring cancellation" in jvm.next_control(protocol.LOG)["message"]
    jvm.cancel(request_id)
    assert silent_for(jvm, 0.5)
    assert jvm.proc.poll() is None


def test_garbage_mode_writes_64_bytes_that_are_no_frame(chaos):
    jvm = chaos(env=chaos_env(mode="garbage"))
    jvm.send_call("work")
    assert_not_a_frame(read_exactly(jvm, adapter.GARBAGE_BYTES), jvm.max_frame_bytes)
    assert silent_for(jvm, 0.5)


def test_leak_mode_leaks_on_every_call_from_its_first(chaos):
    jvm = chaos(env=chaos_env(mode="leak", at=2, leak_mb=24))
    start = jvm.call("rss").value
    jvm.call("work").value
    first = jvm.call("rss").value
    jvm.call("work").value
    jvm.call("work").value
    assert first - start < 8 * MIB
    assert 46 * MIB <= jvm.call("rss").value - first <= 60 * MIB


def test_slow_mode_slows_calls_from_its_first(chaos):
    jvm = chaos(env=chaos_env(mode="slow", at=2, slow_step=0.25))
    durations = []
    for _ in range(3):
        started = time.monotonic()
        jvm.call("work").value
        durations.append(time.monotonic() - started)
    assert durations[0] < 0.25
    assert durations[1] >= 0.5 and durations[2] >= 0.75


def test_hold_gil_mode(chaos):
    jvm = chaos(env=dict(FAST_BEATS, **chaos_env(mode="hold_gil", at=2, gil_seconds=1.0)))
    reply, silence = longest_silence_during(jvm, "work")
    assert reply.value["calls"] == 1 and silence < 0.5
    reply, silence = longest_silence_during(jvm, "work")
    assert reply.value["calls"] == 2 and silence >= 0.5


def test_flood_stdout_mode_floods_on_every_call(chaos):
    jvm = chaos(env=chaos_env(mode="flood_stdout", flood_mb=1))
    assert jvm.call("work").value["calls"] == 1
    assert jvm.call("work").value["calls"] == 2
    assert stderr_size(jvm) >= 2 * MIB


def test_spawn_grandchildren_mode_adds_processes_to_the_group_on_every_call(chaos):
    jvm = chaos(env=chaos_env(mode="spawn_grandchildren", at=2, grandchildren=1))
    jvm.call("work").value
    group = len(harness.group_members(jvm.worker_pid))  # the worker (its keeper leads a group of its own)
    jvm.call("work").value
    jvm.call("work").value
    assert len(harness.group_members(jvm.worker_pid)) == group + 2


@pytest.mark.parametrize("variables, named", [
    ({"CHAOS_MODE": "explode"}, "CHAOS_MODE='explode' is not a chaos mode: it must be one of none, crash, "
                                "exit, segfault, hang, garbage, leak, slow, hold_gil, flood_stdout, "
                                "spawn_grandchildren"),
    ({"CHAOS_LEAK_MB": "lots"}, "CHAOS_LEAK_MB='lots' is not an integer: it must be an integer of at least 0"),
    ({"CHAOS_AT": "0"}, "CHAOS_AT=0 is not allowed: it must be an integer of at least 1"),
    ({"CHAOS_SLOW_STEP": "nan"}, "CHAOS_SLOW_STEP=nan is not allowed"),
])
def test_a_bad_setting_fails_the_start_naming_the_variable(chaos, variables, named):
    jvm = chaos(env=variables, started=False)
    body = jvm.next_control(protocol.FATAL)
    assert body["stage"] == "setup"
    assert named in body["message"]
    assert jvm.wait() == 3


# ---------------------------------------------------------------------- in this process

def test_every_mode_but_none_has_an_action():
    assert set(adapter._MODES) == set(settings.MODES) - {settings.NO_MODE}


def test_the_data_socket_is_the_one_whose_peer_is_the_given_path(tmp_path):
    listeners, clients = [], []
    try:
        for name in ("a.sock", "b.sock"):
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(tmp_path / name))
            listener.listen(1)
            listeners.append(listener)
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(str(tmp_path / name))
            clients.append(client)
        assert misbehaviour.find_data_socket(str(tmp_path / "b.sock")) == clients[1].fileno()
        with pytest.raises(RuntimeError, match="cannot tell the data socket"):
            misbehaviour.find_data_socket(str(tmp_path / "elsewhere.sock"))
    finally:
        for sock in listeners + clients:
            sock.close()
