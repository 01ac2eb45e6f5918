"""The guards against orphans beyond the lifeline (snakepit/guard.py): the parent-death signal and
the reaper that kills the worker's process group once the JVM is gone, even a wedged worker's."""
import os
import signal
import sys
import time

import pytest

import harness

PROBE = "testadapters.probe:ProbeAdapter"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux only")


def gone_within(pids, seconds):
    """Whether every pid has exited (a zombie counts as gone) within ``seconds``."""
    return not harness.survivors(pids, seconds)


@linux_only
def test_the_worker_arms_sigkill_as_its_parent_death_signal(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()

    assert jvm.call("parent_death_signal").value == signal.SIGKILL


@linux_only
def test_a_worker_whose_jvm_is_gone_already_exits_at_once(jvm_factory):
    jvm = jvm_factory(PROBE, env={"SNAKEPIT_JVM_PID": str(os.getpid() + 1000000)})

    assert jvm.wait() == 0
    assert "is gone before the worker started" in jvm.stderr_text()


@linux_only
def test_the_worker_dies_with_its_parent_even_while_its_lifeline_stays_open():
    # A stand-in JVM starts the worker and a second process that keeps the lifeline's write end open,
    # then is killed: only the parent-death signal can end the worker now.
    code = ("import os, subprocess, sys\n"
            "os.environ['SNAKEPIT_JVM_PID'] = str(os.getpid())\n"
            "r, w = os.pipe()\n"
            "worker = subprocess.Popen([sys.executable, '-m', 'snakepit', '--adapter', 'testadapters.slow_import:Never'],"
            " stdin=r, stdout=subprocess.PIPE)\n"
            "holder = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], pass_fds=(w,),"
            " start_new_session=True)\n"
            "print(worker.pid, holder.pid, flush=True)\n"
            "sys.stdin.read()\n")
    with harness.StandInJvm(code) as parent:
        worker, holder = parent.pids()
        harness.STARTED_GROUPS.add(worker)
        try:
            parent.kill()

            assert gone_within([worker], 2.0), "the worker outlived its parent"
        finally:
            os.kill(holder, signal.SIGKILL)
            # The keeper saw its parent change (its parent-death signal) and ended the worker's tree.
            harness.wait_until_gone(harness.group_members(worker), 2.0)


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
    child = spawn_child(jvm)

    jvm.proc.stdin.close()

    assert jvm.wait() == 0
    assert gone_within([child], 2.0), "the worker's child outlived the lifeline"


def test_the_keeper_kills_a_wedged_worker_and_its_children_when_the_lifeline_ends(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    child = spawn_child(jvm)
    jvm.send_call("hold_gil", [60])
    wait_for_stderr(jvm, "holding the GIL", harness.TIMEOUT)
    started = time.monotonic()

    jvm.proc.stdin.close()

    assert jvm.wait() == 0  # the keeper's status: the JVM is gone, nobody reads it
    assert gone_within([jvm.worker_pid, child], 2.0), "the wedged worker or its child outlived the lifeline"
    assert time.monotonic() - started < 2.0


def wait_for_stderr(jvm, text, seconds):
    deadline = time.monotonic() + seconds
    while text not in jvm.stderr_text():
        assert time.monotonic() < deadline, "the worker never wrote %r to stderr" % text
        time.sleep(0.01)  # polls a condition with a bound


def spawn_child(jvm):
    """Starts a sleeping child process from the worker; returns its pid."""
    return jvm.call("spawn_sleeper", 60.0).value


def test_the_worker_writes_its_stacks_on_the_dump_signal_and_serves_on(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    assert jvm.call("children").value == []  # serving: past the handshake

    os.kill(jvm.proc.pid, signal.SIGUSR2)

    # The main thread, waiting for the next call, and the runtime's own threads.
    wait_for_stderr(jvm, "in serve", harness.TIMEOUT)
    assert "most recent call first" in jvm.stderr_text()
    assert jvm.call("spawn_sleeper", 0.0).value > 0
