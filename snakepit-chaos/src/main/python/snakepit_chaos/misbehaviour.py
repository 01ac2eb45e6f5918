"""The misbehaviours themselves, shared by the per-call tools and by ``work`` in its chaos modes.

Each runs on the worker's main thread, inside a call. The one-shot ones (crash, exit_with, segfault,
hang, garbage) never return; they first write one line starting with ``chaos:`` straight to fd 2, so
the stderr tail the JVM attaches to the worker's error says what was done on purpose.
"""
import ctypes
import errno
import logging
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from typing import List, NoReturn, Optional

from snakepit import CallCancelled

from .settings import MAX_EXIT_CODE, check_number

MIB = 1024 * 1024
GARBAGE_HEADER = b"\xff\xff\xff\xff"  # a length field above any maximum frame size (at most 2 GiB - 1)

_log = logging.getLogger("snakepit_chaos")

# Kept for the worker's life, which is the point of a leak.
_leaked = []  # type: List[bytearray]
# Kept so they are never garbage-collected: a Popen collected while its child runs warns with a
# ResourceWarning on the stderr the JVM forwards, noise that is not the misbehaviour asked for.
_grandchildren = []  # type: List[subprocess.Popen]
_libc = None  # ctypes.PyDLL of the process, made on first use; its calls keep the GIL


def announce(text: str) -> None:
    """Writes one line to fd 2 at once, bypassing sys.stderr's buffer: the process may die next."""
    os.write(2, ("chaos: %s (pid %d)\n" % (text, os.getpid())).encode())


def crash() -> NoReturn:
    announce("killing the worker with SIGKILL")
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable: a SIGKILL sent to oneself is delivered before kill() returns")


def exit_with(code: int) -> NoReturn:
    check_number("code", code, int, 0, MAX_EXIT_CODE)
    announce("exiting with status %d" % code)
    os._exit(code)


def segfault() -> NoReturn:
    announce("reading address 0 (SIGSEGV)")
    # faulthandler, which the runtime enabled, prints every thread's stack and then lets the signal
    # kill the process as it would have without it.
    ctypes.string_at(0)
    # Only if page 0 is mapped (vm.mmap_min_addr=0 and someone mapped it): die the same way regardless.
    os.kill(os.getpid(), signal.SIGSEGV)
    raise AssertionError("unreachable: SIGSEGV kills the worker")


def hang(ignore_cancel: bool) -> NoReturn:
    """Blocks forever; lets a cancel end the call only when ``ignore_cancel`` is false."""
    block("hanging; %s" % ("ignoring cancellation" if ignore_cancel else "a cancel ends the call"),
          ignore_cancel)


def block(announcement: str, ignore_cancel: bool) -> NoReturn:
    """Announces, then sleeps forever; a cancel ends it (CallCancelled propagates) unless ignored."""
    try:
        # Announcing inside the try: a test (or a JVM) that cancels on seeing the announcement
        # cannot land its cancel before the try. The loop is in a helper: CPython may deliver an
        # async exception at a loop's backward jump, outside a try of the same frame
        # (python/cpython#108214).
        _announce_and_sleep(announcement)
    except CallCancelled:
        if not ignore_cancel:
            raise
        announce("cancel ignored, still blocking")
    # The runtime raises at most one CallCancelled per call (cancel.py), so nothing ends this sleep;
    # the wake-up signals it keeps sending while the call lasts only make time.sleep resume.
    _sleep_forever()


def _announce_and_sleep(announcement: str) -> NoReturn:
    announce(announcement)
    # Also a LOG frame: it reaches the JVM's log and tells a test that the call is now blocked.
    _log.warning("chaos: %s", announcement)
    _sleep_forever()


def _sleep_forever() -> NoReturn:
    while True:
        time.sleep(3600)


def leak(mb: int) -> int:
    """Keeps ``mb`` more MiB for the worker's life; returns the MiB leaked so far."""
    check_number("mb", mb, int, 0)
    # Filling with a non-zero byte writes every page, so they all count in RSS whatever the
    # allocator does; bytes(n) comes from calloc and stays on the shared zero page until written.
    _leaked.append(bytearray(b"\x01") * (mb * MIB))
    return sum(len(kept) for kept in _leaked) // MIB


def resident_bytes() -> int:
    """The worker's resident set size in bytes, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def slow(step: float, calls: int) -> float:
    """Sleeps ``calls * step`` seconds and returns that; a cancel interrupts the sleep."""
    check_number("step", step, float, 0)
    seconds = calls * step
    time.sleep(seconds)
    return seconds


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def hold_gil(seconds: float) -> str:
    """Sleeps in C for ``seconds`` without releasing the GIL, as a stuck C extension would: no other
    thread of the worker runs meanwhile, the heartbeat and the control reader included, so a CANCEL
    is only seen afterwards."""
    global _libc
    check_number("seconds", seconds, float, 0)
    if _libc is None:
        _libc = ctypes.PyDLL(None, use_errno=True)
    whole = int(seconds)
    request = _Timespec(whole, int((seconds - whole) * 1e9))
    remaining = _Timespec()
    # A signal (the JVM's stack-dump request) cuts nanosleep short; a stuck call stays stuck, so
    # it sleeps again for what is left.
    while _libc.nanosleep(ctypes.byref(request), ctypes.byref(remaining)) != 0:
        err = ctypes.get_errno()
        if err != errno.EINTR:
            raise OSError(err, os.strerror(err))
        request, remaining = remaining, request
    return "released"


def garbage(nbytes: int, data_socket: Optional[str]) -> NoReturn:
    """Writes ``nbytes`` that are no frame onto the data socket, then blocks until killed."""
    check_number("nbytes", nbytes, int, len(GARBAGE_HEADER))
    fd = find_data_socket(data_socket)
    announce("writing %d bytes of garbage onto the data socket (fd %d)" % (nbytes, fd))
    filler = b"chaos!" * (nbytes // 6 + 1)
    payload = GARBAGE_HEADER + filler[:nbytes - len(GARBAGE_HEADER)]
    # An answer after the garbage would mean nothing: the JVM can no longer find frame boundaries. So
    # a cancel is ignored wherever it lands, also between the write and the block's own try. One that
    # lands before the write (a cancel in the first instants of the call) leaves the data plane clean,
    # since whether the bytes went out cannot be told then; the call blocks all the same.
    try:
        # A socket object of our own on a duplicate: closing it leaves the runtime's descriptor open.
        # Its timeout is left alone, since setting one would make the shared descriptor non-blocking.
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.sendall(payload)
        block("garbage written; waiting to be killed", ignore_cancel=True)
    except CallCancelled:
        announce("cancel ignored, still blocking")
        _sleep_forever()


def find_data_socket(expected_peer: Optional[str]) -> int:
    """The descriptor of the data socket: the connected Unix stream socket whose peer is bound to
    ``expected_peer`` (the JVM's SNAKEPIT_SOCKET).

    The runtime gives user code no handle on it, so it is found in /proc/self/fd. Matching the peer's
    path tells it apart from sockets the adapter or a library opened. When no path was given or none
    matches (a JVM that bound another spelling of the path), it falls back to the one connected Unix
    stream socket with a named peer, and fails rather than guess among several.
    """
    candidates = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            with socket.socket(fileno=os.dup(fd)) as sock:
                if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_STREAM:
                    continue
                peer = sock.getpeername()
        except OSError:
            continue  # closed meanwhile (listdir's own descriptor), or not connected
        if peer:
            candidates.append((fd, peer))
    matching = [fd for fd, peer in candidates if expected_peer and peer == expected_peer]
    if len(matching) == 1:
        return matching[0]
    if not matching and len(candidates) == 1:
        return candidates[0][0]
    raise RuntimeError("cannot tell the data socket (peer %r) among the connected Unix sockets %r"
                       % (expected_peer, candidates))


def flood_stdout(mb: int) -> int:
    """Writes ``mb`` MiB of 1 KiB text lines to fd 1, as a chatty C library would; returns the bytes
    written. The runtime points fd 1 at stderr, which the JVM reads line by line."""
    check_number("mb", mb, int, 0)
    line = b"chaos: flood " + b"." * 1010 + b"\n"
    chunk = memoryview(line * 64)
    total = mb * MIB
    written = 0
    while written < total:
        written += os.write(1, chunk[:total - written])
    return written


def spawn_grandchildren(count: int) -> List[int]:
    """Starts ``count`` Python processes that sleep for an hour, in the worker's process group (where
    the JVM's group kill finds them, besides the keeper); returns their pids."""
    check_number("count", count, int, 0)
    started = []
    for _ in range(count):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        _grandchildren.append(child)
        started.append(child.pid)
    return started
