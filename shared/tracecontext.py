"""W3C trace context through OpenTelemetry: the trace a request belongs to, carried to every call it makes.

The request's middleware (shared/observability.py) continues an incoming valid `traceparent` or starts a
trace, in a server span; each call to another service (shared/service_client.py) is a client span whose
context goes out as `traceparent`; the gateway forwards its own span's context; the outbox keeps the context
of the transaction that wrote an event and the relay's send is a child of it. OTel's propagator reads and
writes the header; the trace id is also in every JSON log line (shared/logging.py).
"""

import re
from collections.abc import Mapping, MutableMapping

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

HEADER = "traceparent"
PROPAGATOR = TraceContextTextMapPropagator()
# What the services send each other (version 00, no tracestate): read here, everything else by the propagator.
_PLAIN = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def current_ids() -> tuple[str, str] | None:
    """The current span's (trace id, span id) in hex, or None outside a trace."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def current_trace_id() -> str | None:
    ids = current_ids()
    return ids[0] if ids else None


def extract(headers: Mapping[str, str]) -> Context:
    """The remote parent named by `traceparent` (and `tracestate`), or an empty context (a new trace)."""
    traceparent = headers.get(HEADER)
    if traceparent is None or "tracestate" in headers or not (plain := _PLAIN.fullmatch(traceparent)):
        return PROPAGATOR.extract(carrier=headers)
    # As the propagator reads it, without its getter, length and version checks (none applies here).
    trace_id, span_id = int(plain[1], 16), int(plain[2], 16)
    if not trace_id or not span_id:
        return Context()
    flags = TraceFlags(int(plain[3], 16))
    parent = SpanContext(trace_id=trace_id, span_id=span_id, is_remote=True, trace_flags=flags)
    return trace.set_span_in_context(NonRecordingSpan(parent), Context())


def inject(headers: MutableMapping[str, str]) -> None:
    """Set `traceparent` (and `tracestate`) to the current span's context."""
    PROPAGATOR.inject(carrier=headers)


def remote_parent(trace_id: str | None, span_id: str | None) -> Context | None:
    """A context whose parent is the stored span (sampled, remote); None when nothing valid was stored."""
    if not trace_id or not span_id:
        return None
    try:
        context = SpanContext(
            trace_id=int(trace_id, 16),
            span_id=int(span_id, 16),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
    except ValueError:
        return None
    if not context.is_valid:
        return None
    return trace.set_span_in_context(NonRecordingSpan(context))
