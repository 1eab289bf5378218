"""Retries and concurrent edits through the real gateway and service processes."""

import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import assert_problem

pytestmark = pytest.mark.e2e


def test_racing_retries_through_the_gateway_create_one_record(
    gateway: httpx.Client, auth: Callable[..., dict[str, str]]
) -> None:
    name = f"게이트웨이 재시도 {uuid.uuid4().hex[:8]}"
    headers = {**auth("city_officer", subject="e2e-retry"), "Idempotency-Key": uuid.uuid4().hex}

    def post(_: int) -> httpx.Response:
        return gateway.post("/councils/persons", json={"name_ko": name}, headers=headers)

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(post, range(10)))
    assert Counter(r.status_code for r in responses) == {201: 10}, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    assert Counter(r.headers.get("idempotent-replayed") for r in responses) == {None: 1, "true": 9}
    found = gateway.get("/councils/persons", params={"q": name}).json()["items"]
    assert len(found) == 1
    other = gateway.post("/councils/persons", json={"name_ko": name + "?"}, headers=headers)
    assert_problem(other, 422, field="header.Idempotency-Key")


def test_etag_and_if_match_pass_the_gateway(
    gateway: httpx.Client, auth: Callable[..., dict[str, str]]
) -> None:
    city = auth("city_officer")
    person = gateway.post("/councils/persons", json={"name_ko": f"편집 {uuid.uuid4().hex[:8]}"}, headers=city)
    path = f"/councils/persons/{person.json()['id']}"
    tag = gateway.get(path).headers["etag"]
    changed = gateway.patch(path, json={"note": "first"}, headers={**city, "If-Match": tag})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] != tag
    stale = gateway.patch(path, json={"note": "second"}, headers={**city, "If-Match": tag})
    assert assert_problem(stale, 412, field="header.If-Match")["code"] == "precondition-failed"
    assert gateway.get(path).json()["note"] == "first"
