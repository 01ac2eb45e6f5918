"""The benchmark adapter: ``benchtools.adapter:BenchAdapter``. Standard library only.

- ``ping()``: nothing, the cost of a call;
- ``cpu(n)``: counts the primes below n in pure Python, holding the GIL, as CPU-bound work does;
- ``take(data)``: returns ``len(data)``, so that a payload crosses one way only (Java to Python);
- ``make_bytes(n)``, ``make_json(n)``: return a payload of about n bytes (Python to Java), bytes or a
  list of small records.
"""
from typing import Any, Dict, List

from snakepit import Adapter, tool

# One record of the JSON payloads: about 64 bytes once encoded.
_RECORD_BYTES = 64


def record(i: int) -> Dict[str, Any]:
    return {"id": i, "name": "item-%06d" % i, "tags": ["a", "b"], "score": 0.5}


class BenchAdapter(Adapter):
    """Tools for the benchmark harness."""

    @tool
    def ping(self) -> None:
        """Does nothing."""

    @tool
    def cpu(self, n: int) -> int:
        """Counts the primes below n with a pure-Python sieve."""
        if n < 3:
            return 0
        sieve = bytearray([1]) * n
        sieve[0] = sieve[1] = 0
        for i in range(2, int(n ** 0.5) + 1):
            if sieve[i]:
                sieve[i * i::i] = bytes(len(range(i * i, n, i)))
        return sum(sieve)

    @tool
    def take(self, data: Any) -> int:
        """Returns len(data): the payload crossed to Python, and only a number comes back."""
        return len(data)

    @tool
    def make_bytes(self, n: int) -> bytes:
        """Returns n bytes."""
        return b"\x5a" * n

    @tool
    def make_json(self, n: int) -> List[Dict[str, Any]]:
        """Returns a list of records of about n bytes once encoded."""
        return [record(i) for i in range(max(1, n // _RECORD_BYTES))]
