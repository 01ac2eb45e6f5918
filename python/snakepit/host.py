"""Calls from Python to Java (docs/protocol.md, section 4.14).

A tool calls a function the pool registered by name (``PoolConfig.Builder.hostFunction``; nothing else
can be called)::

    from snakepit import host, tool

    @tool
    def enrich(self, user_id: int) -> dict:
        profile = host.call("profile", user_id)       # runs in the JVM, on a virtual thread
        return {"user": user_id, "plan": profile["plan"]}

The worker sends HOST_CALL and waits for HOST_RESULT or HOST_ERROR. The Java function inherits the
call's deadline and is interrupted when the call is cancelled; a cancel lands in the wait, as in any
blocking call. While it waits, the worker serves calls that the Java function makes back into the pool
(they are sent to this worker, nested, up to the pool's depth limit), so a pool of one cannot deadlock
on itself. A Java exception arrives as ``HostError``, with the Java type and message.

Only tools with concurrency 1 may call Java. The answer of a host call is read by the main thread while
it waits, and a tool with concurrency > 1 does not run there when it runs concurrently; its calls refuse
host calls at once, and so do its serial calls, so that a tool does not work in one kind of call and
fail in another.
"""
import threading
from typing import Any, Dict, Optional

from . import protocol, values
from .cancel import CONCURRENT_CALL


class HostError(Exception):
    """A host function failed, or could not run.

    ``kind`` is ``JAVA_EXCEPTION`` (the function threw: ``java_type`` and ``message`` are its
    exception's; a call it made into the pool that failed is a ``dev.snakepit.SnakepitException``),
    ``UNKNOWN_FUNCTION``, ``SERIALIZATION_ERROR`` (its result cannot cross) or ``CANCELLED`` (the call
    was cancelled or timed out, and the function interrupted).
    """

    def __init__(self, function: str, kind: str, java_type: Optional[str], message: str) -> None:
        super().__init__("%s: %s" % (java_type or kind, message))
        self.function = function
        self.kind = kind
        self.java_type = java_type
        self.message = message


_link: Optional["HostLink"] = None


def call(function: str, *args: Any, **kwargs: Any) -> Any:
    """Calls the host function ``function`` with these arguments and returns its result; raises
    HostError when it fails. Only inside a call the JVM made."""
    link = _link
    if link is None:
        raise RuntimeError("snakepit.host.call works only in a worker, while it runs a call from the JVM")
    return link.call(function, list(args), kwargs)


async def acall(function: str, *args: Any, **kwargs: Any) -> Any:
    """``call`` for async tools with concurrency 1. Their calls run one at a time on the main thread,
    so the event loop waits with it: other tasks of the call do not run until the host function
    answers."""
    return call(function, *args, **kwargs)


class HostLink:
    """The worker's side of host calls: writes HOST_CALL and waits for its answer on the main thread."""

    def __init__(self, worker: Any) -> None:
        global _link
        self._worker = worker
        self._ids = 0
        # How many host calls wait now (more than one when a nested call makes its own).
        self.waiting = 0
        _link = self

    def call(self, function: str, args: list, kwargs: Dict[str, Any]) -> Any:
        worker = self._worker
        current = CONCURRENT_CALL.get() or worker.current()
        if current is not None and worker.concurrency_of(current.tool) > 1:
            raise RuntimeError("snakepit.host.call: calls from Python to Java are available only in tools with "
                               "concurrency 1, and tool '%s' has concurrency %d"
                               % (current.tool, worker.concurrency_of(current.tool)))
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("snakepit.host.call works only on the worker's main thread, where tools run; not on %r"
                               % threading.current_thread().name)
        if current is None:
            raise RuntimeError("snakepit.host.call works only while the worker runs a call from the JVM")
        running = current.request_id
        if type(function) is not str or not function:
            raise TypeError("a host function is named by a non-empty str, not %r" % (function,))
        self._ids += 1
        host_id = self._ids
        body = {"call": running, "function": function, "args": args, "kwargs": kwargs}
        try:
            # Large arguments may go through shared memory (shm.py); shm.SharedMemoryError, raised when
            # the pool's directory is full, reaches the tool.
            worker.encode_and_write_held(protocol.HOST_CALL, host_id,
                                         lambda: values.encode(body, max_frame_bytes=worker.writer.max_frame_bytes))
        except protocol.FrameTooLarge as err:
            raise values.SerializationError("the arguments of host function %r are %d bytes, above the maximum frame"
                                            " size of %d bytes" % (function, err.size, err.max_frame_bytes)) from None
        self.waiting += 1
        try:
            frame = worker.await_frame(
                lambda f: f.request_id == host_id and (f.kind == protocol.HOST_RESULT or f.kind == protocol.HOST_ERROR))
        finally:
            self.waiting -= 1
        body = values.decode(frame.body, frame.attachments, frame.flags)
        if type(body) is not dict:
            raise values.SerializationError("the answer of host function %r is not an object" % function)
        if frame.kind == protocol.HOST_RESULT:
            return body.get("value")
        raise HostError(function, str(body.get("kind") or "JAVA_EXCEPTION"), body.get("type"), str(body.get("message") or ""))
