# SPDX-License-Identifier: AGPL-3.0-or-later
"""The ordering seed's decisions, without a running town: which step each seeded order takes
next, what it says when the saga stalls, and the pickup windows it picks from opening hours."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SEED = Path(__file__).resolve().parents[1] / "deploy" / "local" / "seed" / "ordering.py"


def load_seed() -> ModuleType:
    spec = importlib.util.spec_from_file_location("downtown_seed_ordering", SEED)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


seed = load_seed()
ORDERS = {order.name: order for order in seed.ORDERS}


def state(status: str, **fields: Any) -> dict[str, Any]:
    base = {
        "order_id": "o-1",
        "status": status,
        "accepted": False,
        "stock_reserved": True,
        "voucher_cents": 0,
        "voucher_redeemed": False,
        "payment_method": "at_pickup",
        "left_to_pay_cents": 840,
    }
    return base | fields


def walk(name: str, statuses: list[dict[str, Any]]) -> list[Any]:
    return [seed.next_step(ORDERS[name], each) for each in statuses]


def test_a_picked_up_order_is_accepted_readied_and_handed_over_for_what_is_left_to_pay() -> None:
    steps = walk(
        "abgeholt",
        [state("placed"), state("confirmed", accepted=True), state("ready_for_pickup", accepted=True)],
    )
    assert steps == [("accept", {}), ("ready", {}), ("handed-over", {"paid_cents": 840})]
    assert seed.next_step(ORDERS["abgeholt"], state("fulfilled", accepted=True)) is None


def test_a_delivered_order_is_packed_sent_out_and_delivered() -> None:
    steps = walk("geliefert", [state("confirmed"), state("packed"), state("out_for_delivery")])
    assert steps == [("packed", {}), ("out-for-delivery", {}), ("delivered", {"paid_cents": 840})]


def test_an_order_on_invoice_is_handed_over_with_nothing_paid_at_the_shop() -> None:
    ready = state("ready_for_pickup", payment_method="invoice", left_to_pay_cents=2500)
    assert seed.next_step(ORDERS["auf-rechnung"], ready) == ("handed-over", {"paid_cents": 0})


def test_the_declined_one_is_declined_and_the_waiting_one_left_alone_once_its_stock_is_reserved() -> None:
    assert seed.next_step(ORDERS["abgelehnt"], state("placed"))[0] == "decline"
    assert seed.next_step(ORDERS["abgelehnt"], state("rejected")) is None
    assert seed.next_step(ORDERS["wartet"], state("placed")) is None
    assert isinstance(seed.next_step(ORDERS["wartet"], state("placed", stock_reserved=False)), seed.Waiting)


def test_an_order_taken_further_by_hand_is_left_there_and_one_ended_otherwise_is_an_error() -> None:
    assert seed.next_step(ORDERS["telefonisch"], state("packed", accepted=True)) is None
    with pytest.raises(seed.SeedError, match="is rejected, not fulfilled"):
        seed.next_step(ORDERS["abgeholt"], state("rejected"))


@pytest.mark.parametrize(
    ("fields", "names"),
    [
        ({"stock_reserved": False}, "the catalog's stock reservation did not happen"),
        ({"voucher_cents": 500}, "vouchers' payment of the voucher part did not happen"),
        ({}, "ordering's saga did not decide it"),
    ],
)
def test_a_stalled_saga_names_the_step_that_did_not_happen(fields: dict[str, Any], names: str) -> None:
    waiting = seed.next_step(ORDERS["abgeholt"], state("placed", accepted=True, **fields))
    assert isinstance(waiting, seed.Waiting)
    assert names in waiting.what("schoeppingen")


def merchant(hours: list[dict[str, str | int]]) -> Any:
    return seed.Merchant("m-1", "Laden", "Bücher", "t", {"offers_pickup": True}, hours, False, [{"offer_id": "x"}])


def test_a_pickup_window_is_an_hour_inside_the_next_opening_from_tomorrow() -> None:
    tuesday = date(2026, 12, 8)
    shop = merchant(
        [
            {"weekday": 3, "opens": "07:00:00", "closes": "09:00:00"},  # Thursday: too early for 10:00, from 07:00
            {"weekday": 4, "opens": "09:30:00", "closes": "10:15:00"},  # Friday: shorter than an hour
        ]
    )
    window = seed.pickup_window(shop, after=tuesday)
    assert window == {"starts_at": "2026-12-10T07:00:00+01:00", "ends_at": "2026-12-10T08:00:00+01:00"}
    open_all_day = merchant([{"weekday": day, "opens": "08:00:00", "closes": "18:00:00"} for day in range(7)])
    assert seed.pickup_window(open_all_day, after=tuesday)["starts_at"] == "2026-12-08T10:00:00+01:00"
    assert seed.pickup_window(merchant([]), after=tuesday) is None
    assert datetime.fromisoformat(seed.pickup_window(open_all_day)["starts_at"]).date() > date.today()
