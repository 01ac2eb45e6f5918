"""The reload tests' adapters: two releases of the same code, and one that dropped a tool.

Each release says which it is, so that a test can tell which generation of workers answered.
"""
import os
import time
from typing import Any, List

from snakepit import Adapter, current_session, tool


class ReleaseOne(Adapter):
    RELEASE = 1

    def open_session(self, session) -> None:
        session.state["items"] = []

    @tool
    def release(self) -> List[Any]:
        """This release's number and the worker's id."""
        return [self.RELEASE, os.environ.get("SNAKEPIT_WORKER_ID", "?")]

    @tool
    def add(self, a: int, b: int) -> int:
        return a + b

    @tool
    def nap(self, seconds: float) -> int:
        """Sleeps, then answers the release that ran it."""
        time.sleep(seconds)
        return self.RELEASE

    @tool
    def remember(self, item: Any) -> List[Any]:
        """Adds an item to the session's list; returns the release and how many items it holds."""
        items = current_session().state["items"]
        items.append(item)
        return [self.RELEASE, len(items)]


class ReleaseTwo(ReleaseOne):
    RELEASE = 2


class ReleaseWithoutNap(Adapter):
    """A release that lost the nap tool (and everything else but add)."""

    @tool
    def add(self, a: int, b: int) -> int:
        return a + b
