# SPDX-License-Identifier: Apache-2.0
"""``GET /docs``: Swagger UI from the service itself, never from a CDN.

FastAPI's own ``/docs`` loads its script and style from cdn.jsdelivr.net, which a town's
intranet (or a machine without internet) cannot reach, and which learns of every visit. The
kit serves a vendored ``swagger-ui-dist`` instead (``static/swagger-ui``, pinned in its
``pin.json`` by ``deploy/vendor_npm.py``). Its asset URLs carry the version, so a
browser may keep them for a year: a new version is a new URL. Swagger UI's validator badge is
off, as it would send the document's address to validator.swagger.io.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_HEADERS = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}


@cache
def _vendored(name: str) -> bytes:
    """Read once per process (the bundle is 1.8 MB), at its first request rather than at start."""
    return resources.files("downtown_events.runtime.http").joinpath("static", "swagger-ui", name).read_bytes()


@cache
def swagger_ui_version() -> str:
    """The vendored swagger-ui-dist's version, as pinned."""
    version: str = json.loads(_vendored("pin.json"))["version"]
    return version


def assets_path() -> str:
    """Where the assets are served, below the app's root path."""
    return f"/docs/assets/swagger-ui-{swagger_ui_version()}"


def docs_router(title: str) -> APIRouter:
    """``GET /docs`` and the three files it loads, hidden from the OpenAPI document."""
    router = APIRouter(include_in_schema=False)

    def docs(request: Request) -> HTMLResponse:
        # Behind a proxy that mounts the service under a prefix, every URL the page loads has it too.
        root = request.scope.get("root_path", "").rstrip("/")
        assets = root + assets_path()
        return get_swagger_ui_html(
            openapi_url=root + request.app.openapi_url,
            title=f"{title} — API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    router.add_api_route("/docs", docs, methods=["GET"], response_class=HTMLResponse)
    for name, media_type in _ASSETS.items():
        router.add_api_route(f"{assets_path()}/{name}", _asset(name, media_type), methods=["GET"])
    return router


def _asset(name: str, media_type: str) -> Callable[[], Response]:
    def asset() -> Response:
        return Response(_vendored(name), media_type=media_type, headers=_HEADERS)

    return asset
