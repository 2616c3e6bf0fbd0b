# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant types what it takes from a voucher as it types a price: "12,50", "12.50", "12"
(or integer cents, as before); anything else is a 422 naming the field and the reason."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from vouchers.api.schemas import RedemptionIn, RefundIn

CODE = "7KQM-X2PA-5HJN-R8WT-CE3D"


@pytest.mark.parametrize(
    "amount",
    [{"amount": "12,50"}, {"amount": "12.50"}, {"amount": "12,5"}, {"amount": "12,50 €"}, {"amount_cents": 1250}],
)
def test_a_redemption_takes_euros_as_typed_or_cents(amount: dict[str, Any]) -> None:
    assert RedemptionIn.model_validate({"code": CODE, **amount}).cents == 1250


def test_whole_euros_are_euros_not_cents() -> None:
    assert RedemptionIn.model_validate({"code": CODE, "amount": "12"}).cents == 1200


def test_a_refund_takes_euros_as_typed_too() -> None:
    assert RefundIn.model_validate({"redemption_id": str(uuid4()), "amount": "3,00"}).cents == 300


@pytest.mark.parametrize(
    ("amount", "field", "reason"),
    [
        ({"amount": "12,5,0"}, ("amount",), "not an amount in euros"),
        ({"amount": "-12,50"}, ("amount",), "negative"),
        ({"amount": "12\x0050"}, ("amount",), "not an amount in euros"),
        ({"amount": "1" * 31}, ("amount",), "at most 30 characters"),
        ({"amount": "0,00"}, ("amount",), "more than 0,00 €"),
        ({"amount": 12.5}, ("amount",), "valid string"),
        ({"amount_cents": "1250"}, ("amount_cents",), "valid integer"),
        ({"amount_cents": 0}, ("amount_cents",), "greater than 0"),
        ({}, ("amount_cents",), "one of the two"),
        ({"amount": "12,50", "amount_cents": 1250}, ("amount_cents",), "one of the two"),
    ],
)
def test_what_is_not_one_clear_amount_is_refused_naming_the_field(
    amount: dict[str, Any], field: tuple[str, ...], reason: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        RedemptionIn.model_validate({"code": CODE, **amount})
    (error,) = refused.value.errors()
    assert error["loc"] == field and reason in error["msg"], error
