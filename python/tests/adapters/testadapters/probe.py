"""An adapter that reports on the worker's own environment, for end-to-end tests."""
import asyncio
import logging
import os
import subprocess
import sys
import time
import warnings

from snakepit import Adapter, CallCancelled, current_call, tool


class ProbeAdapter(Adapter):
    def setup(self):
        self.setup_ran = True

    def teardown(self):
        marker = os.environ.get("PROBE_TEARDOWN_MARKER")
        if marker:
            with open(marker, "w") as f:
                f.write("teardown ran")

    @tool
    def parent_death_signal(self):
        """The parent-death signal armed for the worker (0 for none)."""
        from snakepit import guard
        return guard.parent_death_signal()

    @tool
    def children(self):
        """The pids of the worker's own child processes."""
        with open("/proc/self/task/%d/children" % os.getpid()) as f:
            return [int(pid) for pid in f.read().split()]

    @tool
    def spawn_sleeper(self, seconds: float):
        """Starts a child process that sleeps for the given seconds; returns its pid."""
        child = subprocess.Popen([sys.executable, "-c", "import time, sys; time.sleep(float(sys.argv[1]))",
                                  str(seconds)])
        _children.append(child)
        return child.pid

    @tool
    def start_process_pool(self, processes: int):
        """Starts a multiprocessing pool (forkserver, so a server process sits between the worker and
        the pool's processes); returns the pids of every process below the worker."""
        import multiprocessing
        from snakepit import keeper
        pool = multiprocessing.get_context("forkserver").Pool(processes)
        assert pool.map(abs, range(-processes, 0)) == list(range(processes, 0, -1))
        _pools.append(pool)
        return keeper.descendants(os.getpid())

    @tool
    def exit_now(self, code: int):
        """Ends the worker with os._exit(code), skipping everything."""
        os._exit(code)

    @tool
    def exit_by_signal(self, signum: int):
        """Sends the worker the given signal, whose default action ends it."""
        os.kill(os.getpid(), signum)

    @tool
    def hold_gil(self, seconds: int):
        """Sleeps inside C without releasing the GIL: the worker is wedged meanwhile. Says so on
        stderr first."""
        import ctypes
        os.write(2, b"holding the GIL\n")
        ctypes.PyDLL(None).sleep(seconds)
        return "released"

    @tool
    def token(self):
        """The token as the worker's environment shows it (it must be gone)."""
        return os.environ.get("SNAKEPIT_TOKEN")

    @tool
    def read_stdin(self):
        """What user code reads from stdin (it must be /dev/null)."""
        return sys.stdin.read()

    @tool
    def write_fd1(self, text: str):
        """Writes to fd 1 directly, as a C extension would."""
        os.write(1, text.encode())

    @tool
    def child_prints(self, text: str):
        """A child process writing to its stdout, which it inherited from the worker."""
        subprocess.run([sys.executable, "-c", "import sys; print(sys.argv[1])", text], check=True)

    @tool
    def type_error_inside(self, x: int):
        """Raises a TypeError from inside the tool (not an argument mismatch)."""
        return x + "text"

    @tool
    def swallow_cancel(self, seconds: float):
        """Catches CallCancelled and returns normally."""
        logging.getLogger("probe").warning("swallow_cancel started")
        try:
            # The loop is in a helper: CPython may deliver an async exception at a loop's backward
            # jump outside the try of that same frame (python/cpython#108214, seen on 3.13.0).
            _spin(seconds)
        except CallCancelled:
            return "swallowed"
        return "finished"

    @tool
    def absorb_interrupts(self, seconds: float):
        """Sleeps in short steps for the given seconds, catching KeyboardInterrupt; returns how many
        it caught."""
        logging.getLogger("probe").warning("absorbing")
        caught = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                time.sleep(0.01)
            except KeyboardInterrupt:
                caught += 1
                logging.getLogger("probe").warning("caught KeyboardInterrupt")
        return caught

    @tool
    def sleep_logged(self, seconds: float):
        """Logs, then sleeps in C."""
        logging.getLogger("probe").warning("sleeping")
        time.sleep(seconds)
        return seconds

    @tool
    def call_info(self):
        info = current_call()
        return {"request_id": info.request_id, "tool": info.tool,
                "remaining": info.remaining()}

    @tool
    async def async_add(self, a: int, b: int):
        """An async tool."""
        await asyncio.sleep(0)
        return a + b

    @tool
    async def async_sleep_logged(self, seconds: float):
        """An async tool that waits; cancelling it must leave the event loop usable."""
        logging.getLogger("probe").warning("async sleeping")
        await asyncio.sleep(seconds)
        return seconds

    @tool
    def log_error(self):
        try:
            raise RuntimeError("logged failure")
        except RuntimeError:
            logging.getLogger("probe.errors").exception("something failed")

    @tool
    def warn(self):
        warnings.warn("deprecated thing", UserWarning)

    @tool
    def debug_log(self):
        logging.getLogger("probe").debug("a debug record")
        logging.getLogger("probe").info("an info record")


def _spin(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


_pools = []
_children = []  # kept so that children that end while the worker lives are reaped
