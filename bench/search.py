# SPDX-License-Identifier: AGPL-3.0-or-later
"""(s): German search throughput against a trivial endpoint of the same API, under ``wrk``.

A bench town's ``catalog-api`` and ``catalog-worker`` run as in production. One merchant
lists bookable services (JSON, no photo) whose titles are German compounds and plain words;
once the town catalog shows them all, ``wrk`` drives, one after another and for the same
time with the same connections: ``/healthz/live`` (no database, no search: the API's own
ceiling); the catalog's first page without text (the same route, rows and answer without a
search: what the framework, telemetry and serialization cost); a mix of searches (compound
parts, whole words, a word being typed, a compound query split into its parts); and
searches that full text finds nothing for, answered by the trigram fallback (typos). The
figure that counts is the searches' rate as a share of the live probe's, measured in the
same run, so a busy or fast machine moves both alike; their share of the listing's says
what the search itself costs.

``wrk`` comes from Debian (``apt-get install wrk``): installed here when missing and we are
root with apt-get, otherwise the benchmark is skipped and says how to install it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import httpx

from bench.report import Figure, Target, say
from bench.scratch import delete_topics, random_town, scratch_database
from tests.support.catalog_client import REGISTRATION
from tests.support.local_stack import ServiceInstance, running_catalog
from tests.support.polling import wait_until

BENCHMARK = "search"
SECONDS = 10
CONNECTIONS = 8
THREADS = 1  # two cores: one for wrk, the rest for the API and PostgreSQL

_MODIFIERS = ["Bügel", "Fahrrad", "Spät", "Grau", "Weiß", "Rot", "Käse", "Holz", "Kinder", "Geschenk", "Regen"]
_HEADS = ["schloss", "burgunder", "wein", "kuchen", "korb", "schirm", "brot", "spielzeug", "karte", "tasche"]
_WORDS = ["trocken", "handgemacht", "regional", "frisch", "klein", "groß", "vom Markt", "aus Schöppingen"]

MIXED = ["Schloss", "Burgunder", "schlos", "Wein", "Fahrradschloss", "Käse", "Geschenkkorb", "Kinder"]
"""Searches full-text search answers: parts of compounds, whole words, an unfinished word."""
TYPOS = ["Burgnder", "Regenshirm", "Geschenkkrob"]
"""Searches full-text search finds nothing for, answered by the trigram fallback."""


def ensure_wrk() -> str | None:
    """The path of ``wrk``, installed from Debian if missing and possible; ``None`` if not."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    say("  wrk is missing: apt-get install wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        subprocess.run(install, env=env, capture_output=True, check=False)
    return shutil.which("wrk")


def titles(count: int, rng: random.Random) -> list[str]:
    return [f"{rng.choice(_MODIFIERS)}{rng.choice(_HEADS)} {rng.choice(_WORDS)}" for _ in range(count)]


def seed(instance: ServiceInstance, count: int) -> None:
    """List ``count`` services and wait until the town catalog holds every one."""
    rng = random.Random(16)
    with httpx.Client(base_url=instance.api, timeout=30) as client:
        registered = client.post("/merchants", json={**REGISTRATION, "name": "Markthalle Bench"})
        if registered.status_code != 201:
            raise RuntimeError(f"registration failed: {registered.status_code} {registered.text}")
        auth = {"Authorization": f"Bearer {registered.json()['token']}"}
        window = [{"weekday": 0, "opens": "09:00", "closes": "18:00"}]
        for index, title in enumerate(titles(count, rng), start=1):
            body = {"title": title, "price": "9,90", "duration_minutes": 30, "weekly_availability": window}
            listed = client.post("/offers/services", headers=auth, json=body)
            if listed.status_code != 201:
                raise RuntimeError(f"listing failed: {listed.status_code} {listed.text}")
            if index % 250 == 0:
                say(f"  {index}/{count} listed")

        def catalogued() -> bool:
            return bool(client.get("/catalog", params={"limit": 1}).json()["total"] >= count)

        wait_until(catalogued, seconds=120, what=f"{count} offers in the town catalog")


def wrk_rate(wrk: str, base: str, paths: list[str]) -> float:
    """Requests a second ``wrk`` sustains over ``paths`` in turn; any non-2xx answer fails."""
    lines = ", ".join(f'"{path}"' for path in paths)
    script = (
        f"local paths = {{{lines}}}\nlocal i = 0\n"
        'request = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        command = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-s", lua.name, base]
        output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=SECONDS + 60).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"wrk saw error answers:\n{output}")
    measured = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if measured is None:
        raise RuntimeError(f"no rate in wrk's output:\n{output}")
    return float(measured.group(1))


def searches(words: list[str]) -> list[str]:
    return [f"/catalog?q={quote(word)}" for word in words]


def check_answers(instance: ServiceInstance) -> None:
    """The searches the rate is measured on find something: a rate of empty answers is no figure."""
    for path in searches(MIXED + TYPOS):
        total = httpx.get(instance.api + path, timeout=30).json()["total"]
        if not total:
            raise RuntimeError(f"{path} found nothing in the bench catalog")


def _delete_topics(town: str) -> None:
    """The bench town's topics go; a broker that went away meanwhile costs a warning, not
    the figures already measured."""
    try:
        asyncio.run(delete_topics(town))
    except Exception as error:  # any failure to clean up is only reported
        say(f"  could not delete the topics of {town}: {error}")


def run(options: argparse.Namespace) -> list[Figure]:
    wrk = ensure_wrk()
    if wrk is None:
        say("search: skipped, wrk is not installed (Debian/Ubuntu: apt-get install wrk; as root the bench does it)")
        return []
    town = random_town()
    try:
        with scratch_database() as database_url, tempfile.TemporaryDirectory(prefix=f"{town}-") as workdir:
            say(f"search: starting catalog-api and catalog-worker for town {town}")
            with running_catalog(town, database_url, Path(workdir)) as instance:
                say(f"  listing {options.search_offers} services")
                seed(instance, options.search_offers)
                check_answers(instance)
                rates = {}
                for name, paths in (
                    ("/healthz/live", ["/healthz/live"]),
                    ("listing", ["/catalog"]),
                    ("search", searches(MIXED)),
                    ("search, trigram fallback", searches(TYPOS)),
                ):
                    rates[name] = wrk_rate(wrk, instance.api, paths)
                    say(f"  {name}: {rates[name]:,.0f} requests/s ({CONNECTIONS} connections, {SECONDS} s)")
    finally:
        _delete_topics(town)
    trivial = rates["/healthz/live"]
    return [
        Figure(BENCHMARK, "GET /healthz/live", trivial, "requests/s"),
        Figure(BENCHMARK, "GET /catalog (newest first, no text)", rates["listing"], "requests/s"),
        Figure(BENCHMARK, "GET /catalog?q= (full text)", rates["search"], "requests/s"),
        Figure(BENCHMARK, "GET /catalog?q= (trigram fallback)", rates["search, trigram fallback"], "requests/s"),
        Figure(BENCHMARK, "(s) search / healthz", rates["search"] / trivial, "ratio", Target(0.5)),
        Figure(BENCHMARK, "(s) fallback search / healthz", rates["search, trigram fallback"] / trivial, "ratio"),
        Figure(BENCHMARK, "search / listing the same page without text", rates["search"] / rates["listing"], "ratio"),
    ]
