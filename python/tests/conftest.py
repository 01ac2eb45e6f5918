import os
import signal
import sys
import threading

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "adapters"))

import harness  # noqa: E402


def _leftovers():
    me = os.getpid()
    return [(pid, ppid, pgrp, state) for pid, ppid, pgrp, state in harness.processes()
            if state != "Z" and (ppid == me or pgrp in harness.STARTED_GROUPS) and pid != me]


# How long processes a test started may take to exit after it, in seconds.
SETTLE = 5.0


@pytest.fixture(autouse=True)
def no_process_left_behind():
    """Fails a test that leaves a child, a worker or anything a worker started, still running."""
    before = {p[0] for p in _leftovers()}
    yield
    left = [p for p in _leftovers() if p[0] not in before]
    if left:
        # Exits are asynchronous (a reaper finishing its group kill, say): give them a moment.
        harness.wait_until_gone([p[0] for p in left], SETTLE)
        left = [p for p in _leftovers() if p[0] not in before]
    for pid, _, _, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)  # only processes this test run started, or their children
        except OSError:
            pass
    assert not left, "test left processes behind (pid, ppid, pgrp, state): %r" % left


@pytest.fixture(params=["numpy", "memoryview"])
def backend(request):
    """Arrays decode as numpy arrays or, without numpy, as memoryviews (snakepit/arrays.py): a test
    that takes this fixture runs under both."""
    from snakepit import arrays
    if request.param == "numpy":
        pytest.importorskip("numpy")
    arrays.use(request.param)
    yield request.param
    arrays.use(None)


@pytest.fixture
def jvm_factory():
    """Makes fake JVMs with running workers, and ends every one of them after the test."""
    made = []

    def make(*args, **kwargs):
        jvm = harness.FakeJvm(*args, **kwargs)
        made.append(jvm)
        return jvm

    yield make
    for jvm in made:
        jvm.close()


@pytest.fixture
def jvm(jvm_factory):
    """A demo worker, started and past the handshake."""
    made = jvm_factory()
    made.start()
    return made


def pytest_sessionfinish(session, exitstatus):
    """Fails the run if a test left a non-daemon thread running: it would keep pytest from exiting."""
    left = [t.name for t in threading.enumerate()
            if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if left:
        sys.stderr.write("tests left non-daemon threads running, which would block the exit: %s\n" % ", ".join(left))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
