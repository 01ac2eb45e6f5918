"""Tools that call the JVM back through snakepit.host, for the pool's host-call tests."""
import os

from snakepit import Adapter, HostError, host, tool


class HostAdapter(Adapter):
    @tool
    def ask(self, function: str, *args, **kwargs):
        return host.call(function, *args, **kwargs)

    @tool
    async def ask_async(self, function: str, *args):
        return await host.acall(function, *args)

    @tool
    def ask_catching(self, function: str, *args) -> dict:
        try:
            return {"value": host.call(function, *args)}
        except HostError as err:
            return {"kind": err.kind, "type": err.java_type, "message": err.message}

    @tool
    def recurse(self, n: int) -> list:
        """[pid at depth n, pid at depth n - 1, ..., pid at 0]: each level asks Java, which calls recurse(n - 1)."""
        if n == 0:
            return [os.getpid()]
        return [os.getpid()] + host.call("down", n - 1)

    @tool
    def add(self, a: int, b: int) -> int:
        return a + b

    @tool
    def count(self, n: int):
        yield from range(n)

    @tool
    def crash(self) -> None:
        os._exit(7)
