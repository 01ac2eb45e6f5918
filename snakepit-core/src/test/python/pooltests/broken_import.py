"""A module whose import fails, after printing a line to stderr as real adapters often do."""
import sys

from pooltests import record_spawn

record_spawn()
print("pooltests.broken_import: loading the model", file=sys.stderr, flush=True)

import pooltests._no_such_module  # noqa: E402,F401


class Never:
    pass
