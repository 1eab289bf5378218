"""Finished spans of this test process, kept in memory (OpenTelemetry's InMemorySpanExporter)."""

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.telemetry import configure_tracing

_EXPORTER = InMemorySpanExporter()
_added = False


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's spans from here on (the exporter is added to the provider once, cleared per test)."""
    global _added
    if not _added:
        configure_tracing("tests", "").add_span_processor(SimpleSpanProcessor(_EXPORTER))
        _added = True
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def named(finished: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in finished if span.name == name]
