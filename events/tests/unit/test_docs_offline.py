# SPDX-License-Identifier: Apache-2.0
"""Every service's ``/docs`` works without the internet: Swagger UI comes from the service itself
(a town's intranet reaches no CDN), and the vendored files are the pinned release's."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from downtown_events.runtime.http.app import create_service_app
from downtown_events.runtime.http.docs import assets_path
from downtown_events.runtime.settings import ServiceSettings

VENDORED = Path(__file__).resolve().parents[2] / "src/downtown_events/runtime/http/static/swagger-ui"


async def _never_opened() -> object:
    raise AssertionError("/docs and its assets need no container")


def _app() -> FastAPI:
    return create_service_app(
        title="Downtown probe",
        description="A service.",
        settings=ServiceSettings(town="probe", database_url="postgresql://nowhere/probe"),  # type: ignore[arg-type]
        open_container=_never_opened,  # type: ignore[arg-type]
        routers=[],
    )


def _client(app: FastAPI, root_path: str = "") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, root_path=root_path), base_url="http://probe")


def loaded_urls(html: str) -> list[str]:
    """Every URL the page loads or links to: ``src``/``href``, and Swagger UI's document ``url``."""
    return re.findall(r"""(?:src|href)="([^"]*)\"""", html) + re.findall(r"""\burl: '([^']*)'""", html)


async def test_docs_loads_everything_from_the_service_itself() -> None:
    async with _client(_app()) as client:
        response = await client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "http://" not in html and "https://" not in html and "cdn" not in html
    urls = loaded_urls(html)
    assert sorted(urls) == sorted(
        [f"{assets_path()}/{name}" for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")]
        + ["/openapi.json"]
    )
    # Swagger UI's validator badge would send the document's address to validator.swagger.io.
    assert '"validatorUrl": null' in html


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
        ("favicon-32x32.png", "image/png"),
    ],
)
async def test_each_asset_answers_with_its_type_and_may_be_kept_for_a_year(name: str, media_type: str) -> None:
    async with _client(_app()) as client:
        response = await client.get(f"{assets_path()}/{name}")

    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.content == (VENDORED / name).read_bytes()
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_behind_a_prefix_the_page_loads_everything_below_it() -> None:
    async with _client(_app(), root_path="/catalog") as client:
        response = await client.get("/docs")

    assert response.status_code == 200
    urls = loaded_urls(response.text)
    assert len(urls) == 4
    assert all(url.startswith("/catalog/") for url in urls)


async def test_only_the_pages_assets_are_served_and_redoc_is_off() -> None:
    async with _client(_app()) as client:
        pin = await client.get(f"{assets_path()}/pin.json")
        redoc = await client.get("/redoc")
        document = (await client.get("/openapi.json")).json()

    assert pin.status_code == 404
    assert redoc.status_code == 404
    assert not any(path.startswith("/docs") for path in document["paths"])


def test_the_vendored_files_are_the_pinned_release() -> None:
    """``deploy/vendor_npm.py`` writes them from the npm tarball whose integrity is pinned,
    and their hashes beside it: a hand-edited copy fails here, without the network."""
    pin = json.loads((VENDORED / "pin.json").read_text())

    assert pin["package"] == "swagger-ui-dist"
    assert re.fullmatch(r"\d+\.\d+\.\d+", pin["version"])
    assert pin["integrity"].startswith("sha512-")
    assert {name: hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() for name in pin["sha256"]} == pin["sha256"]
    assert {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"} <= set(pin["sha256"])
    assert assets_path() == f"/docs/assets/swagger-ui-{pin['version']}"
