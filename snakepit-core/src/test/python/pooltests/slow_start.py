"""An adapter whose setup() takes $POOLTESTS_SETUP_SECONDS (default 1), to time concurrent starts."""
import os
import time

from snakepit import Adapter, tool

from pooltests import record_spawn


class SlowSetup(Adapter):
    def setup(self) -> None:
        record_spawn()
        time.sleep(float(os.environ.get("POOLTESTS_SETUP_SECONDS", "1")))

    @tool
    def pid(self) -> int:
        return os.getpid()
