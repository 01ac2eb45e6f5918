"""The benchmark adapter: ``benchtools.adapter:BenchAdapter``. Standard library only.

The demo adapter's tools (among them ``ping``, nothing, the cost of a call, and ``cpu(n)``, counting
primes in pure Python while holding the GIL, as CPU-bound work does), plus payloads of a given size
each way:

- ``take(data)``: returns ``len(data)``, so that a payload crosses one way only (Java to Python);
- ``make_bytes(n)``, ``make_json(n)``: return a payload of about n bytes (Python to Java), bytes or a
  list of small records.
"""
from typing import Any, Dict, List

from snakepit import tool
from snakepit.examples.demo import DemoAdapter

# One record of the JSON payloads: about 64 bytes once encoded.
_RECORD_BYTES = 64


def record(i: int) -> Dict[str, Any]:
    return {"id": i, "name": "item-%06d" % i, "tags": ["a", "b"], "score": 0.5}


class BenchAdapter(DemoAdapter):
    """The demo's tools and the benchmark's payloads."""

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
