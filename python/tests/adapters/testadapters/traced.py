"""Tools that report the trace context they run under (snakepit/tracing.py): the W3C headers and, when
OpenTelemetry's API is installed, the current span's context, serially, concurrently and streamed."""
import asyncio
from typing import Any, Dict, Optional

from snakepit import Adapter, trace_context, tool


def _otel_span() -> Optional[Dict[str, Any]]:
    """The trace and span ids (hex) of OpenTelemetry's current span, or None without OpenTelemetry."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {"trace_id": None, "span_id": None}
    return {"trace_id": "%032x" % context.trace_id, "span_id": "%016x" % context.span_id}


class Traced(Adapter):
    @tool
    def context(self) -> Dict[str, Any]:
        return {"headers": trace_context(), "otel": _otel_span()}

    @tool(concurrency=4)
    def context_threads(self) -> Dict[str, Any]:
        return {"headers": trace_context(), "otel": _otel_span()}

    @tool(concurrency=4)
    async def context_async(self) -> Dict[str, Any]:
        await asyncio.sleep(0)
        return {"headers": trace_context(), "otel": _otel_span()}

    @tool
    def context_stream(self, n: int):
        for _ in range(n):
            yield trace_context()
