"""Resource limits (snakepit/limits.py): the worker joins the cgroups the JVM made for it or caps its
own address space, and refuses to run without them."""
import os
import subprocess
import sys

import pytest

import harness
from snakepit import limits


def test_the_worker_writes_its_pid_into_each_cgroup_and_the_variable_is_gone(tmp_path, monkeypatch):
    memory, cpu = tmp_path / "memory.procs", tmp_path / "cpu.procs"
    memory.write_text("")
    cpu.write_text("")
    monkeypatch.setenv("SNAKEPIT_CGROUP_PROCS", "%s:%s" % (memory, cpu))
    monkeypatch.delenv("SNAKEPIT_RLIMIT_AS", raising=False)

    limits.apply_limits()

    assert memory.read_text() == cpu.read_text() == str(os.getpid())
    assert "SNAKEPIT_CGROUP_PROCS" not in os.environ


def test_a_cgroup_that_cannot_be_joined_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SNAKEPIT_CGROUP_PROCS", str(tmp_path / "missing" / "cgroup.procs"))

    with pytest.raises(OSError):
        limits.apply_limits()


def test_without_limits_nothing_changes(monkeypatch):
    monkeypatch.delenv("SNAKEPIT_CGROUP_PROCS", raising=False)
    monkeypatch.delenv("SNAKEPIT_RLIMIT_AS", raising=False)

    limits.apply_limits()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is checked on Linux")
def test_the_address_space_cap_is_set_on_the_process_itself():
    # A process of its own: the cap cannot be lifted again.
    code = ("import os, resource\n"
            "from snakepit import limits\n"
            "limits.apply_limits()\n"
            "print(resource.getrlimit(resource.RLIMIT_AS), 'SNAKEPIT_RLIMIT_AS' in os.environ)\n")
    env = dict(os.environ, PYTHONPATH=harness.PYTHON_DIR, SNAKEPIT_RLIMIT_AS=str(8 << 30))
    env.pop("SNAKEPIT_CGROUP_PROCS", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["(%d," % (8 << 30), "%d)" % (8 << 30), "False"]


def test_a_cap_that_is_not_a_number_is_an_error(monkeypatch):
    monkeypatch.delenv("SNAKEPIT_CGROUP_PROCS", raising=False)
    monkeypatch.setenv("SNAKEPIT_RLIMIT_AS", "lots")

    with pytest.raises(ValueError):
        limits.apply_limits()
