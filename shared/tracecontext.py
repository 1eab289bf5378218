"""W3C trace context (`traceparent`): the trace a request belongs to, carried to every call it makes.

The request's middleware keeps an incoming valid `traceparent`'s trace id (or starts a trace); each outgoing
call sends the same trace id with a span id of its own, so one trace runs from the gateway through every
service call and the outbox relay. The trace id is also in every JSON log line of the request.
"""

import re
import secrets
from contextvars import ContextVar

HEADER = "traceparent"
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16

trace_id_var: ContextVar[str | None] = ContextVar("trace_id", default=None)


def parse_trace_id(value: str | None) -> str | None:
    """The trace id of a valid version-00 `traceparent`, else None (then a new trace starts)."""
    if value is None:
        return None
    match = _TRACEPARENT.match(value.strip())
    if match is None or match.group(1) == _ZERO_TRACE or match.group(2) == _ZERO_SPAN:
        return None
    return match.group(1)


def new_trace_id() -> str:
    return secrets.token_hex(16)


def outgoing_traceparent(trace_id: str | None = None) -> str:
    """A `traceparent` for a call made now: the current trace (or a new one), a new span id, sampled."""
    return f"00-{trace_id or trace_id_var.get() or new_trace_id()}-{secrets.token_hex(8)}-01"
