"""A district's overview, composed by the gateway from the three services in parallel.

Each part has its own deadline; a part whose service is down or slow is listed under `missing` with the
reason, and the rest is still returned. Only the district itself is required. The caller's token and the
request id travel with every sub-request, so each service applies its own visibility rules.
"""

import asyncio
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Path, Query, Request
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, Field

from gateway.proxy import UpstreamsRef
from gateway.upstreams import Upstream
from shared.auth import OptionalIdentity
from shared.breaker import State
from shared.logging import request_id_var
from shared.problems import GatewayTimeout, NotFound, ProblemError, ServiceUnavailable
from shared.telemetry import tracer
from shared.tracecontext import inject


class MissingPart(BaseModel):
    part: str
    service: str
    reason: str


class BudgetPart(BaseModel):
    cycle_id: int
    envelopes: list[dict[str, Any]] | None = None
    proposals: list[dict[str, Any]] | None = None


class DistrictOverview(BaseModel):
    district: dict[str, Any]
    governance_status: dict[str, Any] | None = Field(default=None, description="The latest status record.")
    bodies: list[dict[str, Any]] | None = None
    platforms: list[dict[str, Any]] | None = None
    budget: BudgetPart | None = Field(default=None, description="Present when `cycle_id` is given.")
    missing: list[MissingPart] = Field(default_factory=list, description="Parts that could not be fetched.")


class PartFailed(Exception):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class Fetcher:
    def __init__(self, upstreams: UpstreamsRef, request: Request, deadline: float) -> None:
        self.upstreams = upstreams
        self.deadline = deadline
        self.headers = {"x-request-id": request_id_var.get() or ""}
        if authorization := request.headers.get("authorization"):
            self.headers["authorization"] = authorization

    async def get(self, service: str, path: str, params: dict[str, Any] | None = None) -> Any:
        upstream = self.upstreams.get().upstream(service)
        if upstream.breaker.state is State.OPEN:
            raise PartFailed(f"the {service} service is unavailable (failing repeatedly)")
        attributes = {"peer.service": service, "url.path": path}
        with tracer.start_as_current_span(f"GET {service}", kind=SpanKind.CLIENT, attributes=attributes):
            headers = dict(self.headers)
            inject(headers)  # each part a child span of the overview's request, in its trace
            return await self._fetch(service, upstream, path, params, headers)

    async def _fetch(
        self,
        service: str,
        upstream: Upstream,
        path: str,
        params: dict[str, Any] | None,
        headers: dict[str, str],
    ) -> Any:
        try:
            async with asyncio.timeout(self.deadline):
                response = await upstream.client.get(path, params=params, headers=headers)
        except TimeoutError as exc:
            raise PartFailed(f"the {service} service did not answer within {self.deadline:g}s") from exc
        except httpx.HTTPError as exc:
            raise PartFailed(f"the {service} service is unavailable") from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            detail = _json(response)
            detail = detail.get("detail", "") if isinstance(detail, dict) else ""
            raise PartFailed(f"the {service} service answered {response.status_code} {detail}".strip(),
                             response.status_code)  # fmt: skip
        body = _json(response)
        if body is None:
            raise PartFailed(f"the {service} service answered something other than JSON")
        return body


def _json(response: httpx.Response) -> Any:
    """The body as JSON, or None: one service's malformed answer is a missing part, never a 500."""
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def overview_router(upstreams: UpstreamsRef, deadline: float) -> APIRouter:
    router = APIRouter(tags=["composed views"])

    @router.get("/overview/districts/{code}", summary="A district's overview across services")
    async def district_overview(
        request: Request,
        identity: OptionalIdentity,
        code: Annotated[str, Path(pattern=r"^\d{5}$", examples=["11620"])],
        cycle_id: Annotated[
            int | None, Query(ge=1, le=2**31 - 1, description="Budget cycle to include.")
        ] = None,
    ) -> DistrictOverview:
        """The district, its governance status, bodies and platforms, and a budget cycle's envelopes and
        proposals for it, fetched in parallel; parts that fail are named in `missing`."""
        fetch = Fetcher(upstreams, request, deadline)
        parts: dict[str, tuple[str, Any]] = {
            "district": ("councils", fetch.get("councils", f"/councils/districts/{code}")),
            "governance_status": ("councils", fetch.get("councils", f"/councils/districts/{code}/status")),
            "bodies": (
                "councils",
                fetch.get("councils", "/councils/bodies", {"district": code, "limit": 200}),
            ),
            "platforms": ("councils", fetch.get("councils", "/councils/platforms", {"district": code})),
        }
        if cycle_id is not None:
            parts["envelopes"] = ("budget", fetch.get("budget", f"/budget/cycles/{cycle_id}/envelopes"))
            parts["proposals"] = (
                "budget",
                fetch.get(
                    "budget", f"/budget/cycles/{cycle_id}/proposals", {"district_code": code, "limit": 200}
                ),
            )
        results = await asyncio.gather(*(call for _, call in parts.values()), return_exceptions=True)
        values: dict[str, Any] = {}
        missing: list[MissingPart] = []
        for (name, (service, _)), result in zip(parts.items(), results, strict=True):
            if isinstance(result, PartFailed):
                missing.append(MissingPart(part=name, service=service, reason=result.reason))
            elif isinstance(result, BaseException):
                raise result
            else:
                values[name] = result
        district = values.get("district")
        if district is None:
            failed = next((m for m in missing if m.part == "district"), None)
            if failed is None:
                raise NotFound(
                    f"no district has code {code}",
                    detail_ko=f"코드가 {code}인 자치구가 없습니다.",
                    field="path.code",
                )
            error: type[ProblemError] = GatewayTimeout if "within" in failed.reason else ServiceUnavailable
            detail_ko = (
                f"{failed.service} 서비스가 {deadline:g}초 안에 응답하지 않았습니다."
                if error is GatewayTimeout
                else f"{failed.service} 서비스를 사용할 수 없습니다."
            )
            raise error(failed.reason, detail_ko=detail_ko)
        return DistrictOverview(
            district=district,
            governance_status=values.get("governance_status"),
            bodies=_items(values.get("bodies")),
            platforms=_items(values.get("platforms")),
            budget=_budget(cycle_id, code, values),
            missing=missing,
        )

    return router


def _items(page: Any) -> list[dict[str, Any]] | None:
    return list(page.get("items", [])) if isinstance(page, dict) else None


def _budget(cycle_id: int | None, code: str, values: dict[str, Any]) -> BudgetPart | None:
    if cycle_id is None:
        return None
    envelopes = values.get("envelopes")
    mine = None if envelopes is None else [e for e in envelopes if e.get("district_code") == code]
    return BudgetPart(cycle_id=cycle_id, envelopes=mine, proposals=_items(values.get("proposals")))
