"""/docs: Swagger UI from files the gateway serves itself, so it loads on a network without the internet.

The assets come from the fastapi-offline package (MIT), which ships Swagger UI's bundle, CSS and favicon.
"""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
STATIC_URL = "/docs/static"
ASSETS = Path(fastapi_offline.__file__).parent / "static"


def install_docs(app: FastAPI, openapi_url: str) -> None:
    app.mount(STATIC_URL, StaticFiles(directory=ASSETS), name="docs-static")

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=app.title,
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/favicon.png",
        )
