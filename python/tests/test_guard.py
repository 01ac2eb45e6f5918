"""The guards that act without Python code (snakepit/guard.py): the parent-death signal, which ends a
worker whose keeper is gone, and the stack dumps on the JVM's dump signal."""
import os
import signal
import sys

import pytest

import harness

PROBE = "testadapters.probe:ProbeAdapter"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux only")


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

            assert harness.gone_within([worker], 2.0), "the worker outlived its parent"
        finally:
            os.kill(holder, signal.SIGKILL)
            # The keeper saw its parent change (its parent-death signal) and ended the worker's tree.
            harness.wait_until_gone(harness.group_members(worker), 2.0)


def test_the_worker_writes_its_stacks_on_the_dump_signal_and_serves_on(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    assert jvm.call("children").value == []  # serving: past the handshake

    os.kill(jvm.proc.pid, signal.SIGUSR2)

    # The main thread, waiting for the next call, and the runtime's own threads.
    harness.wait_for_stderr(jvm, "in serve", harness.TIMEOUT)
    assert "most recent call first" in jvm.stderr_text()
    assert jvm.call("spawn_sleeper", 0.0).value > 0
