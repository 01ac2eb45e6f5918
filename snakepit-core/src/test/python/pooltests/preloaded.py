"""Adapters for pools that fork their workers from a template (PoolConfig.preload)."""
import os
import threading
from typing import List

from snakepit import tool

from pooltests.tools import PoolTestAdapter


class Preloaded(PoolTestAdapter):
    """The test adapter's tools, with a preload() that fills 16 MiB and records where it ran."""

    loaded_in = 0
    data = b""

    @classmethod
    def preload(cls) -> None:
        cls.loaded_in = os.getpid()
        cls.data = b"\x01" * (16 << 20)

    @tool
    def preloaded_by(self) -> List[int]:
        """[the pid preload() ran in, this worker's pid, its parent's (the keeper's)]"""
        return [self.loaded_in, os.getpid(), os.getppid()]

    @tool
    def data_sum(self) -> int:
        return len(self.data)


class StartsAThread(PoolTestAdapter):
    """A preload() that leaves a thread running, which a template must refuse to fork with."""

    @classmethod
    def preload(cls) -> None:
        threading.Thread(target=threading.Event().wait, name="model-loader", daemon=True).start()
