# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's list of campaigns through the running vouchers service (API, worker,
Kafka and PostgreSQL between them): the latest started first, each with its budget and state,
for the association's token only (a merchant's gets 403, none 401). It reuses the session's
ordering town, whose vouchers service is a vouchers service."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.catalog_client import register
from tests.support.local_stack import RunningTown
from tests.support.polling import wait_until
from tests.support.vouchers_client import association, campaign, town_programme

pytestmark = pytest.mark.e2e


def listed(town: RunningTown) -> list[dict[str, Any]]:
    answer = httpx.get(f"{town['vouchers'].api}/campaigns", headers=association(town))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def test_the_association_lists_its_campaigns_newest_first_with_budget_and_state(ordering_town: RunningTown) -> None:
    vouchers = ordering_town["vouchers"]
    programme_id = town_programme(ordering_town, name=f"Stadtgutschein {uuid.uuid4().hex[:6]}")
    earlier = campaign(ordering_town, programme_id, percent=10, budget=20_000, cap=1_000)
    later = campaign(ordering_town, programme_id, percent=20, budget=50_000, cap=2_000)
    ended = httpx.post(
        f"{vouchers.api}/campaigns/{earlier['campaign_id']}/end",
        headers=association(ordering_town),
        json={"reason": "x"},
    )
    assert ended.status_code == 200, ended.text

    def mine() -> list[dict[str, Any]] | None:
        found = [c for c in listed(ordering_town) if c["campaign_id"] in (earlier["campaign_id"], later["campaign_id"])]
        return found if len(found) == 2 and found[1]["state"] == "ended" else None

    newest, oldest = wait_until(mine, seconds=30, what="both campaigns listed, the earlier one ended")
    assert (newest["campaign_id"], oldest["campaign_id"]) == (later["campaign_id"], earlier["campaign_id"])
    assert newest["started_at"] >= oldest["started_at"]
    assert (newest["budget_cents"], newest["granted_cents"], newest["remaining_cents"]) == (50_000, 0, 50_000)
    assert (newest["state"], newest["ended"], newest["programme_id"]) == ("running", False, programme_id)

    _, merchant = register(ordering_town["catalog"])
    assert httpx.get(f"{vouchers.api}/campaigns").status_code == 401
    assert httpx.get(f"{vouchers.api}/campaigns", headers=merchant).status_code == 403
