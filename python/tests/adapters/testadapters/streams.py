"""Streaming tools for the serve-loop tests. Each generator counts the items it produced and notes in
``STATE`` that its ``finally`` ran; the ``state`` tool reports both."""
import asyncio
import time

from snakepit import Adapter, current_session, tool

STATE = {"produced": 0, "closed": 0}


class StreamsAdapter(Adapter):
    @tool
    def count(self, n: int):
        """Yields 0 to n - 1."""
        try:
            for i in range(n):
                STATE["produced"] += 1
                yield i
        finally:
            STATE["closed"] += 1

    @tool
    def endless(self, size: int = 0):
        """Yields fresh bytes of ``size`` (or counts when 0) forever."""
        try:
            i = 0
            while True:
                STATE["produced"] += 1
                yield bytes(size) if size else i
                i += 1
        finally:
            STATE["closed"] += 1

    @tool
    async def acount(self, n: int):
        try:
            for i in range(n):
                await asyncio.sleep(0)
                STATE["produced"] += 1
                yield i
        finally:
            STATE["closed"] += 1

    @tool
    def fail_after(self, n: int):
        yield from range(n)
        raise ValueError("stream broke after %d items" % n)

    @tool
    def bad_item(self):
        try:
            yield 1
            yield object()
            yield 3
        finally:
            STATE["closed"] += 1

    @tool
    def slow(self, n: int, seconds: float):
        """Yields n items, sleeping ``seconds`` before each but the first."""
        try:
            for i in range(n):
                if i:
                    time.sleep(seconds)
                yield i
        finally:
            STATE["closed"] += 1

    @tool
    def single(self) -> int:
        return 42

    @tool
    def session_ids(self, n: int):
        for _ in range(n):
            session = current_session()
            yield session.id if session else None

    @tool
    def state(self) -> dict:
        return dict(STATE)
