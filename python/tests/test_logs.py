"""Python logging forwarded as LOG frames (snakepit/logs.py)."""
import logging
import time

import pytest

from snakepit import logs, protocol

PROBE = "testadapters.probe:ProbeAdapter"


def test_log_records_and_warnings_become_log_frames(jvm_factory):
    jvm = jvm_factory(PROBE)
    jvm.start()
    jvm.call("debug_log").value
    info = jvm.next_control(protocol.LOG)
    assert (info["level"], info["logger"], info["message"]) == (20, "probe", "an info record")
    assert info["thread"] == "MainThread" and info["exc"] is None
    assert abs(info["time"] - time.time()) < 60
    jvm.call("log_error").value
    error = jvm.next_control(protocol.LOG)
    assert error["level"] == 40 and "RuntimeError: logged failure" in error["exc"]
    jvm.call("warn").value
    warning = jvm.next_control(protocol.LOG)
    assert warning["logger"] == "py.warnings" and "deprecated thing" in warning["message"]


def test_numeric_log_level(jvm_factory):
    jvm = jvm_factory(PROBE, env={"SNAKEPIT_LOG_LEVEL": "30"})
    jvm.start()
    jvm.call("debug_log").value
    jvm.call("warn").value
    assert jvm.next_control(protocol.LOG)["logger"] == "py.warnings"


@pytest.mark.parametrize("text,level", [(None, logging.INFO), ("", logging.INFO), ("DEBUG", logging.DEBUG),
                                        (" warning ", logging.WARNING), ("15", 15), ("-1", -1)])
def test_log_levels_are_names_or_numbers(text, level):
    assert logs.parse_level(text) == level


def test_an_unknown_log_level_is_refused_with_the_value():
    with pytest.raises(ValueError) as err:
        logs.parse_level("LOUD")
    assert str(err.value) == "SNAKEPIT_LOG_LEVEL='LOUD' is neither a logging level name nor a number"


class Posted:
    """Stands in for the control channel; keeps the LOG bodies posted to it."""

    def __init__(self) -> None:
        self.bodies = []

    def post_log(self, body):
        self.bodies.append(body)


def test_a_record_becomes_a_log_body_with_its_exception():
    channel = Posted()
    logger = logging.getLogger("test_logs.record")
    logger.addHandler(logs.ControlLogHandler(channel))
    logger.propagate = False
    try:
        try:
            raise RuntimeError("logged failure")
        except RuntimeError:
            logger.error("it failed: %s", "badly", exc_info=True)
    finally:
        logger.handlers.clear()
        logger.propagate = True

    (body,) = channel.bodies
    assert list(body) == ["level", "logger", "message", "thread", "time", "exc"]
    assert (body["level"], body["logger"], body["message"]) == (40, "test_logs.record", "it failed: badly")
    assert body["thread"] == "MainThread" and abs(body["time"] - time.time()) < 60
    assert "RuntimeError: logged failure" in body["exc"]


def test_a_record_that_cannot_be_formatted_is_reported_not_raised(capsys):
    channel = Posted()
    handler = logs.ControlLogHandler(channel)
    record = logging.LogRecord("test_logs.bad", logging.WARNING, __file__, 1, "%d items", ("many",), None)

    handler.emit(record)

    assert channel.bodies == []
    assert "--- Logging error ---" in capsys.readouterr().err
