"""Adapters that fail at each start-up stage."""
import logging
import threading

from snakepit import Adapter, tool


class FailingConstruct:
    def __init__(self):
        raise RuntimeError("cannot construct")


class FailingPreload(Adapter):
    @classmethod
    def preload(cls):
        raise MemoryError("the model does not fit")

    @tool
    def ping(self):
        pass


class Preloading(Adapter):
    """Counts its preloads and constructions in class state, as a model loaded in preload() would be kept."""

    order = []

    @classmethod
    def preload(cls):
        cls.order.append("preload")
        cls.table = list(range(1000))

    def __init__(self):
        type(self).order.append("construct")

    def setup(self):
        type(self).order.append("setup")

    @tool
    def size(self):
        return len(self.table)


class FailingSetupInProcess(Adapter):
    """Fails in setup() as FailingSetup does, but starts no thread: for tests that load it in pytest's own process."""

    def setup(self):
        try:
            {}["config"]
        except KeyError as err:
            raise ValueError("setup failed") from err


class FailingSetup(FailingSetupInProcess):
    def setup(self):
        logging.getLogger("broken").warning("about to fail in setup")
        # A non-daemon thread must not keep the failed worker alive.
        threading.Thread(target=threading.Event().wait, daemon=False).start()
        super().setup()

    @tool
    def ping(self):
        pass


class FailingTeardown(Adapter):
    def teardown(self):
        raise RuntimeError("teardown exploded")

    @tool
    def ping(self):
        pass
