"""Arrow tables on the wire (docs/protocol.md, section 3.4): pyarrow tables and record batches, pandas
and polars DataFrames, the escapes, malformed tags, and a worker without pyarrow."""
import sys

import pytest

from snakepit import tables, values
from snakepit.values import SerializationError

pa = pytest.importorskip("pyarrow")


def wire(value):
    body, attachments, flags = values.encode(value)
    return body, [bytes(memoryview(a)) for a in attachments], flags


def round_trip(value):
    return values.decode(*wire(value))


def _table():
    return pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": ["a", "b", None],
                     "score": pa.array([0.5, 1.5, 2.5], pa.float32())})


def test_a_table_is_one_tag_and_one_attachment_of_its_ipc_stream():
    body, attachments, flags = wire({"t": _table()})
    assert body == b'{"t":{"$arrow":{"$b":0}}}' and flags == values.TAGGED
    assert len(attachments) == 1
    assert pa.ipc.open_stream(attachments[0]).read_all().equals(_table())


def test_tables_and_record_batches_come_back_as_tables():
    assert round_trip(_table()).equals(_table())
    batch = _table().to_batches()[0]
    back = round_trip([batch, b"x"])
    assert back[0].equals(pa.Table.from_batches([batch])) and back[1] == b"x"


def test_a_received_table_reads_the_attachment_without_a_copy():
    body, attachments, flags = wire(pa.table({"x": pa.array(range(1000), pa.int64())}))
    data = bytearray(attachments[0])
    table = values.decode(body, [data], flags)
    address = table.column("x").chunks[0].buffers()[1].address
    start = pa.py_buffer(data).address
    assert start <= address < start + len(data)


def test_a_table_of_many_chunks_keeps_its_rows():
    table = pa.concat_tables([_table(), _table()])
    assert table.column("id").num_chunks == 2
    assert round_trip(table).equals(table)


def test_pandas_dataframes_cross_as_tables():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": [1, 2], "label": ["x", "y"]})
    back = round_trip(frame)
    assert back.column_names == ["id", "label"]
    assert back.to_pandas().equals(frame)


def test_polars_dataframes_cross_as_tables():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"id": [1, 2], "label": ["x", "y"]})
    back = round_trip(frame)
    assert pl.from_arrow(back).equals(frame)


def test_a_map_that_looks_like_the_tag_is_escaped():
    value = {"$arrow": {"$b": 0}}
    body, _, flags = wire([value, b""])
    assert b'"$$arrow"' in body
    assert values.decode(body, [b""], flags)[0] == value


@pytest.mark.parametrize("body, data, complaint", [
    (b'{"$arrow":{"$b":0}}', [b"not arrow"], "are not an Arrow IPC stream"),
    (b'{"$arrow":5}', [], "must hold a bytes tag, not int"),
])
def test_malformed_tags_are_refused(body, data, complaint):
    with pytest.raises(SerializationError, match=complaint) as raised:
        values.decode(body, data, values.TAGGED)
    assert raised.value.reason == "bad_tag"


def test_without_pyarrow_a_table_is_refused_naming_pyarrow(monkeypatch):
    body, attachments, flags = wire(_table())
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    with pytest.raises(SerializationError, match="pyarrow is not installed for") as raised:
        values.decode(body, attachments, flags)
    assert "pip install pyarrow" in str(raised.value)


def test_a_dataframe_that_arrow_cannot_hold_is_refused():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"mixed": [1, "two", 3.0]})
    with pytest.raises(SerializationError, match="cannot write the DataFrame as Arrow record batches"):
        values.encode({"rows": frame})


def test_is_table_does_not_import_anything(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    assert not tables.is_table({"a": 1}) and not tables.is_table(b"x")
    assert tables.is_table(_table())
