"""OpenTelemetry tracing for a process: one SDK tracer provider, exporting over OTLP/HTTP only when asked.

`configure_tracing` runs in each app factory (services and gateway). Spans are always made (the trace id is
in the logs and propagated between services); they leave the process only when `OTEL_EXPORTER_OTLP_ENDPOINT`
is set (empty by default: no exporter; spans go to `<endpoint>/v1/traces`, and the exporter reads the other
standard OTEL_EXPORTER_OTLP_* variables, headers and timeout, itself). One provider per process: the first
app configured names it; in the tests several apps share it and tell themselves apart by the span attribute
`service`.
"""

import logging

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

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


def configure_tracing(service: str, otlp_endpoint: str) -> TracerProvider:
    """The process's tracer provider, made (and its exporter added when `otlp_endpoint`) on the first call."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
        logger.info("exporting spans over OTLP/HTTP to %s", otlp_endpoint)
    trace.set_tracer_provider(provider)
    return provider
