"""Rebuild a live projection from offset zero, compare it with the live tables, swap it in.

Runs against a catalog whose worker keeps serving the live projection meanwhile, as in
production: the rebuild must match it row for row, and after the swap the worker must
carry on writing into the rebuilt tables.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
from photo_samples import sample_photo

from tests.support.local_stack import CatalogInstance


def wait_for(catalog: CatalogInstance, word: str, total: int) -> None:
    deadline = time.monotonic() + 20
    while httpx.get(f"{catalog.api}/catalog", params={"q": word}).json()["total"] != total:
        assert time.monotonic() < deadline, f"search for {word!r} never reached {total}"
        time.sleep(0.05)


def fill(catalog: CatalogInstance, word: str, count: int) -> None:
    registration = {
        "name": f"Laden {word}",
        "category": "Feinkost",
        "phone": "0251 1",
        "email": "x@example.de",
        "address": {"street": "Markt 2", "postal_code": "48143", "city": "Münster"},
    }
    answer = httpx.post(f"{catalog.api}/merchants", json=registration).json()
    auth = {"Authorization": f"Bearer {answer['token']}"}
    photo = sample_photo("jpeg", width=400, height=300)
    for n in range(count):
        response = httpx.post(
            f"{catalog.api}/offers/products",
            headers=auth,
            timeout=30,
            data={"price": f"{n + 1},50", "title": f"{word} Nummer {n}", "stock": "3"},
            files={"photo": ("p.jpg", photo, "image/jpeg")},
        )
        offer_id = response.json()["offer_id"]
        httpx.put(f"{catalog.api}/offers/{offer_id}/price", headers=auth, json={"price": f"{n + 2},00"})
    wait_for(catalog, word, count)


def rebuild(catalog: CatalogInstance, projection: str, *flags: str) -> subprocess.CompletedProcess[str]:
    cli = Path(sys.executable).parent / "downtown-projections"
    return subprocess.run(
        [cli, "rebuild", "--service", "catalog", "--projection", projection, *flags],
        env=catalog.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_rebuilt_projection_equals_the_live_one_and_takes_over_without_downtime(catalog: CatalogInstance) -> None:
    fill(catalog, "Marmelade", 12)

    for projection in ("town_catalog", "town_directory"):
        result = rebuild(catalog, projection)
        assert result.returncode == 0, result.stderr
        assert "checksum match: yes" in result.stderr and "swapped: yes" in result.stderr

    fill(catalog, "Honigkuchen", 3)  # the live worker now writes into the swapped-in tables
    assert httpx.get(f"{catalog.api}/catalog", params={"q": "Marmelade"}).json()["total"] == 12
    again = rebuild(catalog, "town_catalog")
    assert again.returncode == 0 and "checksum match: yes" in again.stderr, again.stderr


def test_a_damaged_live_projection_is_detected_and_repaired_by_a_forced_rebuild(catalog: CatalogInstance) -> None:
    fill(catalog, "Pflaumenmus", 2)
    with psycopg.connect(catalog.env["DOWNTOWN_DATABASE_URL"], autocommit=True) as conn:
        conn.execute("UPDATE catalog_offers SET price_cents = 1 WHERE title LIKE 'Pflaumenmus%'")

    detected = rebuild(catalog, "town_catalog")
    repaired = rebuild(catalog, "town_catalog", "--force")

    assert detected.returncode == 1 and "checksum match: no" in detected.stderr and "swapped: no" in detected.stderr
    assert repaired.returncode == 0 and "swapped: yes" in repaired.stderr
    items = httpx.get(f"{catalog.api}/catalog", params={"q": "Pflaumenmus"}).json()["items"]
    assert sorted(item["price_cents"] for item in items) == [200, 300]
