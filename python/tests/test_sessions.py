"""The worker's table of sessions (snakepit/sessions.py), in process: the hooks, the state, the current
session, snapshots, and the errors of each misuse."""
import pytest

from snakepit import Adapter, Session, current_session, errors
from snakepit.adapter import ToolRunner
from snakepit.errors import InvalidCall
from snakepit.sessions import SessionTable, defined_hooks
from testadapters.sessions import AsyncSessionsAdapter, SessionsAdapter

A = "a" * 32
B = "b" * 32


@pytest.fixture
def log(tmp_path, monkeypatch):
    path = tmp_path / "hooks.log"
    monkeypatch.setenv("SESSIONS_LOG", str(path))
    return lambda: path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def table():
    made = SessionTable(ToolRunner(SessionsAdapter()))
    yield made
    made._runner.close()


def test_a_session_keeps_its_state_across_calls_and_is_current_only_inside_them(table, log):
    table.open(A)
    table.open(B)
    assert log() == ["open " + A, "open " + B]
    assert table.call(A, False, "add", ["x"], {}) == 1
    assert table.call(A, False, "add", [], {"item": "y"}) == 2
    assert table.call(B, False, "add", ["z"], {}) == 1
    assert table.call(A, False, "items", [], {}) == ["x", "y"]
    assert table.call(A, False, "current", [], {}) == {"id": A, "calls": 4}
    assert current_session() is None
    session = table.get(A)
    assert isinstance(session, Session) and session.id == A and session.opened_at > 0
    assert "calls=4" in repr(session)


def test_a_call_of_a_session_not_held_is_session_lost_unless_it_may_open_it(table, log):
    with pytest.raises(InvalidCall) as lost:
        table.call(A, False, "items", [], {})
    assert lost.value.body == errors.session_lost(A)
    assert lost.value.body["kind"] == "SESSION_LOST" and lost.value.body["details"] == {"session": A}
    assert table.call(A, True, "add", ["first"], {}) == 1
    assert log() == ["open " + A]
    assert table.call(A, True, "add", ["again"], {}) == 2, "opened once"


def test_opening_twice_is_invalid_and_a_failing_open_hook_opens_nothing(table):
    table.open(A)
    with pytest.raises(InvalidCall) as twice:
        table.open(A)
    assert twice.value.body["kind"] == "INVALID_REQUEST"
    assert "open already" in twice.value.body["message"]
    dead = "dead" + "0" * 28
    with pytest.raises(RuntimeError, match="refused to open"):
        table.open(dead)
    assert table.get(dead) is None and len(table) == 1


def test_closing_runs_the_hook_with_the_reason_and_is_idempotent(table, log):
    table.open(A)
    assert table.close(A, "idle") is True
    assert table.close(A, "idle") is False
    assert log() == ["open " + A, "close " + A + " idle"]
    table.open(B)
    table.call(B, False, "set_flag", ["fail_close"], {})
    with pytest.raises(ValueError, match="on purpose"):
        table.close(B, "closed")
    assert table.get(B) is None, "a failing close_session still closes"


def test_a_snapshot_moves_the_state_to_another_table(table, log):
    table.open(A)
    table.call(A, False, "add", ["p"], {})
    table.call(A, False, "add", ["q"], {})
    data = table.close(A, "moved", snapshot=True)
    assert data == b"p,q"
    assert table.get(A) is None
    assert "close " + A + " moved" not in log(), "a moved session is not closed"

    other = SessionTable(ToolRunner(SessionsAdapter()))
    other.open(A, restore=data)
    assert other.call(A, False, "items", [], {}) == ["p", "q"]
    assert log()[-1] == "restore " + A


def test_snapshot_errors_leave_the_session_open(table):
    table.open(A)
    table.call(A, False, "set_flag", ["bad_snapshot"], {})
    with pytest.raises(InvalidCall) as bad:
        table.close(A, "moved", snapshot=True)
    assert bad.value.body["kind"] == "SERIALIZATION_ERROR"
    assert bad.value.body["details"] == {"session": A, "type": "str"}
    assert table.get(A) is not None

    plain = SessionTable(ToolRunner(Adapter()))
    plain.open(B)
    for attempt in (lambda: plain.close(B, "moved", snapshot=True), lambda: plain.open(A, restore=b"x")):
        with pytest.raises(InvalidCall) as missing:
            attempt()
        assert missing.value.body["kind"] == "INVALID_REQUEST"
        assert "defines no" in missing.value.body["message"]
    assert plain.get(B) is not None


def test_close_all_closes_oldest_first_and_logs_failures(table, log, caplog):
    for session_id in (B, A):
        table.open(session_id)
    table.call(B, False, "set_flag", ["fail_close"], {})
    table.close_all("pool_closed")
    assert log()[2:] == ["close " + B + " pool_closed", "close " + A + " pool_closed"]
    assert len(table) == 0
    assert "close_session of session %s failed" % B in caplog.text


def test_async_hooks_are_awaited(log):
    runner = ToolRunner(AsyncSessionsAdapter())
    table = SessionTable(runner)
    try:
        table.open(A)
        assert table.call(A, False, "opened_async", [], {}) is True
        assert table.close(A, "closed") is True
        assert log() == ["close " + A + " closed"]
    finally:
        runner.close()


def test_the_hooks_an_adapter_defines_are_listed_in_protocol_order():
    assert defined_hooks(SessionsAdapter()) == ["open_session", "close_session", "snapshot_session", "restore_session"]
    assert defined_hooks(Adapter()) == ["open_session", "close_session"]
    assert defined_hooks(object()) == []
