# SPDX-License-Identifier: AGPL-3.0-or-later
"""A campaign's budget under many concurrent payments, over HTTP against the running API and
PostgreSQL: purchases that start hold nothing, the budget is never given twice, the per-buyer
cap holds, and a purchase that got no bonus is still paid."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.support.local_stack import RunningTown, ServiceInstance
from tests.support.vouchers_client import association, campaign, key, provider_callback, town_programme, voucher

BUDGET = 6_000
CAP = 1_000
PERCENT = 20


async def _purchase(client: httpx.AsyncClient, programme_id: str, email: str, cents: int) -> httpx.Response:
    body = {"email": email, "vouchers": [{"programme_id": programme_id, "amount_cents": cents}]}
    return await client.post("/purchases", json=body, headers=key())


async def _race(api: str, programme_id: str, wanted: list[tuple[str, int]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=api, timeout=60, limits=httpx.Limits(max_connections=100)) as client:
        return await asyncio.gather(*(_purchase(client, programme_id, email, cents) for email, cents in wanted))


def test_concurrent_payments_never_overspend_the_budget_or_a_buyers_cap(vouchers_town: RunningTown) -> None:
    vouchers = vouchers_town["vouchers"]
    programme_id = town_programme(vouchers_town, name="Aktionsgutschein")
    started = campaign(vouchers_town, programme_id, percent=PERCENT, budget=BUDGET, cap=CAP)
    # 20 buyers asking 10 € of bonus each and one buyer asking 4 × 5 €: 220 € wanted of a 60 € budget.
    wanted = [(f"kunde{n}@example.de", 5_000) for n in range(20)] + [("gierig@example.de", 2_500)] * 4

    answers = asyncio.run(_race(vouchers.api, programme_id, wanted))

    assert sorted(answer.status_code for answer in answers) == [201] * len(wanted), [a.text for a in answers]
    purchases = [answer.json()["purchase"] for answer in answers]
    assert [purchase["bonus_cents"] for purchase in purchases] == [0] * len(wanted)  # nothing held before money
    held = _campaign(vouchers_town, started["campaign_id"])
    assert (held["reserved_cents"], held["granted_cents"], held["remaining_cents"]) == (0, 0, BUDGET)

    began = time.monotonic()
    paid = asyncio.run(_pay_all(vouchers, purchases))  # at once
    elapsed = time.monotonic() - began

    assert [(answer.status_code, answer.json()["status"]) for answer in paid] == [(200, "paid")] * len(wanted)
    bonuses = [answer.json()["bonus_cents"] for answer in paid]
    assert sum(bonuses) == BUDGET  # wanted far more than there is: all of it given, not a cent more
    greedy = [bonus for (email, _), bonus in zip(wanted, bonuses, strict=True) if email.startswith("gierig")]
    assert sum(greedy) <= CAP
    for (_, cents), bonus in zip(wanted, bonuses, strict=True):
        assert 0 <= bonus <= cents * PERCENT // 100
    assert 0 in bonuses  # some got nothing, and are paid all the same
    print(f"campaign race: {len(wanted)} payments in {elapsed:.2f} s, {sum(1 for b in bonuses if b)} with bonus")
    granted = _campaign(vouchers_town, started["campaign_id"])
    assert (granted["reserved_cents"], granted["granted_cents"], granted["remaining_cents"]) == (0, BUDGET, 0)
    issued = [voucher(vouchers, association(vouchers_town), p["items"][0]["voucher_id"]) for p in purchases]
    assert [(v["paid_cents"], v["bonus_cents"]) for v in issued] == [
        (cents, bonus) for (_, cents), bonus in zip(wanted, bonuses, strict=True)
    ]

    later = httpx.post(
        f"{vouchers.api}/purchases",
        json={"email": "spaet@example.de", "vouchers": [{"programme_id": programme_id, "amount_cents": 5_000}]},
        headers=key(),
    )
    assert later.status_code == 201, later.text
    body, headers = provider_callback(vouchers, later.json()["purchase"])
    late = httpx.post(f"{vouchers.api}/payments/provider", content=body, headers=headers)
    assert late.status_code == 200 and late.json()["bonus_cents"] == 0, late.text


async def _pay_all(vouchers: ServiceInstance, purchases: list[dict[str, Any]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=vouchers.api, timeout=60, limits=httpx.Limits(max_connections=100)) as client:
        callbacks = [provider_callback(vouchers, purchase) for purchase in purchases]
        return await asyncio.gather(
            *(client.post("/payments/provider", content=body, headers=headers) for body, headers in callbacks)
        )


def _campaign(town: RunningTown, campaign_id: str) -> dict[str, Any]:
    response = httpx.get(f"{town['vouchers'].api}/campaigns/{campaign_id}", headers=association(town))
    assert response.status_code == 200, response.text
    return dict(response.json())
