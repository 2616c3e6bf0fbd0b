# SPDX-License-Identifier: AGPL-3.0-or-later
"""The worker dies mid-stream (SIGKILL, no shutdown) and comes back: every event is applied,
none twice. The directory counts listings per merchant by incrementing, so an event applied
twice would show as a wrong count, and one skipped as a missing offer."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from photo_samples import sample_photo

from conftest import Databases
from tests.support.local_stack import ServiceInstance, random_town, running_catalog, wait_ready

LISTINGS = 40
REGISTRATION = {
    "name": "Hofladen Schulze Wext",
    "category": "Hofladen",
    "phone": "02555 7",
    "email": "h@example.de",
    "address": {"street": "Am Hof 1", "postal_code": "48624", "city": "Schöppingen"},
}


@pytest.fixture
def fresh_catalog(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceInstance]:
    town = random_town()
    with running_catalog(town, databases.create(town, "catalog"), tmp_path_factory.mktemp("crash")) as instance:
        yield instance


def test_a_killed_worker_resumes_without_losing_or_repeating_events(fresh_catalog: ServiceInstance) -> None:
    api = fresh_catalog.api
    answer = httpx.post(f"{api}/merchants", json=REGISTRATION).json()
    auth = {"Authorization": f"Bearer {answer['token']}"}
    merchant_id = answer["merchant"]["merchant_id"]
    photo = sample_photo("jpeg", width=320, height=240)

    for n in range(LISTINGS):
        if n == LISTINGS // 2:
            fresh_catalog.kill("catalog-worker")  # projections and relay die together, mid-stream
        listed = httpx.post(
            f"{api}/offers/products",
            headers=auth,
            timeout=30,
            data={"price": "3,20", "title": f"Freilandeier Karton {n}"},
            files={"photo": ("eier.jpg", photo, "image/jpeg")},
        )
        assert listed.status_code == 201  # the API keeps taking orders while the worker is down
    fresh_catalog.launch("catalog-worker")
    wait_ready(fresh_catalog)

    deadline = time.monotonic() + 60  # the dead member's session (10 s) expires first
    while httpx.get(f"{api}/catalog", params={"q": "Freilandeier", "limit": 100}).json()["total"] < LISTINGS:
        assert time.monotonic() < deadline, "not every listing reached the catalog after the restart"
        time.sleep(0.1)
    entry = httpx.get(f"{api}/directory/{merchant_id}").json()
    assert entry["products"] == LISTINGS
    assert httpx.get(f"{api}/catalog", params={"q": "Freilandeier", "limit": 100}).json()["total"] == LISTINGS
