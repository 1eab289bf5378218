"""/docs loads without the internet: its page names only files the gateway itself serves."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.main import create_app

CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        yield client


def referenced(html: str) -> list[str]:
    return re.findall(r'(?:src|href)=["\']([^"\']+)["\']', html)


async def test_the_docs_page_names_no_other_host(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    html = response.text
    assert referenced(html), html
    assert not re.search(r"https?://", html), "the docs page names another host"
    assert not re.search(r"""['"]//""", html), "the docs page names a protocol-relative host"
    assert "'/openapi.json'" in html or '"/openapi.json"' in html


async def test_every_asset_the_docs_page_names_is_served(client: httpx.AsyncClient) -> None:
    html = (await client.get("/docs")).text
    assets = referenced(html)
    assert {a.rsplit(".", 1)[-1] for a in assets} >= {"js", "css"}
    for asset in assets:
        assert asset.startswith("/docs/static/")
        response = await client.get(asset)
        assert response.status_code == 200, asset
        expected = CONTENT_TYPES["." + asset.rsplit(".", 1)[-1]]
        assert expected in response.headers["content-type"], (asset, response.headers["content-type"])
        assert response.content


async def test_a_missing_asset_is_a_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs/static/no-such.js")).status_code == 404
