# SPDX-License-Identifier: AGPL-3.0-or-later
"""(c): photo-to-searchable latency through a real catalog API and worker.

A bench town is provisioned and its ``catalog-api`` and ``catalog-worker`` run as they do
in production (subprocesses, the real broker and database). A merchant registers, then
lists products one after another, each with a 1200x900 phone JPEG and a title word no
other offer has; after each POST the search is polled every 10 ms until the offer shows.
Photo-to-searchable runs from the start of the POST to the first search that finds it.
The first listing warms the processes up and is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import string
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.report import Figure, Target, percentile, say
from bench.scratch import delete_topics, random_town, scratch_database
from tests.support.catalog_client import REGISTRATION as CLIENT_REGISTRATION
from tests.support.local_stack import ServiceInstance, running_catalog

BENCHMARK = "latency"
POLL_SECONDS = 0.01
GIVE_UP_SECONDS = 30.0
PHOTO_SAMPLES = Path(__file__).resolve().parent.parent / "services" / "catalog" / "tests" / "unit"

REGISTRATION = {**CLIENT_REGISTRATION, "name": "Kerzenzieherei Bench", "category": "Kunsthandwerk"}


def _photos(count: int) -> list[bytes]:
    """Phone-like JPEGs (EXIF with GPS), one per listing, so no two share a content hash."""
    sys.path.insert(0, str(PHOTO_SAMPLES))
    from photo_samples import sample_photo

    return [sample_photo("jpeg", width=1200, height=900, seed=i, gps=True) for i in range(count)]


def _unique_word(rng: random.Random) -> str:
    return "kerze" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


def _list_and_find(client: httpx.Client, auth: dict[str, str], photo: bytes, word: str) -> tuple[float, float]:
    """Seconds to the POST's answer and to the first search hit, both from the POST's start."""
    started = time.perf_counter()
    response = client.post(
        "/offers/products",
        headers=auth,
        files={"photo": ("IMG_0042.jpg", photo, "image/jpeg")},
        data={"price": "12,90", "title": f"Bienenwachskerze {word}"},
    )
    posted = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"listing failed: {response.status_code} {response.text}")
    offer_id = response.json()["offer_id"]
    while time.perf_counter() - started < GIVE_UP_SECONDS:
        found = client.get("/catalog", params={"q": word})
        if any(item["offer_id"] == offer_id for item in found.json()["items"]):
            return posted, time.perf_counter() - started
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"offer {offer_id} not searchable after {GIVE_UP_SECONDS:.0f} s")


def measure(instance: ServiceInstance, offers: int) -> tuple[list[float], list[float]]:
    say(f"  drawing {offers + 1} photos (1200x900 JPEG)")
    photos = _photos(offers + 1)
    rng = random.Random()
    posts: list[float] = []
    searchable: list[float] = []
    with httpx.Client(base_url=instance.api, timeout=30) as client:
        registered = client.post("/merchants", json=REGISTRATION)
        if registered.status_code != 201:
            raise RuntimeError(f"registration failed: {registered.status_code} {registered.text}")
        auth = {"Authorization": f"Bearer {registered.json()['token']}"}
        _list_and_find(client, auth, photos[0], _unique_word(rng))  # warm-up, not counted
        for index, photo in enumerate(photos[1:], start=1):
            posted, found = _list_and_find(client, auth, photo, _unique_word(rng))
            posts.append(posted)
            searchable.append(found)
            if index % 10 == 0 or index == offers:
                say(f"  {index}/{offers} listed; last: POST {posted * 1000:.0f} ms, searchable {found * 1000:.0f} ms")
    return posts, searchable


def run(options: argparse.Namespace) -> list[Figure]:
    town = random_town()
    try:
        with scratch_database() as database_url, tempfile.TemporaryDirectory(prefix=f"{town}-") as workdir:
            say(f"latency: starting catalog-api and catalog-worker for town {town}")
            with running_catalog(town, database_url, Path(workdir)) as instance:
                say("  ready; listing products")
                posts, searchable = measure(instance, options.offers)
    finally:
        asyncio.run(delete_topics(town))
    within = Target(1000, at_least=False)
    return [
        Figure(BENCHMARK, "POST /offers/products p50", percentile(posts, 0.5) * 1000, "ms"),
        Figure(BENCHMARK, "POST /offers/products p99", percentile(posts, 0.99) * 1000, "ms"),
        Figure(BENCHMARK, "POST /offers/products max", max(posts) * 1000, "ms"),
        Figure(BENCHMARK, "(c) photo-to-searchable p50", percentile(searchable, 0.5) * 1000, "ms"),
        Figure(BENCHMARK, "(c) photo-to-searchable p99", percentile(searchable, 0.99) * 1000, "ms", within),
        Figure(BENCHMARK, "(c) photo-to-searchable max", max(searchable) * 1000, "ms", within),
    ]
