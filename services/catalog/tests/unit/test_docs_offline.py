# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's ``/docs`` is the kit's offline Swagger UI: a town's intranet reaches no CDN."""

from __future__ import annotations

import re

import httpx

from catalog.api.app import create_app
from catalog.settings import CatalogSettings


async def test_docs_and_what_it_loads_come_from_the_catalog_itself() -> None:
    app = create_app(CatalogSettings(town="doc-town", database_url="postgresql://localhost/x"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://catalog") as client:
        page = await client.get("/docs")
        loaded = re.findall(r"""(?:src|href)="([^"]*)\"""", page.text)
        assets = [await client.get(url) for url in loaded]
        redoc = await client.get("/redoc")

    assert page.status_code == 200
    assert "https://" not in page.text and "http://" not in page.text and "cdn" not in page.text
    assert len(loaded) == 3 and all(url.startswith("/docs/assets/") for url in loaded)
    assert sorted((asset.status_code, asset.headers["content-type"]) for asset in assets) == [
        (200, "image/png"),
        (200, "text/css; charset=utf-8"),
        (200, "text/javascript; charset=utf-8"),
    ]
    assert redoc.status_code == 404
