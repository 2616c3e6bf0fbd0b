# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant's note for customers today, through the running catalog (API and worker
processes, Kafka and PostgreSQL between them) on a town clock a test moves: the directory
shows the note on the town's day it was written for, and not the next."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from conftest import Databases
from downtown_events.runtime.clock_file import set_clock
from tests.support.catalog_client import register
from tests.support.local_stack import ServiceInstance, random_town, running_catalog
from tests.support.polling import wait_until

BERLIN = ZoneInfo("Europe/Berlin")
NOTE = "Heute ab 14 Uhr nur Abholung"


@dataclass(frozen=True)
class ClockedCatalog:
    catalog: ServiceInstance
    clock: Path
    monday: datetime
    """10:00 in town, a week ahead of the machine's day: no midnight passes while a test runs."""


@pytest.fixture(scope="module")
def town(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedCatalog]:
    workdir = tmp_path_factory.mktemp("catalog-clocked")
    monday = datetime.combine(datetime.now(BERLIN).date() + timedelta(days=7), time(10, 0), tzinfo=BERLIN)
    clock = workdir / "clock"
    set_clock(clock, monday)
    name = random_town()
    env = {"DOWNTOWN_CLOCK_FILE": str(clock)}
    with running_catalog(name, databases.create(name, "catalog"), workdir, env) as catalog:
        yield ClockedCatalog(catalog, clock, monday)


def _entry(catalog: ServiceInstance, merchant_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{catalog.api}/directory/{merchant_id}")
    return answer.json() if answer.status_code == 200 else {}


def test_the_directory_shows_todays_note_on_its_day_only(town: ClockedCatalog) -> None:
    catalog = town.catalog
    merchant_id, auth = register(catalog)
    wait_until(lambda: _entry(catalog, merchant_id), what="the directory entry")
    assert _entry(catalog, merchant_id)["availability_note"] is None

    noted = httpx.put(f"{catalog.api}/merchants/me/availability-note", headers=auth, json={"note": f"  {NOTE} "})
    assert noted.status_code == 200, noted.text
    today = town.monday.date().isoformat()
    assert noted.json()["availability_note"] == {"note": NOTE, "for_day": today}
    version = noted.json()["version"]
    again = httpx.put(f"{catalog.api}/merchants/me/availability-note", headers=auth, json={"note": NOTE})
    assert again.json()["version"] == version  # the same note again decides nothing

    wait_until(lambda: _entry(catalog, merchant_id).get("availability_note") == NOTE, what="the note in the directory")
    listed = httpx.get(f"{catalog.api}/directory").json()
    assert [entry["availability_note"] for entry in listed if entry["merchant_id"] == merchant_id] == [NOTE]

    set_clock(town.clock, town.monday + timedelta(days=1))  # Tuesday, 10:00: yesterday's note greets nobody
    try:
        assert _entry(catalog, merchant_id)["availability_note"] is None
        cleared = httpx.delete(f"{catalog.api}/merchants/me/availability-note", headers=auth)
        assert cleared.status_code == 200 and cleared.json()["version"] == version  # nothing to clear today
    finally:
        set_clock(town.clock, town.monday)
    assert _entry(catalog, merchant_id)["availability_note"] == NOTE

    cleared = httpx.delete(f"{catalog.api}/merchants/me/availability-note", headers=auth)
    assert cleared.status_code == 200 and cleared.json()["availability_note"] is None
    wait_until(lambda: _entry(catalog, merchant_id).get("availability_note", "") is None, what="the note cleared")


@pytest.mark.parametrize("note", ["Heute\nnur Abholung", "Heute\u0007", "", "x" * 201])
def test_a_note_is_one_short_line(town: ClockedCatalog, note: str) -> None:
    _, auth = register(town.catalog)
    refused = httpx.put(f"{town.catalog.api}/merchants/me/availability-note", headers=auth, json={"note": note})
    assert refused.status_code == 422, refused.text


def test_a_suspended_merchant_writes_no_note(town: ClockedCatalog) -> None:
    catalog = town.catalog
    merchant_id, auth = register(catalog)
    association = {"Authorization": f"Bearer {catalog.association_token}"}
    suspended = httpx.post(
        f"{catalog.api}/merchants/{merchant_id}/suspension", headers=association, json={"reason": "Beschwerden"}
    )
    assert suspended.status_code == 200, suspended.text

    refused = httpx.put(f"{catalog.api}/merchants/me/availability-note", headers=auth, json={"note": NOTE})
    assert refused.status_code == 403, refused.text
