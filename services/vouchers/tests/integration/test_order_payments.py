# SPDX-License-Identifier: AGPL-3.0-or-later
"""The order saga's vouchers side against the town's real database: ordering's records fed to
the process manager (built by the vouchers' composition root, inside the runtime's tracking
consumer), the voucher authorised over HTTP. Balances add up to the cent; redeliveries,
repeats and twenty orders racing for one authorisation never redeem or reverse twice, and
never take a voucher below zero."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from downtown_events.ordering import OrderPlaced, OrderRejected, OrderVoucherRedemptionReturned
from tests.support.local_stack import RunningTown
from tests.support.order_saga import Saga, offsets, order
from tests.support.vouchers_client import (
    association,
    authorize,
    join,
    merchant,
    paid_vouchers,
    redeem,
    rows,
    town_programme,
    voucher,
)


def rejected(placed: OrderPlaced) -> OrderRejected:
    return OrderRejected(order_id=placed.order_id, merchant_id=placed.merchant_id, reason="declined")


def stream(town: RunningTown, stream_id: object) -> list[dict[str, Any]]:
    query = "SELECT event_type, data FROM events WHERE stream_id = %s ORDER BY version"
    return [
        {"type": row["event_type"].rsplit(".", 1)[-1], **row["data"]}
        for row in rows(town["vouchers"], query, (str(stream_id),))
    ]


def of_type(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == name]


def authorized(town: RunningTown, code: str, cents: int) -> str:
    response = authorize(town["vouchers"], code, cents)
    assert response.status_code == 201, response.text
    return str(response.json()["authorization_id"])


async def test_a_checkouts_orders_are_paid_refused_and_given_back_to_the_cent(
    vouchers_town: RunningTown, saga: Saga
) -> None:
    programme_id = town_programme(vouchers_town, name="Saga Stadtgutschein")
    shop_a, auth_a = merchant(vouchers_town, name="Bäckerei Korn")
    shop_b, auth_b = merchant(vouchers_town, name="Metzgerei Wolf")
    outsider, _ = merchant(vouchers_town, name="Kiosk Ecke")  # never joins the programme
    join(vouchers_town, programme_id, auth_a)
    join(vouchers_town, programme_id, auth_b)
    ((voucher_id, code),) = paid_vouchers(vouchers_town, programme_id, 5_000)
    authorization_id = authorized(vouchers_town, code, 4_000)
    checkout = uuid4()
    paid_a = order(authorization_id, shop_a, 1_500, checkout)
    paid_b = order(authorization_id, shop_b, 2_000, checkout)
    not_a_member = order(authorization_id, outsider, 300, checkout)
    over = order(authorization_id, shop_a, 1_000, checkout)  # 5,00 € are left of the 40,00 €
    stranger = order(authorization_id, shop_a, 100, uuid4())  # another checkout
    no_voucher = order(authorization_id, shop_a, 0, checkout)

    placements = [saga.record(placed, 1) for placed in (paid_a, paid_b, not_a_member, over, stranger, no_voucher)]
    await saga.deliver(placements)
    await saga.deliver(placements)  # Kafka redelivers
    await saga.deliver([record._replace(offset=next(offsets)) for record in placements])  # the relay sent twice

    after_orders = voucher(vouchers_town["vouchers"], association(vouchers_town), voucher_id)
    assert (after_orders["balance_cents"], after_orders["redeemed_cents"]) == (1_500, 3_500)
    redeemed = of_type(stream(vouchers_town, voucher_id), "VoucherRedeemed")
    assert sorted((r["order_id"], r["amount_cents"], r["channel"]) for r in redeemed) == sorted(
        [(str(paid_a.order_id), 1_500, "order"), (str(paid_b.order_id), 2_000, "order")]
    )
    refusals = {
        r["order_id"]: r["reason"] for r in of_type(stream(vouchers_town, authorization_id), "VoucherPaymentRefused")
    }
    assert set(refusals) == {str(not_a_member.order_id), str(over.order_id), str(stranger.order_id)}
    assert "joined" in refusals[str(not_a_member.order_id)]
    assert "€5.00 left of €40.00" in refusals[str(over.order_id)]
    assert "another checkout" in refusals[str(stranger.order_id)]

    # A shop redeems at its counter meanwhile: the voucher, not the authorisation, holds the money.
    assert redeem(vouchers_town["vouchers"], auth_a, code, 1_000).status_code == 201
    endings = [saga.record(rejected(placed), 2) for placed in (paid_b, not_a_member, no_voucher)]
    await saga.deliver(endings)
    await saga.deliver([record._replace(offset=next(offsets)) for record in endings])

    after = voucher(vouchers_town["vouchers"], association(vouchers_town), voucher_id)
    assert (after["balance_cents"], after["redeemed_cents"], after["reversed_cents"]) == (2_500, 4_500, 2_000)
    (reversal,) = of_type(stream(vouchers_town, voucher_id), "VoucherRedemptionReversed")
    assert (reversal["amount_cents"], reversal["merchant_id"], reversal["reason"]) == (2_000, shop_b, "")
    (why,) = of_type(stream(vouchers_town, voucher_id), "VoucherReversalReasonRecorded")  # private
    assert (why["redemption_id"], why["reason"]) == (reversal["redemption_id"], "Bestellung abgelehnt")
    assert saga.dead_letters.sent == []


async def test_twenty_orders_racing_for_one_authorisation_never_overdraw_it_nor_the_voucher(
    vouchers_town: RunningTown, saga: Saga
) -> None:
    programme_id = town_programme(vouchers_town, name="Saga Wettlauf")
    shop, auth = merchant(vouchers_town, name="Café Rennbahn")
    join(vouchers_town, programme_id, auth)
    ((voucher_id, code),) = paid_vouchers(vouchers_town, programme_id, 5_000)
    authorization_id = authorized(vouchers_town, code, 5_000)
    checkout = uuid4()
    orders = [order(authorization_id, shop, 300, checkout) for _ in range(20)]  # 60,00 € asked of 50,00 €

    counter = asyncio.to_thread(redeem, vouchers_town["vouchers"], auth, code, 1_000)  # a till races them
    *_, at_counter = await asyncio.gather(*(saga.deliver([saga.record(placed, 1)]) for placed in orders), counter)

    counter_cents = 1_000 if at_counter.status_code == 201 else 0
    redeemed = {
        r["order_id"]: r["amount_cents"]
        for r in of_type(stream(vouchers_town, voucher_id), "VoucherRedeemed")
        if r["order_id"]
    }
    refused = {r["order_id"] for r in of_type(stream(vouchers_town, authorization_id), "VoucherPaymentRefused")}
    assert set(redeemed) | refused == {str(placed.order_id) for placed in orders} and not set(redeemed) & refused
    assert len(redeemed) == (5_000 - counter_cents) // 300  # as many as the voucher covered, not one more
    state = voucher(vouchers_town["vouchers"], association(vouchers_town), voucher_id)
    assert state["balance_cents"] == 5_000 - counter_cents - 300 * len(redeemed) >= 0
    print(f"order race: {len(redeemed)} paid, {len(refused)} refused, counter {at_counter.status_code}")

    # Every order is rejected, each twice at once: what they took goes back, once each.
    endings = [saga.record(rejected(placed), 2) for placed in orders]
    await asyncio.gather(*(saga.deliver([record]) for record in endings + endings))

    given_back = voucher(vouchers_town["vouchers"], association(vouchers_town), voucher_id)
    assert (given_back["balance_cents"], given_back["reversed_cents"]) == (5_000 - counter_cents, 300 * len(redeemed))
    assert len(of_type(stream(vouchers_town, voucher_id), "VoucherRedemptionReversed")) == len(redeemed)
    assert saga.dead_letters.sent == []


async def test_a_redemption_ordering_hands_back_is_reversed_once_and_the_orders_ending_takes_nothing_more(
    vouchers_town: RunningTown, saga: Saga
) -> None:
    programme_id = town_programme(vouchers_town, name="Saga Rückgabe")
    shop, auth = merchant(vouchers_town, name="Weinstube Rebe")
    join(vouchers_town, programme_id, auth)
    ((voucher_id, code),) = paid_vouchers(vouchers_town, programme_id, 2_500)
    placed = order(authorized(vouchers_town, code, 2_000), shop, 1_200, uuid4())
    await saga.deliver([saga.record(placed, 1)])
    (redeemed,) = of_type(stream(vouchers_town, voucher_id), "VoucherRedeemed")

    returned = OrderVoucherRedemptionReturned(
        order_id=placed.order_id,
        merchant_id=placed.merchant_id,
        voucher_id=UUID(voucher_id),
        redemption_id=UUID(redeemed["redemption_id"]),
        voucher_cents=1_200,
        reason="its voucher part was paid before",
    )
    handed_back = saga.record(returned, 2)
    await saga.deliver([handed_back, handed_back._replace(offset=next(offsets))])  # and the relay sent it twice
    await saga.deliver([saga.record(rejected(placed), 3)])  # the order ends later: nothing more comes back

    after = voucher(vouchers_town["vouchers"], association(vouchers_town), voucher_id)
    assert (after["balance_cents"], after["reversed_cents"]) == (2_500, 1_200)
    (reversal,) = of_type(stream(vouchers_town, voucher_id), "VoucherRedemptionReversed")
    (why,) = of_type(stream(vouchers_town, voucher_id), "VoucherReversalReasonRecorded")
    assert (reversal["reason"], why["reason"]) == ("", "von der Bestellung zurückgegeben")
    assert saga.dead_letters.sent == []


async def test_an_order_at_a_shop_not_known_here_yet_waits_until_its_answer_time_then_is_refused(
    vouchers_town: RunningTown, saga: Saga
) -> None:
    """The replica of the catalog lagging is no refusal: the consumer tries the batch again
    (outside its transaction) until the order's ``answers_by``, and refuses only then."""
    programme_id = town_programme(vouchers_town, name="Saga Unbekannt")
    _, auth = merchant(vouchers_town, name="Blumen Rose")
    join(vouchers_town, programme_id, auth)
    ((_, code),) = paid_vouchers(vouchers_town, programme_id, 2_500)
    unknown_shop = str(uuid4())  # registered nowhere (yet)
    answers_within = timedelta(seconds=3)
    placed = order(authorized(vouchers_town, code, 2_000), unknown_shop, 500, uuid4()).model_copy(
        update={"answers_by": datetime.now(UTC) + answers_within}
    )

    began = asyncio.get_running_loop().time()
    await asyncio.wait_for(saga.deliver([saga.record(placed, 1)]), timeout=60)
    waited = asyncio.get_running_loop().time() - began

    (refusal,) = of_type(stream(vouchers_town, placed.payment.voucher_authorization_id), "VoucherPaymentRefused")
    assert "does not know this shop" in refusal["reason"]
    assert waited >= answers_within.total_seconds() - 0.5  # it waited for the shop, then gave up
    assert saga.dead_letters.sent == []
