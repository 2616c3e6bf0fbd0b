# SPDX-License-Identifier: AGPL-3.0-or-later
"""Fifty redemptions of one voucher at once, over HTTP against the running API and its
PostgreSQL event store: the balance is never overdrawn, exactly as many succeed as it
covers, the rest are refused for the balance, and none fails for the race itself."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.support.local_stack import RunningTown
from tests.support.vouchers_client import (
    association,
    event_types,
    join,
    key,
    merchant,
    paid_vouchers,
    town_programme,
    voucher,
)

VALUE = 5_000
AMOUNT = 300  # 16 × 3,00 € = 48,00 € fit, the other 34 do not
RACERS = 50


async def _race(api: str, auth: dict[str, str], code: str) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=api, timeout=60, limits=httpx.Limits(max_connections=RACERS)) as client:
        body = {"code": code, "amount_cents": AMOUNT}
        return await asyncio.gather(
            *(client.post("/redemptions", json=body, headers={**auth, **key()}) for _ in range(RACERS))
        )


def test_fifty_concurrent_redemptions_redeem_exactly_what_the_balance_covers(vouchers_town: RunningTown) -> None:
    vouchers = vouchers_town["vouchers"]
    programme_id = town_programme(vouchers_town, name="Wettlauf")
    _, shop = merchant(vouchers_town, name="Café am Markt")
    join(vouchers_town, programme_id, shop)
    ((voucher_id, code),) = paid_vouchers(vouchers_town, programme_id, VALUE)

    began = time.monotonic()
    answers = asyncio.run(_race(vouchers.api, shop, code))
    elapsed = time.monotonic() - began

    statuses = [answer.status_code for answer in answers]
    won = [answer.json() for answer in answers if answer.status_code == 201]
    refused = [answer.json() for answer in answers if answer.status_code == 422]
    print(f"redemption race: {len(won)} redeemed, {len(refused)} refused, {elapsed:.2f} s")
    assert len(won) == VALUE // AMOUNT and len(refused) == RACERS - VALUE // AMOUNT, statuses
    assert all("balance" in problem["detail"] for problem in refused), refused
    assert len({redemption["redemption_id"] for redemption in won}) == len(won)
    balances_after = sorted(redemption["voucher_balance_cents"] for redemption in won)
    assert balances_after == list(range(VALUE % AMOUNT, VALUE, AMOUNT))  # each saw the balance its win left
    assert sum(redemption["amount_cents"] for redemption in won) == len(won) * AMOUNT <= VALUE

    after = voucher(vouchers, association(vouchers_town), voucher_id)
    assert (after["balance_cents"], after["redeemed_cents"]) == (VALUE % AMOUNT, len(won) * AMOUNT)
    stream = event_types(vouchers, voucher_id)
    assert stream.count("VoucherRedeemed") == len(won)
    # The first redemption by code notes the code's masked form, once (for the statements).
    masked_once = ["VoucherRedeemed", "VoucherCodeMaskRecorded"] + ["VoucherRedeemed"] * (len(won) - 1)
    assert stream == ["VoucherIssued", "VoucherCodeAssigned", *masked_once]
