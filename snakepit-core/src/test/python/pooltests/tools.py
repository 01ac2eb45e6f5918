"""The integration tests' main adapter: the demo's tools plus tools that misbehave on purpose.

Misbehaving toward the protocol needs the worker's private descriptors, which user code is never
given: they are found in /proc/self/fd (Linux), as a buggy C extension might stumble on them.
"""
import array
import asyncio
import ctypes
import fcntl
import os
import socket
import struct
import sys
import termios
import threading
import time
from typing import Any, List, Optional

from snakepit import CallCancelled, current_call, keeper, tool, trace_context
from snakepit.examples.demo import DemoAdapter


class ModelError(Exception):
    """An exception type defined outside builtins."""


class PoolTestAdapter(DemoAdapter):
    def teardown(self) -> None:
        """Appends "<worker id> <pid>" to $POOLTESTS_TEARDOWN_MARKER, proving teardown() ran."""
        path = os.environ.get("POOLTESTS_TEARDOWN_MARKER")
        if path:
            with open(path, "a") as f:
                f.write("%s %d\n" % (os.environ.get("SNAKEPIT_WORKER_ID"), os.getpid()))

    @tool
    def ignore_cancel(self, seconds: float) -> str:
        """Busy-waits for the given seconds, swallowing every CallCancelled: overruns any cancel."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                _spin_until(deadline)
                return "finished"
            except CallCancelled:
                pass

    @tool(concurrency=8)
    async def slow_async(self, seconds: float, value: Any) -> Any:
        """Awaits asyncio.sleep(seconds), then returns value; a worker runs up to 8 calls at once."""
        await asyncio.sleep(seconds)
        return value

    @tool(concurrency=4)
    def slow_thread(self, seconds: float, value: Any) -> Any:
        """Sleeps for the given seconds on one of its 4 threads, then returns value."""
        time.sleep(seconds)
        return value

    @tool(concurrency=8)
    async def overlap_async(self, key: str, parties: int, timeout: float) -> int:
        """Waits until ``parties`` calls with ``key`` run at once on this worker; returns the most it saw
        running at once. Raises TimeoutError, saying how many it saw, after ``timeout`` seconds."""
        overlap = _overlaps.setdefault(key, [0, 0, asyncio.Event()])  # running, most at once, all there
        overlap[0] += 1
        overlap[1] = max(overlap[1], overlap[0])
        if overlap[0] >= parties:
            overlap[2].set()
        try:
            await asyncio.wait_for(overlap[2].wait(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError("%d of %d calls with key %r ran at once within %s s"
                               % (overlap[1], parties, key, timeout)) from None
        finally:
            overlap[0] -= 1
            if overlap[0] == 0:
                del _overlaps[key]
        return overlap[1]

    @tool(concurrency=4)
    def overlap_thread(self, key: str, parties: int, timeout: float) -> int:
        """Waits on one of its 4 threads until ``parties`` calls with ``key`` run at once; returns
        ``parties``. Raises TimeoutError after ``timeout`` seconds."""
        with _barriers_lock:
            barrier = _barriers.setdefault(key, threading.Barrier(parties))
        try:
            barrier.wait(timeout)
        except threading.BrokenBarrierError:
            raise TimeoutError("fewer than %d calls with key %r ran at once within %s s"
                               % (parties, key, timeout)) from None
        finally:
            with _barriers_lock:
                _barriers.pop(key, None)
        return parties

    @tool(concurrency=8)
    async def hang_on_async(self, pid: int) -> int:
        """Awaits for ever in the process ``pid``; in any other returns at once with its own pid."""
        if os.getpid() == pid:
            await asyncio.Event().wait()
        return os.getpid()

    @tool(concurrency=8)
    async def whoami_async(self) -> int:
        """The request id of this call, as current_call() tells it inside a concurrent call."""
        return current_call().request_id

    @tool(concurrency=8)
    async def hang_async(self) -> None:
        """Awaits for ever: ends only when cancelled (or at its deadline, by a cancel)."""
        await asyncio.Event().wait()

    @tool
    def traced(self) -> dict:
        """The call's W3C trace context, and OpenTelemetry's current span ids (hex) when its API is installed."""
        result: dict = {"headers": trace_context(), "otel": None}
        try:
            from opentelemetry import trace
        except ImportError:
            return result
        span = trace.get_current_span().get_span_context()
        result["otel"] = {"trace_id": "%032x" % span.trace_id, "span_id": "%016x" % span.span_id} if span.is_valid else {}
        return result

    @tool
    def whoami(self) -> List[Any]:
        """The worker's id and process id, as the JVM knows them: [SNAKEPIT_WORKER_ID, pid]."""
        return [os.environ.get("SNAKEPIT_WORKER_ID"), os.getpid()]

    @tool
    def nap_whoami(self, seconds: float) -> List[Any]:
        """Sleeps, then returns whoami(): which worker ran an item of a batch that takes a while."""
        time.sleep(seconds)
        return self.whoami()

    @tool
    def crash_once(self, marker: str) -> List[Any]:
        """Ends its worker at once (exit status 3) the first time, creating the file marker; afterwards
        returns whoami(). An idempotent call of it succeeds on its second attempt."""
        try:
            open(marker, "x").close()
        except FileExistsError:
            return self.whoami()
        os._exit(3)

    @tool
    def start_process_pool(self, processes: int) -> List[int]:
        """Starts a multiprocessing pool (forkserver: a server process sits between the worker and the
        pool's processes) and keeps it; returns the pids of every process below the worker."""
        import multiprocessing
        pool = multiprocessing.get_context("forkserver").Pool(processes)
        assert pool.map(abs, range(-processes, 0)) == list(range(processes, 0, -1))
        _pools.append(pool)
        return keeper.descendants(os.getpid())

    @tool
    def die_noisily(self, message: str, code: int) -> None:
        """Writes message to stderr, then exits at once with the given status."""
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
        os._exit(code)

    @tool
    def raise_in_handler(self) -> None:
        """Raises RuntimeError while handling a ZeroDivisionError: a context chain, no cause."""
        try:
            1 / 0
        except ZeroDivisionError:
            raise RuntimeError("failed while handling")

    @tool
    def raise_custom(self, message: str) -> None:
        raise ModelError(message)

    @tool
    def raise_group(self) -> None:
        """Raises ExceptionGroup("batch", [ValueError("a"), ExceptionGroup("inner", [KeyError("k")])]);
        the ValueError is raised and caught first, so it has frames of its own. Python 3.11 and later."""
        failures = []
        try:
            _check("a")
        except ValueError as err:
            failures.append(err)
        raise ExceptionGroup("batch", failures + [ExceptionGroup("inner", [KeyError("k")])])

    @tool
    def python_version(self) -> List[int]:
        """The worker's Python version, [major, minor]."""
        return list(sys.version_info[:2])

    @tool
    def raise_huge(self, n: int) -> None:
        """Raises a ValueError whose message is n characters long."""
        raise ValueError("x" * n)

    @tool
    def type_error_inside(self, x: int) -> int:
        """A TypeError raised by the tool's own code, not by a call that does not fit."""
        return x + "text"

    @tool
    def write_fd1(self, text: str) -> None:
        """Writes to fd 1 directly, as a C extension would."""
        os.write(1, text.encode())

    @tool
    def corrupt_data_plane(self, length: int, kind: int) -> str:
        """Writes a frame header with the given length field and kind onto the data socket, then
        returns normally: the JVM reads the bad frame before the RESULT that follows."""
        fds = _data_socket()
        os.write(fds[0], _frame_header(length, kind))
        return "written"

    @tool
    def segfault(self) -> None:
        """Crashes the interpreter with a segmentation fault, as a broken C extension would."""
        ctypes.string_at(0)

    @tool
    def hoard(self, mib: int) -> int:
        """Keeps mib MiB more memory for the worker's life, as a leak would; returns the MiB kept."""
        block = bytearray(mib * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1  # touch every page, so it is resident
        _hoard.append(block)
        return sum(len(b) for b in _hoard) // (1024 * 1024)

    @tool
    def hold_gil(self, seconds: int) -> str:
        """Sleeps inside C without releasing the GIL, as a wedged C extension would: no other Python
        thread of the worker runs meanwhile, its heartbeat thread included. A signal (the pool's
        stack-dump request) cuts sleep(3) short; it goes straight back to sleep, as a stuck C call
        would stay stuck."""
        remaining = seconds
        while remaining > 0:
            remaining = ctypes.PyDLL(None).sleep(remaining)
        return "released"

    @tool
    def stop_reading(self) -> str:
        """Shuts the data socket for reading, then returns: the JVM's next write to this worker fails
        with a broken pipe, as it does when a worker dies between two calls."""
        fds = _data_socket()
        with socket.socket(fileno=os.dup(fds[0])) as sock:
            sock.shutdown(socket.SHUT_RD)
        return "stopped"

    @tool
    def variable(self, name: str) -> Optional[str]:
        """The worker's environment variable name, or None."""
        return os.environ.get(name)

    @tool
    def data_socket_send_buffer(self) -> List[int]:
        """The data socket's SO_SNDBUF as the kernel reports it, and net.core.wmem_max."""
        fds = _data_socket()
        with socket.socket(fileno=os.dup(fds[0])) as sock:
            size = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        with open("/proc/sys/net/core/wmem_max") as f:
            return [size, int(f.read())]

    @tool
    def nap_then_pending(self, seconds: float) -> int:
        """Sleeps, then returns how many bytes wait unread on the data socket: a call written ahead of
        its turn (pipelining) is there while this one runs."""
        time.sleep(seconds)
        fds = _data_socket()
        pending = array.array("i", [0])
        fcntl.ioctl(fds[0], termios.FIONREAD, pending)
        return pending[0]

    @tool
    def nap_then_exit(self, seconds: float, code: int) -> None:
        """Sleeps, then ends the worker at once with exit status ``code``."""
        time.sleep(seconds)
        os._exit(code)

    @tool
    def corrupt_control_plane(self, length: int, kind: int, then_sleep: float) -> str:
        """Writes a frame header onto the control plane (the JVM's end of our stdout), then sleeps."""
        fds = _planes("-control.sock")[:1]  # forked from a template, the control plane is a socket (read and written)
        if not fds:
            stderr = os.readlink("/proc/self/fd/2")
            fds = _descriptors(lambda link, flags: link.startswith("pipe:") and link != stderr
                               and flags & os.O_ACCMODE == os.O_WRONLY)
        if len(fds) != 1:
            raise RuntimeError("expected one control plane besides stderr, found %s" % fds)
        os.write(fds[0], _frame_header(length, kind))
        time.sleep(then_sleep)
        return "written"

    @tool
    def array_info(self, x: Any) -> dict:
        """What an array argument arrived as: its type, element type, shape and writability."""
        kind = "%s.%s" % (type(x).__module__, type(x).__qualname__)
        element = x.dtype.name if hasattr(x, "dtype") else x.format
        writeable = x.flags.writeable if hasattr(x, "flags") else not x.readonly
        return {"type": kind, "element": element, "shape": list(x.shape), "writeable": writeable,
                "imported_numpy": "numpy" in sys.modules}

    @tool
    def numpy_ramp(self, n: int, dtype: str) -> Any:
        """numpy.arange(n) as dtype, shaped (2, n // 2): an array made in Python."""
        import numpy
        return numpy.arange(n).astype(dtype).reshape(2, n // 2)

    @tool
    def hold(self, value: Any, seconds: float) -> int:
        """Keeps ``value`` (an array over a shared-memory mapping stays mapped) and sleeps; its size in bytes."""
        _held.append(value)
        time.sleep(seconds)
        return _nbytes(value)

    @tool
    def release_held(self) -> int:
        """Drops what hold() kept; how many values it was."""
        count = len(_held)
        _held.clear()
        return count

    @tool
    def count_bytes(self, n: int, size: int):
        """Yields ``n`` bytes values of ``size`` bytes each: a stream of large items."""
        for i in range(n):
            yield bytes([i % 256]) * size

    @tool
    def leave_shared_file(self, size: int, seconds: float) -> str:
        """Writes a file of this worker's into the pool's shared memory, as a result on its way would be,
        then sleeps: what a worker killed before it sent its frame leaves behind. Returns the name."""
        name = "%s-%d" % (os.environ["SNAKEPIT_WORKER_ID"], 10 ** 9 + len(_held))
        with open(os.path.join(os.environ["SNAKEPIT_SHM_DIR"], name), "wb") as f:
            f.write(bytes(size))
        time.sleep(seconds)
        return name

    @tool
    def mapped(self, value: Any) -> bool:
        """Whether an array arrived over a shared-memory mapping rather than over the received frame."""
        import mmap
        base = value
        while base is not None and not isinstance(base, memoryview):
            base = getattr(base, "base", None)
        return base is not None and isinstance(base.obj, mmap.mmap)

    @tool
    def arrow_table(self, rows: int) -> Any:
        """A pyarrow table of ``rows`` rows: an int64 column 0, 1, ... and a float64 column of halves."""
        return _arrow_table(rows)

    @tool
    def arrow_matches(self, table: Any, rows: int) -> bool:
        """Whether ``table`` equals arrow_table(rows)."""
        return table.equals(_arrow_table(rows))


_hoard = []  # memory kept by hoard()
_barriers = {}  # overlap_thread's barriers by key
_barriers_lock = threading.Lock()
_overlaps = {}  # overlap_async's calls by key; touched only on the event loop that runs them
_held = []  # values kept by hold()


def _nbytes(value: Any) -> int:
    return value.nbytes if hasattr(value, "nbytes") else len(value)


def _arrow_table(rows: int) -> Any:
    import pyarrow
    import pyarrow.compute  # noqa: F401  (a submodule; imported for pyarrow.compute)
    ids = pyarrow.array(range(rows), pyarrow.int64())
    return pyarrow.table({"id": ids, "half": pyarrow.compute.divide(ids.cast(pyarrow.float64()), 2.0)})


def _check(value: str) -> None:
    raise ValueError(value)


_pools = []


def _spin_until(deadline: float) -> None:
    # In a helper of its own: CPython may deliver an async exception at a loop's backward jump,
    # outside a try in the same frame.
    while time.monotonic() < deadline:
        pass


def _frame_header(length: int, kind: int) -> bytes:
    """Length field, kind, flags, reserved, request id, body length 0, no attachments (24 bytes)."""
    return struct.pack(">IBBHQII", length, kind, 0, 0, 0, 0, 0)


def _data_socket() -> List[int]:
    """The data socket's descriptor, in a list: the one socket that is not a plane of a worker forked
    from a template (whose control plane and stderr are sockets too, named after their plane)."""
    planes = _planes("-control.sock") + _planes("-stderr.sock")
    fds = [fd for fd in _descriptors(lambda link, flags: link.startswith("socket:")) if fd not in planes]
    if len(fds) != 1:
        raise RuntimeError("expected one socket, found %s" % fds)
    return fds


def _planes(suffix: str) -> List[int]:
    """The descriptors of sockets connected to a listener of the JVM whose path ends with ``suffix``."""
    found = []
    for fd in _descriptors(lambda link, flags: link.startswith("socket:")):
        try:
            with socket.socket(fileno=os.dup(fd)) as sock:
                peer = sock.getpeername()
        except OSError:
            continue
        if isinstance(peer, str) and peer.endswith(suffix):
            found.append(fd)
    return found


def _descriptors(accept) -> List[int]:
    found = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2:
            continue
        try:
            link = os.readlink("/proc/self/fd/%d" % fd)
            with open("/proc/self/fdinfo/%d" % fd) as info:
                flags = int(next(line for line in info if line.startswith("flags:")).split()[1], 8)
        except OSError:
            continue  # the descriptor listdir itself used, closed since
        if accept(link, flags):
            found.append(fd)
    return found
