"""The serve loop: the worker's main thread answers the calls and session frames that arrive on the
data socket (docs/protocol.md, sections 4.2, 4.3, 4.7, 4.12, 4.13 and 5).

The main thread reads every frame, and runs every call itself, one at a time: Python's signal handling
and many C libraries expect to run there, and no lock or queue sits in the hot path. The one exception
is a plain call (no session, stream or batch) of a tool with concurrency > 1: the main thread hands it
over to concurrent.py, which runs it on the tool's threads or on the event loop of such tools and
answers it from there, and goes straight back to the socket; the socket's writer keeps the frames of
concurrent answers whole. startup.py gets the worker this far: the control plane, the guards, the
adapter, the handshake.
"""
import logging
import os
import select
import socket
import sys
from collections import deque
from typing import Any, Callable, Deque, Dict, Optional

from . import batches, errors, messages, protocol, shm, tracing, values
from .adapter import ToolRunner
from .calls import Cancelled, Failure, run_call
from .cancel import CallInfo, CallSwitch
from .concurrent import CALLS, CallTable, Concurrency
from .errors import InvalidCall
from .exits import EXIT_OK, EXIT_VIOLATION, flush_std_streams
from .host import HostLink
from .protocol import FrameTooLarge, ProtocolError
from .sessions import SessionTable
from .streams import Streamer

_READ_BUFFER = 64 * 1024
# Frames that may arrive after what they were for has ended: skipped.
_LATE_KINDS = (protocol.CREDIT, protocol.HOST_RESULT, protocol.HOST_ERROR)
_NESTED_KINDS = (protocol.CALL, protocol.SESSION_OPEN, protocol.SESSION_CLOSE)


class Worker:
    """Owns the data socket; every method runs on the main thread, but send_outcome."""

    def __init__(self, sock: socket.socket, runner: ToolRunner, switch: CallSwitch,
                 max_frame_bytes: int, calls: CallTable = CALLS) -> None:
        self._sock = sock
        self._stream = sock.makefile("rb", buffering=_READ_BUFFER)
        self.reader = protocol.FrameReader(self._stream, max_frame_bytes)
        self.writer = protocol.SocketFrameWriter(sock, max_frame_bytes)
        self._runner = runner
        self._switch = switch
        self._sessions = SessionTable(runner)
        self._streamer = Streamer(runner, self._send_chunk, self._await_credit)
        # Credit a stream received while its generator waited for something else (a host call).
        self._credit: Dict[int, int] = {}
        # CALL frames with QUEUED read while a call waited (a host call, a stream's credit): each runs
        # after the calls before it, in the serve loop.
        self._queued: Deque[protocol.Frame] = deque()
        self.host = HostLink(self)
        # The tools whose plain calls run concurrently, by name (usually none), and what runs them.
        self._concurrent = runner.concurrent
        self._parallel = Concurrency(runner, self.send_outcome, calls, switch) if runner.concurrent else None
        self._poll = select.poll()
        self._poll.register(sock, select.POLLIN)

    def serve(self) -> int:
        """Serves calls until SHUTDOWN; exits the process directly when the JVM goes away."""
        read_frame = self.reader.read_frame
        queued = self._queued
        while True:
            try:
                frame = queued.popleft() if queued else read_frame()
            except ProtocolError as err:
                return self._violation(str(err))
            except OSError:
                frame = None  # connection reset: the JVM is gone
            if frame is None:
                flush_std_streams()
                os._exit(EXIT_OK)
            try:
                if frame.kind == protocol.CALL and frame.request_id:
                    self._handle_call(frame)  # the usual frame, without a look-up of its kind
                    continue
                status = self._serve_frame(frame)
            except OSError:
                # The answer could not be written: the JVM is gone.
                flush_std_streams()
                os._exit(EXIT_OK)
            if status is not None:
                return status

    def _serve_frame(self, frame: protocol.Frame) -> Optional[int]:
        """Serves one frame of the serve loop; returns the exit status when the worker is to stop."""
        kind = frame.kind
        if kind == protocol.CALL or kind == protocol.SESSION_OPEN or kind == protocol.SESSION_CLOSE:
            if not frame.request_id:
                return self._violation("%s with request id 0" % protocol.kind_name(kind))
            if kind == protocol.CALL:
                self._handle_call(frame)
            else:
                self._handle_session(frame)
        elif kind in _LATE_KINDS:
            pass  # credit of a stream that has ended, the answer of a host call nobody waits for
        elif kind == protocol.SHUTDOWN:
            self._shutdown()
            return EXIT_OK
        else:
            return self._violation("unexpected %s frame on the data socket" % protocol.kind_name(kind))
        return None

    def _handle_call(self, frame: protocol.Frame) -> None:
        request_id = frame.request_id
        try:
            message = values.decode(frame.body, frame.attachments, frame.flags)
        except values.SerializationError as err:
            self._send_error(request_id, errors.serialization_error(
                "cannot decode the call's arguments: %s" % err, err.details()))
            return
        try:
            name, args, kwargs = messages.parse_call(message)
            session_id, open_flag = messages.call_session(message)
            items = batches.parse(message) if "batch" in message else None
            credit = messages.call_stream(message) if "stream" in message else None
            trace = tracing.parse(message) if "trace" in message else None
        except InvalidCall as invalid:
            self._send_error(request_id, invalid.body)
            return
        deadline = messages.call_deadline(message)
        if session_id is None and credit is None and items is None:
            concurrent = self._concurrent
            if concurrent and name in concurrent:
                self._parallel.start(request_id, concurrent[name], args, kwargs, deadline, trace)
                return
            with tracing.attached(trace):
                result = run_call(self._switch, request_id, name, deadline, self._runner.call, name, args, kwargs)
        else:
            if items is not None:
                work = (batches.run, self._runner, name, args, kwargs, items)
            elif credit is None:
                work = (self._runner.call, name, args, kwargs)
            else:
                work = (self._streamer.run, request_id, credit, name, args, kwargs)
            if session_id is not None and self._sessions.get(session_id) is None and not open_flag:
                self._send_error(request_id, errors.session_lost(session_id))
                return
            with tracing.attached(trace):
                if session_id is None:
                    result = run_call(self._switch, request_id, name, deadline, *work)
                else:
                    result = run_call(self._switch, request_id, name, deadline, self._sessions.run, session_id,
                                      open_flag, *work)
            if type(result) is batches.Batch:
                self._send_batch(request_id, name, result)
                return
        self._answer(request_id, name, result)

    def _handle_session(self, frame: protocol.Frame) -> None:
        """SESSION_OPEN or SESSION_CLOSE (section 4.12): runs the hook as a call is run."""
        request_id = frame.request_id
        opening = frame.kind == protocol.SESSION_OPEN
        hook = "open_session" if opening else "close_session"
        try:
            message = values.decode(frame.body, frame.attachments, frame.flags)
            if opening:
                session_id, restore = messages.parse_session_open(message)
            else:
                session_id, reason, snapshot = messages.parse_session_close(message)
        except values.SerializationError as err:
            self._send_error(request_id, errors.serialization_error(
                "cannot decode the %s body: %s" % (protocol.kind_name(frame.kind), err), err.details()))
            return
        except InvalidCall as invalid:
            self._send_error(request_id, invalid.body)
            return
        deadline = messages.call_deadline(message)
        if opening:
            result = run_call(self._switch, request_id, hook, deadline, self._sessions.open, session_id, restore)
        else:
            result = run_call(self._switch, request_id, hook, deadline, self._sessions.close, session_id, reason,
                              snapshot)
        self._answer(request_id, hook, result)

    def _answer(self, request_id: int, name: str, result: Any) -> None:
        if self._credit:
            self._credit.pop(request_id, None)  # kept for a stream that has ended
        self._send_outcome(request_id, name, result)

    def _send_outcome(self, request_id: int, name: str, result: Any) -> None:
        """Writes the answer of a call: its value, a Failure or a Cancelled (calls.py)."""
        if type(result) is Cancelled:
            self._send_error(request_id, errors.cancelled(name, result.exception))
        elif type(result) is Failure:
            self._send_error(request_id, result.body)
        else:
            self._send_result(request_id, name, result)

    def send_outcome(self, request_id: int, name: str, result: Any) -> None:
        """Answers a concurrent call (concurrent.py), from whichever thread ended it; when the answer
        cannot be written, the JVM is gone, and the process ends as the serve loop ends it."""
        try:
            self._send_outcome(request_id, name, result)
        except OSError:
            flush_std_streams()
            os._exit(EXIT_OK)

    def _send_result(self, request_id: int, name: str, value: Any) -> None:
        try:
            body, attachments, flags = values.encode_result(value, self.writer.max_frame_bytes)
            self.writer.write(protocol.RESULT, request_id, body, attachments, flags)
        except OSError:
            raise  # the JVM is gone
        except Exception as err:  # nothing was written: the value cannot cross, or is too large
            self._send_error(request_id, _unsendable("result of '%s'" % name, err))

    def _send_batch(self, request_id: int, name: str, batch: batches.Batch) -> None:
        """Sends a batch's results; when they cannot all be sent, those that can (section 4.15)."""
        try:
            body, attachments, flags = values.encode_result(batch.value())
            self.writer.write(protocol.RESULT, request_id, body, attachments, flags)
            return
        except OSError:
            raise
        except Exception:
            pass  # nothing was written: an item's result cannot cross, or they do not all fit
        try:
            body, attachments, flags = batches.encode_fitted(batch, name, self.writer.max_frame_bytes)
            self.writer.write(protocol.RESULT, request_id, body, attachments, flags)
        except OSError:
            raise
        except Exception as err:
            self._send_error(request_id, _unsendable("the results of the batch of '%s'" % name, err))

    def _send_chunk(self, request_id: int, name: str, item: Any) -> None:
        """Sends one item of a stream; raises InvalidCall, which ends the stream, for one that cannot
        cross. Runs inside the call: the frame is written with the call switch held."""
        try:
            self.encode_and_write_held(protocol.CHUNK, request_id,
                                       lambda: values.encode_result(item, self.writer.max_frame_bytes))
        except OSError:
            raise
        except Exception as err:
            raise InvalidCall(_unsendable("an item of the stream of '%s'" % name, err)) from None

    def write_held(self, kind: int, request_id: int, body: bytes, attachments: Any, flags: int) -> None:
        """Writes a frame during a call, with the call switch held: a cancel that landed half-way through
        it would leave the JVM a broken frame. Raises FrameTooLarge, before anything was written."""
        switch = self._switch
        try:
            switch.hold()
            self.writer.write(kind, request_id, body, attachments, flags)
        finally:
            switch.release()

    def encode_and_write_held(self, kind: int, request_id: int, encode: Callable[[], Any]) -> None:
        """write_held of the body ``encode()`` returns, encoded with the switch held too: the files of a
        value that goes through shared memory (shm.py) are written while it is encoded, and a cancel
        landing between them and the frame that names them would leave them behind."""
        switch = self._switch
        try:
            switch.hold()
            body, attachments, flags = encode()
            self.writer.write(kind, request_id, body, attachments, flags)
        finally:
            switch.release()

    def current(self) -> Optional[CallInfo]:
        """The innermost call the main thread runs, or None between calls."""
        return self._switch.current()

    def running(self) -> Optional[int]:
        """The request id of the innermost call the main thread runs, or None between calls."""
        current = self._switch.current()
        return None if current is None else current.request_id

    def concurrency_of(self, tool: str) -> int:
        return self._runner.concurrency_of(tool)

    def _await_credit(self, request_id: int) -> int:
        """Waits, while the stream ``request_id`` runs, for the JVM to grant it credit; returns how much."""
        kept = self._credit.pop(request_id, 0)
        if kept:
            return kept
        frame = self.await_frame(lambda f: f.kind == protocol.CREDIT and f.request_id == request_id)
        return self._credit_of(frame)

    def await_frame(self, wanted: Callable[[protocol.Frame], bool]) -> protocol.Frame:
        """Waits, during a call, for the JVM's next frame that ``wanted`` accepts, and returns it.

        On the way, CREDIT for a stream among the running calls is kept for it, other CREDIT frames and
        answers of host calls nobody waits for are skipped, a CALL with the QUEUED flag (written behind
        the running call) is kept for the serve loop, and a CALL or session frame without it, which the
        JVM sends only while a host call waits (a Java function calling its worker back), is served nested.
        A cancel may land while the main thread waits for the socket; the socket's mode is changed and
        each frame read with the call switch held, so that nothing lands half-way through either.
        """
        switch = self._switch
        while True:
            frame = None
            try:
                switch.hold()
                if self._bytes_waiting():
                    frame = self._read_during_call()
            finally:
                switch.release()
            if frame is None:
                self._poll.poll()  # where a cancel lands while the JVM sends nothing
            elif wanted(frame):
                return frame
            elif frame.kind == protocol.CALL and frame.flags & protocol.QUEUED:
                self._queued.append(frame)  # written behind the running call: it waits its turn
            elif frame.kind == protocol.CREDIT:
                if self._switch.running(frame.request_id):
                    self._credit[frame.request_id] = self._credit.get(frame.request_id, 0) + self._credit_of(frame)
            elif frame.kind in _NESTED_KINDS and self.host.waiting:
                status = self._serve_frame(frame)
                if status is not None:
                    flush_std_streams()
                    os._exit(status)
            elif frame.kind == protocol.CALL and self._parallel is not None and self._parallel.start_frame(frame):
                pass  # a plain call of a tool with concurrency > 1: it runs besides this one
            elif frame.kind not in _LATE_KINDS:
                self._exit_violation("unexpected %s frame while call %s runs"
                                     % (protocol.kind_name(frame.kind), self.running()))

    def _credit_of(self, frame: protocol.Frame) -> int:
        try:
            return messages.parse_credit(frame)
        except messages.MessageError as err:
            self._exit_violation(str(err))
            raise

    def _bytes_waiting(self) -> bool:
        """Whether bytes from the JVM wait to be read, in the reader's buffer or the socket's. The
        writer's lock is held while the socket does not block: a concurrent call's answer written
        meanwhile would fail half-way with BlockingIOError."""
        with self.writer.lock:
            self._sock.setblocking(False)
            try:
                return bool(self._stream.peek(1))
            except BlockingIOError:
                return False
            finally:
                self._sock.setblocking(True)

    def _read_during_call(self) -> protocol.Frame:
        """The JVM's next frame; a broken or closed channel ends the worker, as in serve()."""
        try:
            frame = self.reader.read_frame()
        except ProtocolError as err:
            self._exit_violation(str(err))
        except OSError:
            frame = None
        if frame is None:
            flush_std_streams()
            os._exit(EXIT_OK)
        return frame

    def _exit_violation(self, what: str) -> None:
        flush_std_streams()
        os._exit(self._violation(what))

    def _send_error(self, request_id: int, body: Dict[str, Any]) -> None:
        data, attachments, flags = values.encode(body)
        try:
            self.writer.write(protocol.ERROR, request_id, data, attachments, flags)
        except FrameTooLarge:
            # A huge exception message or traceback: send what surely fits instead.
            data, attachments, flags = values.encode(errors.shortened(body))
            self.writer.write(protocol.ERROR, request_id, data, attachments, flags)

    def _shutdown(self) -> None:
        self._sessions.close_all("pool_closed")
        teardown = getattr(self._runner.instance, "teardown", None)
        if callable(teardown):
            try:
                teardown()
            except BaseException:
                logging.getLogger("snakepit.worker").exception("teardown() failed")
        if self._parallel is not None:
            self._parallel.stop()
        self._runner.close()
        self.close()
        flush_std_streams()

    def _violation(self, what: str) -> int:
        sys.stderr.write("snakepit: protocol violation on the data socket: %s; exiting\n" % what)
        self.close()
        return EXIT_VIOLATION

    def close(self) -> None:
        self._stream.close()
        self._sock.close()


def _unsendable(what: str, err: Exception) -> Dict[str, Any]:
    """The SERIALIZATION_ERROR body for a value that could not be sent (RESOURCE_EXHAUSTED for one the
    pool's shared memory had no room for): ``what`` names it."""
    if isinstance(err, FrameTooLarge):
        return errors.serialization_error(
            "%s is %d bytes, above the maximum frame size of %d bytes" % (what, err.size, err.max_frame_bytes),
            {"size": err.size, "max_frame_bytes": err.max_frame_bytes})
    if isinstance(err, values.SerializationError):
        return errors.serialization_error("%s cannot be serialized: %s" % (what, err), err.details())
    if isinstance(err, shm.SharedMemoryError):
        return errors.error_body(errors.RESOURCE_EXHAUSTED, "%s cannot be sent: %s" % (what, err),
                                 details=err.details())
    return errors.serialization_error("%s cannot be serialized: %s" % (what, errors.summary(err)), {}, err)
