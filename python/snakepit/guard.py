"""The worker's guards that need no Python code to act: the parent-death signal and the stack dumps.

The lifeline (stdin end of file, control.py) is the first guard against orphans, and the keeper
(keeper.py), the process the JVM started and the worker's parent, owns the worker's whole tree. This
module adds what the kernel and the interpreter do for the worker even when it is wedged in C code that
holds the GIL, set up before any user code exists:

- the parent-death signal: the kernel sends the worker SIGKILL when its keeper ends (the keeper arms
  one of its own, SIGHUP, for the JVM's end). A keeper that died before the signal was armed is caught
  by comparing getppid() with the keeper's pid;
- the stack dumps of faulthandler, on a native crash and on the JVM's dump signal.

The resource limits the JVM asks for are limits.py's.
"""
import faulthandler
import os
import signal
import sys
from typing import Optional

from .exits import EXIT_OK, write_stderr

_PR_SET_PDEATHSIG = 1
_PR_GET_PDEATHSIG = 2


def arm_parent_death_signal(expected_parent: Optional[int], signum: int = signal.SIGKILL,
                            parent_name: str = "the JVM") -> bool:
    """Asks the kernel for ``signum`` when the parent goes away; exits at once if it is gone already.

    Returns whether the signal is armed (False off Linux, or without ctypes).
    """
    lib = libc()
    if lib is None or lib.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) != 0:
        return False
    # The parent may have died between starting us and the prctl above; then no signal will come.
    if expected_parent is not None and os.getppid() != expected_parent:
        write_stderr("snakepit: %s (pid %d) is gone before the worker started; exiting\n" % (parent_name, expected_parent))
        os._exit(EXIT_OK)
    return True


def parent_death_signal() -> int:
    """The parent-death signal armed for this process (0 for none, -1 if it cannot be known)."""
    lib = libc()
    if lib is None:
        return -1
    import ctypes
    value = ctypes.c_int(0)
    if lib.prctl(_PR_GET_PDEATHSIG, ctypes.byref(value), 0, 0, 0) != 0:
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


def libc():
    """The C library, for prctl; None off Linux or without ctypes."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True)
    except (ImportError, OSError):
        return None
