"""``benchtools.preloaded:Preloaded``: an adapter whose ``preload()`` loads 200 MiB of data, as a model
would, for the memory benchmark (the proportional set size of a pool of its workers)."""
import os

from snakepit import Adapter, tool

MIB = 1 << 20


class Preloaded(Adapter):
    data = b""

    @classmethod
    def preload(cls) -> None:
        # Every page written, so that it is resident (a bytearray of zeros would not be), as a model's
        # weights are once read from disk.
        size = int(os.environ.get("BENCH_PRELOAD_MIB", "200")) * MIB
        cls.data = b"\x01" * size

    @tool
    def ping(self) -> None:
        pass

    @tool
    def loaded(self) -> int:
        """The bytes preload() loaded."""
        return len(self.data)
