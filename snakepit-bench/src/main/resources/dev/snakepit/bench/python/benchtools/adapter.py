"""The benchmark adapter: ``benchtools.adapter:BenchAdapter``. Standard library only; numpy and pyarrow if installed.

The demo adapter's tools (among them ``ping``, nothing, the cost of a call, and ``cpu(n)``, counting
primes in pure Python while holding the GIL, as CPU-bound work does), plus payloads of a given size
each way:

- ``take(data)``: returns ``len(data)``, so that a payload crosses one way only (Java to Python);
- ``make_bytes(n)``, ``make_json(n)``: return a payload of about n bytes (Python to Java), bytes or a
  list of small records;
- ``take_array(data)``, ``make_array(n)``: the same for float64 arrays (numpy's when numpy is
  installed, the standard library's memoryviews without it);
- ``take_records``, ``make_records(rows)``, ``take_table``, ``make_table(rows)``: the same records
  (id, name, score, flag) as JSON and as a pyarrow table. The payload is built on the first call for a size and returned again by the
  next ones, so that what is measured is the crossing, not the building (the Java side, too, sends
  one payload over and over);

and tools that a worker runs several calls of at once (``@tool(concurrency=8)``), to measure that:

- ``ping_async``, ``ping_threads``: nothing, as an async tool and as a function on 8 threads;
- ``io_wait(seconds)``, ``io_wait8(seconds)``, ``io_wait_threads(seconds)``: waiting as I/O does
  (``asyncio.sleep``, or ``time.sleep`` on a thread), at concurrency 1, 8 and 8 on threads.
"""
import asyncio
import time
from typing import Any, Dict, List

from snakepit import tool
from snakepit.examples.demo import DemoAdapter

# One record of the JSON payloads: about 64 bytes once encoded.
_RECORD_BYTES = 64


def record(i: int) -> Dict[str, Any]:
    return {"id": i, "name": "item-%06d" % i, "tags": ["a", "b"], "score": 0.5}


class BenchAdapter(DemoAdapter):
    """The demo's tools and the benchmark's payloads."""

    def __init__(self) -> None:
        super().__init__()
        self._made = {}  # kind -> (n, payload): the last payload of each kind

    def _payload(self, kind: str, n: int, build) -> Any:
        made = self._made.get(kind)
        if made is None or made[0] != n:
            made = self._made[kind] = (n, build(n))
        return made[1]

    @tool(concurrency=8)
    async def ping_async(self) -> None:
        """Does nothing, as an async tool a worker runs up to 8 calls of at once."""

    @tool(concurrency=8)
    def ping_threads(self) -> None:
        """Does nothing, on one of 8 threads."""

    @tool
    async def io_wait(self, seconds: float) -> None:
        """Awaits asyncio.sleep(seconds), one call at a time."""
        await asyncio.sleep(seconds)

    @tool(concurrency=8)
    async def io_wait8(self, seconds: float) -> None:
        """Awaits asyncio.sleep(seconds), up to 8 calls at once."""
        await asyncio.sleep(seconds)

    @tool(concurrency=8)
    def io_wait_threads(self, seconds: float) -> None:
        """Sleeps for the given seconds on one of 8 threads."""
        time.sleep(seconds)

    @tool
    def take(self, data: Any) -> int:
        """Returns len(data): the payload crossed to Python, and only a number comes back."""
        return len(data)

    @tool
    def make_bytes(self, n: int) -> bytes:
        """Returns n bytes."""
        return self._payload("bytes", n, lambda size: b"\x5a" * size)

    @tool
    def take_array(self, data: Any) -> int:
        """Returns the size in bytes of an array (a numpy array, or a memoryview without numpy)."""
        return data.nbytes

    @tool
    def make_array(self, n: int) -> Any:
        """Returns a float64 array of n bytes (numpy's when installed, else a memoryview)."""
        return self._payload("array", n, _float64s)

    @tool
    def take_records(self, records: List[Dict[str, Any]]) -> int:
        """Returns how many records (dicts of id, name, score and flag) arrived as JSON."""
        return len(records)

    @tool
    def make_records(self, rows: int) -> List[Dict[str, Any]]:
        """Returns ``rows`` records of id, name, score and flag, as JSON."""
        return self._payload("records", rows, lambda n: [row(i) for i in range(n)])

    @tool
    def take_table(self, table: Any) -> int:
        """Returns how many rows an Arrow table (a pyarrow.Table) has."""
        return table.num_rows

    @tool
    def make_table(self, rows: int) -> Any:
        """Returns the records of make_records as a pyarrow.Table (pyarrow must be installed)."""
        def build(n: int) -> Any:
            import pyarrow
            return pyarrow.table({"id": pyarrow.array(range(n), pyarrow.int64()),
                                  "name": ["item-%06d" % i for i in range(n)],
                                  "score": pyarrow.array([i / 4 for i in range(n)], pyarrow.float64()),
                                  "flag": [i % 2 == 0 for i in range(n)]})
        return self._payload("table", rows, build)

    @tool
    def make_json(self, n: int) -> List[Dict[str, Any]]:
        """Returns a list of records of about n bytes once encoded."""
        return self._payload("json", n, lambda size: [record(i) for i in range(max(1, size // _RECORD_BYTES))])


def row(i: int) -> Dict[str, Any]:
    """Record i of the records' payloads, as JSON and as a table row."""
    return {"id": i, "name": "item-%06d" % i, "score": i / 4, "flag": i % 2 == 0}


def _float64s(n: int) -> Any:
    """An array of n // 8 float64 numbers 0, 1, 2 ...: numpy's, or a memoryview of the standard library."""
    try:
        import numpy
    except ImportError:
        import array
        return memoryview(array.array("d", range(n // 8)))
    return numpy.arange(n // 8, dtype=numpy.float64)
