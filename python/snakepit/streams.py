"""Streamed results (docs/protocol.md, section 4.13).

A CALL with a ``stream`` field asks for its tool's result piece by piece. A tool that returns a
generator or an async generator streams the items it yields, each in a CHUNK frame; any other tool's
value is its stream's one item. The stream ends with RESULT, whose value is the number of items sent,
or with ERROR after the items already sent.

The JVM grants credit, one unit per item: the worker advances the generator only while it holds
credit, and waits for a CREDIT frame when it has none, so a consumer that stops reading stops the
generator where it is, and the worker's memory stays flat. A cancel (the consumer closed the stream,
or its deadline passed) lands in the generator or in the wait for credit; either way the generator is
closed, so its ``finally`` blocks run, before the worker answers.
"""
import inspect
import logging
from typing import Any, Callable

_END = object()


def is_stream(value: Any) -> bool:
    """Whether a tool's value is a generator or an async generator, whose items a stream sends."""
    return inspect.isgenerator(value) or inspect.isasyncgen(value)


def collect(generator: Any, runner: Any) -> list:
    """A generator's or an async generator's items as a list: what a plain call of a streaming tool gets."""
    source = ItemSource(generator, runner)
    items = []
    try:
        while True:
            item = source.next()
            if item is _END:
                return items
            items.append(item)
    except BaseException:
        source.abandon()
        raise


class ItemSource:
    """The items of a generator or an async generator, taken one at a time on the main thread."""

    __slots__ = ("_next", "_close")

    def __init__(self, value: Any, runner: Any) -> None:
        if inspect.isgenerator(value):
            self._next = lambda: next(value, _END)
            self._close = value.close
        else:
            self._next = lambda: runner.run_coroutine(_anext(value))
            self._close = lambda: runner.run_coroutine(_aclose(value))

    def next(self) -> Any:
        """The next item, or _END once there are no more."""
        return self._next()

    def abandon(self) -> None:
        """Closes the generator after a failure or a cancel, so that its ``finally`` blocks run; what
        closing raises is logged, for the failure that led here is what the JVM is told."""
        try:
            self._close()
        except BaseException:
            logging.getLogger("snakepit.streams").exception("closing the generator of a stream failed")


async def _anext(generator: Any) -> Any:
    try:
        return await generator.__anext__()
    except StopAsyncIteration:
        return _END


async def _aclose(generator: Any) -> None:
    await generator.aclose()


class Streamer:
    """Sends the items of streamed calls: ``send(request_id, tool, item)`` writes one CHUNK, and
    ``await_credit(request_id)`` blocks until the JVM grants more and returns how much."""

    def __init__(self, runner: Any, send: Callable[[int, str, Any], None],
                 await_credit: Callable[[int], int]) -> None:
        self._runner = runner
        self._send = send
        self._await_credit = await_credit

    def run(self, request_id: int, credit: int, name: str, args: list, kwargs: dict) -> int:
        """Runs the tool ``name`` and streams its items with ``credit`` granted at first; returns how
        many were sent. Raises what the tool raises, and whatever lands in it (a cancel)."""
        value = self._runner.start(name, args, kwargs)
        if not is_stream(value):
            self._send(request_id, name, value)
            return 1
        source = ItemSource(value, self._runner)
        sent = 0
        try:
            while True:
                while credit <= 0:
                    credit += self._await_credit(request_id)
                item = source.next()
                if item is _END:
                    return sent
                self._send(request_id, name, item)
                sent += 1
                credit -= 1
        except BaseException:
            source.abandon()
            raise
