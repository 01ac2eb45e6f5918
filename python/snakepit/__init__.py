"""Snakepit worker runtime: serves an adapter's tools to a JVM over the Snakepit protocol.

Users write an adapter::

    from snakepit import Adapter, tool

    class Model(Adapter):
        def setup(self):                  # optional: once, before the worker reports ready
            self.weights = load()

        @tool
        def predict(self, rows: list) -> list:
            '''Scores rows.'''            # the docstring is the tool's description
            return [self.weights.score(r) for r in rows]

        def teardown(self):               # optional: at an orderly SHUTDOWN
            self.weights.close()

and the JVM runs ``python -m snakepit --adapter package.module:Model``. ``@tool(name=..., description=...)``
renames or describes a tool; ``async def`` tools run on one event loop kept for the worker's life.
``@tool(concurrency=N)`` lets the worker run up to N plain calls of a tool at once, off the main thread
(async tools on an event loop of their own, plain ones on N threads); such tools cannot call Java. A
cancelled call raises ``CallCancelled`` (a BaseException) inside the tool; ``current_call()`` tells a
tool its request id, name and deadline, and ``current_session()`` the session of the call, whose
``state`` dict keeps what its tools put there across calls (hooks ``open_session(session)`` and
``close_session(session, reason)``). A tool that is a generator streams its items to Java one by one;
``host.call("name", ...)`` calls a function the JVM registered. ``trace_context()`` gives the W3C trace
context of a traced call; with OpenTelemetry installed it is also the current context while the call
runs. Standard library only; Python 3.9 or later.
"""
__version__ = "0.1.0"

from .adapter import Adapter, tool  # noqa: E402
from . import host  # noqa: E402
from .cancel import CallCancelled, CallInfo, current_call  # noqa: E402
from .host import HostError  # noqa: E402
from .sessions import Session, current_session  # noqa: E402
from .tracing import trace_context  # noqa: E402

__all__ = ["Adapter", "CallCancelled", "CallInfo", "HostError", "Session", "current_call", "current_session", "host",
           "tool", "trace_context", "__version__"]
