"""The keeper (snakepit/keeper.py): the process the JVM starts owns the worker's whole tree, so that
nothing the worker starts outlives it, not even processes that leave its session or double-fork."""
import os
import signal
import sys
import time

import pytest

import harness
from snakepit import keeper

PROBE = "testadapters.probe:ProbeAdapter"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreapers are Linux only")
DETACHED = ["no", "session", "daemon"]


def escapees(jvm, seconds=60.0):
    """One sleeping process of each kind of detachment, started by the worker; their pids."""
    return [jvm.call("spawn_child", seconds, detach=how).value for how in DETACHED]


@linux_only
@pytest.mark.parametrize("how", DETACHED)
def test_a_detached_child_stays_in_the_keepers_tree(jvm, how):
    child = jvm.call("spawn_child", 60.0, detach=how).value

    parent = keeper.descendants(jvm.proc.pid)
    assert child in parent, "the keeper's tree lost a %s child" % how


@linux_only
def test_nothing_the_worker_started_outlives_its_crash(jvm):
    pids = escapees(jvm)

    jvm.send_call("crash", [0])

    assert jvm.wait() == 128 + signal.SIGKILL
    assert harness.survivors(pids, 1.0) == []
    assert "killed 3 process(es) the worker left behind" in jvm.stderr_text()


@linux_only
def test_nothing_the_worker_started_outlives_its_shutdown(jvm):
    pids = escapees(jvm)

    jvm.shutdown()

    assert jvm.wait() == 0
    assert harness.survivors(pids, 1.0) == []


@linux_only
def test_nothing_the_worker_started_outlives_the_lifeline(jvm):
    pids = escapees(jvm)

    jvm.proc.stdin.close()

    assert jvm.wait() == 0
    assert harness.survivors(pids + [jvm.worker_pid], 1.0) == []


@linux_only
def test_nothing_a_worker_started_outlives_a_sigkill_of_its_jvm():
    # A stand-in JVM runs a worker whose tool starts the three kinds of child, then dies by SIGKILL.
    # A second worker's tool starts a multiprocessing pool.
    code = ("import sys\n"
            "sys.path.insert(0, %r)\n"
            "import harness\n"
            "jvm = harness.FakeJvm()\n"
            "jvm.start()\n"
            "pids = [jvm.call('spawn_child', 60.0, detach=how).value for how in %r]\n"
            "probe = harness.FakeJvm('testadapters.probe:ProbeAdapter')\n"
            "probe.start()\n"
            "pids += probe.call('start_process_pool', 2).value\n"
            "print(jvm.proc.pid, jvm.worker_pid, probe.proc.pid, probe.worker_pid, *pids, flush=True)\n"
            "sys.stdin.read()\n") % (os.path.dirname(os.path.abspath(__file__)), DETACHED)
    with harness.StandInJvm(code) as parent:
        pids = parent.pids()
        harness.STARTED_GROUPS.update(pids[:4])
        assert len(pids) >= 4 + 3 + 3  # two keepers and workers, three children, a pool of two and its server
        parent.kill()

        assert harness.survivors(pids, 1.0) == []


@linux_only
def test_a_multiprocessing_pool_dies_with_its_worker(jvm_factory):
    jvm = jvm_factory("testadapters.probe:ProbeAdapter")
    jvm.start()
    pids = jvm.call("start_process_pool", 3).value
    assert len(pids) >= 3

    jvm.send_call("exit_now", [9])

    assert jvm.wait() == 9
    assert harness.survivors(pids, 1.0) == []


@linux_only
def test_orphans_that_end_while_the_worker_serves_leave_no_zombie(jvm):
    child = jvm.call("spawn_child", 0.0, detach="daemon").value

    # A zombie keeps its /proc entry until its parent, the keeper here, reaps it.
    harness.wait_until(lambda: not os.path.exists("/proc/%d" % child), harness.TIMEOUT)


@linux_only
def test_the_keeper_relays_a_signal_death_as_128_plus_the_signal(jvm_factory):
    jvm = jvm_factory("testadapters.probe:ProbeAdapter")
    jvm.start()

    jvm.send_call("exit_by_signal", [int(signal.SIGSEGV)])

    assert jvm.wait() == 128 + signal.SIGSEGV


@linux_only
def test_the_keeper_passes_the_dump_signal_on_to_the_worker(jvm):
    os.kill(jvm.proc.pid, signal.SIGUSR2)

    harness.wait_until(lambda: "most recent call first" in jvm.stderr_text(), harness.TIMEOUT)
    assert jvm.call("ping").value is None
    assert harness.alive(jvm.proc.pid)


@linux_only
def test_signals_that_would_end_the_keeper_by_default_are_ignored(jvm):
    for signum in (signal.SIGALRM, signal.SIGRTMIN, signal.SIGPIPE, signal.SIGTSTP, signal.SIGHUP):
        os.kill(jvm.proc.pid, signum)

    assert jvm.call("ping").value is None
    assert harness.alive(jvm.proc.pid) and keeper.descendants(jvm.proc.pid) == [jvm.worker_pid]


def test_worker_killed_mid_call_closes_the_socket(jvm):
    request_id = jvm.send_call("crash", [0])
    assert jvm.read_frame() is None
    # The keeper exits with 128 + N for a worker killed by signal N: the value Java reports for it.
    assert jvm.wait() == 128 + signal.SIGKILL
    del request_id


def test_worker_exit_code_from_os_exit(jvm):
    jvm.send_call("crash", [7])
    assert jvm.wait() == 7


def test_the_keeper_holds_only_stderr_the_lifeline_and_its_wake_up_pipe(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    keeper = jvm.proc.pid

    descriptors = sorted(int(fd) for fd in os.listdir("/proc/%d/fd" % keeper))

    assert descriptors[:3] == [0, 1, 2]
    assert len(descriptors) == 6, descriptors  # and the lifeline, and the two ends of its pipe
    for fd in (0, 1):
        assert os.readlink("/proc/%d/fd/%d" % (keeper, fd)) == os.devnull
    assert os.readlink("/proc/%d/fd/2" % keeper) == os.path.join(jvm.dir, "stderr.txt")
    assert os.getpgid(keeper) == keeper and jvm.call("children").value == []


def test_when_the_lifeline_ends_a_healthy_worker_exits_0_and_its_children_die(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    child = start_sleeper(jvm)

    jvm.proc.stdin.close()

    assert jvm.wait() == 0
    assert harness.gone_within([child], 2.0), "the worker's child outlived the lifeline"


def test_the_keeper_kills_a_wedged_worker_and_its_children_when_the_lifeline_ends(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    child = start_sleeper(jvm)
    jvm.send_call("hold_gil", [60])
    harness.wait_for_stderr(jvm, "holding the GIL", harness.TIMEOUT)
    started = time.monotonic()

    jvm.proc.stdin.close()

    assert jvm.wait() == 0  # the keeper's status: the JVM is gone, nobody reads it
    assert harness.gone_within([jvm.worker_pid, child], 2.0), "the wedged worker or its child outlived the lifeline"
    assert time.monotonic() - started < 2.0


def start_sleeper(jvm):
    """Starts a sleeping child process from the worker; returns its pid."""
    return jvm.call("spawn_sleeper", 60.0).value
