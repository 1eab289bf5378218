"""OpenTelemetry tracing for a process: one SDK tracer provider, exporting over OTLP/HTTP only when asked.

`configure_tracing` runs in each app factory (services and gateway). Every request is in a span (the trace
id is in the logs and propagated between services); spans leave the process only when
`OTEL_EXPORTER_OTLP_ENDPOINT` is set (empty by default: no exporter; spans go to `<endpoint>/v1/traces`, and
the exporter reads the other standard OTEL_EXPORTER_OTLP_* variables, headers and timeout, itself). While no
span processor is added, a request's server span is `unrecorded_span`: the same ids, nothing recorded (an SDK
span costs ~50 µs a request, a tenth of a district read, for nobody to read). One provider per process: the
first app configured names it; in the tests several apps share it and tell themselves apart by the span
attribute `service`.
"""

import logging

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

logger = logging.getLogger("shared.telemetry")
tracer = trace.get_tracer("seoul-governance")

FASTAPI_TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}
"""FastAPI's own telemetry, off: it would wrap the app outside our request middleware with a second server
span (a sibling of ours, not its parent). The request middleware (shared/observability.py) makes the one
server span per request for services and gateway alike; Prometheus keeps the metrics."""


class _Provider(TracerProvider):
    """The SDK's provider, knowing whether a span it makes goes anywhere (a processor was added)."""

    has_processors = False

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        self.has_processors = True


def spans_recorded() -> bool:
    """Whether a span made now would reach a processor (an exporter, the tests' in-memory one)."""
    provider = trace.get_tracer_provider()
    return not isinstance(provider, _Provider) or provider.has_processors


_ids = RandomIdGenerator()


def unrecorded_span(parent: Context) -> NonRecordingSpan:
    """A server span that records nothing: a new span id in the parent's trace, with its trace state and
    sampled as the parent (as the SDK's default sampler decides), or in a new sampled trace."""
    remote = trace.get_current_span(parent).get_span_context()
    span_id = _ids.generate_span_id()
    if remote.is_valid:
        context = SpanContext(
            remote.trace_id,
            span_id,
            is_remote=False,
            trace_flags=remote.trace_flags,
            trace_state=remote.trace_state,
        )
    else:
        flags = TraceFlags(TraceFlags.SAMPLED)
        context = SpanContext(_ids.generate_trace_id(), span_id, is_remote=False, trace_flags=flags)
    return NonRecordingSpan(context)


def configure_tracing(service: str, otlp_endpoint: str) -> TracerProvider:
    """The process's tracer provider, made (and its exporter added when `otlp_endpoint`) on the first call."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = _Provider(resource=Resource.create({"service.name": service}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
        logger.info("exporting spans over OTLP/HTTP to %s", otlp_endpoint)
    trace.set_tracer_provider(provider)
    return provider
