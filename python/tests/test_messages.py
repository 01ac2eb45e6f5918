"""The message bodies (snakepit/messages.py): what the worker sends in HELLO, LOG, FATAL and RETIRE, and
how it reads WELCOME, CALL and CANCEL (docs/protocol.md, section 4)."""
import os
import sys
import time

import pytest

from snakepit import Adapter, __version__, messages, protocol, tool, values
from snakepit.adapter import ToolRunner
from snakepit.errors import InvalidCall
from snakepit.messages import MessageError, parse_call


def frame_of(kind, body, request_id=0):
    data, attachments, flags = values.encode(body)
    return protocol.Frame(kind, flags, request_id, data, attachments)


@pytest.mark.parametrize("message,problem", [
    ([], "JSON object"), ({"args": []}, "tool"), ({"tool": "x", "args": {}}, "args"),
    ({"tool": "x", "kwargs": []}, "kwargs")])
def test_malformed_call_bodies(message, problem):
    with pytest.raises(InvalidCall) as err:
        parse_call(message)
    assert problem in err.value.body["message"]


def test_call_body_defaults():
    assert parse_call({"tool": "x"}) == ("x", [], {})


def test_a_call_without_a_positive_timeout_has_no_deadline():
    for message in ({"tool": "x"}, {"tool": "x", "timeout_ms": 0}, {"tool": "x", "timeout_ms": -5},
                    {"tool": "x", "timeout_ms": "100"}, {"tool": "x", "timeout_ms": None}):
        assert messages.call_deadline(message) is None, message


def test_a_calls_deadline_is_its_timeout_from_now():
    before = time.monotonic()
    deadline = messages.call_deadline({"tool": "x", "timeout_ms": 2500})
    after = time.monotonic()
    assert before + 2.5 <= deadline <= after + 2.5
    assert messages.call_deadline({"tool": "x", "timeout_ms": 0.5}) >= before + 0.0005


class Described(Adapter):
    @tool
    def add(self, a: int, b: int = 2) -> int:
        """Adds."""
        return a + b


def test_hello_offers_the_versions_and_describes_worker_python_and_tools(monkeypatch):
    monkeypatch.setenv("SNAKEPIT_WORKER_ID", "w7")
    runner = ToolRunner(Described())

    hello = messages.hello_body("ab" * 32, "pkg.mod:Described", runner)

    assert list(hello) == ["protocol", "token", "worker_id", "pid", "runtime_version", "python", "adapter",
                           "dispatch", "concurrency", "session_hooks", "tools"]
    assert hello["protocol"] == messages.PROTOCOL_VERSIONS == [1]
    assert (hello["token"], hello["worker_id"], hello["pid"]) == ("ab" * 32, "w7", os.getpid())
    assert hello["runtime_version"] == __version__
    assert hello["python"]["version"] == sys.version.split()[0]
    assert hello["python"]["executable"] == sys.executable
    assert (hello["adapter"], hello["dispatch"], hello["concurrency"]) == ("pkg.mod:Described", "tools", 1)
    assert hello["tools"] == runner.describe_tools()
    assert hello["session_hooks"] == ["open_session", "close_session"], "the Adapter base class's hooks"
    values.encode(hello)  # a protocol value


def test_hello_without_a_worker_id_says_so_with_an_empty_one(monkeypatch):
    monkeypatch.delenv("SNAKEPIT_WORKER_ID", raising=False)
    assert messages.hello_body("00", "pkg.mod:Described", ToolRunner(Described()))["worker_id"] == ""


def test_welcome_gives_the_agreed_version_and_its_body():
    body = {"protocol": 1, "pool": "p", "worker_id": "w1"}
    assert messages.parse_welcome(frame_of(protocol.WELCOME, body)) == (1, body)


@pytest.mark.parametrize("body,problem", [
    ([1], "WELCOME body is not an object"),
    ({"protocol": 2}, "no common protocol version (worker speaks [1], JVM chose 2)"),
    ({"protocol": "1"}, "no common protocol version (worker speaks [1], JVM chose '1')"),
    ({"protocol": True}, "no common protocol version (worker speaks [1], JVM chose True)"),
    ({"protocol": None, "error": "JVM speaks only 2"},
     "no common protocol version (worker speaks [1], JVM chose None): JVM speaks only 2"),
])
def test_a_welcome_that_agrees_on_nothing_says_why(body, problem):
    with pytest.raises(MessageError) as err:
        messages.parse_welcome(frame_of(protocol.WELCOME, body))
    assert str(err.value) == problem


def test_an_unreadable_welcome_carries_the_decoding_error():
    with pytest.raises(MessageError) as err:
        messages.parse_welcome(protocol.Frame(protocol.WELCOME, 0, 0, b'{"protocol": 1', []))
    assert str(err.value).startswith("unreadable WELCOME: ")
    assert isinstance(err.value.__cause__, values.SerializationError)


def test_a_cancel_names_its_call_by_request_id():
    assert messages.parse_cancel(frame_of(protocol.CANCEL, {"reason": "timeout"}, request_id=42)) == 42


def test_an_unreadable_cancel_is_a_serialization_error():
    with pytest.raises(values.SerializationError):
        messages.parse_cancel(protocol.Frame(protocol.CANCEL, 0, 3, b"{", []))


def test_log_fatal_and_retire_bodies_have_the_fields_of_the_protocol():
    assert messages.log_body(30, "my.module", "text", "MainThread", 1764331200.5, None) == {
        "level": 30, "logger": "my.module", "message": "text", "thread": "MainThread",
        "time": 1764331200.5, "exc": None}
    assert messages.fatal_body("connect", "no socket", None) == {
        "stage": "connect", "message": "no socket", "pid": os.getpid(), "exception": None}
    assert messages.retire_body("received SIGTERM") == {"reason": "received SIGTERM"}


def test_a_fatal_body_describes_its_cause():
    try:
        raise KeyError("config")
    except KeyError as err:
        cause = err
    body = messages.fatal_body("setup", "KeyError: 'config'", cause)
    assert body["exception"]["type"] == "KeyError"
    assert body["exception"]["frames"][0]["function"] == "test_a_fatal_body_describes_its_cause"
    values.encode(body)
