"""Traces: a call through a front (the gateway's place) to a service that calls another is one trace, each
hop a child of the one before; the trace id is in the JSON logs; nothing is exported unless an endpoint is
set."""

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.logging import JsonFormatter
from shared.observability import Metrics, RequestContextMiddleware
from shared.service_client import CallPolicy, ServiceClient
from shared.telemetry import FASTAPI_TELEMETRY_OFF, configure_tracing, tracer, unrecorded_span
from shared.tracecontext import PROPAGATOR, current_trace_id, extract, inject
from tests.spans import spans

__all__ = ["spans"]

INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def app(service: str, calls: ServiceClient | None, seen: dict[str, str]) -> FastAPI:
    """A service whose one endpoint notes its trace id and, if it has a callee, calls it."""
    made = FastAPI(telemetry=FASTAPI_TELEMETRY_OFF)

    @made.get("/hop")
    async def hop(request: Request) -> dict[str, str]:
        seen[service] = current_trace_id() or ""
        seen[f"{service} traceparent"] = request.headers.get("traceparent", "")
        if calls is not None:
            answer = await calls.get("/hop")
            assert answer.status_code == 200
        return {"service": service}

    made.add_middleware(RequestContextMiddleware, metrics=Metrics(service))
    return made


def client_to(service: str, target: FastAPI) -> ServiceClient:
    return ServiceClient(
        callee=service,
        base_url=f"http://{service}",
        policy=CallPolicy(retries=0),
        transport=httpx.ASGITransport(app=target),
    )


@pytest.fixture
async def chain() -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    seen: dict[str, str] = {}
    budget = app("budget", None, seen)
    to_budget = client_to("budget", budget)
    evaluation = app("evaluation", to_budget, seen)
    to_evaluation = client_to("evaluation", evaluation)
    front = app("gateway", to_evaluation, seen)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=front), base_url="http://gateway"
    ) as client:
        yield client, seen
    await to_budget.aclose()
    await to_evaluation.aclose()


async def test_a_call_through_two_services_is_one_trace_of_parent_and_child_spans(
    spans: InMemorySpanExporter, chain: tuple[httpx.AsyncClient, dict[str, str]]
) -> None:
    client, seen = chain
    assert (await client.get("/hop", headers={"traceparent": INCOMING})).status_code == 200
    finished = spans.get_finished_spans()
    servers = {span.attributes["service"]: span for span in finished if span.kind == SpanKind.SERVER}
    clients = {span.attributes["peer.service"]: span for span in finished if span.kind == SpanKind.CLIENT}
    assert set(servers) == {"gateway", "evaluation", "budget"} and set(clients) == {"evaluation", "budget"}
    trace_ids = {span.context.trace_id for span in [*servers.values(), *clients.values()]}
    assert trace_ids == {0x4BF92F3577B34DA6A3CE929D0E0E4736}  # the caller's trace, continued
    assert servers["gateway"].parent.span_id == 0x00F067AA0BA902B7  # the caller's span
    assert clients["evaluation"].parent.span_id == servers["gateway"].context.span_id
    assert servers["evaluation"].parent.span_id == clients["evaluation"].context.span_id
    assert clients["budget"].parent.span_id == servers["evaluation"].context.span_id
    assert servers["budget"].parent.span_id == clients["budget"].context.span_id
    assert (
        servers["budget"].name == "GET /hop"
        and servers["budget"].attributes["http.response.status_code"] == 200
    )
    assert {seen[name] for name in ("gateway", "evaluation", "budget")} == {
        "4bf92f3577b34da6a3ce929d0e0e4736"
    }


async def test_without_a_traceparent_a_new_trace_starts_and_still_spans_every_hop(
    spans: InMemorySpanExporter, chain: tuple[httpx.AsyncClient, dict[str, str]]
) -> None:
    client, seen = chain
    assert (await client.get("/hop", headers={"traceparent": "00-zz-bad-01"})).status_code == 200
    finished = spans.get_finished_spans()
    assert len({span.context.trace_id for span in finished}) == 1 and len(finished) == 5
    (root,) = [span for span in finished if span.parent is None]
    assert root.attributes["service"] == "gateway"
    assert seen["budget"] == seen["gateway"] == format(root.context.trace_id, "032x")


def test_the_trace_id_is_in_each_json_log_line(spans: InMemorySpanExporter) -> None:
    formatter = JsonFormatter("evaluation")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "확정 %s", ("결과",), None)
    assert "trace_id" not in json.loads(formatter.format(record))
    with tracer.start_as_current_span("work") as span:
        entry = json.loads(formatter.format(record))
    assert (
        entry["trace_id"] == format(span.get_span_context().trace_id, "032x") and entry["msg"] == "확정 결과"
    )


def test_no_exporter_unless_an_endpoint_is_set() -> None:
    provider = configure_tracing("tests", "")
    processors = provider._active_span_processor._span_processors
    assert not any("OTLP" in type(getattr(p, "span_exporter", None)).__name__ for p in processors)


def test_without_a_processor_a_request_span_keeps_the_ids_and_records_nothing() -> None:
    # What the request middleware uses while no span would reach an exporter (`spans_recorded()` false).
    parent = extract({"traceparent": INCOMING, "tracestate": "k=v"})
    span = unrecorded_span(parent)
    context = span.get_span_context()
    assert not span.is_recording() and context.is_valid
    assert format(context.trace_id, "032x") == INCOMING.split("-")[1]  # the caller's trace, a new span
    assert format(context.span_id, "016x") != INCOMING.split("-")[2] and context.trace_flags.sampled
    unsampled = unrecorded_span(extract({"traceparent": INCOMING[:-2] + "00"}))
    assert not unsampled.get_span_context().trace_flags.sampled  # as the SDK's parent-based sampler
    fresh = unrecorded_span(extract({})).get_span_context()
    assert fresh.is_valid and fresh.trace_flags.sampled and fresh.trace_id != context.trace_id
    with trace.use_span(span, end_on_exit=False):
        headers: dict[str, str] = {}
        inject(headers)
        assert current_trace_id() == INCOMING.split("-")[1]
    assert headers["traceparent"] == f"00-{INCOMING.split('-')[1]}-{format(context.span_id, '016x')}-01"
    assert headers["tracestate"] == "k=v"


def _same_parent(headers: dict[str, str]) -> None:
    ours, theirs = extract(headers), PROPAGATOR.extract(carrier=headers)
    assert list(ours) == list(theirs)
    mine, reference = trace.get_current_span(ours), trace.get_current_span(theirs)
    assert type(mine) is type(reference)
    assert mine.get_span_context() == reference.get_span_context()
    assert mine.get_span_context().trace_state == reference.get_span_context().trace_state


@pytest.mark.parametrize("version", ["00", "01", "ff", "0g"])
@pytest.mark.parametrize("ids", [INCOMING[3:52], "0" * 32 + INCOMING[35:52], INCOMING[3:35] + "-" + "0" * 16])
@pytest.mark.parametrize("tail", ["-01", "-00", "-ff", "-1", "-01-x", "-01 ", "-01\n", "-01-"])
def test_extract_reads_every_traceparent_as_the_propagator_does(version: str, ids: str, tail: str) -> None:
    # `extract` reads the services' plain header itself (shared/tracecontext.py), the rest through OTel's.
    header = f"{version}-{ids}{tail}"
    for variant in (header, header.upper(), " " + header):
        _same_parent({"traceparent": variant})
        _same_parent({"traceparent": variant, "tracestate": "vendor=a,other=b"})
