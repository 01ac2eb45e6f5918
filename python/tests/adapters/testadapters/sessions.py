"""An adapter with every session hook: each hook notes that it ran in the session's state and, when
$SESSIONS_LOG is set, in that file ("<hook> <session id> [<reason>]"). Tools read and change the state."""
import asyncio
import os
import time

from snakepit import Adapter, CallCancelled, current_session, tool


def _log(*words):
    path = os.environ.get("SESSIONS_LOG")
    if path:
        with open(path, "a") as f:
            f.write(" ".join(words) + "\n")


class SessionsAdapter(Adapter):
    def open_session(self, session):
        if session.id.startswith("dead"):
            raise RuntimeError("refused to open " + session.id)
        session.state["items"] = []
        _log("open", session.id)

    def close_session(self, session, reason):
        _log("close", session.id, reason)
        if session.state.get("fail_close"):
            raise ValueError("close failed on purpose")

    def snapshot_session(self, session):
        if session.state.get("bad_snapshot"):
            return "not bytes"
        return ",".join(session.state["items"]).encode()

    def restore_session(self, session, data):
        session.state["items"] = data.decode().split(",") if data else []
        _log("restore", session.id)

    @tool
    def add(self, item: str) -> int:
        items = current_session().state["items"]
        items.append(item)
        return len(items)

    @tool
    def items(self) -> list:
        return current_session().state["items"]

    @tool
    def current(self):
        session = current_session()
        return None if session is None else {"id": session.id, "calls": session.calls}

    @tool
    def set_flag(self, name: str) -> bool:
        current_session().state[name] = True
        return True


class AsyncSessionsAdapter(Adapter):
    async def open_session(self, session):
        await asyncio.sleep(0)
        session.state["opened_async"] = True

    async def close_session(self, session, reason):
        await asyncio.sleep(0)
        _log("close", session.id, reason)

    @tool
    def opened_async(self) -> bool:
        return current_session().state.get("opened_async", False)


class CancelledOpen(Adapter):
    def open_session(self, session):
        _log("opening", session.id)
        try:
            time.sleep(30)
        except CallCancelled:
            _log("cancelled", session.id)
            raise
