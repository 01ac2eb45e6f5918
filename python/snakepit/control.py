"""The control plane: the worker's original stdin and stdout, taken at start and served by two threads
(docs/protocol.md, sections 1 and 5).

At start the runtime moves both to private descriptors and points fd 0 at /dev/null and fd 1 at
stderr, so nothing user code prints (nor C extensions, nor child processes) can reach a protocol
channel, and nothing can read the JVM's frames off stdin.

stdin is also the lifeline: it reaches end of stream only when the JVM is gone (even after
``kill -9`` of the JVM), and the worker then exits at once, with no teardown, from the control thread.
"""
import os
import queue
import sys
import threading
import time
from typing import Any, Callable, Dict, Optional, Tuple

from . import messages, protocol, values
from .exits import EXIT_OK, EXIT_VIOLATION, write_stderr
from .protocol import FrameReader, PipeFrameWriter, ProtocolError


def take_standard_streams() -> Tuple[int, int]:
    """Moves fd 0 and fd 1 to private descriptors and returns them as (control in, control out).

    Also makes the process the leader of its own session and process group, so a terminal's Ctrl-C
    does not reach it (the keeper, which forks the worker next, keeps that session; keeper.py).
    """
    # os.dup makes non-inheritable descriptors: children never hold the lifeline open.
    control_in = os.dup(0)
    control_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(devnull, 0)
    finally:
        os.close(devnull)
    if sys.stdout is not None:
        sys.stdout.flush()
    os.dup2(2, 1)
    if sys.stdout is not None and hasattr(sys.stdout, "reconfigure"):
        # stdout now ends on stderr, which the JVM forwards line by line; flush each line promptly.
        sys.stdout.reconfigure(line_buffering=True)
    try:
        os.setsid()
    except OSError:
        pass  # already a group leader (started through setsid, say): then it leads its group anyway
    return control_in, control_out


class ControlChannel:
    """Reads CANCEL (and reserved) frames in one daemon thread; writes LOG and FATAL frames.

    LOG frames are queued and written by a second daemon thread, never by the thread that logged:
    a CallCancelled raised into the main thread in the middle of a pipe write would leave half a
    frame on the channel, and a slow reader on the JVM side must not stall a tool. The queue is
    bounded; records beyond it are counted and reported, not kept. A failed write is dropped
    without a word: it means the JVM is gone, and the lifeline deals with that.

    The reader ends the process through ``exit``: at once when the lifeline ends (status 0), and on a
    broken control plane (status 4). Tests replace it.
    """

    MAX_PENDING_LOGS = 10000

    def __init__(self, control_in: int, control_out: int,
                 max_frame_bytes: int = protocol.DEFAULT_MAX_FRAME_BYTES,
                 exit: Callable[[int], Any] = os._exit) -> None:
        self._in = control_in
        self._writer = PipeFrameWriter(control_out, max_frame_bytes)
        self._max_frame_bytes = max_frame_bytes
        self._exit = exit
        # SimpleQueue.put is a single C call, so an async exception cannot interrupt it halfway.
        self._logs = queue.SimpleQueue()
        # Written by logging threads, read by the log writer; a lost update only miscounts drops.
        self._dropped = 0

    def send(self, kind: int, body: Dict[str, Any]) -> bool:
        """Sends one control frame now; returns False instead of raising when it cannot."""
        try:
            data, attachments, flags = values.encode(body)
            self._writer.write(kind, 0, data, attachments, flags)
            return True
        except (OSError, protocol.FrameTooLarge, values.SerializationError):
            return False

    def post_log(self, body: Dict[str, Any]) -> None:
        """Queues a LOG frame body; never blocks, never raises."""
        if self._logs.qsize() >= self.MAX_PENDING_LOGS:
            self._dropped += 1
            return
        self._logs.put(body)

    def flush_logs(self, timeout: float) -> bool:
        """Waits until the LOG frames queued so far are written; False on timeout."""
        done = threading.Event()
        self._logs.put(done)
        return done.wait(timeout)

    def retire(self, reason: str) -> bool:
        """Asks the JVM to replace this worker (RETIRE, section 4.11); returns whether it was sent."""
        return self.send(protocol.RETIRE, messages.retire_body(reason))

    def beat(self, sequence: int, timeout: float, round_trip_us: Optional[int] = None) -> bool:
        """Sends HEARTBEAT number ``sequence``, with the round trip of the last acknowledged beat when
        one is known, unless the pipe stays busy for ``timeout`` seconds; returns whether it was sent.
        Raises OSError when the JVM's end of the pipe is closed."""
        body = b"" if round_trip_us is None else b'{"rtt_us":%d}' % round_trip_us
        return self._writer.try_write_small(protocol.HEARTBEAT, sequence, body, timeout)

    def start(self, on_cancel: Callable[[int], Any], on_ack: Callable[[int], Any] = lambda sequence: None) -> None:
        """Starts the threads; ``on_cancel(request_id)`` runs on the reader for each CANCEL,
        ``on_ack(sequence)`` for each HEARTBEAT_ACK."""
        threading.Thread(target=self._read_loop, args=(on_cancel, on_ack), name="snakepit-control",
                         daemon=True).start()
        threading.Thread(target=self._write_logs, name="snakepit-log", daemon=True).start()

    def _write_logs(self) -> None:
        get = self._logs.get
        while True:
            item = get()
            if isinstance(item, threading.Event):
                item.set()
                continue
            self.send(protocol.LOG, item)
            if self._dropped and self._logs.empty():
                dropped, self._dropped = self._dropped, 0
                self.send(protocol.LOG, messages.log_body(
                    30, "snakepit", "%d log records were dropped: more than %d were waiting to be sent"
                    % (dropped, self.MAX_PENDING_LOGS), threading.current_thread().name, time.time(), None))

    def _read_loop(self, on_cancel: Callable[[int], Any], on_ack: Callable[[int], Any]) -> None:
        try:
            stream = os.fdopen(self._in, "rb")
            reader = FrameReader(stream, self._max_frame_bytes)
            while True:
                frame = reader.read_frame()
                if frame is None:
                    break
                if frame.kind == protocol.CANCEL:
                    on_cancel(messages.parse_cancel(frame))
                elif frame.kind == protocol.HEARTBEAT_ACK:
                    on_ack(frame.request_id)
                else:
                    raise ProtocolError("unexpected_kind", "unexpected %s frame on the control plane"
                                        % protocol.kind_name(frame.kind))
        except (ProtocolError, values.SerializationError) as err:
            write_stderr("snakepit: control plane broken: %s; exiting\n" % err)
            self._exit(EXIT_VIOLATION)
            return
        except (OSError, ValueError):
            pass  # unreadable stdin: as good as closed
        except BaseException as err:  # a bug here must not leave a worker without its lifeline
            write_stderr("snakepit: control reader failed: %r; exiting\n" % (err,))
            self._exit(EXIT_VIOLATION)
            return
        # The JVM is gone. Exit now: no teardown, no waiting for threads or buffers.
        self._exit(EXIT_OK)
