"""What every demo does over HTTP: a client per role's token, answers that stop the load when unexpected, and
the pages of a list endpoint."""

from collections.abc import Iterator
from typing import Any

import httpx

from shared.auth import Role, mint_token
from shared.settings import CommonSettings


def role_client(
    base_url: str,
    role: Role,
    subject: str,
    district: str | None = None,
    organization_id: int | None = None,
) -> httpx.Client:
    """A client carrying a development token of `role` (minted like `make token`)."""
    token = mint_token(
        CommonSettings(),
        subject=subject,
        role=role,
        district_code=district,
        organization_id=organization_id,
        name="make demo",
    )
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def ok(response: httpx.Response) -> Any:
    """The answer's JSON (None when it has no body); any status but 200 or 201 stops the demo."""
    if response.status_code not in (200, 201):
        request = response.request
        raise RuntimeError(f"{request.method} {request.url.path}: {response.status_code} {response.text}")
    return response.json() if response.content else None


def items(client: httpx.Client, path: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item of a cursor-paged list, 200 a page."""
    cursor = None
    while True:
        query = {"limit": 200, **params, **({"cursor": cursor} if cursor else {})}
        page = ok(client.get(path, params=query))
        yield from page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return


class Clients:
    """One client per (role, subject), made on first use; reads and writes go as the city officer unless
    another client is named, and the writes are counted (a demo reports what a run created)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.clients: dict[tuple[str, str], httpx.Client] = {}
        self.created = 0

    def client(self, role: Role, subject: str, organization_id: int | None = None) -> httpx.Client:
        key = (role.value, subject)
        if key not in self.clients:
            self.clients[key] = role_client(self.base_url, role, subject, organization_id=organization_id)
        return self.clients[key]

    @property
    def city(self) -> httpx.Client:
        return self.client(Role.city_officer, "ops-demo")

    def get(self, path: str, client: httpx.Client | None = None, **params: Any) -> Any:
        return ok((client or self.city).get(path, params=params))

    def write(self, method: str, path: str, client: httpx.Client | None = None, **kwargs: Any) -> Any:
        self.created += 1
        return ok((client or self.city).request(method, path, **kwargs))

    def items(self, path: str, client: httpx.Client | None = None, **params: Any) -> Iterator[dict[str, Any]]:
        return items(client or self.city, path, **params)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
