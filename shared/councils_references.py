"""References to what councils owns, checked against councils' public reads when they are written.

An evaluation target and a budget grant name a councils organisation and their district. Before such a row is
stored, the organisation is read from councils (`GET /councils/organizations/{id}`) with the services' client:
unknown is a 422 naming `body.organization_id`, another district a 422 naming `body.district_code`. A grant
with no organisation names only its district, read from councils (`GET /councils/districts/{code}`): unknown
is a 422 naming `body.district_code` (a named organisation's district needs no second read). When
councils cannot answer (down, hanging past the caller's councils timeout, its circuit open) the write is
refused with a 503 and Retry-After, and nothing is stored: no unchecked reference.

Each service runs one checker in its lifespan (`councils_references_part`) and takes it as a dependency
(`councils_references`); an app whose lifespan did not run (in-process tests) has none, and checks nothing.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from shared.app import LifespanPart
from shared.problems import RuleViolation, ServiceUnavailable
from shared.service_client import CalleeUnavailable, CallPolicy, ServiceClient


class CouncilsUnavailable(ServiceUnavailable):
    code = "councils-unavailable"
    title = "Councils registry unavailable"
    title_ko = "의회 등록부를 사용할 수 없음"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "the councils service could not confirm the reference; nothing was stored, retry later",
            detail_ko="의회 등록부 서비스가 참조(기관·자치구)를 확인하지 못했습니다. 저장된 것은 없습니다."
            " 잠시 후 다시 시도하십시오.",
        )
        self.headers = {"Retry-After": str(max(1, retry_after))}


class UnknownOrganization(RuleViolation):
    code = "unknown-organization"
    title = "Unknown organisation"
    title_ko = "알 수 없는 기관"


class OrganizationOutsideDistrict(RuleViolation):
    code = "organization-outside-district"
    title = "Organisation of another district"
    title_ko = "다른 자치구의 기관"


class UnregisteredDistrict(RuleViolation):
    code = "unregistered-district"
    title = "District not registered"
    title_ko = "등록되지 않은 자치구"


class CouncilsReferences:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def check_district(self, district_code: str, field: str = "body.district_code") -> None:
        """The district is registered in councils; else a 422 naming `field` (503 if councils cannot say)."""
        try:
            response = await self.client.get(f"/councils/districts/{district_code}")
        except CalleeUnavailable as exc:
            raise CouncilsUnavailable(exc.retry_after) from exc
        if response.status_code in (404, 422):
            raise UnregisteredDistrict(
                f"the councils registry has no district {district_code}",
                detail_ko=f"의회 등록부에 자치구 {district_code}이(가) 없습니다.",
                field=field,
            )
        if response.status_code != 200:
            raise CouncilsUnavailable(5)

    async def check_organization(self, organization_id: int, district_code: str) -> None:
        """The organisation is registered in councils and belongs to `district_code`; else a problem."""
        try:
            response = await self.client.get(f"/councils/organizations/{organization_id}")
        except CalleeUnavailable as exc:
            raise CouncilsUnavailable(exc.retry_after) from exc
        if response.status_code == 404:
            raise UnknownOrganization(
                f"the councils registry has no organisation {organization_id}",
                detail_ko=f"의회 등록부에 기관 {organization_id}이(가) 없습니다.",
                field="body.organization_id",
            )
        if response.status_code != 200:
            raise CouncilsUnavailable(5)
        registered = response.json().get("district_code")
        if registered != district_code:
            raise OrganizationOutsideDistrict(
                f"organisation {organization_id} belongs to district {registered or 'none (city-level)'},"
                f" not {district_code}",
                detail_ko=f"기관 {organization_id}은(는) {district_code} 자치구 소속이 아닙니다.",
                field="body.district_code",
            )


def councils_references_part(base_url: str, timeout: float) -> LifespanPart:
    """The checker for the process's lifetime: one client, `timeout` seconds a try, tried 3 times."""

    @asynccontextmanager
    async def part(app: FastAPI) -> AsyncIterator[None]:
        policy = CallPolicy(read_timeout=timeout, connect_timeout=1.0, retries=2)
        client = ServiceClient(callee="councils", base_url=base_url, policy=policy)
        app.state.councils = CouncilsReferences(client)
        try:
            yield
        finally:
            await client.aclose()

    return part


def councils_references(request: Request) -> CouncilsReferences | None:
    """The running process's checker; None only for an app whose lifespan did not run (in-process tests)."""
    return getattr(request.app.state, "councils", None)
