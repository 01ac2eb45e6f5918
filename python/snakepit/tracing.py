"""The trace context of the call being run (docs/protocol.md, section 4.2): the W3C headers the JVM sent
with it, for adapters to pass to their tracing library, and, when OpenTelemetry is installed in the
worker, that context attached while the call runs, so that the spans its code makes join the caller's
trace without any code of the adapter's own."""
import contextlib
import contextvars
import re
from typing import Any, Dict, Iterator, Optional

from . import errors

# The W3C headers of the call this thread or task runs; empty outside a traced call.
_CURRENT: "contextvars.ContextVar[Dict[str, str]]" = contextvars.ContextVar("snakepit_trace", default={})

_TRACEPARENT = re.compile(r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}\Z")
_MAX_TRACESTATE = 512

# OpenTelemetry's context and propagation API once imported, False when it is not installed, None
# before the first traced call: importing it costs time, and most workers never need it.
_otel: Any = None


def trace_context() -> Dict[str, str]:
    """The W3C Trace Context headers (``traceparent``, and ``tracestate`` when there is one) of the call
    being run, as a new dict; empty outside a call, or for a call the JVM did not trace. Hand it to a
    tracing library's extract function to continue the caller's trace."""
    return dict(_CURRENT.get())


def parse(message: Dict[str, Any]) -> Optional[Dict[str, str]]:
    """The trace context of a decoded CALL body, or None; raises errors.InvalidCall when its ``trace``
    member breaks the rules."""
    trace = message.get("trace")
    if trace is None:
        return None
    parent = trace.get("traceparent") if type(trace) is dict else None
    if type(parent) is not str or not _TRACEPARENT.match(parent) or set(trace) - {"traceparent", "tracestate"}:
        raise errors.InvalidCall(errors.invalid_request(
            "CALL \"trace\" = %.200r is invalid: it must be an object with a W3C \"traceparent\" and at most a "
            "\"tracestate\"" % (trace,)))
    state = trace.get("tracestate")
    if state is not None and (type(state) is not str or len(state) > _MAX_TRACESTATE):
        raise errors.InvalidCall(errors.invalid_request(
            "CALL \"tracestate\" is invalid: it must be a string of at most %d characters" % _MAX_TRACESTATE))
    return {"traceparent": parent, "tracestate": state} if state else {"traceparent": parent}


@contextlib.contextmanager
def attached(headers: Optional[Dict[str, str]]) -> Iterator[None]:
    """Makes ``headers`` the current call's trace context, and the current OpenTelemetry context when
    OpenTelemetry is installed, until the block ends; does nothing for None."""
    if headers is None:
        yield
        return
    token = _CURRENT.set(headers)
    otel_token = _attach_otel(headers)
    try:
        yield
    finally:
        if otel_token is not None:
            _otel[0].detach(otel_token)
        _CURRENT.reset(token)


def _attach_otel(headers: Dict[str, str]) -> Any:
    global _otel
    if _otel is None:
        try:
            from opentelemetry import context, propagate  # type: ignore[import-not-found]
            _otel = (context, propagate)
        except ImportError:
            _otel = False
    if not _otel:
        return None
    context, propagate = _otel
    return context.attach(propagate.extract(headers))
