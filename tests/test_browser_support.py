# SPDX-License-Identifier: AGPL-3.0-or-later
"""The browser tests' tools (tests/support/browser.py) on pages of their own, served here.

Each page carries the web front's Content-Security-Policy, so injecting axe must work under it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.async_api import ConsoleMessage

from tests.support.browser import (
    PHONE,
    Pages,
    check_accessibility,
    no_page_errors,
    page_budget,
    shoot,
)

pytest_plugins = ["tests.support.browser_fixtures"]

pytestmark = pytest.mark.e2e

CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'"
STYLE = b"body { font: 1rem/1.5 sans-serif; margin: 2rem; color: #1a1a1a; } img { width: 4rem; }"
SCRIPT = b"document.documentElement.dataset.ready = 'ja';"
PICTURE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<rect width="64" height="64" fill="#2a6f4e"/></svg>'
)


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # no icon to fetch: a browser would log the 404 of /favicon.ico as a console error
        f'<title>{title}</title><link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/style.css"><script src="/app.js" defer></script>'
        f"</head><body><main>{body}</main></body></html>"
    ).encode()


GOOD = _page(
    "Bäckerei Sonnenschein",
    '<h1>Bäckerei Sonnenschein</h1><p>Frisches Brot aus dem Holzofen.</p><img src="/picture.svg" alt="Ein Roggenbrot">'
    '<form method="post" action="/"><label for="q">Suche</label><input id="q" name="q">'
    "<button>Suchen</button></form>",
)
BAD = _page(
    "Ohne Worte",
    '<h1>Ohne Worte</h1><img src="/picture.svg"><form method="post" action="/"><input name="q"></form>',
)
BROKEN = _page("Kaputt", '<h1>Kaputt</h1><img src="/fails.svg" alt="fehlt"><script src="/throws.js"></script>')
MISSING = _page("Nicht gefunden", '<h1>Nicht gefunden</h1><img src="/nowhere.svg" alt="Lageplan">')

ROUTES: dict[str, tuple[HTTPStatus, str, bytes]] = {
    "/": (HTTPStatus.OK, "text/html; charset=utf-8", GOOD),
    "/bad": (HTTPStatus.OK, "text/html; charset=utf-8", BAD),
    "/broken": (HTTPStatus.OK, "text/html; charset=utf-8", BROKEN),
    "/missing": (HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", MISSING),
    "/style.css": (HTTPStatus.OK, "text/css", STYLE),
    "/app.js": (HTTPStatus.OK, "text/javascript", SCRIPT),
    "/throws.js": (HTTPStatus.OK, "text/javascript", b"throw new Error('kaputt');"),
    "/picture.svg": (HTTPStatus.OK, "image/svg+xml", PICTURE),
    "/fails.svg": (HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain", b"boom"),
}


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, kind, body = ROUTES.get(self.path, (HTTPStatus.NOT_FOUND, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CSP)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the tests say what they saw


def _naming(path: str) -> Callable[[ConsoleMessage], bool]:
    return lambda message: message.location.get("url", "").endswith(path)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The pages above on a free loopback port, served from a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, name="test-pages", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


async def test_an_accessible_page_passes_and_is_shot_in_both_viewports(new_page: Pages, site: str) -> None:
    desktop = await new_page()
    phone = await new_page(PHONE)
    shots = []
    for page in (desktop, phone):
        await page.goto(f"{site}/")
        assert await page.get_by_role("heading", level=1).text_content() == "Bäckerei Sonnenschein"
        await check_accessibility(page)
        shots.append(await shoot(page, "start"))
        no_page_errors(page)

    assert [path.name for path in shots] == ["01-start-desktop.png", "02-start-phone.png"]
    assert shots[0].parent.name == "test_browser_support.test_an_accessible_page_passes_and_is_shot_in_both_viewports"
    for path in shots:
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    # the phone is shot at twice its CSS width
    assert int.from_bytes(shots[1].read_bytes()[16:20], "big") == 2 * PHONE.width
    assert await phone.evaluate("navigator.language") == "de-DE"


async def test_a_page_with_serious_violations_fails_naming_each_rule(new_page: Pages, site: str) -> None:
    page = await new_page()
    await page.goto(f"{site}/bad")

    with pytest.raises(AssertionError) as failure:
        await check_accessibility(page)

    message = str(failure.value)
    assert "image-alt (critical)" in message
    assert "label (critical)" in message
    assert "Images must have alternative text — img\n" in message


async def test_console_errors_and_server_errors_are_noted(new_page: Pages, site: str) -> None:
    page = await new_page()
    # both are noted before the load event; waiting for them keeps the test from counting on it
    async with page.expect_event("pageerror"), page.expect_console_message(_naming("/fails.svg")):
        await page.goto(f"{site}/broken")

    with pytest.raises(AssertionError) as failure:
        no_page_errors(page)

    message = str(failure.value)
    assert f"500 Internal Server Error from GET {site}/fails.svg" in message
    assert "uncaught exception: kaputt" in message


async def test_a_4xx_page_is_no_page_error_but_a_4xx_picture_on_it_is(new_page: Pages, site: str) -> None:
    page = await new_page()
    async with page.expect_console_message(_naming("/nowhere.svg")):
        response = await page.goto(f"{site}/missing")
    assert response is not None and response.status == HTTPStatus.NOT_FOUND

    with pytest.raises(AssertionError) as failure:
        no_page_errors(page)

    errors = str(failure.value).splitlines()[1:]
    assert len(errors) == 1
    assert errors[0].endswith(f"status of 404 (Not Found) ({site}/nowhere.svg)")


async def test_page_budget_counts_bytes_by_kind_and_the_first_paint(new_page: Pages, site: str) -> None:
    page = await new_page(PHONE)

    budget = await page_budget(page, f"{site}/")

    # each kind is its body and its response headers (a few hundred bytes), nothing else
    assert len(SCRIPT) < budget.js < len(SCRIPT) + 1000
    assert len(STYLE) < budget.css < len(STYLE) + 1000
    assert len(PICTURE) < budget.images < len(PICTURE) + 1000
    assert len(GOOD) < budget.documents < len(GOOD) + 1000
    assert budget.other == 0
    assert budget.total == budget.js + budget.css + budget.images + budget.documents
    assert budget.viewport == "phone"
    assert 0 < budget.first_contentful_paint_ms < 60_000
