"""What SIGINT and SIGTERM from outside the pool do to a worker (docs/protocol.md, section 4.11).

Neither may kill a worker by surprise, nor land in the middle of a frame:

- SIGINT raises KeyboardInterrupt inside the running tool, which answers it as a PYTHON_EXCEPTION
  like any other error; between calls it is ignored, with a warning in the log;
- SIGTERM asks the pool to replace the worker: a RETIRE frame goes to the JVM, which starts a
  successor, lets this worker finish its call and then shuts it down (teardown() runs).

A Python signal handler runs in the main thread between any two bytecodes, also while the runtime is
writing a reply, so the handler does nothing but put the signal on a queue (SimpleQueue.put is safe
there). A thread of its own takes it off: KeyboardInterrupt reaches the tool through the call switch,
with the same guarantees as a cancel (only while the call is current, at most one per call).
"""
import logging
import queue
import signal
import threading
from typing import Callable

from .cancel import CallSwitch

_LOG = logging.getLogger("snakepit.signals")


class SignalPolicy:
    """Installs the handlers and runs the thread that acts on them."""

    def __init__(self, switch: CallSwitch, retire: Callable[[str], bool]) -> None:
        self._switch = switch
        self._retire = retire
        self._received = queue.SimpleQueue()

    def install(self) -> None:
        """Call from the main thread, before the adapter is imported."""
        signal.signal(signal.SIGINT, self._handle)
        signal.signal(signal.SIGTERM, self._handle)
        threading.Thread(target=self._run, name="snakepit-signals", daemon=True).start()

    def _handle(self, signum: int, frame: object) -> None:
        self._received.put(signum)

    def _run(self) -> None:
        while True:
            self.act(self._received.get())

    def act(self, signum: int) -> None:
        """What a received signal does; runs on the policy's thread."""
        if signum == signal.SIGINT:
            call = self._switch.current()
            if call is None:
                _LOG.warning("SIGINT between calls ignored: the pool decides when a worker stops")
            elif self._switch.interrupt(call.request_id):
                _LOG.warning("SIGINT: raised KeyboardInterrupt in tool '%s' (request %d)", call.tool, call.request_id)
            else:
                _LOG.warning("SIGINT ignored: the call of tool '%s' (request %d) was interrupted or cancelled "
                             "already", call.tool, call.request_id)
        elif signum == signal.SIGTERM:
            if self._retire("received SIGTERM"):
                _LOG.warning("SIGTERM: asked the pool to replace this worker; it finishes its call first")
