import array
import io
import os
import socket
import struct
import threading

import pytest

from snakepit import protocol
from snakepit.protocol import FrameReader, FrameTooLarge, PipeFrameWriter, ProtocolError, SocketFrameWriter


def raw_frame(kind=3, request_id=1, body=b"{}", attachments=(), flags=0, reserved=0, length_delta=0):
    table = b"".join(struct.pack(">I", len(a)) for a in attachments)
    rest = struct.pack(">BBHQII", kind, flags, reserved, request_id, len(body), len(attachments)) + table + body
    rest += b"".join(attachments)
    return struct.pack(">I", len(rest) + length_delta) + rest


def read_one(data, max_frame_bytes=1 << 20):
    return FrameReader(io.BufferedReader(io.BytesIO(data)), max_frame_bytes).read_frame()


class CountingStream:
    """A stream that records how much was asked of it."""

    def __init__(self, data):
        self._data = io.BytesIO(data)
        self.requested = 0

    def read(self, n):
        self.requested += n
        return self._data.read(n)


def test_reads_a_frame_with_body_and_attachments():
    frame = read_one(raw_frame(4, 77, b'{"value":1}', (b"ab", b"", b"xyz"), flags=protocol.TAGGED))
    assert (frame.kind, frame.request_id, frame.flags) == (protocol.RESULT, 77, protocol.TAGGED)
    assert frame.body == b'{"value":1}'
    assert frame.attachments == [b"ab", b"", b"xyz"]


def test_clean_end_of_stream_at_a_boundary_is_none():
    reader = FrameReader(io.BufferedReader(io.BytesIO(raw_frame())))
    assert reader.read_frame() is not None
    assert reader.read_frame() is None


def test_request_id_uses_all_64_bits():
    assert read_one(raw_frame(request_id=2 ** 64 - 1)).request_id == 2 ** 64 - 1


@pytest.mark.parametrize("cut", [2, 10, 30])
def test_end_of_stream_inside_a_frame_is_truncated(cut):
    with pytest.raises(ProtocolError) as err:
        read_one(raw_frame(body=b'{"tool":"x","pad":"' + b"p" * 40 + b'"}')[:cut])
    assert err.value.reason == "truncated"


def test_truncated_large_frame_read_in_pieces():
    data = raw_frame(attachments=(b"z" * 100000,))
    with pytest.raises(ProtocolError) as err:
        read_one(data[:-1])
    assert err.value.reason == "truncated"


def test_oversize_is_refused_after_reading_only_the_length():
    stream = CountingStream(struct.pack(">I", 2 << 20) + b"\x03" * 100)
    with pytest.raises(ProtocolError) as err:
        FrameReader(stream, 1 << 20).read_frame()
    assert err.value.reason == "oversize"
    assert stream.requested == 4


def test_frame_exactly_at_the_limit_is_accepted():
    data = raw_frame(body=b"x" * 100)
    assert read_one(data, max_frame_bytes=len(data)).body == b"x" * 100
    with pytest.raises(ProtocolError):
        read_one(data, max_frame_bytes=len(data) - 1)


@pytest.mark.parametrize("data", [
    raw_frame(length_delta=3) + b"\x00\x00\x00",
    raw_frame(length_delta=-1),
    struct.pack(">I", 8) + bytes(8),
    raw_frame(attachments=(b"abc",), length_delta=-2),
], ids=["longer", "shorter", "below_fixed_header", "attachments_overrun"])
def test_inconsistent_lengths_are_length_mismatch(data):
    with pytest.raises(ProtocolError) as err:
        read_one(data)
    assert err.value.reason == "length_mismatch"


def test_huge_attachment_count_is_refused_before_reading_the_table():
    fixed = struct.pack(">BBHQII", 3, 0, 0, 1, 0, 0xFFFFFFFF)
    big_length = 200000  # above the small-frame size, so the piecewise path is taken
    stream = CountingStream(struct.pack(">I", big_length) + fixed)
    with pytest.raises(ProtocolError) as err:
        FrameReader(stream, 1 << 20).read_frame()
    assert err.value.reason == "length_mismatch"
    assert stream.requested == 4 + 20


def test_nonzero_reserved_and_unknown_kind_are_refused():
    with pytest.raises(ProtocolError) as err:
        read_one(raw_frame(reserved=1))
    assert err.value.reason == "reserved_nonzero"
    with pytest.raises(ProtocolError) as err:
        read_one(raw_frame(kind=99))
    assert err.value.reason == "unknown_kind"


def test_every_kind_of_the_spec_is_known():
    for kind in (1, 2, 3, 4, 5, 6, 16, 17, 18, 19, 20):
        assert read_one(raw_frame(kind=kind)).kind == kind


def test_encode_header_matches_the_layout():
    assert protocol.encode_header(5, 1, 9, 3, [2, 4]) + b"abc" + b"xx" + b"yyyy" == raw_frame(
        5, 9, b"abc", (b"xx", b"yyyy"), flags=1)


@pytest.fixture
def socket_pair():
    a, b = socket.socketpair()
    a.settimeout(10)
    b.settimeout(10)
    yield a, b
    a.close()
    b.close()


def test_socket_writer_round_trip_with_memoryview_attachments(socket_pair):
    a, b = socket_pair
    ints = array.array("i", range(10))
    SocketFrameWriter(a).write(protocol.RESULT, 5, b'{"v":1}', [b"ab", memoryview(ints)], protocol.TAGGED)
    with b.makefile("rb") as stream:
        frame = FrameReader(stream).read_frame()
    assert frame.attachments == [b"ab", ints.tobytes()]
    assert frame.body == b'{"v":1}'


def test_large_frames_survive_partial_sends(socket_pair):
    a, b = socket_pair
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    blobs = [os.urandom(3_000_000), b"", os.urandom(70000)]
    received = []

    def receive():
        with b.makefile("rb") as stream:
            received.append(FrameReader(stream, 1 << 24).read_frame())

    reader = threading.Thread(target=receive)
    reader.start()
    SocketFrameWriter(a, 1 << 24).write(protocol.CALL, 3, b"x" * 100000, blobs)
    reader.join(10)
    assert not reader.is_alive()
    assert received[0].body == b"x" * 100000
    assert received[0].attachments == blobs


def test_more_attachments_than_one_sendmsg_takes(socket_pair):
    a, b = socket_pair
    blobs = [bytes([i % 256]) * (i % 3) for i in range(1500)]
    received = []

    def receive():
        with b.makefile("rb") as stream:
            received.append(FrameReader(stream).read_frame())

    reader = threading.Thread(target=receive)
    reader.start()
    SocketFrameWriter(a).write(protocol.RESULT, 1, b"{}", blobs)
    reader.join(10)
    assert received[0].attachments == blobs


def test_too_large_frame_is_refused_before_anything_is_written(socket_pair):
    a, b = socket_pair
    writer = SocketFrameWriter(a, max_frame_bytes=1000)
    with pytest.raises(FrameTooLarge) as err:
        writer.write(protocol.RESULT, 1, b"{}", [b"x" * 1000])
    assert err.value.size == 24 + 4 + 2 + 1000
    assert err.value.max_frame_bytes == 1000
    b.setblocking(False)
    with pytest.raises(BlockingIOError):
        b.recv(1)


def test_concurrent_writers_never_interleave_frames(socket_pair):
    a, b = socket_pair
    writer = SocketFrameWriter(a, 1 << 24)
    per_thread, threads = 50, 4

    def send(n):
        for i in range(per_thread):
            writer.write(protocol.LOG, n, b"%d" % i, [bytes([n]) * 50000])

    received = []

    def receive():
        with b.makefile("rb") as stream:
            reader = FrameReader(stream, 1 << 24)
            for _ in range(per_thread * threads):
                received.append(reader.read_frame())

    receiver = threading.Thread(target=receive)
    receiver.start()
    senders = [threading.Thread(target=send, args=(n,)) for n in range(threads)]
    for t in senders:
        t.start()
    for t in senders:
        t.join(20)
    receiver.join(20)
    assert len(received) == per_thread * threads
    for frame in received:
        assert frame.attachments == [bytes([frame.request_id]) * 50000]


def test_pipe_writer_round_trip():
    r, w = os.pipe()
    try:
        PipeFrameWriter(w).write(protocol.LOG, 0, b'{"level":30}', [b"att"], 0)
        os.close(w)
        w = None
        with os.fdopen(r, "rb") as stream:
            r = None
            frame = FrameReader(stream).read_frame()
            assert FrameReader(stream).read_frame() is None
        assert frame.kind == protocol.LOG and frame.body == b'{"level":30}' and frame.attachments == [b"att"]
    finally:
        for fd in (r, w):
            if fd is not None:
                os.close(fd)
