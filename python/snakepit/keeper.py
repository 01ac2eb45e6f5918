"""The keeper: the process the JVM starts, which owns the worker's whole process tree.

``python -m snakepit`` forks right after taking its standard streams, while it has one thread. The
child is the worker: it imports the adapter and serves. The parent is the keeper: it runs no user code
and only waits. It is a child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``), so every process the worker
starts that loses its parent, a daemon's double fork and a ``setsid`` child included, is re-parented to
the keeper instead of to init, and stays inside the tree the keeper kills.

The keeper kills every descendant it has, and then exits, when

- the worker exits, for whatever reason: it then exits with the worker's status (128 + N for a worker
  killed by signal N, the value Java reports for a signal), so the JVM reads the worker's own ending;
- its lifeline (stdin, held open by the JVM alone) hangs up: the JVM is gone, even by ``kill -9``;
- its parent-death signal (SIGHUP) arrives and its parent is no longer the JVM.

Then it removes the worker's files from the pool's shared-memory directory (shm.py), and the whole
directory when the JVM is gone, so that no file outlives a crash of either.

SIGINT, SIGTERM, SIGUSR1 and SIGUSR2 sent to the keeper are passed on to the worker, so a signal sent
to the pid the JVM started reaches the process it was meant for. The keeper reaps every child it is
given, so orphans that end while the worker serves leave no zombie behind.
"""
import os
import select
import signal
import time
from typing import Any, Dict, Iterable, List, Optional, Tuple

from . import shm
from .exits import EXIT_KEEPER_FAILED, EXIT_OK, EXIT_START_FAILED, write_stderr
from .guard import arm_parent_death_signal, libc

_PR_SET_CHILD_SUBREAPER = 36
# Signals the keeper passes on to the worker.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2)
# A kill round finds every process alive at its scan; one forked after the scan is found by the next.
_MAX_ROUNDS = 100
# How long, after its lifeline hung up, the keeper waits for the kernel to re-parent it (the sign that
# the JVM is gone, not merely closing the pipe) before it removes the pool's shared-memory directory.
_REPARENT_WAIT = 2.0


def split(lifeline: int, jvm_pid: Optional[int]) -> int:
    """Makes this process the keeper and forks the worker; returns, in the worker only, the keeper's pid.

    Call while the process has one thread: fork copies only the calling thread. Off Linux (no
    subreaper), the keeper still kills the worker's tree as far as it can see it.
    """
    set_child_subreaper()
    wake_read, wake_write = os.pipe()
    worker = []  # type: List[int]
    # The keeper's handlers are in place before anything can signal it, and the worker puts the
    # previous ones back: a SIGTERM or the parent-death signal must never end the keeper by default.
    previous = _install_handlers(wake_write, worker)
    # SIGHUP only wakes the keeper, which then sees that its parent changed; a default SIGKILL would
    # end the tree's owner before it could end the tree.
    arm_parent_death_signal(jvm_pid, signal.SIGHUP)
    keeper = os.getpid()
    try:
        pid = os.fork()
    except OSError as err:
        write_stderr("snakepit: cannot fork the worker: %s; exiting\n" % err)
        os._exit(EXIT_START_FAILED)
    if pid == 0:
        signal.set_wakeup_fd(-1)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        os.close(wake_read)
        os.close(wake_write)
        return keeper
    worker.append(pid)
    try:
        status = _keep(worker, lifeline, jvm_pid, wake_read, wake_write)
    except BaseException as err:  # a bug here must still end the tree, never leave it unowned
        write_stderr("snakepit: keeper failed: %r; killing the worker's processes\n" % (err,))
        kill_descendants(keeper)
        status = EXIT_KEEPER_FAILED
    os._exit(status)


def _install_handlers(wake_write: int, worker: List[int]) -> Dict[int, Any]:
    """Sets the keeper's signal dispositions; returns the previous ones."""
    os.set_blocking(wake_write, False)
    previous = {}  # type: Dict[int, Any]

    def forward(signum: int, frame: object) -> None:
        for pid in worker:
            try:
                os.kill(pid, signum)
            except OSError:
                pass

    def nothing(signum: int, frame: object) -> None:
        pass  # the wake-up descriptor does the work

    dispositions = [(signal.SIGCHLD, nothing), (signal.SIGHUP, nothing)]
    dispositions += [(forwarded, forward) for forwarded in FORWARDED]
    dispositions += [(ignored, signal.SIG_IGN) for ignored in _signals_to_ignore()]
    for signum, handler in dispositions:
        previous[signum] = signal.signal(signum, handler)
    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    return previous


def _keep(worker: List[int], lifeline: int, jvm_pid: Optional[int], wake_read: int, wake_write: int) -> int:
    """Waits for the worker's end or the JVM's; kills what is left; returns the status to exit with.

    ``worker`` holds the worker's pid, which signals are passed on to; it is emptied once the worker
    is reaped, since its pid may then be reused."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    # Keeps only stderr (for its own last words), the lifeline and its wake-up pipe: the control
    # plane's other end belongs to the worker alone.
    _close_all_but(3, {lifeline, wake_read, wake_write})
    os.set_blocking(wake_read, False)
    poller = select.poll()
    poller.register(lifeline, 0)  # no POLLIN: frames for the worker do not wake us, a hang-up does
    poller.register(wake_read, select.POLLIN)
    status = None  # type: Optional[int]
    jvm_gone = False
    while True:
        status = _reap(worker[0])
        if status is not None:
            worker.clear()
        jvm_gone = jvm_gone or (jvm_pid is not None and os.getppid() != jvm_pid)
        if status is not None or jvm_gone:
            break
        for fd, mask in poller.poll():
            if fd == lifeline and mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                jvm_gone = True
            elif fd == wake_read:
                drain(wake_read)
    killed = kill_descendants(os.getpid())
    _remove_shared_memory(jvm_gone, jvm_pid, wake_read)
    if jvm_gone:
        return EXIT_OK
    if killed:
        write_stderr("snakepit: killed %d process(es) the worker left behind\n" % killed)
    return _exit_value(status)


def _remove_shared_memory(jvm_gone: bool, jvm_pid: Optional[int], wake_read: int) -> None:
    """Removes the worker's files from the pool's shared-memory directory, or the whole directory
    when the JVM is gone: nobody else is left to."""
    directory = os.environ.get("SNAKEPIT_SHM_DIR")
    if not directory:
        return
    if jvm_gone and _parent_left(jvm_pid, wake_read):
        shm.remove_directory(directory)
    else:
        shm.remove_files(directory, (os.environ.get("SNAKEPIT_WORKER_ID") or "w0") + "-")


def _parent_left(jvm_pid: Optional[int], wake_read: int) -> bool:
    """Whether the keeper's parent is no longer the JVM. The lifeline hangs up as the dying JVM closes
    its descriptors, a moment before the kernel re-parents its children (and sends the parent-death
    signal, which wakes ``wake_read``), so this waits for that, at most _REPARENT_WAIT seconds."""
    if jvm_pid is None:
        return False
    deadline = time.monotonic() + _REPARENT_WAIT
    poller = select.poll()
    poller.register(wake_read, select.POLLIN)
    while os.getppid() == jvm_pid:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        # Woken by the signal; the short slices cover a re-parenting whose signal went elsewhere.
        if poller.poll(min(left, 0.02) * 1000):
            drain(wake_read)
    return True


def _reap(worker: int) -> Optional[int]:
    """Reaps every child that has ended; returns the worker's wait status if it is among them."""
    status = None
    while True:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return status
        if pid == 0:
            return status
        if pid == worker:
            status = wait_status


def kill_descendants(root: int) -> int:
    """SIGKILLs every live descendant of ``root`` (this process), round after round, until none is left;
    reaps them; returns how many processes it signalled.

    ``root`` is a subreaper: the children of a killed process are re-parented to it, so each round
    finds what the previous one left, and the tree is empty when ``root`` has no child left.
    """
    signalled = set()
    for _ in range(_MAX_ROUNDS):
        living = descendants(root)
        for pid in living:
            try:
                os.kill(pid, signal.SIGKILL)
                signalled.add(pid)
            except OSError:
                pass
        try:
            if living:
                os.waitpid(-1, 0)  # a killed child ends at once, unless in an uninterruptible wait
            while os.waitpid(-1, os.WNOHANG)[0] != 0:
                pass
        except ChildProcessError:
            if not living:
                break
    return len(signalled)


def descendants(root: int) -> List[int]:
    """The live (not zombie) descendants of ``root``, read from /proc; empty without /proc."""
    children = {}  # parent -> [child]
    for pid, ppid, state in _processes():
        if state != "Z":
            children.setdefault(ppid, []).append(pid)
    found = []  # type: List[int]
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


def _processes() -> Iterable[Tuple[int, int, str]]:
    """(pid, parent pid, state) of every process, from /proc/<pid>/stat."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        # The command name is in parentheses and may contain anything, spaces and ')' included.
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1:
            yield int(name), int(fields[1]), fields[0].decode("ascii", "replace")


def _exit_value(wait_status: Optional[int]) -> int:
    if wait_status is None:
        return EXIT_OK
    code = os.waitstatus_to_exitcode(wait_status) if hasattr(os, "waitstatus_to_exitcode") else (
        -os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else os.WEXITSTATUS(wait_status))
    return 128 - code if code < 0 else code


def drain(fd: int) -> None:
    """Empties a non-blocking wake-up pipe, so that the next poll waits for a new wake-up."""
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _signals_to_ignore() -> List[int]:
    """Signals whose default action would end the keeper, and with it the tree's owner, though nothing
    is wrong: the real-time ones (the worker cancels with SIGRTMIN), alarms, terminal stops."""
    names = ("SIGALRM", "SIGVTALRM", "SIGPROF", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGPIPE", "SIGPOLL")
    ignored = [getattr(signal, name) for name in names if hasattr(signal, name)]
    if hasattr(signal, "SIGRTMIN"):
        ignored.extend(range(signal.SIGRTMIN, signal.SIGRTMAX + 1))
    return ignored


def set_child_subreaper() -> bool:
    lib = libc()
    return lib is not None and lib.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


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
