"""An adapter for the managed-environment tests: says which environment it runs in and imports from it."""
import importlib
import sys

from snakepit import Adapter, tool


class EnvironmentAdapter(Adapter):
    @tool
    def prefix(self) -> str:
        """The virtual environment the worker runs in (sys.prefix)."""
        return sys.prefix

    @tool
    def value_of(self, module: str, name: str = "VALUE"):
        """An attribute of a module, imported from wherever the environment has it."""
        return getattr(importlib.import_module(module), name)
