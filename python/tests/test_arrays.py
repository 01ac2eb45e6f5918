"""Arrays on the wire (docs/protocol.md, section 3.3): both receiving backends, every dtype, the
escapes, and every way an array tag can be malformed."""
import array
import struct

import pytest

from snakepit import arrays, protocol, values
from snakepit.settings import SettingError
from snakepit.values import SerializationError

np = pytest.importorskip("numpy")

ALL_DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
              "float16", "float32", "float64"]


@pytest.fixture
def stdlib():
    arrays.use("memoryview")
    yield
    arrays.use(None)


def wire(value):
    body, attachments, flags = values.encode(value)
    return body, [bytes(memoryview(a)) for a in attachments], flags


def round_trip(value):
    return values.decode(*wire(value))


def tag(dtype, shape, byteorder="little", data=0):
    return ('{"$nd":{"dtype":"%s","shape":%s,"byteorder":"%s","data":{"$b":%d}}}'
            % (dtype, str(list(shape)).replace(" ", ""), byteorder, data)).encode()


def test_a_numpy_array_is_one_tag_and_one_attachment_of_its_raw_bytes():
    matrix = np.arange(6, dtype=np.float64).reshape(2, 3)
    body, attachments, flags = wire(matrix)
    assert body == tag("float64", [2, 3])
    assert flags == protocol.TAGGED
    assert attachments == [matrix.tobytes()]


def test_a_contiguous_array_is_attached_without_a_copy():
    matrix = np.arange(6, dtype=np.int32)
    _, attachments, _ = values.encode(matrix)
    assert np.shares_memory(np.frombuffer(attachments[0], np.int32), matrix)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_every_dtype_round_trips_through_numpy(dtype):
    arrays.use("numpy")
    try:
        source = (np.arange(12) % 3 == 0) if dtype == "bool" else np.arange(12).astype(dtype)
        received = round_trip(source.reshape(3, 4))
        assert received.dtype == np.dtype(dtype)
        assert received.shape == (3, 4)
        assert (received == source.reshape(3, 4)).all()
    finally:
        arrays.use(None)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_every_dtype_round_trips_through_memoryview(stdlib, dtype):
    size, fmt = arrays.DTYPES[dtype]
    items = [i % 2 == 0 for i in range(6)] if dtype == "bool" else [i * 3 % 7 for i in range(6)]
    data = struct.pack("<%d%s" % (len(items), fmt), *items)
    received = values.decode(tag(dtype, [2, 3]), [data], protocol.TAGGED)
    assert type(received) is memoryview
    assert received.readonly
    assert received.tolist() == [items[:3], items[3:]]
    if dtype == "float16":
        # memoryview has no half-float cast: the numbers arrive as float32.
        assert received.format == "f" and received.shape == (2, 3)
        return
    assert received.format == fmt and received.shape == (2, 3)
    # What arrives goes back out as the same array.
    assert wire(received) == (tag(dtype, [2, 3]), [data], protocol.TAGGED)


def test_numpy_receives_without_copying_and_read_only():
    arrays.use("numpy")
    try:
        data = bytes(range(16))
        received = values.decode(tag("uint8", [4, 4]), [data], protocol.TAGGED)
        assert received.base is not None and not received.flags.writeable
        assert received.tobytes() == data
        assert np.shares_memory(received, np.frombuffer(data, np.uint8))
    finally:
        arrays.use(None)


@pytest.mark.parametrize("byteorder", ["little", "big"])
def test_either_byte_order_is_read_as_the_same_numbers(backend, byteorder):
    data = struct.pack(("<" if byteorder == "little" else ">") + "3q", 1, -2, 1 << 40)
    received = values.decode(tag("int64", [3], byteorder), [data], protocol.TAGGED)
    assert received.tolist() == [1, -2, 1 << 40]


def test_a_big_endian_numpy_array_says_so():
    body, attachments, _ = wire(np.array([1, 2], dtype=">i4"))
    assert body == tag("int32", [2], "big")
    assert attachments == [b"\x00\x00\x00\x01\x00\x00\x00\x02"]


def test_non_contiguous_arrays_are_sent_in_c_order():
    matrix = np.arange(6, dtype=np.int16).reshape(2, 3)
    assert round_trip(matrix.T).tolist() == matrix.T.tolist()
    assert round_trip(matrix[:, ::2]).tolist() == [[0, 2], [3, 5]]
    assert round_trip(np.asfortranarray(matrix)).tolist() == matrix.tolist()


def test_zero_dimensional_and_empty_arrays(backend):
    assert round_trip(np.array(2.5)).tolist() == 2.5
    assert round_trip(np.zeros(0, np.int8)).tolist() == []
    empty = round_trip(np.zeros((0, 3)))
    if backend == "numpy":
        assert empty.shape == (0, 3)
    else:
        # A memoryview cannot have a zero in a shape of several dimensions: it arrives flat.
        assert empty.shape == (0,) and empty.format == "d"


def test_stdlib_arrays_and_typed_memoryviews_are_arrays(stdlib):
    doubles = array.array("d", [0.5, -1.0])
    assert wire(doubles) == (tag("float64", [2]), [doubles.tobytes()], protocol.TAGGED)
    grid = memoryview(array.array("i", range(6))).cast("B").cast("i", [3, 2])
    received = round_trip(grid)
    assert received.shape == (3, 2) and received.tolist() == [[0, 1], [2, 3], [4, 5]]
    assert round_trip(array.array("L", [2 ** 64 - 1])).tolist() == [2 ** 64 - 1]
    assert round_trip(memoryview(b"plain bytes")) == b"plain bytes"


def test_arrays_inside_containers_beside_bytes_and_lookalikes(backend):
    value = {"x": array.array("f", [1.5]), "raw": b"\x01", "nd": {"$nd": "mine"},
             "more": [{"$$nd": 1}, array.array("b", [-1])]}
    body, attachments, flags = wire(value)
    assert b'"nd":{"$$nd":"mine"}' in body and b'{"$$$nd":1}' in body
    received = values.decode(body, attachments, flags)
    assert received["x"].tolist() == [1.5]
    assert received["raw"] == b"\x01"
    assert received["nd"] == {"$nd": "mine"} and received["more"][0] == {"$$nd": 1}
    assert received["more"][1].tolist() == [-1]


def test_numpy_scalars_travel_as_python_numbers():
    value = {"i": np.int64(-3), "u": np.uint8(7), "b": np.bool_(False), "f": np.float32(0.5),
             "d": np.float64(0.25), "list": [np.int32(1), np.int16(2)]}
    received = round_trip(value)
    assert received == {"i": -3, "u": 7, "b": False, "f": 0.5, "d": 0.25, "list": [1, 2]}
    assert [type(received[k]) for k in "iubfd"] == [int, int, bool, float, float]


@pytest.mark.parametrize("value,complaint", [
    (lambda: np.array(["text"]), "dtype <U4 has no array form"),
    (lambda: np.array([1 + 2j]), "dtype complex128 has no array form"),
    (lambda: np.array([None]), "dtype object has no array form"),
    (lambda: np.zeros(2, dtype=[("a", "i4")]), "has no array form"),
    (lambda: np.ma.masked_array([1, 2], [0, 1]), "its mask would be lost"),
    (lambda: array.array("u", "text"), "typecode 'u' has no array form"),
    (lambda: memoryview(b"ab").cast("c"), None),
])
def test_arrays_without_a_wire_form_are_refused_with_their_path(value, complaint):
    value = value()
    if complaint is None:
        assert round_trip(value) == value.tobytes()  # a view of characters is bytes
        return
    with pytest.raises(SerializationError) as err:
        values.encode({"k": [value]})
    assert err.value.path == "$.k[0]"
    assert complaint in str(err.value)


@pytest.mark.parametrize("body,data,complaint", [
    (b'{"$nd":1}', [], "exactly the members byteorder, data, dtype and shape; found int"),
    (b'{"$nd":{"dtype":"float64","shape":[1],"data":{"$b":0}}}', [b"\0" * 8], "found ['data', 'dtype', 'shape']"),
    (tag("float64", [1]).replace(b'"shape"', b'"extra":0,"shape"'), [b"\0" * 8], "exactly the members"),
    (tag("float128", [1]), [b"\0" * 16], "dtype 'float128'"),
    (tag("float64", [-1]), [b""], "shape [-1]"),
    (tag("float64", [1]).replace(b"[1]", b'"1"'), [b"\0" * 8], "shape '1'"),
    (tag("float64", [1]).replace(b"[1]", b"[1.0]"), [b"\0" * 8], "shape [1.0]"),
    (tag("float64", [1] * 33), [b"\0" * 8], "at most 32"),
    (tag("float64", [1], "middle"), [b"\0" * 8], "byteorder 'middle'"),
    (tag("float64", [2]), [b"\0" * 8], "needs 16 bytes of data; its attachment has 8"),
    (tag("float64", [1]).replace(b'{"$b":0}', b'"AAAA"'), [], "data must be a bytes tag, not str"),
])
def test_malformed_array_tags_are_refused(backend, body, data, complaint):
    with pytest.raises(SerializationError) as err:
        values.decode(body, data, protocol.TAGGED)
    assert err.value.reason == "bad_tag"
    assert complaint in str(err.value)


def test_without_tagged_an_array_tag_is_a_plain_map(backend):
    assert values.decode(b'{"$nd":{"dtype":"int8"}}', [], 0) == {"$nd": {"dtype": "int8"}}


def test_the_setting_chooses_the_backend(monkeypatch):
    try:
        monkeypatch.setenv("SNAKEPIT_ARRAYS", "memoryview")
        arrays.configure()
        assert arrays.backend() == "memoryview"
        monkeypatch.setenv("SNAKEPIT_ARRAYS", "numpy")
        arrays.configure()
        assert arrays.backend() == "numpy"
        monkeypatch.setenv("SNAKEPIT_ARRAYS", " auto ")
        arrays.configure()
        assert arrays.backend() == "numpy"  # numpy is installed here
        monkeypatch.setenv("SNAKEPIT_ARRAYS", "torch")
        with pytest.raises(SettingError, match="SNAKEPIT_ARRAYS='torch' is not one of auto, numpy, memoryview"):
            arrays.configure()
    finally:
        arrays.use(None)
