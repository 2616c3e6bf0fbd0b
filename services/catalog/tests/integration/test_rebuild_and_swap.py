# SPDX-License-Identifier: AGPL-3.0-or-later
"""Rebuild a live projection from offset zero, compare it with the live tables, swap it in.

Runs against a catalog whose worker keeps serving the live projection meanwhile, as in
production: the rebuild must match it row for row, and after the swap the worker must
carry on writing into the rebuilt tables.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg
from photo_samples import sample_photo

from tests.support.catalog_client import register
from tests.support.local_stack import ServiceInstance


def wait_for(catalog: ServiceInstance, word: str, total: int) -> None:
    deadline = time.monotonic() + 20
    while httpx.get(f"{catalog.api}/catalog", params={"q": word}).json()["total"] != total:
        assert time.monotonic() < deadline, f"search for {word!r} never reached {total}"
        time.sleep(0.05)


def fill(catalog: ServiceInstance, word: str, count: int) -> None:
    _, auth = register(catalog, name=f"Laden {word}")
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


REBUILD_COMMAND = [str(Path(sys.executable).parent / "downtown-projections"), "rebuild"]


def rebuild(catalog: ServiceInstance, projection: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*REBUILD_COMMAND, "--service", "catalog", "--projection", projection, *flags],
        # Wide enough that the report's last line is never wrapped: at 80 columns a slow
        # rate (a few hundred events read while the compound word list loads) broke
        # "swapped: no" over two lines.
        env={**catalog.env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_rebuilt_projection_equals_the_live_one_and_takes_over_without_downtime(catalog: ServiceInstance) -> None:
    fill(catalog, "Marmelade", 12)

    for projection in ("town_catalog", "town_directory"):
        result = rebuild(catalog, projection)
        assert result.returncode == 0, result.stderr
        assert "checksum match: yes" in result.stderr and "swapped: yes" in result.stderr

    fill(catalog, "Honigkuchen", 3)  # the live worker now writes into the swapped-in tables
    assert httpx.get(f"{catalog.api}/catalog", params={"q": "Marmelade"}).json()["total"] == 12
    again = rebuild(catalog, "town_catalog")
    assert again.returncode == 0 and "checksum match: yes" in again.stderr, again.stderr


def test_a_damaged_live_projection_is_detected_and_repaired_by_a_forced_rebuild(catalog: ServiceInstance) -> None:
    fill(catalog, "Pflaumenmus", 2)
    with psycopg.connect(catalog.env["DOWNTOWN_DATABASE_URL"], autocommit=True) as conn:
        conn.execute("UPDATE catalog_offers SET price_cents = 1 WHERE title LIKE 'Pflaumenmus%'")

    detected = rebuild(catalog, "town_catalog")
    repaired = rebuild(catalog, "town_catalog", "--force")

    assert detected.returncode == 1 and "checksum match: no" in detected.stderr and "swapped: no" in detected.stderr
    assert repaired.returncode == 0 and "swapped: yes" in repaired.stderr
    items = httpx.get(f"{catalog.api}/catalog", params={"q": "Pflaumenmus"}).json()["items"]
    assert sorted(item["price_cents"] for item in items) == [200, 300]


def test_a_swap_waits_for_a_long_reader_without_queueing_other_readers_behind_it(catalog: ServiceInstance) -> None:
    fill(catalog, "Quittengelee", 2)
    url = catalog.env["DOWNTOWN_DATABASE_URL"]
    with psycopg.connect(url) as long_reader:
        long_reader.execute("SELECT count(*) FROM catalog_offers").fetchone()  # holds its lock until commit
        swapping = subprocess.Popen(
            [*REBUILD_COMMAND, "--service", "catalog", "--projection", "town_catalog"],
            env=catalog.env,
            stderr=subprocess.PIPE,
            text=True,
        )
        waits = []
        for _ in range(25):  # 5 s of other customers searching while the swap waits
            with psycopg.connect(url, autocommit=True) as reader:
                started = time.monotonic()
                reader.execute("SET statement_timeout = '1s'")
                reader.execute("SELECT count(*) FROM catalog_offers").fetchone()
                waits.append(time.monotonic() - started)
            time.sleep(0.2)
        long_reader.commit()
    _, report = swapping.communicate(timeout=120)

    assert max(waits) < 1.0  # never queued behind the swap's exclusive lock for long
    assert swapping.returncode == 0 and "swapped: yes" in report, report


def test_a_swap_under_a_live_worker_at_full_speed_loses_nothing(catalog: ServiceInstance) -> None:
    fill(catalog, "Holunder", 2)
    stop = threading.Event()
    writer = threading.Thread(target=keep_listing, args=(catalog, "Stachelbeere", stop))
    writer.start()
    try:
        time.sleep(1)
        swapped = rebuild(catalog, "town_catalog")
    finally:
        stop.set()
        writer.join()
    listed = keep_listing.listed  # type: ignore[attr-defined]

    assert swapped.returncode == 0 and "swapped: yes" in swapped.stderr, swapped.stderr
    wait_for(catalog, "Stachelbeere", listed)  # the live worker carried on in the swapped-in tables
    again = rebuild(catalog, "town_catalog")
    assert again.returncode == 0 and "checksum match: yes" in again.stderr, again.stderr


def keep_listing(catalog: ServiceInstance, word: str, stop: threading.Event) -> None:
    """A merchant listing offers as fast as the API takes them, until told to stop."""
    _, auth = register(catalog, name=f"Laden {word}")
    keep_listing.listed = 0  # type: ignore[attr-defined]
    with httpx.Client(base_url=catalog.api, headers=auth, timeout=30) as client:
        while not stop.is_set():
            body = {"title": f"{word} {keep_listing.listed}", "price": "3", "duration_minutes": 30}  # type: ignore[attr-defined]
            body["weekly_availability"] = [{"weekday": 1, "opens": "09:00", "closes": "12:00"}]
            assert client.post("/offers/services", json=body).status_code == 201
            keep_listing.listed += 1  # type: ignore[attr-defined]
