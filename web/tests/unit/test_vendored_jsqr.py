# SPDX-License-Identifier: AGPL-3.0-or-later
"""jsQR, the QR reader the camera scan uses where a browser has no BarcodeDetector (Safari on
an iPhone, Firefox, Chromium on Linux): the vendored files are the pinned release's, the wheel
ships them with their licence, the front serves them, and only a click on the scan button loads
them (250 KB unminified: no page that never scans should download it)."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from downtown_web.asgi import create_app
from downtown_web.settings import WebSettings

WEB = Path(__file__).resolve().parents[2]
STATIC = WEB / "downtown_web" / "static"
VENDORED = STATIC / "vendor" / "jsqr"
TEMPLATES = WEB / "downtown_web" / "templates"
URL = "/static/vendor/jsqr/jsQR.js"


def _callers(script: str, call: str) -> list[str]:
    """The names of scan.js's functions (each declared at the script's first level of
    indentation) whose bodies make ``call``; "" for the code outside them."""
    outside, *functions = script.split("\n  function ")
    named = [(function.split("(", 1)[0], function.split("\n", 1)[1]) for function in functions]
    return [name for name, body in [("", outside), *named] if call in body]


def test_the_vendored_files_are_the_pinned_release() -> None:
    """``deploy/vendor_npm.py`` writes them from the npm tarball whose integrity is pinned, and
    their hashes beside it: a hand-edited copy fails here, without the network."""
    pin = json.loads((VENDORED / "pin.json").read_text())

    assert pin["package"] == "jsqr"
    assert pin["version"] == "1.4.0"
    assert pin["integrity"].startswith("sha512-")
    assert set(pin["sha256"]) == {"jsQR.js", "LICENSE"}
    assert {name: hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() for name in pin["sha256"]} == pin["sha256"]
    assert sorted(path.name for path in VENDORED.iterdir()) == ["LICENSE", "jsQR.js", "pin.json"]
    assert (VENDORED / "LICENSE").read_text().split()[:2] == ["Apache", "License"]


def test_the_package_ships_them_and_names_their_licence() -> None:
    project = tomllib.loads((WEB / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["downtown_web"]
    shipped = {path for pattern in patterns for path in (WEB / "downtown_web").glob(pattern)}
    assert {VENDORED / "jsQR.js", VENDORED / "LICENSE"} <= shipped
    assert project["project"]["license"] == "AGPL-3.0-or-later AND Apache-2.0"
    assert "downtown_web/static/vendor/jsqr/LICENSE" in project["project"]["license-files"]


def test_only_the_scan_script_names_it_and_adds_it_as_a_script_element_when_asked() -> None:
    scan = (STATIC / "scan.js").read_text()
    assert scan.count(URL) == 1
    # a <script> element (the CSP allows the front's own files), added on the click's path only:
    # the button's click scans, scanning asks for a reader, only the reader loads jsQR
    assert "script.src = JSQR" in scan
    assert 'addEventListener("click", function () { scan(field, button); })' in scan
    assert _callers(scan, "loadJsQR()") == ["reader"]
    assert _callers(scan, "reader()") == ["scan"]
    templates = {path.name: path.read_text() for path in TEMPLATES.glob("*.html")}
    assert not [name for name, text in templates.items() if re.search("jsqr", text, re.IGNORECASE)]
    scanning = sorted(name for name, text in templates.items() if "/static/scan.js" in text)
    assert scanning == ["courier_tour.html", "merchant_vouchers.html"]  # no storefront page


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = WebSettings(town="testtown", timezone="Europe/Berlin")
    with TestClient(create_app(settings), headers={"Accept-Language": "de"}) as test_client:
        yield test_client


def test_the_front_serves_it_as_javascript(client: TestClient) -> None:
    served = client.get(URL)

    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/javascript")
    assert served.content == (VENDORED / "jsQR.js").read_bytes()


def test_the_voucher_page_loads_the_scan_script_with_its_texts_but_not_jsqr(client: TestClient) -> None:
    client.cookies.set("merchant", "m" * 40)

    page = client.get("/merchant/vouchers")

    assert page.status_code == 200, page.text
    assert '<script src="/static/scan.js" defer></script>' in page.text
    assert "jsqr" not in page.text.lower()
    assert 'data-scan="qr" data-scan-label="Mit der Kamera scannen"' in page.text
    assert 'data-scan-refused="Die Kamera ließ sich nicht öffnen. Bitte geben Sie den Code ein."' in page.text
