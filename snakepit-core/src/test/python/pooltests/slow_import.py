"""A module whose import takes $POOLTESTS_IMPORT_SECONDS (default 60): a start that times out."""
import os
import time

from pooltests import record_spawn

record_spawn()
time.sleep(float(os.environ.get("POOLTESTS_IMPORT_SECONDS", "60")))


class Slow:
    pass
