"""An adapter whose setup() raises, chained from the error that caused it."""
from snakepit import Adapter, tool

from pooltests import record_spawn


class FailingSetup(Adapter):
    def setup(self) -> None:
        record_spawn()
        try:
            {}["model_path"]
        except KeyError as err:
            raise ValueError("setup failed: no model configured") from err

    @tool
    def ping(self) -> None:
        pass


class FailingPreload(Adapter):
    """Fails in preload(), which runs before the adapter is constructed."""

    @classmethod
    def preload(cls) -> None:
        record_spawn()
        raise MemoryError("the model does not fit")

    @tool
    def ping(self) -> None:
        pass
