"""A district's overview, composed by the gateway from the three services in parallel.

Each part has its own deadline; a part whose service is down or slow is listed under `missing` with the
reason, and the rest is still returned. Only the district itself is required. The caller's token and the
request id travel with every sub-request, so each service applies its own visibility rules. Each service
answers with one purpose-built read of a bounded number of queries: councils' district overview (the
district, status, bodies, composition, platforms: the district is required, so councils' parts stand or fall
together), budget's district overview (`money`), evaluation's latest results. Anonymous answers are
cached briefly and every answer carries an exact ETag (gateway/overview_cache.py).
"""

import asyncio
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from gateway.composition import Fetcher, PartFailed
from gateway.overview_cache import OverviewCache, Rendered, entity_tag, matches
from gateway.proxy import UpstreamsRef
from shared.auth import OptionalIdentity
from shared.problems import GatewayTimeout, NotFound, ProblemError, ServiceUnavailable


class MissingPart(BaseModel):
    part: str
    service: str
    reason: str


class BudgetPart(BaseModel):
    cycle_id: int
    envelopes: list[dict[str, Any]] | None = None
    proposals: list[dict[str, Any]] | None = None


class BudgetYearPart(BaseModel):
    """budget's `GET /budget/districts/{code}/overview`: one read, five queries."""

    fiscal_year: int
    summary: dict[str, Any] = Field(description="Envelope, grants (시비/구비), spent and remaining, in KRW.")
    envelopes: list[dict[str, Any]] = Field(description="The district's envelopes in the year's cycles.")
    grants: list[dict[str, Any]] = Field(description="The year's grants by kind and status, with amounts.")
    pending_amendments: dict[str, Any] = Field(description="`count` and `head` (the newest five).")


class CouncilsPart(BaseModel):
    """councils' `GET /councils/districts/{code}/overview`, as the gateway reads it."""

    district: dict[str, Any]
    governance_status: dict[str, Any] | None = None
    bodies: list[dict[str, Any]]
    composition: list[dict[str, Any]]
    platforms: list[dict[str, Any]]


# A service's answer of an unexpected shape is a missing part, never a 500.
SHAPES: dict[str, TypeAdapter[Any]] = {
    "councils": TypeAdapter(CouncilsPart),
    "money": TypeAdapter(BudgetYearPart),
    "evaluation": TypeAdapter(list[dict[str, Any]]),
}


class DistrictOverview(BaseModel):
    district: dict[str, Any]
    governance_status: dict[str, Any] | None = Field(default=None, description="The latest status record.")
    bodies: list[dict[str, Any]] | None = None
    composition: list[dict[str, Any]] | None = Field(
        default=None, description="Each body's seats today by sector, as councils counts them."
    )
    platforms: list[dict[str, Any]] | None = None
    money: BudgetYearPart | None = Field(
        default=None, description="The fiscal year's envelopes, grants, spending and pending amendments."
    )
    evaluation: list[dict[str, Any]] | None = Field(
        default=None, description="Per evaluated organisation, its latest published result and category."
    )
    budget: BudgetPart | None = Field(default=None, description="Present when `cycle_id` is given.")
    missing: list[MissingPart] = Field(default_factory=list, description="Parts that could not be fetched.")


_ETAG = {
    "description": "A strong entity tag of this answer (a hash of its bytes).",
    "schema": {"type": "string"},
}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    200: {"headers": {"ETag": _ETAG}},
    304: {"description": "The `If-None-Match` ETag is current: no body.", "headers": {"ETag": _ETAG}},
}


def overview_router(upstreams: UpstreamsRef, deadline: float, cache: OverviewCache) -> APIRouter:
    router = APIRouter(tags=["composed views"])

    @router.get(
        "/overview/districts/{code}",
        summary="A district's overview across services",
        response_model=DistrictOverview,
        responses=NOT_MODIFIED,
    )
    async def district_overview(
        request: Request,
        identity: OptionalIdentity,
        code: Annotated[str, Path(pattern=r"^\d{5}$", examples=["11620"])],
        cycle_id: Annotated[
            int | None, Query(ge=1, le=2**31 - 1, description="Budget cycle to include.")
        ] = None,
        fiscal_year: Annotated[
            int | None,
            Query(ge=2000, le=2100, description="The year of `money`; this year in Seoul by default."),
        ] = None,
        if_none_match: Annotated[
            str | None, Header(description="An ETag of this overview: 304 when it is still current.")
        ] = None,
    ) -> Response:
        """The district, its governance status, bodies with their composition today, platforms, the year's
        money (envelopes, grants, spending, pending amendments), the latest published evaluation categories
        and, for `cycle_id`, the cycle's envelopes and proposals, fetched in parallel; parts that fail are
        named in `missing`. Carries an ETag; anonymous answers may be up to
        `GATEWAY_OVERVIEW_CACHE_SECONDS` old (a write through the gateway refreshes them at once)."""

        async def render() -> Rendered:
            overview = await _compose(Fetcher(upstreams, request, deadline), code, cycle_id, fiscal_year)
            body = overview.model_dump_json().encode()
            return Rendered(body, entity_tag(body), complete=not overview.missing)

        if identity is None and "authorization" not in request.headers:
            rendered = await cache.get((code, cycle_id, fiscal_year), render)
        else:
            rendered = await render()
        headers = {"ETag": rendered.etag, "Cache-Control": "no-cache", "Vary": "Authorization"}
        if matches(if_none_match, rendered.etag):
            return Response(status_code=304, headers=headers)
        return Response(rendered.body, media_type="application/json", headers=headers)

    async def _compose(fetch: Fetcher, code: str, cycle_id: int | None, year: int | None) -> DistrictOverview:
        parts: dict[str, tuple[str, Any]] = {
            "councils": ("councils", fetch.get("councils", f"/councils/districts/{code}/overview")),
            "money": (
                "budget",
                fetch.get(
                    "budget", f"/budget/districts/{code}/overview", {"fiscal_year": year} if year else None
                ),
            ),
            "evaluation": (
                "evaluation",
                fetch.get("evaluation", f"/evaluation/districts/{code}/latest-results"),
            ),
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
            elif result is not None and name in SHAPES:
                try:
                    values[name] = SHAPES[name].validate_python(result)
                except ValidationError:
                    reason = f"the {service} service answered something other than its {name} read"
                    missing.append(MissingPart(part=name, service=service, reason=reason))
            else:
                values[name] = result
        councils: CouncilsPart | None = values.get("councils")
        if councils is None:
            _district_failed(code, missing)
        return DistrictOverview(
            district=councils.district,
            governance_status=councils.governance_status,
            bodies=councils.bodies,
            composition=councils.composition,
            platforms=councils.platforms,
            money=values.get("money"),
            evaluation=values.get("evaluation"),
            budget=_budget(cycle_id, code, values),
            missing=missing,
        )

    def _district_failed(code: str, missing: list[MissingPart]) -> NoReturn:
        failed = next((m for m in missing if m.part == "councils"), None)
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

    return router


def _items(page: Any) -> list[dict[str, Any]] | None:
    return list(page.get("items", [])) if isinstance(page, dict) else None


def _budget(cycle_id: int | None, code: str, values: dict[str, Any]) -> BudgetPart | None:
    if cycle_id is None:
        return None
    envelopes = values.get("envelopes")
    mine = None if envelopes is None else [e for e in envelopes if e.get("district_code") == code]
    return BudgetPart(cycle_id=cycle_id, envelopes=mine, proposals=_items(values.get("proposals")))
