# SPDX-License-Identifier: AGPL-3.0-or-later
"""The web front in a real browser: Debian's Chromium driven by Playwright, for e2e tests.

A test module loads the fixtures (``chromium``, ``new_page``: tests/support/browser_fixtures.py)
with ``pytest_plugins = ["tests.support.browser_fixtures"]``, imports the helpers from here and
is marked ``@pytest.mark.e2e``; it gets a base URL of a running web process from its own fixture::

    async def test_the_basket(new_page, web_url):
        page = await new_page(PHONE)
        await page.goto(f"{web_url}/")
        await shoot(page, "start")           # .downtown/artefacts/screenshots/<module>.<test>/01-start-phone.png
        await check_accessibility(page)      # axe-core: no serious or critical violation
        no_page_errors(page)                 # no console error, no uncaught exception, no 5xx

Why Playwright's async API: its sync API leaves its own event loop marked as running in the
thread after every call (it waits for the driver in a greenlet), and every async test after it
in the same pytest session then fails with "Cannot run the event loop while another loop is
running". The async API runs on pytest-asyncio's session loop, like the other async tests.

Why no ``playwright install``: the browser is Debian's ``chromium`` package, which
``deploy/local/stack.sh up`` installs with apt; Playwright only drives it (``executable_path``).
One Chromium is started per test session (it takes a second or two; the machines have two
cores) and each page gets a fresh context, so tests share no cookies or cache. A page that needs
a camera (``new_page(PHONE, camera=video)``) gets a Chromium of its own, whose camera shows a
video file (tests/support/fake_camera.py): Chromium takes its fake camera only at launch. Playwright starts
Chromium with ``--no-sandbox`` by default, which running as root (as CI does) needs.

Under the web front's Content-Security-Policy (no 'unsafe-eval') ``page.wait_for_function`` fails
whenever its condition is not true at once (it polls through eval()): wait with locators and
``playwright.async_api.expect`` instead, which do not.

Screenshots are kept as test artefacts under ``.downtown/artefacts/screenshots/``, one folder per
test (emptied when the test takes its first one), named ``<NN>-<name>-<viewport>.png`` in the
order the test took them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Error, Page, Request, Response

from tests.support.polling import PATIENCE

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ".downtown" / "artefacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core"
"""axe-core, vendored and pinned by ``deploy/vendor_npm.py``."""

FAILING_IMPACTS = ("serious", "critical")
SELECTORS_SHOWN = 3


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    mobile: bool = False
    scale: float = 1

    def context_options(self) -> dict[str, Any]:
        return {
            "viewport": {"width": self.width, "height": self.height},
            "is_mobile": self.mobile,
            "has_touch": self.mobile,
            "device_scale_factor": self.scale,
        }


DESKTOP = Viewport("desktop", 1280, 800)
PHONE = Viewport("phone", 390, 844, mobile=True, scale=2)
"""A common phone's CSS viewport (390×844 at 2×), with touch: the merchant's, courier's and
association's pages are made for it."""

LOCALE = "de-DE"
TIMEZONE = "Europe/Berlin"


def chromium_executable() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        pytest.fail("no chromium on PATH: install it with 'bash deploy/local/stack.sh browser' (apt)")
    return found


@dataclass
class _Shots:
    """One test's screenshots: its folder and how many it took."""

    folder: Path
    taken: int = 0


@dataclass
class _Watched:
    """What a page of a test noted: its viewport, the test's screenshots, its errors (console
    errors with the address they name apart: see ``no_page_errors``)."""

    viewport: Viewport
    shots: _Shots
    errors: list[str] = field(default_factory=list)
    console_errors: list[tuple[str, str]] = field(default_factory=list)
    refused_documents: set[str] = field(default_factory=set)

    def page_errors(self) -> list[str]:
        # Chromium logs every 4xx as "Failed to load resource", the page's own document too:
        # a 404 or 422 page the server meant to show (its status is the test's to assert) is
        # not a failing page, while a 4xx image, script or stylesheet of it is.
        console = [
            f"console error: {text} ({url})"
            for text, url in self.console_errors
            if not (url in self.refused_documents and text.startswith("Failed to load resource"))
        ]
        return [*self.errors, *console]


_WATCHED: dict[Page, _Watched] = {}


def _watched(page: Page) -> _Watched:
    try:
        return _WATCHED[page]
    except KeyError:
        raise AssertionError(
            "this page was not opened with the new_page fixture (tests/support/browser_fixtures.py)"
        ) from None


def _watch(page: Page, watched: _Watched) -> None:
    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.console_errors.append((message.text, message.location.get("url", "?")))

    def on_page_error(error: Error) -> None:
        watched.errors.append(f"uncaught exception: {error.message}")

    def on_response(response: Response) -> None:
        if response.status >= 500:
            request = response.request
            watched.errors.append(f"{response.status} {response.status_text} from {request.method} {response.url}")
        elif response.status >= 400 and response.request.resource_type == "document":
            watched.refused_documents.add(response.url)

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)


async def _context(browser: Browser, viewport: Viewport, locale: str) -> BrowserContext:
    context = await browser.new_context(**viewport.context_options(), locale=locale, timezone_id=TIMEZONE)
    # A busy machine is slow, not broken: wait as long as the other e2e tests do.
    context.set_default_timeout(PATIENCE * 1000)
    return context


def camera_arguments(video: Path) -> list[str]:
    """Chromium's switches for a camera that shows ``video`` (``.y4m`` or ``.mjpeg``, played in a
    loop) to every page that asks for one, allowed without asking."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


class Pages:
    """One test's pages (the ``new_page`` fixture): each in a fresh context of the session's
    browser (or, with a camera, of a browser of its own), watched for errors, its screenshots
    kept in the test's folder."""

    def __init__(self, browser: Browser, test: str) -> None:
        self._browser = browser
        self._shots = _Shots(SCREENSHOTS / re.sub(r"[^\w.-]+", "_", test).strip("_"))
        self._contexts: list[BrowserContext] = []
        self._with_cameras: list[Browser] = []

    async def __call__(self, viewport: Viewport = DESKTOP, locale: str = LOCALE, *, camera: Path | None = None) -> Page:
        """A new page; with ``camera`` (a video file), in a Chromium whose camera shows it,
        closed with the test's other pages."""
        browser = self._browser
        if camera is not None:
            browser = await browser.browser_type.launch(
                executable_path=chromium_executable(), headless=True, args=camera_arguments(camera)
            )
            self._with_cameras.append(browser)
        context = await _context(browser, viewport, locale)
        self._contexts.append(context)
        page = await context.new_page()
        watched = _Watched(viewport, self._shots)
        _watch(page, watched)
        _WATCHED[page] = watched
        return page

    async def close(self) -> None:
        for context in self._contexts:
            for page in context.pages:
                _WATCHED.pop(page, None)
            await context.close()
        for browser in self._with_cameras:
            await browser.close()


async def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot, kept as ``<NN>-<name>-<viewport>.png`` in the test's folder."""
    watched = _watched(page)
    shots = watched.shots
    # the folder is emptied at the test's first screenshot, so a rerun leaves no stale ones
    if shots.taken == 0:
        shutil.rmtree(shots.folder, ignore_errors=True)
        shots.folder.mkdir(parents=True)
    shots.taken += 1
    path = shots.folder / f"{shots.taken:02d}-{name}-{watched.viewport.name}.png"
    await page.screenshot(path=path, full_page=True)
    return path


def no_page_errors(page: Page) -> None:
    """Fails listing every console error, uncaught exception and 5xx response the page has had
    (a 4xx page itself, such as a form answered 422, is not one; a 4xx image on it is)."""
    errors = _watched(page).page_errors()
    assert not errors, f"{len(errors)} error(s) on {page.url}:\n  " + "\n  ".join(errors)


@functools.cache
def _axe_source() -> str:
    """The vendored axe.min.js, once its sha256 is the pinned one."""
    pin = json.loads((AXE / "pin.json").read_text())
    data = (AXE / "axe.min.js").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == pin["sha256"]["axe.min.js"], "axe.min.js is not the pinned file: deploy/vendor_npm.py axe-core"
    return data.decode()


async def check_accessibility(page: Page) -> list[dict[str, Any]]:
    """Runs axe-core on the page as it is; fails listing every serious or critical violation
    (rule id, what it asks, the first few elements). Returns all violations, of any impact.

    axe is evaluated through the DevTools protocol rather than added as a ``<script>``: the web
    front's Content-Security-Policy (``default-src 'self'``) rightly blocks an inline script.
    """
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(_axe_source())
    results = await page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    violations: list[dict[str, Any]] = results["violations"]
    failing = [violation for violation in violations if violation["impact"] in FAILING_IMPACTS]
    if failing:
        lines = []
        for violation in failing:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
            shown = ", ".join(targets[:SELECTORS_SHOWN])
            if len(targets) > SELECTORS_SHOWN:
                shown += f" and {len(targets) - SELECTORS_SHOWN} more"
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {shown}")
        raise AssertionError(
            f"{len(failing)} serious or critical accessibility violation(s) on {page.url}:\n  " + "\n  ".join(lines)
        )
    return violations


@dataclass(frozen=True)
class Budget:
    """What loading a page cost: bytes transferred (headers and encoded bodies) by kind, and
    when the first text or image was painted."""

    url: str
    viewport: str
    js: int
    css: int
    images: int
    documents: int
    other: int
    first_contentful_paint_ms: float

    @property
    def total(self) -> int:
        return self.js + self.css + self.images + self.documents + self.other


_KINDS = {"script": "js", "stylesheet": "css", "image": "images", "document": "documents"}

# Evaluated as one function, never polled: Playwright's wait_for_function polls a string through
# eval(), which a Content-Security-Policy without 'unsafe-eval' (the web front's) refuses.
_FIRST_CONTENTFUL_PAINT = """patience => new Promise(resolve => {
    const observer = new PerformanceObserver(() => {
        const [paint] = performance.getEntriesByName('first-contentful-paint');
        if (paint) { observer.disconnect(); resolve(paint.startTime); }
    });
    observer.observe({type: 'paint', buffered: true});
    setTimeout(() => { observer.disconnect(); resolve(null); }, patience);
})"""


@dataclass(frozen=True)
class Throttle:
    """A slower device and link than this machine's, emulated by Chromium (DevTools protocol):
    the network's round trip and throughput, and the CPU slowed down by a factor."""

    name: str
    latency_ms: float
    download_kbit: float
    upload_kbit: float
    cpu_slowdown: float

    async def apply(self, page: Page) -> None:
        session = await page.context.new_cdp_session(page)
        await session.send("Network.enable")
        await session.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": self.latency_ms,
                "downloadThroughput": self.download_kbit * 1000 / 8,
                "uploadThroughput": self.upload_kbit * 1000 / 8,
            },
        )
        await session.send("Emulation.setCPUThrottlingRate", {"rate": self.cpu_slowdown})


CHEAP_PHONE = Throttle("cheap phone on slow 4G", latency_ms=150, download_kbit=1_600, upload_kbit=750, cpu_slowdown=4)
"""Lighthouse's mobile profile: a mid-range phone (4× slower CPU) on a slow 4G link."""


async def page_budget(page: Page, url: str, throttle: Throttle | None = None) -> Budget:
    """Loads ``url`` in a fresh context (empty cache) of ``page``'s browser and viewport, and
    measures it: bytes by kind of every request made until the load event and the first
    contentful paint (each awaited to its end), and that paint's time (a page that never paints
    fails). With ``throttle``, on that slower device and link."""
    viewport = _watched(page).viewport
    browser = page.context.browser
    assert browser is not None
    context = await _context(browser, viewport, LOCALE)
    try:
        measured = await context.new_page()
        if throttle is not None:
            await throttle.apply(measured)
        started: list[Request] = []

        def on_request(request: Request) -> None:
            started.append(request)

        measured.on("request", on_request)
        await measured.goto(url, wait_until="load")
        paint = await measured.evaluate(_FIRST_CONTENTFUL_PAINT, PATIENCE * 1000)
        assert paint is not None, f"{url} painted no text or image within {PATIENCE:.0f} s"
        sizes = dict.fromkeys(("js", "css", "images", "documents", "other"), 0)
        for request in list(started):
            # a request's "finished" event may come after the load event: sizes() awaits its end
            if await request.response() is None:
                continue  # failed: nothing was transferred
            transferred = await request.sizes()
            kind = _KINDS.get(request.resource_type, "other")
            sizes[kind] += transferred["responseHeadersSize"] + transferred["responseBodySize"]
    finally:
        await context.close()
    return Budget(url=url, viewport=viewport.name, first_contentful_paint_ms=float(paint), **sizes)


async def looked_at(page: Page, name: str) -> None:
    """A step of a browser test: kept as a screenshot, checked by axe, free of page errors."""
    await shoot(page, name)
    await check_accessibility(page)
    no_page_errors(page)
