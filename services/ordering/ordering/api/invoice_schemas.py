# SPDX-License-Identifier: AGPL-3.0-or-later
"""Request and response bodies of payments, invoices, cancellations and corrections.

An amount may be typed in euros as a merchant types a price (``amount: "12,50"``, read by the
kit's :func:`~downtown_events.money.parse_money`) or given in cents (``amount_cents: 1250``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from downtown_events.ordering import PaymentReceivedBy
from downtown_events.runtime.http.fields import TypedAmount
from downtown_events.text import SingleLine
from ordering.api.schemas import AddressIn, Reason, Request
from ordering.domain.invoice_document import InvoiceParty

InvoiceStatus = Literal["open", "paid", "all"]


class PaymentIn(Request, TypedAmount):
    """A payment the merchant received for its order: how, how much (euros or cents, one of
    the two, above 0), and on which day (today if not given; never a day to come)."""

    received_by: PaymentReceivedBy
    paid_on: date | None = None


class CorrectionIn(Request):
    """Why the invoice is corrected, and whom the new one names (leave both out to keep the
    buyer of the cancelled one: a correction of the shop's own particulars)."""

    reason: Reason = ""
    buyer_name: Annotated[SingleLine, Field(min_length=1, max_length=120)] | None = None
    billing_address: AddressIn | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.buyer_name is None) != (self.billing_address is None):
            raise PydanticCustomError("buyer", "a corrected buyer needs a name and a billing address, both")
        return self

    def buyer(self) -> InvoiceParty | None:
        if self.buyer_name is None or self.billing_address is None:
            return None
        return InvoiceParty(name=self.buyer_name, address=self.billing_address.address())


class InvoiceSummaryOut(BaseModel):
    """A row of the merchant's invoices: an invoice or a cancellation invoice (its total
    negative), and what is still open on it."""

    invoice_number: str
    kind: Literal["invoice", "cancellation"]
    status: Literal["open", "paid", "cancelled", "cancellation"]
    issued_on: date
    order_id: UUID
    customer_name: str | None
    total_cents: int
    open_cents: int
    cancels_number: str | None
    cancelled_by_number: str | None
