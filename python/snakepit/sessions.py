"""Sessions: Python state kept in one worker across calls (docs/protocol.md, section 4.12).

The JVM opens a session on a worker, names it in the calls that belong to it, and closes it; the worker
keeps a table of the sessions it holds. Tools reach the session of the call they run through
``current_session()``. The adapter's optional hooks run on the main thread, like tools:
``open_session(session)``, ``close_session(session, reason)``, and, to move a session between workers,
``snapshot_session(session) -> bytes`` and ``restore_session(session, data)``.
"""
import logging
import time
from typing import Any, Callable, Dict, List, Optional

from . import errors
from .cancel import CONCURRENT_CALL
from .errors import InvalidCall

HOOKS = ("open_session", "close_session", "snapshot_session", "restore_session")

_current: Optional["Session"] = None


def defined_hooks(instance: Any) -> List[str]:
    """The session hooks an adapter instance defines, in protocol order (HELLO's ``session_hooks``)."""
    return [name for name in HOOKS if callable(getattr(instance, name, None))]


class Session:
    """One session this worker holds: its id, a ``state`` dict for the tools, when it opened, and how
    many of its calls this worker has run."""

    __slots__ = ("id", "state", "opened_at", "calls")

    def __init__(self, session_id: str) -> None:
        self.id = session_id
        self.state: Dict[str, Any] = {}
        self.opened_at = time.time()
        self.calls = 0

    def __repr__(self) -> str:
        return "Session(id=%r, calls=%d, state keys=%r)" % (self.id, self.calls, sorted(self.state))


def current_session() -> Optional[Session]:
    """The session of the call being run, or None outside a session's call. A call of a tool with
    concurrency > 1 that runs concurrently (concurrent.py) belongs to no session."""
    if CONCURRENT_CALL.get() is not None:
        return None
    return _current


class SessionTable:
    """The sessions this worker holds, oldest first; every method runs on the main thread."""

    def __init__(self, runner: Any) -> None:
        self._runner = runner
        self._open: Dict[str, Session] = {}
        self._hooks = {name: getattr(runner.instance, name) for name in defined_hooks(runner.instance)}

    def get(self, session_id: str) -> Optional[Session]:
        return self._open.get(session_id)

    def __len__(self) -> int:
        return len(self._open)

    def open(self, session_id: str, restore: Optional[bytes] = None) -> None:
        """Opens a session: runs open_session, or restore_session with ``restore``. The session is in the
        table only if the hook returned."""
        if session_id in self._open:
            raise InvalidCall(errors.invalid_request("session %s is open already on this worker" % session_id,
                                                     {"session": session_id}))
        hook = "open_session" if restore is None else "restore_session"
        if restore is not None and hook not in self._hooks:
            raise InvalidCall(errors.invalid_request(
                "cannot restore session %s: the adapter defines no restore_session" % session_id,
                {"session": session_id}))
        session = Session(session_id)
        function = self._hooks.get(hook)
        if function is not None:
            self._in(session, function, *((session,) if restore is None else (session, restore)))
        self._open[session_id] = session

    def close(self, session_id: str, reason: str, snapshot: bool = False) -> Any:
        """Closes a session: True once closed, False if it was not open; with ``snapshot`` its snapshot's
        bytes instead, and close_session is not run, for the session lives on elsewhere."""
        session = self._open.get(session_id)
        if snapshot:
            return self._snapshot(session_id, session)
        if session is None:
            return False
        del self._open[session_id]
        function = self._hooks.get("close_session")
        if function is not None:
            self._in(session, function, session, reason)
        return True

    def _snapshot(self, session_id: str, session: Optional[Session]) -> bytes:
        function = self._hooks.get("snapshot_session")
        if function is None:
            raise InvalidCall(errors.invalid_request(
                "cannot snapshot session %s: the adapter defines no snapshot_session" % session_id,
                {"session": session_id}))
        if session is None:
            raise InvalidCall(errors.session_lost(session_id))
        data = self._in(session, function, session)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InvalidCall(errors.serialization_error(
                "snapshot_session must return bytes, not %s" % type(data).__qualname__,
                {"session": session_id, "type": type(data).__qualname__}))
        del self._open[session_id]
        return bytes(data)

    def call(self, session_id: str, open_if_unknown: bool, name: str, args: list, kwargs: dict) -> Any:
        """Runs a tool with the session current, opening the session first if asked to and it is not open."""
        return self.run(session_id, open_if_unknown, self._runner.call, name, args, kwargs)

    def run(self, session_id: str, open_if_unknown: bool, work: Callable, *args: Any) -> Any:
        """Runs ``work(*args)`` (a tool's call, or its stream) with the session current, as call() does."""
        session = self._open.get(session_id)
        if session is None:
            if not open_if_unknown:
                raise InvalidCall(errors.session_lost(session_id))
            self.open(session_id)
            session = self._open[session_id]
        session.calls += 1
        return self._in(session, work, *args)

    def close_all(self, reason: str) -> None:
        """Closes every session, oldest first (at SHUTDOWN); a failing close_session is logged."""
        for session_id in list(self._open):
            try:
                self.close(session_id, reason)
            except BaseException:
                logging.getLogger("snakepit.sessions").exception("close_session of session %s failed", session_id)

    def _in(self, session: Session, function: Any, *args: Any) -> Any:
        """Runs ``function`` (a tool call or a hook) with ``session`` current."""
        global _current
        outer = _current
        _current = session
        try:
            return self._runner.invoke(function, *args)
        finally:
            _current = outer
