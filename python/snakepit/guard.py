"""Guards against orphans: a worker, and whatever it starts, must never outlive the JVM.

The lifeline (stdin end of file, control.py) is the first guard. This module adds two more, set up
before any thread or user code exists:

- the parent-death signal: Linux sends the worker SIGKILL when the JVM thread that started it ends,
  which happens even when the JVM dies by SIGKILL and even when the worker is wedged in C code that
  holds the GIL (no Python code has to run). A JVM that died before the signal was armed is caught
  by comparing getppid() with the pid the JVM gave in SNAKEPIT_JVM_PID;
- the reaper: a small forked process in the worker's process group that waits, without reading it,
  for the lifeline to hang up, then kills the whole group. The worker itself may be dead or wedged by
  then; the processes it started (which stay in its group unless they leave it on purpose) die all
  the same. The JVM kills the group, reaper included, whenever a worker ends while it is alive.
"""
import faulthandler
import os
import select
import signal
import sys
from typing import Optional

from .control import write_stderr

_PR_SET_PDEATHSIG = 1
_PR_GET_PDEATHSIG = 2
# How long the reaper lets the worker end itself after the lifeline hangs up, in seconds.
REAPER_PATIENCE = 0.2


def apply_limits() -> None:
    """Joins the cgroups the JVM made for this worker (SNAKEPIT_CGROUP_PROCS, paths of cgroup.procs
    files joined by ':') or caps its own address space (SNAKEPIT_RLIMIT_AS, bytes). Runs before the
    worker starts anything, so every process it starts is capped with it. Raises OSError when a limit
    cannot be applied: a worker must not run without the caps it was started with."""
    procs = os.environ.pop("SNAKEPIT_CGROUP_PROCS", "")
    for path in filter(None, procs.split(":")):
        with open(path, "w") as f:
            f.write(str(os.getpid()))
    limit = os.environ.pop("SNAKEPIT_RLIMIT_AS", "")
    if limit:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))


def arm_parent_death_signal(expected_parent: Optional[int]) -> bool:
    """Asks the kernel for SIGKILL when the parent goes away; exits at once if it is gone already.

    Returns whether the signal is armed (False off Linux, or without ctypes).
    """
    libc = _libc()
    if libc is None:
        return False
    if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        return False
    # The JVM may have died between starting us and the prctl above; then no signal will come.
    if expected_parent is not None and os.getppid() != expected_parent:
        write_stderr("snakepit: the JVM (pid %d) is gone before the worker started; exiting\n" % expected_parent)
        os._exit(0)
    return True


def parent_death_signal() -> int:
    """The parent-death signal armed for this process (0 for none, -1 if it cannot be known)."""
    libc = _libc()
    if libc is None:
        return -1
    import ctypes
    value = ctypes.c_int(0)
    if libc.prctl(_PR_GET_PDEATHSIG, ctypes.byref(value), 0, 0, 0) != 0:
        return -1
    return value.value


# The signal on which the worker writes every thread's Python stack to stderr (see enable_stack_dumps).
DUMP_SIGNAL = signal.SIGUSR2


def enable_stack_dumps() -> None:
    """Writes Python stacks to stderr when the interpreter crashes (SIGSEGV, SIGABRT ...) and, for all
    threads, on DUMP_SIGNAL: the JVM sends it before it kills a hung or wedged worker, so the error and
    the log show where the worker was. Both work without the GIL, from C."""
    faulthandler.enable(all_threads=True)
    if hasattr(faulthandler, "register") and hasattr(signal, "SIGUSR2"):
        faulthandler.register(DUMP_SIGNAL, all_threads=True)


def start_reaper(lifeline: int) -> Optional[int]:
    """Forks the reaper, which kills this process group once ``lifeline`` hangs up; returns its pid.

    Call while the process has one thread only: fork copies only the calling thread.
    """
    if not hasattr(os, "fork") or not hasattr(select, "poll"):
        return None
    worker = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    # The reaper: holds nothing but the lifeline, so no pipe or socket stays open on its account.
    try:
        group = os.getpgrp()
        worker_exit = _exit_watch(worker)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        _close_all_but(3, {lifeline, worker_exit})
        for caught in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(caught, signal.SIG_IGN)
        poller = select.poll()
        poller.register(lifeline, 0)  # no POLLIN: data for the worker does not wake us, hang-up does
        while True:
            events = poller.poll()
            if any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, mask in events):
                break
        if worker_exit is not None:
            # A healthy worker ends itself at once on the lifeline's end of file (exit status 0);
            # give it that chance, then kill whatever is left, the worker too if it is wedged.
            select.select([worker_exit], [], [], REAPER_PATIENCE)
        os.killpg(group, signal.SIGKILL)
    finally:
        os._exit(0)


def _exit_watch(pid: int) -> Optional[int]:
    """A descriptor that becomes readable when ``pid`` exits (Linux 5.3 and later), else None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _close_all_but(low: int, keep) -> None:
    """Closes every descriptor from ``low`` up, except those in ``keep``."""
    start = low
    for fd in sorted(fd for fd in keep if fd is not None and fd >= low):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, _max_fd())


def _max_fd() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (AttributeError, ValueError, OSError):
        return 1024


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True)
    except (ImportError, OSError):
        return None
