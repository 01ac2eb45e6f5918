"""Forwarding Python logging to the JVM as LOG frames (docs/protocol.md, section 4.4)."""
import logging
import os
from typing import Optional

from . import messages
from .control import ControlChannel

DEFAULT_LEVEL = logging.INFO


class ControlLogHandler(logging.Handler):
    """Sends each record as a LOG frame. Never raises into the code that logged."""

    def __init__(self, channel: ControlChannel, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self._channel = channel
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            exc = None
            if record.exc_info:
                exc = self._formatter.formatException(record.exc_info)
            elif record.exc_text:
                exc = record.exc_text
            if record.stack_info:
                exc = (exc + "\n" if exc else "") + self._formatter.formatStack(record.stack_info)
            body = messages.log_body(record.levelno, record.name, record.getMessage(), record.threadName,
                                     record.created, exc)
        except RecursionError:
            raise
        except Exception:
            # A bad format string in a user's log call: logging's usual report on stderr.
            self.handleError(record)
            return
        self._channel.post_log(body)


def parse_level(text: Optional[str]) -> int:
    """A level from SNAKEPIT_LOG_LEVEL: a name (``DEBUG``, ``warning``) or a number; INFO if unset."""
    if text is None or not text.strip():
        return DEFAULT_LEVEL
    text = text.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    level = logging.getLevelName(text.upper())
    if isinstance(level, int):
        return level
    raise ValueError("SNAKEPIT_LOG_LEVEL=%r is neither a logging level name nor a number" % text)


def install(channel: ControlChannel, level_text: Optional[str]) -> logging.Handler:
    """Routes the root logger at the given level, and warnings, through LOG frames."""
    try:
        level = parse_level(level_text)
    except ValueError as err:
        os.write(2, ("snakepit: %s; using INFO\n" % err).encode())
        level = DEFAULT_LEVEL
    handler = ControlLogHandler(channel, level)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    return handler
