"""A demo adapter exercising every path of the runtime; standard library only.

Used by the Java demo and by both test suites, so each tool is small and predictable.
"""
import logging
import os
import signal
import sys
import time
from typing import Any

from snakepit import Adapter, HostError, host, tool

log = logging.getLogger(__name__)


class DemoAdapter(Adapter):
    """Tools for trying out and testing Snakepit."""

    @tool
    def ping(self) -> None:
        """Does nothing; measures the cost of a call."""

    @tool
    def echo(self, value: Any) -> Any:
        """Returns its argument unchanged."""
        return value

    @tool
    def add(self, a: int, b: int = 2) -> int:
        """Adds two numbers."""
        return a + b

    @tool
    def words(self, text: str, seconds: float = 0.0):
        """Yields the words of ``text`` one at a time, sleeping ``seconds`` before each but the first: a
        generator tool, whose items Java reads with Snakepit.stream as they come."""
        for i, word in enumerate(text.split()):
            if i and seconds:
                time.sleep(seconds)
            yield word

    @tool
    def ask_java(self, function: str) -> str:
        """Calls the host function ``function`` the JVM registered, and says what it answered."""
        try:
            return "Java's %s says %r" % (function, host.call(function))
        except HostError as err:
            return "Java's %s failed: %s" % (function, err)

    @tool
    def count(self, n: int):
        """Yields 0 to n - 1: the smallest streamed items, to measure what an item costs."""
        yield from range(n)

    @tool
    def sleep(self, seconds: float) -> float:
        """Sleeps with time.sleep and returns the seconds slept; a cancel interrupts the sleep."""
        time.sleep(seconds)
        return seconds

    @tool
    def spin(self, seconds: float) -> float:
        """Busy-loops in Python for the given seconds, so a cancellation lands promptly."""
        log.debug("spin started for %s s", seconds)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pass
        return seconds

    @tool
    def cpu(self, n: int) -> int:
        """Counts the primes below n in pure Python (CPU-bound work)."""
        if n < 3:
            return 0
        sieve = bytearray([1]) * n
        sieve[0] = sieve[1] = 0
        for i in range(2, int(n ** 0.5) + 1):
            if sieve[i]:
                sieve[i * i::i] = bytes(len(range(i * i, n, i)))
        return sum(sieve)

    @tool
    def fail(self, message: str = "boom") -> None:
        """Raises ValueError(message), chained from a KeyError raised in a nested helper."""
        try:
            _lookup({}, "missing")
        except KeyError as err:
            raise ValueError(message) from err

    @tool
    def pid(self) -> int:
        """Returns the worker's process id."""
        return os.getpid()

    @tool
    def bytes_len(self, data: bytes) -> int:
        """Returns the length of a bytes argument."""
        return len(data)

    @tool
    def make_bytes(self, n: int) -> bytes:
        """Returns n bytes counting 0, 1, ... 255, 0, ..."""
        return bytes(range(256)) * (n // 256) + bytes(range(n % 256))

    @tool
    def big_result(self, n: int) -> bytes:
        """Returns n bytes of b"x", to try results above the maximum frame size."""
        return b"x" * n

    @tool
    def unserializable(self) -> Any:
        """Returns a value holding a set, which cannot cross the wire."""
        return {"ok": [1, {2, 3}]}

    @tool
    def print_lines(self, n: int) -> int:
        """Prints n lines to stdout (they land on stderr) and logs one warning."""
        for i in range(n):
            print("line %d" % i)
        log.warning("printed %d lines", n)
        return n

    @tool
    def crash(self, code: int = 0) -> None:
        """Ends the worker at once: os._exit(code), or SIGKILL when code is 0."""
        if code == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(code)

    @tool
    def spawn_child(self, seconds: float, detach: str = "no") -> int:
        """Starts a Python child process that sleeps for the given seconds; returns its pid.

        ``detach`` says how hard it tries to leave the worker behind: "no" (an ordinary child),
        "session" (a new session and process group, as start_new_session=True does) or "daemon" (a
        double fork with setsid, as daemons do: its parent exits at once). None of them outlives the
        worker's keeper.
        """
        import subprocess  # here, not at the top: it adds milliseconds to every worker's start
        sleep = "import time, sys; time.sleep(float(sys.argv[1]))"
        if detach == "daemon":
            # The intermediate process leaves the session, forks the sleeper, prints its pid and exits.
            # The sleeper lets go of the pipe, so that the intermediate's end of output is the pipe's.
            fork = ("import os, sys, time\nos.setsid()\npid = os.fork()\nif pid:\n"
                    "    print(pid, flush=True)\n    os._exit(0)\n"
                    "os.dup2(os.open(os.devnull, os.O_WRONLY), 1)\ntime.sleep(float(sys.argv[1]))\n")
            out = subprocess.run([sys.executable, "-c", fork, str(seconds)], stdout=subprocess.PIPE, check=True)
            return int(out.stdout)
        if detach not in ("no", "session"):
            raise ValueError("detach must be 'no', 'session' or 'daemon', not %r" % (detach,))
        child = subprocess.Popen([sys.executable, "-c", sleep, str(seconds)], start_new_session=detach == "session")
        # Kept so the child is reaped if it ends while the worker lives.
        _children.append(child)
        return child.pid


_children = []


def _lookup(table: dict, key: str) -> Any:
    return table[key]
