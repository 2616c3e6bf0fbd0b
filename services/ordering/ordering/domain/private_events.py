# SPDX-License-Identifier: AGPL-3.0-or-later
"""Events the ordering service stores and replays but never publishes.

They hold what integrators must not see: who ordered (name, e-mail, phone, the full delivery
address, the account or the hash of a guest's access token), baskets (a customer's browsing
is nobody's business), the invoice numbering, customer accounts and their sign-in links, and
a video consultation's meeting link (an unguessable URL: whoever has it can join). Each is
appended in the same decision as the public event it belongs to, where there is one.
Registered like the public ones because reading the event store needs every type in it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from downtown_events.catalog import EMAIL_PATTERN, Address
from downtown_events.contract import PrivateEvent, ValueObject, registry
from downtown_events.geo import GeoPoint
from downtown_events.ordering import OfferKind, PaymentMethod, TimeSlot, VatAmount
from downtown_events.text import EventEmail, EventLine

Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
"""The SHA-256 of a secret the customer holds (an access token, a sign-in link), lower-case hex."""
Email = Annotated[EventEmail, Field(pattern=EMAIL_PATTERN, max_length=254)]


class OrderingPrivateEvent(PrivateEvent):
    service: ClassVar[str] = "ordering"


# --- orders ------------------------------------------------------------------------------


@registry.register
class OrderCustomerRecorded(OrderingPrivateEvent):
    """Who ordered and where it goes (appended with ``OrderPlaced``). A guest is known by the
    hash of the access token their link carries; a signed-in customer by the account. An
    assisted order for a customer who phoned may have a phone number and no e-mail."""

    event_name: ClassVar[str] = "OrderCustomerRecorded"
    schema_version: ClassVar[int] = 1
    order_id: UUID
    checkout_id: UUID
    name: EventLine = Field(min_length=1, max_length=120)
    email: Email | None = None
    phone: EventLine = Field(default="", max_length=40)
    delivery_address: Address | None = None
    delivery_note: EventLine = Field(default="", max_length=200)
    delivery_pin: GeoPoint | None = None
    """The door on the map, if the customer set it (dispatch's couriers go there)."""
    billing_address: Address | None = None
    account_id: UUID | None = None
    guest_token_hash: Sha256Hex | None = None
    language: Literal["de", "en"] = "de"

    @model_validator(mode="after")
    def _one_way_back(self) -> OrderCustomerRecorded:
        if self.account_id is not None and self.guest_token_hash is not None:
            raise ValueError("an order belongs to an account or to a guest's token, not both")
        if self.email is None and not self.phone:
            raise ValueError("the customer needs an e-mail address or a phone number")
        return self


@registry.register
class OrderAnswerContradicted(OrderingPrivateEvent):
    """An answer of the saga that contradicts what the order knows (a refusal after a
    reservation or a redemption, a refusal of a voucher part it does not have): kept on the
    order's stream for an operator, deciding nothing else. Recorded rather than raised, so
    the saga's consumer neither dead-letters nor halts on it."""

    event_name: ClassVar[str] = "OrderAnswerContradicted"
    schema_version: ClassVar[int] = 1
    order_id: UUID
    answer: EventLine = Field(min_length=1, max_length=80, description="e.g. OrderReservationRefused")
    detail: EventLine = Field(default="", max_length=500)


@registry.register
class CourierOrdersCounted(OrderingPrivateEvent):
    """How many orders of its checkout go by the town's couriers (appended with the
    ``OrderPlaced`` of each of them): the checkout's orders are placed in one decision, and
    dispatch, told the count with each hand-off, waits for all of them to make one job."""

    event_name: ClassVar[str] = "CourierOrdersCounted"
    schema_version: ClassVar[int] = 1
    order_id: UUID
    checkout_id: UUID
    courier_orders: int = Field(ge=1, le=50)


@registry.register
class DispatchAnswerAwaited(OrderingPrivateEvent):
    """By ``answer_by`` dispatch takes the order into a job or refuses it (appended with the
    ``OrderDeliveryRequested``): past it, the time-out job ends the order undelivered, so a
    hand-off lost to a dead letter never holds stock or a voucher part for ever."""

    event_name: ClassVar[str] = "DispatchAnswerAwaited"
    schema_version: ClassVar[int] = 1
    order_id: UUID
    answer_by: AwareDatetime


@registry.register
class DeliveryJobJoined(OrderingPrivateEvent):
    """Dispatch added the order's pickup to its job (its ``DeliveryJobPickupAdded``): the
    answer the hand-off waited for; the job's id ties dispatch's later news to the order."""

    event_name: ClassVar[str] = "DeliveryJobJoined"
    schema_version: ClassVar[int] = 1
    order_id: UUID
    job_id: UUID


@registry.register
class MeetingLinkAssigned(OrderingPrivateEvent):
    """The video consultation of a booked service takes place at this unguessable URL; it is
    sent to both sides and shown to nobody else."""

    event_name: ClassVar[str] = "MeetingLinkAssigned"
    schema_version: ClassVar[int] = 1
    order_id: UUID
    offer_id: UUID
    slot: TimeSlot
    url: EventLine = Field(min_length=12, max_length=500, pattern=r"^https://[^\s]+$")


# --- baskets -----------------------------------------------------------------------------


@registry.register
class BasketOpened(OrderingPrivateEvent):
    """A basket for a signed-in customer (``account_id``) or for a guest (the hash of the
    token their browser keeps)."""

    event_name: ClassVar[str] = "BasketOpened"
    schema_version: ClassVar[int] = 1
    basket_id: UUID
    account_id: UUID | None = None
    access_token_hash: Sha256Hex | None = None
    opened_at: AwareDatetime

    @model_validator(mode="after")
    def _one_owner(self) -> BasketOpened:
        if (self.account_id is None) == (self.access_token_hash is None):
            raise ValueError("a basket belongs to an account or to a guest's token, exactly one")
        return self


@registry.register
class BasketLinePut(OrderingPrivateEvent):
    """A line as it is now (put in, its quantity changed, or put again at a new price), with
    the unit price the customer saw."""

    event_name: ClassVar[str] = "BasketLinePut"
    schema_version: ClassVar[int] = 1
    basket_id: UUID
    line_id: UUID
    offer_id: UUID
    merchant_id: UUID
    kind: OfferKind
    title: EventLine = Field(min_length=1, max_length=120)
    quantity: int = Field(ge=1, le=999)
    unit_price_cents: int = Field(ge=0)
    slot: TimeSlot | None = None


@registry.register
class BasketLineRemoved(OrderingPrivateEvent):
    event_name: ClassVar[str] = "BasketLineRemoved"
    schema_version: ClassVar[int] = 1
    basket_id: UUID
    line_id: UUID


@registry.register
class BasketCheckedOut(OrderingPrivateEvent):
    """The basket became one order per merchant; it changes no more."""

    event_name: ClassVar[str] = "BasketCheckedOut"
    schema_version: ClassVar[int] = 1
    basket_id: UUID
    checkout_id: UUID
    order_ids: list[UUID] = Field(min_length=1, max_length=100)
    checked_out_at: AwareDatetime


@registry.register
class AssistedOrderEntered(OrderingPrivateEvent):
    """A merchant or the association entered an order for a customer who phoned: the first
    event of the assisted checkout's own stream, so that its Idempotency-Key names one
    request, whichever merchant a later request with that key names."""

    event_name: ClassVar[str] = "AssistedOrderEntered"
    schema_version: ClassVar[int] = 1
    checkout_id: UUID
    order_id: UUID
    merchant_id: UUID
    placed_by: Literal["merchant", "association"]


# --- slot holds (a stream per service and town day) --------------------------------------


@registry.register
class SlotHeld(OrderingPrivateEvent):
    """A basket holds a service's time until ``held_until``: no other basket may put it in
    meanwhile (put again, or checked out, the hold is renewed). Nothing is booked: the
    catalog books at checkout, and has the last word."""

    event_name: ClassVar[str] = "SlotHeld"
    schema_version: ClassVar[int] = 1
    offer_id: UUID
    basket_id: UUID
    slot: TimeSlot
    held_until: AwareDatetime


@registry.register
class SlotHoldReleased(OrderingPrivateEvent):
    """The basket let the time go (its line was taken out) before its hold ran out."""

    event_name: ClassVar[str] = "SlotHoldReleased"
    schema_version: ClassVar[int] = 1
    offer_id: UUID
    basket_id: UUID
    slot: TimeSlot


# --- invoice numbers ---------------------------------------------------------------------

InvoiceKind = Literal["invoice", "cancellation"]
"""An invoice, or a cancellation invoice (Stornorechnung) that cancels one."""


@registry.register
class InvoiceNumberTaken(OrderingPrivateEvent):
    """The merchant's next invoice number went to an order (appended in the same unit of work
    as the order's ``InvoiceIssued``, so a number exists only with its invoice)."""

    event_name: ClassVar[str] = "InvoiceNumberTaken"
    schema_version: ClassVar[int] = 1
    sequence_id: UUID
    merchant_id: UUID
    sequence: int = Field(ge=1)
    order_id: UUID
    invoice_number: EventLine = Field(min_length=1, max_length=40)
    taken_on: date
    document: InvoiceKind = Field(default="invoice", description="an invoice, or a cancellation invoice (Storno)")


TaxNumberKind = Literal["vat_id", "tax_number"]
"""A VAT id (USt-IdNr., "DE123456789") or a tax office's Steuernummer ("12/345/67890")."""


class InvoiceParty(ValueObject):
    """Who an invoice is from or to, as it names them (§ 14 Abs. 4 Nr. 1 and 2 UStG): the
    merchant with its tax number or VAT id, the customer without."""

    name: EventLine = Field(min_length=1, max_length=120)
    address: Address
    tax_number: EventLine | None = Field(default=None, max_length=20)
    tax_number_kind: TaxNumberKind | None = None


class BankAccount(ValueObject):
    """Where the merchant asks to be paid by transfer, as its profile named it then."""

    iban: EventLine = Field(min_length=15, max_length=42, description="in groups of four")
    bic: EventLine = Field(default="", max_length=11)
    account_holder: EventLine = Field(default="", max_length=120)


class InvoiceLine(ValueObject):
    """One line as the invoice prints it: prices include VAT, as the shop showed them."""

    title: EventLine = Field(min_length=1, max_length=120)
    quantity: int = Field(ge=1, le=999)
    unit_gross_cents: int = Field(ge=0)
    gross_cents: int = Field(ge=0)
    vat_rate_percent: int = Field(ge=0, le=100)


class InvoiceDocument(ValueObject):
    """Everything an invoice says, as it said it the day it was issued. The PDF is drawn
    from this alone, so a later change of the shop's name, address or tax number, of the
    customer's address or of the town's standard VAT rate never changes an issued invoice."""

    number: EventLine = Field(min_length=1, max_length=40)
    issued_on: date
    supplied_on: date | None = Field(default=None, description="None: supplied on the day of issue")
    seller: InvoiceParty
    buyer: InvoiceParty
    lines: tuple[InvoiceLine, ...] = Field(min_length=1, max_length=100)
    delivery_fee_cents: int = Field(default=0, ge=0)
    delivery_fee_vat_percent: int | None = Field(default=None, ge=0, le=100)
    vat: tuple[VatAmount, ...]
    net_cents: int = Field(ge=0)
    vat_cents: int = Field(ge=0)
    gross_cents: int = Field(ge=0)
    voucher_cents: int = Field(default=0, ge=0)
    due_cents: int = Field(ge=0)
    payment_method: PaymentMethod
    kind: InvoiceKind = "invoice"
    cancels_number: EventLine | None = Field(
        default=None, max_length=40, description="a cancellation invoice: the number of the invoice it cancels"
    )
    cancels_issued_on: date | None = None
    bank: BankAccount | None = Field(default=None, description="where to pay by transfer (None: none recorded)")
    payment_reference: EventLine = Field(default="", max_length=40, description="what a transfer must quote")


@registry.register
class InvoiceParticularsRecorded(OrderingPrivateEvent):
    """The particulars of the order's invoice, fixed when it is issued: appended to the
    order's stream with its ``InvoiceIssued`` (and the number's ``InvoiceNumberTaken``) in
    one unit of work. Private because it names the customer and their address."""

    event_name: ClassVar[str] = "InvoiceParticularsRecorded"
    schema_version: ClassVar[int] = 1
    order_id: UUID
    merchant_id: UUID
    document: InvoiceDocument


class Receipt(ValueObject):
    """A receipt (Quittung) for an order paid in full at the shop or the door: what was
    bought at which rates of VAT, what was paid, when and how, and who took it. Fixed when
    the order is handed over or delivered, like an invoice's particulars."""

    number: EventLine = Field(min_length=1, max_length=40, description="the order's short reference")
    paid_on: date
    seller: InvoiceParty
    buyer_name: EventLine = Field(default="", max_length=120)
    lines: tuple[InvoiceLine, ...] = Field(min_length=1, max_length=100)
    delivery_fee_cents: int = Field(default=0, ge=0)
    delivery_fee_vat_percent: int | None = Field(default=None, ge=0, le=100)
    vat: tuple[VatAmount, ...]
    gross_cents: int = Field(ge=0)
    voucher_cents: int = Field(default=0, ge=0)
    paid_cents: int = Field(ge=0)
    payment_method: PaymentMethod


@registry.register
class ReceiptParticularsRecorded(OrderingPrivateEvent):
    """The receipt of an order paid in full on the spot, appended with the handing over or
    the delivery that took the money. Private because it names the customer."""

    event_name: ClassVar[str] = "ReceiptParticularsRecorded"
    schema_version: ClassVar[int] = 1
    order_id: UUID
    merchant_id: UUID
    receipt: Receipt


# --- customer accounts -------------------------------------------------------------------


@registry.register
class CustomerAccountOpened(OrderingPrivateEvent):
    """An account for one e-mail address (normalised); it has no password."""

    event_name: ClassVar[str] = "CustomerAccountOpened"
    schema_version: ClassVar[int] = 1
    account_id: UUID
    email: Email
    opened_at: AwareDatetime


@registry.register
class SignInLinkIssued(OrderingPrivateEvent):
    """A one-time sign-in link was e-mailed; only its token's hash is kept."""

    event_name: ClassVar[str] = "SignInLinkIssued"
    schema_version: ClassVar[int] = 1
    account_id: UUID
    link_id: UUID
    token_hash: Sha256Hex
    issued_at: AwareDatetime
    expires_at: AwareDatetime


@registry.register
class SignInLinkUsed(OrderingPrivateEvent):
    """The link signed the customer in; it opens nothing any more, and neither does any link
    issued before it that was still open (the newest one used is the one that counts)."""

    event_name: ClassVar[str] = "SignInLinkUsed"
    schema_version: ClassVar[int] = 1
    account_id: UUID
    link_id: UUID
    used_at: AwareDatetime


@registry.register
class CustomerSignedOut(OrderingPrivateEvent):
    """The customer signed out on one device: that customer token (by its id) is refused
    from now on, however long it had left to live."""

    event_name: ClassVar[str] = "CustomerSignedOut"
    schema_version: ClassVar[int] = 1
    account_id: UUID
    token_id: UUID
    token_issued_at: AwareDatetime
    signed_out_at: AwareDatetime


@registry.register
class CustomerSignedOutEverywhere(OrderingPrivateEvent):
    """The customer signed out everywhere (a lost phone, a shared computer): every customer
    token issued until ``signed_out_at`` is refused; signing in again gives a new one."""

    event_name: ClassVar[str] = "CustomerSignedOutEverywhere"
    schema_version: ClassVar[int] = 1
    account_id: UUID
    signed_out_at: AwareDatetime
