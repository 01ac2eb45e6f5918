"""Streaming tools for the pool's stream tests. The generators count the items they produced and note
that their ``finally`` ran; ``state`` reports both, so a test can tell how far a generator advanced."""
import asyncio
import os
import time

from snakepit import Adapter, current_session, tool

STATE = {"produced": 0, "closed": 0}


class StreamAdapter(Adapter):
    @tool
    def count(self, n: int):
        try:
            for i in range(n):
                STATE["produced"] += 1
                yield i
        finally:
            STATE["closed"] += 1

    @tool
    def endless(self, size: int = 0):
        """Fresh bytes of ``size`` each (a number when 0), for ever."""
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
        for i in range(n):
            await asyncio.sleep(0)
            yield {"i": i, "square": i * i}

    @tool
    def fail_after(self, n: int):
        yield from range(n)
        raise ValueError("the source ran dry after %d items" % n)

    @tool
    def unsendable_after(self, n: int):
        yield from range(n)
        yield object()

    @tool
    def slow_after(self, n: int, seconds: float):
        """n items at once, then one more after ``seconds``."""
        try:
            yield from range(n)
            time.sleep(seconds)
            yield n
        finally:
            STATE["closed"] += 1

    @tool
    def die_after(self, n: int):
        yield from range(n)
        os._exit(3)

    @tool
    def single(self) -> str:
        return "just one"

    @tool
    def session_ids(self, n: int):
        for _ in range(n):
            yield current_session().id

    @tool
    def state(self) -> dict:
        return dict(STATE)

    @tool
    def reset(self) -> None:
        STATE.update(produced=0, closed=0)

    @tool
    def pid(self) -> int:
        return os.getpid()
