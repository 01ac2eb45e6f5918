"""Frame codec of the Snakepit wire protocol (docs/protocol.md, section 2).

Layout, all integers unsigned big-endian::

    length L (u32)          bytes after this field
    kind (u8) flags (u8) reserved (u16, 0) request id (u64) body length B (u32) attachments A (u32)
    A x attachment length (u32)
    body: B bytes of UTF-8 JSON
    attachment bytes, in order

A frame is valid only if L == 20 + 4*A + B + sum(attachment lengths), reserved == 0 and the kind is
known. A reader that meets an invalid frame cannot find the next boundary, so every ProtocolError is
fatal to its channel. This module knows nothing of JSON: bodies and attachments stay bytes here.
"""
import os
import select
import socket
import struct
import threading
from typing import List, Optional, Sequence, Union

HELLO = 1
WELCOME = 2
CALL = 3
RESULT = 4
ERROR = 5
SHUTDOWN = 6
SESSION_OPEN = 7
SESSION_CLOSE = 8
CHUNK = 9
CREDIT = 10
HOST_CALL = 11
HOST_RESULT = 12
HOST_ERROR = 13
LOG = 16
FATAL = 17
CANCEL = 18
HEARTBEAT = 19
HEARTBEAT_ACK = 20
RETIRE = 21
# The template's control plane (section 4.16): preloaded workers are forked from it.
TEMPLATE_READY = 22
FORK = 23
FORKED = 24
REAPED = 25

KIND_NAMES = {
    HELLO: "HELLO", WELCOME: "WELCOME", CALL: "CALL", RESULT: "RESULT", ERROR: "ERROR",
    SHUTDOWN: "SHUTDOWN", SESSION_OPEN: "SESSION_OPEN", SESSION_CLOSE: "SESSION_CLOSE", CHUNK: "CHUNK",
    CREDIT: "CREDIT", HOST_CALL: "HOST_CALL", HOST_RESULT: "HOST_RESULT", HOST_ERROR: "HOST_ERROR", LOG: "LOG", FATAL: "FATAL", CANCEL: "CANCEL", HEARTBEAT: "HEARTBEAT",
    HEARTBEAT_ACK: "HEARTBEAT_ACK", RETIRE: "RETIRE", TEMPLATE_READY: "TEMPLATE_READY", FORK: "FORK",
    FORKED: "FORKED", REAPED: "REAPED",
}
KNOWN_KINDS = frozenset(KIND_NAMES)

TAGGED = 0x01
# A CALL the JVM wrote while the worker runs another call (pipelining, docs/protocol.md section 4.2):
# the worker runs it after that one, even when it reads it during a wait of the running call.
QUEUED = 0x02

DEFAULT_MAX_FRAME_BYTES = 128 * 1024 * 1024

# Everything after the length field up to the attachment table: kind, flags, reserved, id, B, A.
_FIXED = struct.Struct(">BBHQII")
_LENGTH = struct.Struct(">I")
# The length field and the fixed part together, for writing a header in one pack.
_HEADER = struct.Struct(">IBBHQII")
FIXED_SIZE = _FIXED.size  # 20
HEADER_SIZE = _HEADER.size  # 24

# Frames up to this size are read with one call and sliced; larger ones are read piece by piece so
# that a big attachment is allocated exactly once, straight from the stream.
_SMALL_FRAME = 64 * 1024

# Linux's IOV_MAX is 1024; staying below it keeps sendmsg from failing with EMSGSIZE.
_MAX_IOV = 512

Buffer = Union[bytes, bytearray, memoryview]


class ProtocolError(Exception):
    """The channel carried an invalid frame; it cannot be trusted again.

    ``reason`` is one of ``oversize``, ``length_mismatch``, ``unknown_kind``, ``reserved_nonzero``,
    ``truncated``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class FrameTooLarge(Exception):
    """A frame to be sent exceeds the maximum frame size; nothing was written."""

    def __init__(self, size: int, max_frame_bytes: int) -> None:
        super().__init__("frame of %d bytes exceeds the maximum frame size of %d bytes"
                         % (size, max_frame_bytes))
        self.size = size
        self.max_frame_bytes = max_frame_bytes


class Frame:
    """One decoded frame. ``body`` is the raw JSON bytes, ``attachments`` a list of bytes."""

    __slots__ = ("kind", "flags", "request_id", "body", "attachments")

    def __init__(self, kind: int, flags: int, request_id: int, body: bytes,
                 attachments: List[bytes]) -> None:
        self.kind = kind
        self.flags = flags
        self.request_id = request_id
        self.body = body
        self.attachments = attachments

    def __repr__(self) -> str:
        return "Frame(%s, flags=%d, request_id=%d, body=%d bytes, attachments=%d)" % (
            kind_name(self.kind), self.flags, self.request_id, len(self.body), len(self.attachments))


def kind_name(kind: int) -> str:
    return KIND_NAMES.get(kind, "kind %d" % kind)


class FrameReader:
    """Reads frames from a binary stream whose ``read(n)`` blocks until n bytes or end of stream.

    ``io.BufferedReader`` (``open(fd, "rb")``, ``socket.makefile("rb")``) has exactly that contract;
    for large n it reads straight into the returned bytes object, so no second copy is made.
    """

    def __init__(self, stream, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._read = stream.read
        self.max_frame_bytes = max_frame_bytes

    def read_frame(self) -> Optional[Frame]:
        """Returns the next frame, or None on a clean end of stream at a frame boundary."""
        read = self._read
        head = read(4)
        if len(head) != 4:
            if not head:
                return None
            raise ProtocolError("truncated", "stream ended inside a frame's length field")
        (length,) = _LENGTH.unpack(head)
        # The limit is checked before anything is allocated for the frame.
        if length + 4 > self.max_frame_bytes:
            raise ProtocolError("oversize", "frame of %d bytes exceeds the maximum frame size of %d bytes"
                                % (length + 4, self.max_frame_bytes))
        if length < FIXED_SIZE:
            raise ProtocolError("length_mismatch", "frame length %d is below the %d-byte fixed header"
                                % (length, FIXED_SIZE))
        if length <= _SMALL_FRAME:
            return self._parse_whole(_read_exact(read, length), length)
        return self._read_pieces(read, length)

    def _parse_whole(self, data: bytes, length: int) -> Frame:
        kind, flags, reserved, request_id, body_len, count = _FIXED.unpack_from(data)
        _check_fixed(kind, reserved)
        table_end = FIXED_SIZE + 4 * count
        if table_end + body_len > length:
            raise _mismatch(length, table_end + body_len)
        if count:
            sizes = struct.unpack_from(">%dI" % count, data, FIXED_SIZE)
            total = table_end + body_len + sum(sizes)
            if total != length:
                raise _mismatch(length, total)
            body_end = table_end + body_len
            body = data[table_end:body_end]
            attachments = []
            pos = body_end
            for size in sizes:
                attachments.append(data[pos:pos + size])
                pos += size
            return Frame(kind, flags, request_id, body, attachments)
        if table_end + body_len != length:
            raise _mismatch(length, table_end + body_len)
        return Frame(kind, flags, request_id, data[FIXED_SIZE:], [])

    def _read_pieces(self, read, length: int) -> Frame:
        kind, flags, reserved, request_id, body_len, count = _FIXED.unpack(_read_exact(read, FIXED_SIZE))
        _check_fixed(kind, reserved)
        table_end = FIXED_SIZE + 4 * count
        # Validated before reading the table, so a huge attachment count cannot make us allocate.
        if table_end + body_len > length:
            raise _mismatch(length, table_end + body_len)
        sizes = struct.unpack(">%dI" % count, _read_exact(read, 4 * count)) if count else ()
        total = table_end + body_len + sum(sizes)
        if total != length:
            raise _mismatch(length, total)
        body = _read_exact(read, body_len)
        attachments = [_read_exact(read, size) for size in sizes]
        return Frame(kind, flags, request_id, body, attachments)


def _read_exact(read, n: int) -> bytes:
    if n == 0:
        return b""
    data = read(n)
    if len(data) != n:
        raise ProtocolError("truncated", "stream ended inside a frame (%d of %d bytes read)" % (len(data), n))
    return data


def _check_fixed(kind: int, reserved: int) -> None:
    if reserved != 0:
        raise ProtocolError("reserved_nonzero", "reserved header field is %d, must be 0" % reserved)
    if kind not in KNOWN_KINDS:
        raise ProtocolError("unknown_kind", "unknown frame kind %d" % kind)


def _mismatch(length: int, needed: int) -> ProtocolError:
    return ProtocolError("length_mismatch", "frame length field says %d bytes but its header, body and "
                         "attachments need %d" % (length, needed))


def encode_header(kind: int, flags: int, request_id: int, body_len: int,
                  attachment_sizes: Sequence[int]) -> bytes:
    """The length field, fixed header and attachment table of a frame."""
    count = len(attachment_sizes)
    length = FIXED_SIZE + 4 * count + body_len + sum(attachment_sizes)
    head = _HEADER.pack(length, kind, flags, 0, request_id, body_len, count)
    if count:
        head += struct.pack(">%dI" % count, *attachment_sizes)
    return head


def frame_size(body_len: int, attachment_sizes: Sequence[int]) -> int:
    """Total size on the wire, length field included (what the maximum frame size limits)."""
    return HEADER_SIZE + 4 * len(attachment_sizes) + body_len + sum(attachment_sizes)


def _sizes(attachments: Sequence[Buffer]) -> List[int]:
    # memoryview.nbytes, not len(): a multi-byte or multi-dimensional view has fewer items than bytes.
    return [a.nbytes if type(a) is memoryview else len(a) for a in attachments]


class _Writer:
    """Shared size check and locking; subclasses move the bytes."""

    def __init__(self, max_frame_bytes: int) -> None:
        self.max_frame_bytes = max_frame_bytes
        # Guards the channel: one frame's bytes are never interleaved with another's, whichever threads
        # write (the data socket's are the main thread and those of concurrent calls). Whoever needs the
        # channel steady for a moment holds it too (worker.py, peeking at the socket without blocking).
        self.lock = threading.Lock()

    def write(self, kind: int, request_id: int = 0, body: bytes = b"", attachments: Sequence[Buffer] = (),
              flags: int = 0) -> None:
        """Writes one frame atomically; raises FrameTooLarge, before writing anything, if too big."""
        if attachments:
            sizes = _sizes(attachments)
            size = frame_size(len(body), sizes)
            if size > self.max_frame_bytes:
                raise FrameTooLarge(size, self.max_frame_bytes)
            head = encode_header(kind, flags, request_id, len(body), sizes)
        else:
            # Most frames: one header pack, no attachment table.
            size = HEADER_SIZE + len(body)
            if size > self.max_frame_bytes:
                raise FrameTooLarge(size, self.max_frame_bytes)
            head = _HEADER.pack(size - 4, kind, flags, 0, request_id, len(body), 0)
        with self.lock:
            self._send(head, body, attachments)

    def _send(self, head: bytes, body: bytes, attachments: Sequence[Buffer]) -> None:
        raise NotImplementedError


class SocketFrameWriter(_Writer):
    """Writes frames to a connected stream socket with gather writes (no joining of big buffers)."""

    def __init__(self, sock: socket.socket, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        super().__init__(max_frame_bytes)
        self._sock = sock

    def _send(self, head: bytes, body: bytes, attachments: Sequence[Buffer]) -> None:
        if not attachments:
            if len(body) < 4096:
                # One small buffer is cheaper to send than two.
                self._sock.sendall(head + body)
                return
            buffers = [head, body]
        else:
            buffers = [head, body]
            buffers.extend(attachments)
        _send_all(self._sock, buffers)


def _send_all(sock: socket.socket, buffers: List[Buffer]) -> None:
    views = [memoryview(b).cast("B") for b in buffers if len(b)]
    start = 0
    while start < len(views):
        sent = sock.sendmsg(views[start:start + _MAX_IOV])
        # Skip the buffers that went out whole, then trim the one that went out in part.
        while sent and start < len(views):
            n = views[start].nbytes
            if sent >= n:
                sent -= n
                start += 1
            else:
                views[start] = views[start][sent:]
                sent = 0


class PipeFrameWriter(_Writer):
    """Writes frames to a pipe file descriptor; control frames are small, so each is joined first."""

    def __init__(self, fd: int, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        super().__init__(max_frame_bytes)
        self._fd = fd

    def _send(self, head: bytes, body: bytes, attachments: Sequence[Buffer]) -> None:
        data = memoryview(b"".join([head, body, *attachments]))
        while data:
            written = os.write(self._fd, data)
            data = data[written:]

    def try_write_small(self, kind: int, request_id: int, body: bytes, timeout: float) -> bool:
        """Writes a frame with a short plain JSON ``body`` (possibly empty) unless that would wait longer
        than ``timeout`` seconds (another writer holds the pipe, or the pipe is full because nobody
        reads it); returns whether it was written. Raises OSError when the pipe is broken.

        A frame this small (at most PIPE_BUF bytes) goes into a pipe in one piece once the pipe
        reports room, so the write itself cannot block.
        """
        if HEADER_SIZE + len(body) > select.PIPE_BUF:
            raise ValueError("a small frame's body must fit in one pipe write, not %d bytes" % len(body))
        if not self.lock.acquire(timeout=timeout):
            return False
        try:
            _, writable, _ = select.select([], [self._fd], [], timeout)
            if not writable:
                return False
            os.write(self._fd, encode_header(kind, 0, request_id, len(body), ()) + body)
            return True
        finally:
            self.lock.release()
