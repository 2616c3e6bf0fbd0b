# SPDX-License-Identifier: AGPL-3.0-or-later
"""A voucher's balance through retries, reversals and refunds, over HTTP against the running
API: a retried request changes nothing twice, and every cent is accounted for, in the
buyer's money and the campaign's bonus apart, in the event store and in the ledger."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.local_stack import RunningTown
from tests.support.polling import wait_until
from tests.support.vouchers_client import (
    association,
    campaign,
    event_types,
    join,
    key,
    merchant,
    paid_vouchers,
    redeem,
    refund,
    reverse,
    rows,
    town_programme,
    voucher,
)


def test_a_retried_redemption_redeems_once_and_answers_the_first_result(vouchers_town: RunningTown) -> None:
    vouchers = vouchers_town["vouchers"]
    programme_id = town_programme(vouchers_town, name="Wiederholung")
    _, shop = merchant(vouchers_town, name="Metzgerei Lütke")
    join(vouchers_town, programme_id, shop)
    ((voucher_id, code),) = paid_vouchers(vouchers_town, programme_id, 2_500)
    same = key()

    first = redeem(vouchers, shop, code, 1_000, headers=same)
    retried = redeem(vouchers, shop, code, 1_000, headers=same)
    other_amount = redeem(vouchers, shop, code, 1_200, headers=same)
    other_case = redeem(vouchers, shop, code.lower(), 1_000, headers=same)  # the same code, typed differently

    assert first.status_code == 201, first.text
    assert retried.status_code == 200 and retried.json() == first.json()
    assert first.json()["voucher_balance_cents"] == 1_500
    assert other_amount.status_code == 422 and "already used" in other_amount.json()["detail"]
    assert other_case.status_code == 200 and other_case.json() == first.json()
    assert event_types(vouchers, voucher_id).count("VoucherRedeemed") == 1
    assert voucher(vouchers, association(vouchers_town), voucher_id)["balance_cents"] == 1_500


def test_reversal_and_refund_put_back_what_they_should_to_the_cent(vouchers_town: RunningTown) -> None:
    vouchers = vouchers_town["vouchers"]
    programme_id = town_programme(vouchers_town, name="Rückbuchung")
    campaign(vouchers_town, programme_id, percent=10, budget=10_000, cap=1_000)
    _, shop = merchant(vouchers_town, name="Schuhhaus Terhalle")
    _, elsewhere = merchant(vouchers_town, name="Blumen Berning")
    join(vouchers_town, programme_id, shop)
    ((voucher_id, code),) = paid_vouchers(vouchers_town, programme_id, 5_000, email="bonus@example.de")
    issued = voucher(vouchers, shop | association(vouchers_town), voucher_id)
    assert (issued["paid_cents"], issued["bonus_cents"], issued["balance_cents"]) == (5_000, 500, 5_500)

    one = redeem(vouchers, shop, code, 2_000).json()
    two = redeem(vouchers, shop, code, 3_200).json()
    assert (one["paid_part_cents"], one["bonus_part_cents"]) == (2_000, 0)  # the buyer's money first
    assert (two["paid_part_cents"], two["bonus_part_cents"], two["voucher_balance_cents"]) == (3_000, 200, 300)

    refund_key = key()
    refunded = refund(vouchers, shop, voucher_id, two["redemption_id"], 500, **refund_key)
    refunded_again = refund(vouchers, shop, voucher_id, two["redemption_id"], 500, **refund_key)
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["balance_cents"] == refunded_again.json()["balance_cents"] == 800
    assert _parts(vouchers, voucher_id, entries=4) == (300, 500)  # the bonus part back first, as it was spent last
    too_much = refund(vouchers, shop, voucher_id, two["redemption_id"], 2_701)
    assert too_much.status_code == 422 and "at most €27.00" in too_much.json()["detail"]

    not_theirs = reverse(vouchers, elsewhere, voucher_id, one["redemption_id"])
    assert not_theirs.status_code == 404
    reversed_once = reverse(vouchers, shop, voucher_id, one["redemption_id"])
    reversed_twice = reverse(vouchers, shop, voucher_id, one["redemption_id"])
    assert reversed_once.status_code == reversed_twice.status_code == 200
    assert reversed_once.json()["balance_cents"] == reversed_twice.json()["balance_cents"] == 2_800
    by_association = reverse(vouchers, association(vouchers_town), voucher_id, two["redemption_id"])
    assert by_association.status_code == 200 and by_association.json()["balance_cents"] == 5_500  # 27 € left of it
    after_reversal = refund(vouchers, shop, voucher_id, two["redemption_id"], 100)
    assert after_reversal.status_code == 422 and "reversed" in after_reversal.json()["detail"]

    final = voucher(vouchers, association(vouchers_town), voucher_id)
    assert (final["redeemed_cents"], final["reversed_cents"], final["refunded_cents"]) == (5_200, 4_700, 500)
    assert final["balance_cents"] == final["value_cents"] - 5_200 + 4_700 + 500 == 5_500
    assert [r["reversed"] for r in final["redemptions"]] == [True, True]
    assert event_types(vouchers, voucher_id) == [
        "VoucherIssued",
        "VoucherCodeAssigned",
        "VoucherRedeemed",
        "VoucherCodeMaskRecorded",  # the code's masked form, noted at its first redemption, for statements
        "VoucherRedeemed",
        "VoucherRefunded",
        "VoucherRefundReasonRecorded",  # why, kept private: the public event's reason stays empty
        "VoucherRedemptionReversed",
        "VoucherReversalReasonRecorded",
        "VoucherRedemptionReversed",
        "VoucherReversalReasonRecorded",
    ]

    assert _parts(vouchers, voucher_id, entries=6) == (5_000, 500)
    history = httpx.get(f"{vouchers.api}/vouchers/{voucher_id}/history", headers=association(vouchers_town)).json()
    moves = [(entry["kind"], entry["amount_cents"], entry["balance_after_cents"]) for entry in history]
    assert moves == [
        ("issued", 5_500, 5_500),
        ("redeemed", 2_000, 3_500),
        ("redeemed", 3_200, 300),
        ("refunded", 500, 800),
        ("reversed", 2_000, 2_800),
        ("reversed", 2_700, 5_500),
    ]


def _parts(vouchers: Any, voucher_id: str, *, entries: int) -> tuple[int, int]:
    """The buyer's money and the bonus left, as the ledger has them once it holds ``entries`` changes."""
    query = (
        "SELECT b.paid_balance_cents, b.bonus_balance_cents FROM voucher_balances b WHERE voucher_id = %s "
        "AND (SELECT count(*) FROM voucher_history h WHERE h.voucher_id = b.voucher_id) = %s"
    )
    row = wait_until(lambda: rows(vouchers, query, (voucher_id, entries)), what="the ledger catching up")[0]
    return row["paid_balance_cents"], row["bonus_balance_cents"]


def test_the_same_key_with_another_vouchers_code_is_refused(vouchers_town: RunningTown) -> None:
    vouchers = vouchers_town["vouchers"]
    programme_id = town_programme(vouchers_town, name="Zwei Codes")
    _, shop = merchant(vouchers_town, name="Kiosk Zwei")
    join(vouchers_town, programme_id, shop)
    (_, first_code), (second, second_code) = paid_vouchers(vouchers_town, programme_id, 1_000, 1_000)
    same = key()

    assert redeem(vouchers, shop, first_code, 500, headers=same).status_code == 201
    other_code = redeem(vouchers, shop, second_code, 500, headers=same)

    assert other_code.status_code == 422 and "already used" in other_code.json()["detail"], other_code.text
    assert voucher(vouchers, association(vouchers_town), second)["balance_cents"] == 1_000
