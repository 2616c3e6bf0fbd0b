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
import os
import random
import socket
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.report import Figure, Target, percentile, say
from bench.scratch import KAFKA, delete_topics, random_town, scratch_database

BENCHMARK = "latency"
POLL_SECONDS = 0.01
GIVE_UP_SECONDS = 30.0
PHOTO_SAMPLES = Path(__file__).resolve().parent.parent / "services" / "catalog" / "tests" / "unit"

REGISTRATION = {
    "name": "Kerzenzieherei Bench",
    "category": "Kunsthandwerk",
    "address": {"street": "Hauptstraße 12", "postal_code": "48624", "city": "Schöppingen"},
    "phone": "+49 2555 1234",
    "email": "info@kerzen.example",
    "offers_delivery": True,
    "offers_pickup": True,
    "opening_hours": [{"weekday": d, "opens": "09:00", "closes": "18:30"} for d in range(6)],
}


@dataclass
class Instance:
    api: str
    worker: str
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_tails(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}" for path in self.logs.glob("*.log")
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(url: str, instance: Instance, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in instance.processes):
            raise RuntimeError(f"a catalog process exited early\n{instance.log_tails()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {seconds:.0f} s\n{instance.log_tails()}")


@contextmanager
def running_catalog(town: str, database_url: str, workdir: Path) -> Iterator[Instance]:
    """Provision the town and run its API and worker (in ``workdir``, where faust keeps its data)."""
    bin_dir = Path(sys.executable).parent
    api_port, worker_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DOWNTOWN_TOWN": town,
        "DOWNTOWN_DATABASE_URL": database_url,
        "DOWNTOWN_KAFKA_BOOTSTRAP": KAFKA,
        "DOWNTOWN_HTTP_PORT": str(api_port),
        "DOWNTOWN_WORKER_PORT": str(worker_port),
        "DOWNTOWN_PHOTO_DIR": str(workdir / "photos"),
        "DOWNTOWN_TOKEN_SECRET": f"bench-secret-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        "DOWNTOWN_ASSOCIATION_TOKEN": f"bench-association-{uuid.uuid4().hex}",
    }
    provision = subprocess.run(
        [bin_dir / "catalog-admin", "provision"], env=env, cwd=workdir, capture_output=True, text=True
    )
    if provision.returncode != 0:
        raise RuntimeError(f"catalog-admin provision failed:\n{provision.stdout}{provision.stderr}")
    instance = Instance(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{worker_port}", workdir)
    try:
        for name in ("catalog-api", "catalog-worker"):
            log = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 - the process owns it until the end
            instance.processes.append(
                subprocess.Popen([bin_dir / name], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
            )
        _wait_ready(f"{instance.api}/healthz/ready", instance)
        _wait_ready(f"{instance.worker}/healthz/ready", instance)
        yield instance
    finally:
        instance.stop()


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


def measure(instance: Instance, offers: int) -> tuple[list[float], list[float]]:
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
