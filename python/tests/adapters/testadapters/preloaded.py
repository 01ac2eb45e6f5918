"""Adapters for the template's tests: a preload() whose memory the forked workers share, and one that
leaves a thread behind."""
import os
import threading

from snakepit import Adapter, tool

MIB = 1 << 20


class Preloaded(Adapter):
    loaded_by = 0
    runs = 0
    data = b""

    @classmethod
    def preload(cls):
        cls.loaded_by = os.getpid()
        cls.runs += 1
        cls.data = b"\x01" * (int(os.environ.get("PRELOAD_MIB", "32")) * MIB)

    @tool
    def where(self):
        return {"loaded_by": self.loaded_by, "runs": self.runs, "pid": os.getpid(), "ppid": os.getppid(),
                "loaded": len(self.data)}


class ThreadedPreload(Adapter):
    @classmethod
    def preload(cls):
        threading.Thread(target=threading.Event().wait, name="model-loader", daemon=True).start()

    @tool
    def ping(self):
        pass
