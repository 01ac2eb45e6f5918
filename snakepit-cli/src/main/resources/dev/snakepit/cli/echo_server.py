"""Framed echo server on a Unix socket: the floor under the cost of a pool call (`snakepit roundtrip`).

Usage: python echo_server.py SOCKET_PATH

Binds SOCKET_PATH, prints "ready" on stdout, serves one connection and exits when it closes. Each frame
is a 4-byte big-endian payload length followed by the payload; the server writes every frame back
unchanged, with one thread and no copies beyond the kernel's. Standard library only.

stdin is a lifeline: when it reaches EOF (the JVM exited, or was killed) the server exits at once, so it
can never outlive the process that started it.
"""
import os
import socket
import struct
import sys
import threading

MAX_PAYLOAD = 1 << 20


def _exit_at_stdin_eof() -> None:
    # os.read, not sys.stdin: a daemon thread blocked inside a buffered reader holds its lock, which
    # makes interpreter shutdown abort when the server ends normally.
    while os.read(0, 4096):
        pass
    os._exit(0)


def _fill(conn: socket.socket, view: memoryview) -> bool:
    """Reads exactly len(view) bytes into view; False if the peer closed before the first byte."""
    got = 0
    while got < len(view):
        n = conn.recv_into(view[got:])
        if n == 0:
            if got == 0:
                return False
            raise ConnectionError("connection closed inside a frame")
        got += n
    return True


def serve(path: str) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    print("ready", flush=True)
    conn, _ = server.accept()
    server.close()
    frame = bytearray(4 + MAX_PAYLOAD)
    view = memoryview(frame)
    with conn:
        while _fill(conn, view[:4]):
            (length,) = struct.unpack_from(">I", frame)
            if length > MAX_PAYLOAD:
                raise ValueError("payload of %d bytes exceeds %d" % (length, MAX_PAYLOAD))
            if length and not _fill(conn, view[4:4 + length]):
                raise ConnectionError("connection closed inside a frame")
            conn.sendall(view[:4 + length])


if __name__ == "__main__":
    threading.Thread(target=_exit_at_stdin_eof, name="lifeline", daemon=True).start()
    serve(sys.argv[1])
