"""Arrow tables (docs/protocol.md, section 3.4): ``{"$arrow": {"$b": 0}}``, the attachment holding
Arrow record batches in Arrow's IPC stream format.

A tool receives a ``pyarrow.Table`` (over the attachment's bytes, without a copy) and may return a
``pyarrow.Table`` or ``RecordBatch``, or a pandas or polars ``DataFrame``, which cross through pyarrow.
pyarrow is imported only when a table crosses: the runtime itself needs nothing beyond the standard
library, and a worker without pyarrow refuses a table with an error that says so.
"""
import sys
from typing import Any

TAG = "$arrow"

# The types that cross as tables, by module and name: none of these modules is imported to tell.
_TABLE_TYPES = {("pyarrow", "Table"), ("pyarrow", "RecordBatch"), ("pandas", "DataFrame"), ("polars", "DataFrame")}


class TableError(Exception):
    """A table that cannot cross; the message says why."""


def is_table(value: Any) -> bool:
    """Whether ``value`` crosses as an Arrow table."""
    kind = type(value)
    return (kind.__module__.partition(".")[0], kind.__name__) in _TABLE_TYPES


def check(value: Any) -> None:
    """Raises TableError when a table cannot be sent here: pyarrow is not installed."""
    _pyarrow("a %s.%s cannot be sent" % (type(value).__module__, type(value).__name__))


def encode(value: Any) -> Any:
    """The IPC stream of a table, as a buffer the frame writer sends without a copy."""
    pa = _pyarrow("a %s.%s cannot be sent" % (type(value).__module__, type(value).__name__))
    library = type(value).__module__.partition(".")[0]
    try:
        if library == "pandas":
            value = pa.Table.from_pandas(value)
        elif library == "polars":
            value = value.to_arrow()
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, value.schema) as writer:
            writer.write(value)
        return memoryview(sink.getvalue())
    except (pa.ArrowException, TypeError, ValueError) as err:
        raise TableError("cannot write the %s as Arrow record batches: %s: %s"
                         % (type(value).__name__, type(err).__name__, err)) from None


def receive(data: Any) -> Any:
    """The ``pyarrow.Table`` of an ``$arrow`` tag's bytes; raises TableError when pyarrow is missing or
    the bytes are not an Arrow IPC stream."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TableError("an Arrow tag must hold a bytes tag, not %s" % type(data).__name__)
    pa = _pyarrow("an Arrow table arrived")
    try:
        return pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    except (pa.ArrowException, OSError) as err:
        raise TableError("the Arrow tag's %d bytes are not an Arrow IPC stream: %s" % (len(data), err)) from None


def _pyarrow(what: str) -> Any:
    try:
        import pyarrow
        import pyarrow.ipc  # noqa: F401  (a submodule; imported for pa.ipc)
    except ImportError:
        raise TableError("%s, but pyarrow is not installed for %s; install it (pip install pyarrow) to "
                         "send and receive Arrow tables" % (what, sys.executable)) from None
    return pyarrow
