# SPDX-License-Identifier: AGPL-3.0-or-later
"""The browser tests' fixtures, as a plugin a test module loads (helpers: tests/support/browser.py):

    pytest_plugins = ["tests.support.browser_fixtures"]

They live apart from the helpers so that the test module's ``from tests.support.browser import
...`` does not import the plugin before pytest registers it (pytest then warns that it cannot
rewrite its asserts).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from tests.support.browser import Pages, chromium_executable


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """One headless Chromium for the whole test session, started when a test first needs it."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_executable(), headless=True)
        yield browser
        await browser.close()


@pytest.fixture
async def new_page(chromium: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Pages]:
    """``page = await new_page(viewport=DESKTOP, locale="de-DE")``; every page of the test is
    closed when it ends. Screenshots go to ``<test module>.<test name>/``."""
    pages = Pages(chromium, f"{request.node.path.stem}.{request.node.name}")
    yield pages
    await pages.close()
