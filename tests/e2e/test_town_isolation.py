# SPDX-License-Identifier: AGPL-3.0-or-later
"""Two towns, two instances: nothing of one is readable or writable from the other."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from photo_samples import sample_photo

from conftest import Databases
from tests.support.local_stack import ServiceInstance, prepared_service, random_town, started


@pytest.fixture(scope="module")
def two_towns(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceInstance, ...]]:
    tmp = Path(tmp_path_factory.mktemp("towns"))
    towns = random_town(), random_town()
    first = started(prepared_service("catalog", towns[0], databases.create(towns[0], "catalog"), tmp))
    try:
        second = started(prepared_service("catalog", towns[1], databases.create(towns[1], "catalog"), tmp))
    except Exception:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


def test_a_town_sees_only_its_own_offers_and_accepts_only_its_own_tokens(
    two_towns: tuple[ServiceInstance, ServiceInstance],
) -> None:
    town_a, town_b = two_towns
    registration = {
        "name": "Apotheke am Markt",
        "category": "Gesundheit",
        "phone": "0251 1",
        "email": "a@example.de",
        "address": {"street": "Markt 1", "postal_code": "48143", "city": "Münster"},
    }
    answer = httpx.post(f"{town_a.api}/merchants", json=registration).json()
    token_a = {"Authorization": f"Bearer {answer['token']}"}
    listed = httpx.post(
        f"{town_a.api}/offers/products",
        headers=token_a,
        data={"price": "4,95", "title": "Halstee"},
        files={"photo": ("tee.png", sample_photo("png"), "image/png")},
        timeout=30,
    )
    assert listed.status_code == 201

    deadline = time.monotonic() + 15
    while httpx.get(f"{town_a.api}/catalog", params={"q": "Halstee"}).json()["total"] == 0:
        assert time.monotonic() < deadline, "town A never showed its own offer"
        time.sleep(0.05)

    assert httpx.get(f"{town_b.api}/catalog", params={"q": "Halstee"}).json()["total"] == 0
    assert httpx.get(f"{town_b.api}/directory").json() == []
    assert httpx.get(f"{town_b.api}/merchants/me", headers=token_a).status_code == 401
    association_a = {"Authorization": f"Bearer {town_a.association_token}"}
    merchant_id = answer["merchant"]["merchant_id"]
    suspend = httpx.post(
        f"{town_b.api}/merchants/{merchant_id}/suspension", json={"reason": "x"}, headers=association_a
    )
    assert suspend.status_code == 401
