# SPDX-License-Identifier: AGPL-3.0-or-later
"""(w) The storefront's weight in a browser: bytes transferred and first contentful paint of
the home and search pages, against a page of the same front that calls no service.

A bench town runs catalog, vouchers and ordering as they do in production (``bench.saga``'s
town), and the web front (``downtown-web``) over their HTTP APIs as ``make run`` starts it. A
few shops list products, each with a phone photo, so the home page shows the newest offers
with their photos and the search finds several.

Debian's Chromium (driven by Playwright, as the e2e tests drive it: tests/support/browser.py)
loads each page at a phone's viewport in a fresh context (an empty cache), ``--page-loads``
times, the pages taken in turn so that a busy moment of the machine falls on all of them
alike (each round starting with the next page). One load of each goes first and is not
counted (the front renders its first templates).

**The baseline** is the front's own sign-in page (``/sign-in``): the same process, the same
layout, stylesheets and icon, but no call to a service and no photo. Home and search over it
is what their service calls, their offers and their photos add to the first paint; the
machine's own speed divides out. The issue's budget — under 100 KB of JavaScript and CSS per
storefront page — is judged on the heaviest load.

Every page is loaded twice a round: as this machine loads it, and as a cheap phone on a slow
4G link would (``CHEAP_PHONE``: Chromium's emulation of 150 ms round trips, 1.6 Mbit/s down
and a CPU four times slower; Lighthouse's mobile profile). The throttled first paints are
reported beside their own throttled baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from bench.report import Figure, Target, percentile, say
from bench.saga import PHOTO_SAMPLES, bench_town
from bench.scratch import delete_topics, random_town
from tests.support.browser import CHEAP_PHONE, PHONE, Budget, Pages, chromium_executable, page_budget
from tests.support.local_stack import RunningTown
from tests.support.ordering_client import open_shop
from tests.support.polling import wait_until
from tests.support.web_front import running_web_front

BENCHMARK = "storefront"
SCRIPTS_AND_STYLES_BUDGET_KIB = 100.0
"""The issue's budget for a storefront page's JavaScript and CSS (the e2e test's, in KiB)."""

SHOPS: dict[str, dict[str, tuple[str, int]]] = {
    "Kerzenzieherei Docht": {"Bienenwachskerze": ("6,90", 10), "Duftkerze Lavendel": ("8,50", 10)},
    "Imkerei Wabe": {"Blütenhonig": ("7,20", 10), "Honigkerze": ("5,40", 10), "Waldhonig": ("8,90", 10)},
    "Hofladen Sonnenhof": {"Bauernbrot": ("4,80", 10), "Apfelsaft": ("3,20", 10), "Landeier": ("3,90", 10)},
    "Blumen Rosi": {"Tulpenstrauß": ("12,50", 10), "Kerzenständer aus Ton": ("14,00", 10)},
}
QUERY = "Kerze"
PAGES = {"sign-in (baseline)": "/sign-in", "home": "/", "search": f"/search?q={QUERY}"}
BASELINE = "sign-in (baseline)"
THROTTLED = f" ({CHEAP_PHONE.name})"
"""Suffix of a page's name in its throttled loads."""


@dataclass(frozen=True)
class Loads:
    """One page's counted loads."""

    budgets: list[Budget]

    def paint(self, fraction: float) -> float:
        return percentile([budget.first_contentful_paint_ms for budget in self.budgets], fraction)

    def heaviest(self, kinds: tuple[str, ...]) -> float:
        """KiB of those kinds in the heaviest load (bytes barely vary between loads)."""
        return max(sum(getattr(budget, kind) for kind in kinds) for budget in self.budgets) / 1024


def seed(town: RunningTown) -> None:
    """The shops and their photographed products, searchable and in the directory when this returns."""
    sys.path.insert(0, str(PHOTO_SAMPLES))  # list_product draws its photo with photo_samples
    for name, products in SHOPS.items():
        open_shop(town, name, products)
    catalog = town["catalog"].api
    offers = sum(len(products) for products in SHOPS.values())

    def listed() -> bool:
        everything = httpx.get(f"{catalog}/catalog", params={"limit": 1}, timeout=30).json()["total"]
        found = httpx.get(f"{catalog}/catalog", params={"q": QUERY, "limit": 1}, timeout=30).json()["total"]
        shops = httpx.get(f"{catalog}/directory", timeout=30).json()
        return everything >= offers and found > 1 and len(shops) >= len(SHOPS)

    wait_until(listed, what="the catalog listing every offer and shop")


async def measure(front_url: str, executable: str, loads: int) -> dict[str, Loads]:
    """``loads`` counted loads of every page in turn, after one uncounted load of each."""
    budgets: dict[str, list[Budget]] = {name + suffix: [] for name in PAGES for suffix in ("", THROTTLED)}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True)
        pages = Pages(browser, "bench.storefront")
        try:
            page = await pages(PHONE)
            order = list(PAGES.items())
            for round_ in range(loads + 1):
                # each round starts with the next page, so no page always follows the same one
                for name, path in order[round_ % len(order) :] + order[: round_ % len(order)]:
                    budget = await page_budget(page, f"{front_url}{path}")
                    throttled = await page_budget(page, f"{front_url}{path}", CHEAP_PHONE)
                    if round_:
                        budgets[name].append(budget)
                        budgets[name + THROTTLED].append(throttled)
                if round_ and (round_ % 5 == 0 or round_ == loads):
                    last = ", ".join(
                        f"{name} {found[-1].first_contentful_paint_ms:.0f} ms" for name, found in budgets.items()
                    )
                    say(f"  {round_}/{loads} rounds; last first paints: {last}")
        finally:
            await pages.close()
            await browser.close()
    return {name: Loads(found) for name, found in budgets.items()}


def _chromium() -> str | None:
    try:
        return chromium_executable()
    except pytest.fail.Exception:
        return None


def run(options: argparse.Namespace) -> list[Figure]:
    executable = _chromium()
    if executable is None:
        say("storefront: skipped, chromium is not installed (bash deploy/local/stack.sh browser)")
        return []
    town = random_town()
    try:
        say(f"storefront: starting catalog, vouchers, ordering and the web front for town {town}")
        with bench_town(town) as running, tempfile.TemporaryDirectory(prefix=f"{town}-web-") as workdir:
            say(f"  ready; opening {len(SHOPS)} shops with photographed products")
            seed(running)
            with running_web_front(running, Path(workdir)) as front:
                say(
                    f"  {front.url}: loading {', '.join(PAGES.values())} {options.page_loads} times each ({PHONE.name})"
                )
                measured = asyncio.run(measure(front.url, executable, options.page_loads))
    finally:
        asyncio.run(delete_topics(town))
    return figures(measured)


def figures(measured: dict[str, Loads]) -> list[Figure]:
    budget = Target(SCRIPTS_AND_STYLES_BUDGET_KIB, at_least=False)
    rows: list[Figure] = []
    for name, loads in measured.items():
        is_storefront = not name.startswith(BASELINE)
        rows += [
            Figure(BENCHMARK, f"{name}: first contentful paint p50", loads.paint(0.5), "ms"),
            Figure(BENCHMARK, f"{name}: first contentful paint p90", loads.paint(0.9), "ms"),
            Figure(
                BENCHMARK,
                f"(w) {name}: JavaScript + CSS" if is_storefront else f"{name}: JavaScript + CSS",
                loads.heaviest(("js", "css")),
                "KiB",
                budget if is_storefront else None,
            ),
            Figure(BENCHMARK, f"{name}: images", loads.heaviest(("images",)), "KiB"),
            Figure(BENCHMARK, f"{name}: document", loads.heaviest(("documents",)), "KiB"),
            Figure(BENCHMARK, f"{name}: total", loads.heaviest(("js", "css", "images", "documents", "other")), "KiB"),
        ]
    rows += [
        Figure(
            BENCHMARK,
            f"(w) {name}{suffix} / {BASELINE}: first contentful paint p50",
            measured[name + suffix].paint(0.5) / measured[BASELINE + suffix].paint(0.5),
            "ratio",
        )
        for suffix in ("", THROTTLED)
        for name in PAGES
        if name != BASELINE
    ]
    return rows
