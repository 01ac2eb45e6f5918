"""The sessions tests' adapter: tools that keep state in their session, and hooks that record, in a file
the test names, every time they run.

$POOLTESTS_SESSION_LOG, when set, gets one line per hook: "<hook> <session id> <worker id> [<reason>]".
A session opened with "fail" in $POOLTESTS_SESSION_FAIL_OPEN's value makes open_session raise.
"""
import json
import os
import time
from typing import Any, List

from snakepit import Adapter, current_session, tool


def _log(*words: str) -> None:
    path = os.environ.get("POOLTESTS_SESSION_LOG")
    if path:
        with open(path, "a") as f:
            f.write(" ".join(words) + "\n")


class SessionAdapter(Adapter):
    def open_session(self, session) -> None:
        if os.environ.get("POOLTESTS_SESSION_FAIL_OPEN") == "fail":
            raise RuntimeError("no session today")
        session.state["items"] = []
        session.state["pid"] = os.getpid()
        _log("open", session.id, os.environ.get("SNAKEPIT_WORKER_ID", "?"))

    def close_session(self, session, reason: str) -> None:
        _log("close", session.id, os.environ.get("SNAKEPIT_WORKER_ID", "?"), reason)
        if session.state.get("fail_close"):
            raise ValueError("close_session was told to fail")

    @tool
    def remember(self, item: Any) -> int:
        """Adds an item to the session's list; returns how many it holds."""
        items = current_session().state["items"]
        items.append(item)
        return len(items)

    @tool
    def recall(self) -> List[Any]:
        """The session's items, in the order they came."""
        return list(current_session().state["items"])

    @tool
    def whoami(self) -> dict:
        """The session's id and the worker's pid, and the pid that opened the session."""
        session = current_session()
        return {"session": None if session is None else session.id, "pid": os.getpid(),
                "opened_by": None if session is None else session.state.get("pid")}

    @tool
    def fail_close(self) -> bool:
        """Makes this session's close_session raise."""
        current_session().state["fail_close"] = True
        return True

    @tool
    def sleep(self, seconds: float) -> float:
        time.sleep(seconds)
        return seconds

    @tool
    def crash(self) -> None:
        """Kills this worker at once."""
        os._exit(13)


class MovableSessionAdapter(SessionAdapter):
    """Sessions that move between workers: the snapshot is the session's items as JSON. A session that
    remembered "stuck" refuses its snapshot."""

    def snapshot_session(self, session) -> bytes:
        if "stuck" in session.state["items"]:
            raise RuntimeError("this session cannot be moved")
        _log("snapshot", session.id, os.environ.get("SNAKEPIT_WORKER_ID", "?"))
        return json.dumps(session.state["items"]).encode()

    def restore_session(self, session, data: bytes) -> None:
        session.state["items"] = json.loads(data)
        session.state["pid"] = os.getpid()
        _log("restore", session.id, os.environ.get("SNAKEPIT_WORKER_ID", "?"))
