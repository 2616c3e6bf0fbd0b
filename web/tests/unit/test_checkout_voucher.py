# SPDX-License-Identifier: AGPL-3.0-or-later
"""A voucher's part of a checkout, without a running town: how much it pays, how that is split
over the orders of the shops that take it, the key its authorisation is asked under, and the
checkout request that carries each order's part."""

from __future__ import annotations

from uuid import uuid4

from fastapi import Response
from starlette.requests import Request

from downtown_web.routes.checkout import (
    VoucherPart,
    _checkout_body,
    authorised_before,
    goods_by_shop,
    split_voucher,
    voucher_key,
    voucher_wanted,
)
from downtown_web.visitor import keep_placed, placed_of


def test_the_voucher_pays_the_orders_in_the_baskets_order_until_it_is_spent() -> None:
    assert split_voucher(2500, {"wabe": 1800, "kruste": 1200}) == {"wabe": 1800, "kruste": 700}
    assert split_voucher(1000, {"wabe": 1800, "kruste": 1200}) == {"wabe": 1000}  # the second pays all itself
    assert split_voucher(5000, {"wabe": 1800, "kruste": 1200}) == {"wabe": 1800, "kruste": 1200}  # both whole


def test_a_split_never_asks_more_than_an_order_costs_nor_more_than_the_voucher_pays() -> None:
    totals = {"a": 999, "b": 1, "c": 0, "d": 4001}
    for amount in (0, 1, 999, 1000, 1001, 5000, 9999):
        parts = split_voucher(amount, totals)
        assert sum(parts.values()) == min(amount, sum(totals.values()))
        assert all(0 < part <= totals[shop] for shop, part in parts.items())
    assert split_voucher(-5, totals) == {} and split_voucher(500, {}) == {}


def test_what_the_voucher_should_pay_is_everything_it_may_or_at_most_what_the_customer_said() -> None:
    totals = {"wabe": 1800, "kruste": 1200}
    assert voucher_wanted(None, totals) == 3000
    assert voucher_wanted(2000, totals) == 2000
    assert voucher_wanted(9000, totals) == 3000  # never more than the orders it may pay


def test_each_shops_goods_are_added_up_in_the_baskets_order() -> None:
    lines = [
        {"merchant_id": "kruste", "quantity": 2, "unit_price_cents": 420},
        {"merchant_id": "wabe", "quantity": 1, "unit_price_cents": 750},
        {"merchant_id": "kruste", "quantity": 1, "unit_price_cents": 300},
    ]
    assert list(goods_by_shop(lines).items()) == [("kruste", 1140), ("wabe", 750)]


def test_a_form_sent_again_asks_under_the_same_key_a_changed_code_or_amount_under_another() -> None:
    key = str(uuid4())
    first = voucher_key(key, "7KQM-X2PA-5HJN", 2500)
    assert voucher_key(key, " 7kqm x2pa-5hjn ", 2500) == first  # typed otherwise, the same code
    assert voucher_key(key, "7KQM-X2PA-5HJM", 2500) != first
    assert voucher_key(key, "7KQM-X2PA-5HJN", 2000) != first
    assert voucher_key(str(uuid4()), "7KQM-X2PA-5HJN", 2500) != first
    assert "7KQM" not in first and 8 <= len(first) <= 200  # the code is not in the key; a key vouchers takes


def test_a_resent_form_asks_for_what_the_first_may_have_authorised_most_likely_first() -> None:
    fresh = {"value_cents": 2500, "balance_cents": 2500}
    assert authorised_before(3000, fresh) == [3000, 2500]  # what was wanted; else all it held
    spent = {"value_cents": 2500, "balance_cents": 0}
    assert authorised_before(3000, spent) == [3000, 2500]  # all it held, redeemed meanwhile by these orders
    plenty = {"value_cents": 5000, "balance_cents": 1000}
    assert authorised_before(3000, plenty) == [3000, 1000]  # a voucher spent before: what is left now
    assert authorised_before(2000, fresh) == [2000]  # "use at most 20 €": that, whatever it holds now
    assert authorised_before(0, plenty) == []


def test_each_order_carries_its_voucher_part_and_the_rest_is_paid_as_chosen() -> None:
    wabe, kruste, elsewhere = str(uuid4()), str(uuid4()), str(uuid4())
    values = {
        "name": "Anna",
        f"{wabe}.fulfilment": "pickup",
        f"{wabe}.payment": "at_pickup",
        f"{kruste}.fulfilment": "pickup",
        f"{kruste}.payment": "at_pickup",
        f"{elsewhere}.fulfilment": "pickup",
        f"{elsewhere}.payment": "at_pickup",
    }
    voucher = VoucherPart("auth-1", {wabe: 1800, kruste: 700})
    body = _checkout_body(values, {wabe, kruste, elsewhere}, "de", voucher)
    assert body["merchants"][wabe]["payment"] == {
        "method": "at_pickup",
        "voucher_authorization_id": "auth-1",
        "voucher_cents": 1800,
    }
    assert body["merchants"][kruste]["payment"]["voucher_cents"] == 700
    assert body["merchants"][elsewhere]["payment"] == {"method": "at_pickup"}  # takes no voucher: no part
    assert _checkout_body(values, {wabe}, "de")["merchants"][wabe]["payment"] == {"method": "at_pickup"}


def test_the_thank_you_page_is_remembered_for_the_form_that_placed_the_orders_only() -> None:
    key, orders, token = str(uuid4()), f"{uuid4()},{uuid4()}", "a1b2c3d4e5f6a7b8c9d0"
    response = Response()
    keep_placed(response, key, orders, token, secure=True)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Path=/checkout" in cookie and "Secure" in cookie and '"' not in cookie
    value = cookie.split(";", 1)[0]
    sent = Request({"type": "http", "method": "POST", "path": "/checkout", "headers": [(b"cookie", value.encode())]})
    assert placed_of(sent, key) == (orders, token)
    assert placed_of(sent, str(uuid4())) is None  # another form: not this one's page
    forged = Request({"type": "http", "method": "POST", "path": "/checkout", "headers": [(b"cookie", b"placed=x|y")]})
    assert placed_of(forged, key) is None
