"""Build registry data through the API, as a client would."""

from collections.abc import Callable
from itertools import count
from typing import Any

import httpx

_names = count(1)


def unique(prefix: str) -> str:
    return f"{prefix} {next(_names)}"


class Api:
    """Thin helpers over the councils API with a city officer's token unless told otherwise."""

    def __init__(self, client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
        self.client = client
        self.auth = auth

    @property
    def city(self) -> dict[str, str]:
        """Minted when used, so that a test that pins the clock gets a token valid at that time."""
        return self.auth("city_officer")

    async def ok(self, response: httpx.Response, status: int = 201) -> dict[str, Any]:
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        return body

    async def body(self, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        payload = {"classification": "district_council", "name_ko": unique("협치회의"), **fields}
        return await self.ok(
            await self.client.post("/councils/bodies", json=payload, headers=headers or self.city)
        )

    async def person(self, **fields: Any) -> dict[str, Any]:
        payload = {"name_ko": unique("홍길동"), **fields}
        return await self.ok(await self.client.post("/councils/persons", json=payload, headers=self.city))

    async def membership(self, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        return await self.ok(await self.post_membership(headers, **fields))

    async def post_membership(self, headers: dict[str, str] | None = None, **fields: Any) -> httpx.Response:
        payload = {"role": "member", "sector": "civil", "start_date": "2017-01-01", **fields}
        return await self.client.post("/councils/memberships", json=payload, headers=headers or self.city)

    async def association(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """A regional association's plenary (communication leads) and steering committee."""
        association = await self.body(
            classification="regional_association", name_ko=unique("협치서울지역협의회")
        )
        plenary = await self.body(
            classification="plenary", name_ko=unique("전체회의"), parent_id=association["id"]
        )
        steering = await self.body(
            classification="steering_committee", name_ko=unique("운영위원회"), parent_id=association["id"]
        )
        return plenary, steering

    async def lead(self, plenary: dict[str, Any], district: str, **fields: Any) -> dict[str, Any]:
        person = fields.pop("person", None) or await self.person()
        return await self.membership(
            organization_id=plenary["id"],
            person_id=person["id"],
            role="communication_lead",
            district_code=district,
            **fields,
        )

    async def history(self, entity: str, ident: int) -> list[dict[str, Any]]:
        """An entity's change history, oldest first, as an auditor reads it."""
        response = await self.client.get(
            "/councils/history", params={"entity": entity, "id": ident}, headers=self.auth("auditor")
        )
        items: list[dict[str, Any]] = (await self.ok(response, 200))["items"]
        return items

    async def composition(self, body_id: int, on: str) -> dict[str, Any]:
        return await self.ok(
            await self.client.get(f"/councils/bodies/{body_id}/composition", params={"on": on}), 200
        )


async def seated_body(api: Api, seats: int, **fields: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A body with `seats` named members from 2017-01-01."""
    body = await api.body(**fields)
    people = []
    for _ in range(seats):
        person = await api.person()
        await api.membership(organization_id=body["id"], person_id=person["id"], start_date="2017-01-01")
        people.append(person)
    return body, people


async def meeting(
    api: Api, body: dict[str, Any], starts_at: str = "2017-06-26T15:00:00", **fields: Any
) -> dict[str, Any]:
    payload = {
        "organization_id": body["id"],
        "kind": "plenary",
        "title": unique("전체회의"),
        "starts_at": starts_at,
    }
    return await api.ok(
        await api.client.post("/councils/meetings", json={**payload, **fields}, headers=api.city)
    )


async def attend(
    api: Api, meeting_id: int, people: list[dict[str, Any]], status: str = "present"
) -> httpx.Response:
    records = [{"person_id": p["id"], "status": status} for p in people]
    return await api.client.put(
        f"/councils/meetings/{meeting_id}/attendance", json={"records": records}, headers=api.city
    )


async def motion(
    api: Api, meeting_id: int, yes: int, no: int, abstain: int, classification: str = "ordinary"
) -> httpx.Response:
    payload = {
        "title": unique("안건"),
        "classification": classification,
        "counts": {"yes": yes, "no": no, "abstain": abstain},
    }
    return await api.client.post(f"/councils/meetings/{meeting_id}/motions", json=payload, headers=api.city)
