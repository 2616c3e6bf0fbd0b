# SPDX-License-Identifier: Apache-2.0
"""Request fields every service's API reads the same way."""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from downtown_events.catalog import EMAIL_PATTERN
from downtown_events.money import MAX_AMOUNT_CENTS, parse_money
from downtown_events.refusals import InvalidChange
from downtown_events.text import SingleLine

_EMAIL = re.compile(EMAIL_PATTERN)


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise PydanticCustomError("email", "this is not an e-mail address; write it like anna@example.de")
    return value


Email = Annotated[
    SingleLine,
    AfterValidator(_email),
    Field(max_length=254, json_schema_extra={"pattern": EMAIL_PATTERN}, examples=["anna@example.de"]),
]
"""An e-mail address, refused with a sentence a person understands (not the pattern)."""


Euros = Annotated[
    str,
    Field(
        max_length=30,
        examples=["12,50"],
        description='euros as typed at a till or for a price: "12,50", "12.50", "12" (or amount_cents: 1250)',
    ),
]


class TypedAmount(BaseModel):
    """An amount a merchant types: euros as it types a price in the catalog (``amount:
    "12,50"``, read by :func:`~downtown_events.money.parse_money`), or integer cents
    (``amount_cents: 1250``); one of the two, above 0. ``amount_cents`` holds the amount
    either way once validated, so a use case reads :attr:`cents` and never parses."""

    model_config = ConfigDict(extra="forbid")

    amount: Euros | None = None
    amount_cents: Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT_CENTS)] | None = Field(
        default=None, validate_default=True
    )

    @field_validator("amount")
    @classmethod
    def _euros(cls, amount: str | None) -> str | None:
        if amount is not None:
            _typed_cents(amount)
        return amount

    @field_validator("amount_cents")
    @classmethod
    def _one_of_the_two(cls, cents: int | None, info: ValidationInfo) -> int | None:
        """Checked on the field (not the whole body), so the problem names ``amount_cents``
        beside the sentence; an ``amount`` refused already has its own error."""
        if "amount" in info.data and (info.data["amount"] is None) == (cents is None):
            raise PydanticCustomError(
                "amount", 'give the amount in euros (amount: "12,50") or in cents (amount_cents: 1250), one of the two'
            )
        return cents

    @model_validator(mode="after")
    def _in_cents(self) -> Self:
        if self.amount is not None:
            self.amount_cents = _typed_cents(self.amount)
        return self

    @property
    def cents(self) -> int:
        if self.amount_cents is None:
            raise ValueError("an amount that was never validated")
        return self.amount_cents


def _typed_cents(amount: str) -> int:
    try:
        cents = parse_money(amount)
    except InvalidChange as refused:
        raise PydanticCustomError("amount", "{reason}", {"reason": refused.reason}) from None
    if cents <= 0:
        raise PydanticCustomError("amount", "the amount must be more than 0,00 €")
    return cents
