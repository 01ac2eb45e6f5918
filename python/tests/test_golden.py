"""Decodes every golden frame of docs/protocol/golden with this runtime's codecs."""
import glob
import io
import json
import math
import os
import struct

import pytest

from snakepit import arrays, protocol, values

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "protocol", "golden")
VALID = sorted(glob.glob(os.path.join(GOLDEN, "*.json")))
INVALID = sorted(glob.glob(os.path.join(GOLDEN, "invalid", "*.json")))


def name_of(path):
    return os.path.basename(path)[:-5]


def load(path):
    with open(path, encoding="utf-8") as f:
        description = json.load(f)
    with open(path[:-5] + ".bin", "rb") as f:
        data = f.read()
    return description, data


def check(actual, expected, where="$"):
    """Compares a decoded value with a node of the typed notation of make_golden.py."""
    (tag, node), = expected.items()
    if tag == "null":
        assert actual is None, where
    elif tag == "bool":
        assert type(actual) is bool and actual is node, where
    elif tag == "int":
        assert type(actual) is int and actual == int(node), where
    elif tag == "float":
        assert type(actual) is float, where
        want = float(node)
        if math.isnan(want):
            assert math.isnan(actual), where
        else:
            assert actual == want and math.copysign(1, actual) == math.copysign(1, want), where
    elif tag == "str":
        assert type(actual) is str and actual == node, where
    elif tag == "bytes":
        assert type(actual) is bytes and actual == bytes.fromhex(node), where
    elif tag == "ndarray":
        check_array(actual, node, where)
    elif tag == "list":
        assert type(actual) is list and len(actual) == len(node), where
        for i, (a, e) in enumerate(zip(actual, node)):
            check(a, e, "%s[%d]" % (where, i))
    elif tag == "map":
        assert type(actual) is dict, where
        assert list(actual) == [k for k, _ in node], where  # key order matters
        for key, e in node:
            check(actual[key], e, "%s.%s" % (where, key))
    else:
        raise AssertionError("unknown notation %r" % tag)


def check_array(actual, node, where):
    """An arrived array (numpy or memoryview, whichever this runtime chose) against an ndarray node."""
    size, fmt = arrays.DTYPES[node["dtype"]]
    data = bytes.fromhex(node["data"])
    order = "<" if node["byteorder"] == "little" else ">"
    want = list(struct.unpack("%s%d%s" % (order, len(data) // size, fmt), data))
    assert list(actual.shape) == node["shape"], where
    if type(actual) is memoryview:
        assert actual.format == fmt, where
        flat = actual.cast("B").cast(fmt).tolist()
    else:
        assert actual.dtype.name == node["dtype"], where
        flat = actual.reshape(-1).tolist()
    assert flat == want, where


def test_golden_frames_exist():
    assert len(VALID) >= 14 and len(INVALID) >= 8


@pytest.mark.parametrize("path", VALID, ids=name_of)
def test_valid_golden_frame(path, backend):
    description, data = load(path)
    reader = protocol.FrameReader(io.BufferedReader(io.BytesIO(data)))
    frame = reader.read_frame()
    assert reader.read_frame() is None
    assert frame.kind == description["kind_code"] == getattr(protocol, description["kind"])
    assert frame.flags == description["flags"]
    assert frame.request_id == description["request_id"]
    assert [a.hex() for a in frame.attachments] == description["attachments"]
    value = values.decode(frame.body, frame.attachments, frame.flags)
    check(value, description["body"])
    # And what this runtime writes for that value reads back the same.
    body, attachments, flags = values.encode(value)
    check(values.decode(body, [bytes(memoryview(a)) for a in attachments], flags), description["body"])


@pytest.mark.parametrize("path", INVALID, ids=name_of)
def test_invalid_golden_frame(path):
    description, data = load(path)
    reader = protocol.FrameReader(io.BufferedReader(io.BytesIO(data)), description["max_frame_bytes"])
    with pytest.raises((protocol.ProtocolError, values.SerializationError)) as err:
        frame = reader.read_frame()
        values.decode(frame.body, frame.attachments, frame.flags)
    assert err.value.reason == description["error"]
