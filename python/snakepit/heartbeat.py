"""The worker's heartbeat: beats on the control plane and ends the worker when the JVM stops answering
(docs/protocol.md, section 4.9); with its settings and their defaults."""
import os
import threading
import time
from typing import Any, Callable, Optional, Tuple

from .control import ControlChannel
from .exits import EXIT_HEARTBEAT, EXIT_OK, write_stderr
from .settings import SettingError, int_setting

DEFAULT_INTERVAL_MS = 2000
DEFAULT_TIMEOUT_MS = 10000


def heartbeat_settings() -> Tuple[float, float]:
    """(interval, timeout) in seconds from SNAKEPIT_HEARTBEAT_INTERVAL and _TIMEOUT (milliseconds).

    Raises SettingError for a value that is not a positive integer, or a timeout not longer than the
    interval."""
    interval = int_setting("SNAKEPIT_HEARTBEAT_INTERVAL", DEFAULT_INTERVAL_MS, 1)
    timeout = int_setting("SNAKEPIT_HEARTBEAT_TIMEOUT", DEFAULT_TIMEOUT_MS, 1)
    if timeout <= interval:
        raise SettingError("SNAKEPIT_HEARTBEAT_TIMEOUT=%d must be longer than "
                           "SNAKEPIT_HEARTBEAT_INTERVAL=%d" % (timeout, interval))
    return interval / 1000.0, timeout / 1000.0


class Heartbeat:
    """Beats on the control plane and ends the worker when the JVM stops answering.

    A daemon thread sends HEARTBEAT every ``interval`` seconds, numbered from 1. It runs Python code
    for every beat, so it needs the GIL: an interpreter wedged in C code that holds the GIL stops
    beating, which is how the JVM catches it. The worker exits, with no teardown, when a beat cannot
    be written because the JVM's end of the pipe is closed (status 0: the JVM is gone), and when no
    HEARTBEAT_ACK has arrived for ``timeout`` seconds (status 5: the JVM is alive but not answering,
    frozen or overwhelmed). No write can keep it from checking: a beat that cannot go out within an
    interval is skipped.

    Each beat after the first acknowledged one carries the round trip of the last acknowledged beat,
    in microseconds, so that the JVM sees how quickly it answers as the worker sees it.

    ``clock`` measures the silence and ``exit`` ends the process; tests replace both.
    """

    def __init__(self, channel: ControlChannel, interval: float, timeout: float,
                 exit: Callable[[int], Any] = os._exit, clock: Callable[[], float] = time.monotonic) -> None:
        self._channel = channel
        self._interval = interval
        self._timeout = timeout
        self._exit = exit
        self._clock = clock
        # Written by the control reader, read by the beating thread; a float store is atomic.
        self._last_ack = clock()
        # (sequence, when it was written) of the last beat sent: written by the beating thread before
        # the beat goes out, read by the control reader; a tuple store is atomic.
        self._sent: Tuple[int, float] = (0, 0.0)
        self._round_trip_us: Optional[int] = None
        self._stopped = threading.Event()

    def acknowledged(self, sequence: int) -> None:
        now = self._clock()
        self._last_ack = now
        sent_sequence, sent_at = self._sent
        if sequence == sent_sequence:
            self._round_trip_us = max(0, int((now - sent_at) * 1e6))

    def start(self) -> None:
        threading.Thread(target=self._run, name="snakepit-heartbeat", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        sequence = 0
        while not self._stopped.wait(self._interval):
            silent = self._clock() - self._last_ack
            if silent > self._timeout:
                write_stderr("snakepit: no heartbeat acknowledgement from the JVM for %.1f s (timeout %.1f s); "
                             "exiting\n" % (silent, self._timeout))
                self._exit(EXIT_HEARTBEAT)
                return
            sequence += 1
            self._sent = (sequence, self._clock())
            try:
                self._channel.beat(sequence, self._interval, self._round_trip_us)
            except OSError as err:
                write_stderr("snakepit: cannot send a heartbeat, the JVM is gone (%s); exiting\n" % err)
                self._exit(EXIT_OK)
                return
