# SPDX-License-Identifier: AGPL-3.0-or-later
"""Request and response bodies of the ordering API (never the domain objects themselves).

Money is integer cents (``1250`` is 12,50 €). Every text is one line without control
characters (``SingleLine``); sizes are bounded before anything is looked up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, model_validator

from downtown_events.catalog import Address
from downtown_events.geo import GeoPoint
from downtown_events.ordering import FulfilmentMethod, PaymentMethod, TimeSlot
from downtown_events.runtime.http.fields import Email as KitEmail
from downtown_events.runtime.http.sign_in import LinkToken, MailLanguage
from downtown_events.text import SingleLine
from ordering.app.shopping import CheckedOut
from ordering.domain.basket import Basket, line_id
from ordering.domain.checkout_options import CheckoutOptions
from ordering.domain.choices import (
    AssistedLine,
    CustomerDetails,
    DeliveryChoice,
    MerchantChoice,
    PaymentChoice,
    PickupChoice,
)
from ordering.domain.courier_delivery import SlotRequest
from ordering.domain.order import Order
from ordering.domain.private_events import OrderCustomerRecorded

Quantity = Annotated[StrictInt, Field(ge=1, le=999, description="how many (1 to 999)")]
Cents = Annotated[StrictInt, Field(ge=0, le=100_000_000, description="an amount in cents, e.g. 1250 = 12,50 €")]
Email = Annotated[KitEmail, AfterValidator(str.lower)]
"""Written in lower case: one customer, one address, however they typed it."""
Reason = Annotated[SingleLine, Field(max_length=500)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- baskets ---------------------------------------------------------------------------


class LineIn(Request):
    offer_id: UUID
    quantity: Quantity = 1
    slot: TimeSlot | None = Field(default=None, description="for a bookable service: the time booked")


class QuantityIn(Request):
    quantity: Quantity


class BasketLineOut(BaseModel):
    line_id: UUID
    offer_id: UUID
    merchant_id: UUID
    kind: str
    title: str
    quantity: int
    unit_price_cents: int
    slot: TimeSlot | None


class BasketOut(BaseModel):
    basket_id: UUID
    lines: list[BasketLineOut]
    goods_cents: int
    checked_out: bool
    checkout_id: UUID | None
    order_ids: list[UUID]

    @classmethod
    def of(cls, basket: Basket) -> BasketOut:
        lines = [
            BasketLineOut(
                line_id=line.line_id,
                offer_id=line.offer_id,
                merchant_id=line.merchant_id,
                kind=line.kind,
                title=line.title,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                slot=line.slot,
            )
            for line in basket.lines.values()
        ]
        return cls(
            basket_id=basket.basket_id,
            lines=lines,
            goods_cents=sum(line.quantity * line.unit_price_cents for line in lines),
            checked_out=basket.checked_out,
            checkout_id=basket.checkout_id,
            order_ids=list(basket.order_ids),
        )


class OpenedBasketOut(BaseModel):
    basket: BasketOut
    access_token: str | None = Field(
        description="a guest's handle on the basket (send it as 'Basket-Token'), given once; none when signed in"
    )


# --- checkout ----------------------------------------------------------------------------


class AddressIn(Request):
    street: Annotated[SingleLine, Field(min_length=1, max_length=200)]
    postal_code: Annotated[SingleLine, Field(min_length=3, max_length=10)]
    city: Annotated[SingleLine, Field(min_length=1, max_length=100)]

    def address(self) -> Address:
        return Address(street=self.street, postal_code=self.postal_code, city=self.city)


class PinIn(Request):
    """The door on the map (WGS 84 degrees), as the customer set it."""

    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class DeliveryAddressIn(AddressIn):
    pin: PinIn | None = Field(
        default=None, description="the door on the map; the town's couriers need it where a zone is drawn as an area"
    )


class DeliverySlotIn(Request):
    """One of the slots the basket's quote lists, by its ``slot_id`` or its ``starts_at``."""

    slot_id: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z_]+:[0-9]{8}T[0-9]{4}Z$")] | None = None
    starts_at: AwareDatetime | None = None

    def request(self) -> SlotRequest:
        return SlotRequest(self.slot_id, self.starts_at)

    @model_validator(mode="after")
    def _one_of_them(self) -> DeliverySlotIn:
        if (self.slot_id is None) == (self.starts_at is None):
            raise ValueError("name the slot by its slot_id or by its starts_at, one of them")
        return self


class DeliveryIn(Request):
    method: Literal["delivery"]
    address: DeliveryAddressIn
    note: Annotated[SingleLine, Field(max_length=200)] = ""
    delivery_slot: DeliverySlotIn | None = Field(
        default=None,
        description="once the town's couriers deliver on dispatch's terms: the slot chosen (default: the next one)",
    )


class PickupIn(Request):
    method: Literal["pickup"]
    window: TimeSlot | None = Field(default=None, description="when the customer comes (not for services alone)")


class PaymentIn(Request):
    method: PaymentMethod
    voucher_authorization_id: UUID | None = Field(
        default=None, description="from vouchers' POST /authorizations, when a voucher pays part or all"
    )
    voucher_cents: Cents = 0


class MerchantChoiceIn(Request):
    fulfilment: Annotated[DeliveryIn | PickupIn, Field(discriminator="method")]
    payment: PaymentIn

    def choice(self) -> MerchantChoice:
        fulfilment: DeliveryChoice | PickupChoice
        if isinstance(self.fulfilment, DeliveryIn):
            delivery = self.fulfilment
            pin = delivery.address.pin
            fulfilment = DeliveryChoice(
                delivery.address.address(),
                delivery.note,
                None if pin is None else GeoPoint(lat=pin.lat, lon=pin.lon),
                None if delivery.delivery_slot is None else delivery.delivery_slot.request(),
            )
        else:
            fulfilment = PickupChoice(self.fulfilment.window)
        payment = PaymentChoice(self.payment.method, self.payment.voucher_authorization_id, self.payment.voucher_cents)
        return MerchantChoice(fulfilment, payment)


class CustomerIn(Request):
    name: Annotated[SingleLine, Field(min_length=1, max_length=120)]
    email: Email | None = None
    phone: Annotated[SingleLine, Field(max_length=40, pattern=r"^[0-9 +()/-]*$")] = ""
    billing_address: AddressIn | None = Field(default=None, description="needed when paying on invoice")
    language: Literal["de", "en"] = "de"

    def details(self) -> CustomerDetails:
        return CustomerDetails(
            name=self.name,
            email=self.email,
            phone=self.phone,
            billing_address=self.billing_address.address() if self.billing_address else None,
            language=self.language,
        )


class CheckoutIn(Request):
    customer: CustomerIn
    merchants: dict[UUID, MerchantChoiceIn] = Field(
        min_length=1, max_length=50, description="per merchant of the basket: how its order is fulfilled and paid"
    )


class AssistedLineIn(Request):
    offer_id: UUID
    quantity: Quantity = 1
    slot: TimeSlot | None = None


class AssistedOrderIn(Request):
    merchant_id: UUID
    lines: list[AssistedLineIn] = Field(min_length=1, max_length=100)
    customer: CustomerIn
    choice: MerchantChoiceIn

    def lines_(self) -> list[AssistedLine]:
        return [AssistedLine(line.offer_id, line.quantity, line.slot) for line in self.lines]


# --- orders ------------------------------------------------------------------------------


class OrderLineOut(BaseModel):
    offer_id: UUID
    kind: str
    title: str
    quantity: int
    unit_price_cents: int
    vat_rate_percent: int
    slot: TimeSlot | None
    held: str | None = Field(default=None, description="a service: in_person, or video (a video consultation)")
    meeting_url: str | None = Field(
        default=None, description="a video consultation's meeting link, once the order is confirmed"
    )


class AddressOut(BaseModel):
    street: str
    postal_code: str
    city: str


class ExpectedDeliveryOut(BaseModel):
    """When the town's couriers expect to be at the door: dispatch's plan, which may change."""

    expected_from: datetime
    expected_until: datetime


class OrderCustomerOut(BaseModel):
    """Who ordered and where it goes: for the order's merchant (and the association) only."""

    name: str
    phone: str
    delivery_address: AddressOut | None
    delivery_note: str

    @classmethod
    def of(cls, record: OrderCustomerRecorded) -> OrderCustomerOut:
        address = record.delivery_address
        return cls(
            name=record.name,
            phone=record.phone,
            delivery_address=AddressOut(street=address.street, postal_code=address.postal_code, city=address.city)
            if address
            else None,
            delivery_note=record.delivery_note,
        )


class OrderOut(BaseModel):
    order_id: UUID
    checkout_id: UUID
    merchant_id: UUID
    status: str
    accepted: bool
    stock_reserved: bool
    voucher_redeemed: bool
    rejection_reason: str | None
    cancelled_by: str | None
    lines: list[OrderLineOut]
    fulfilment: str
    pickup_window: TimeSlot | None
    delivery_fee_cents: int
    delivery_slot: TimeSlot | None = Field(
        default=None, description="when the town's couriers deliver it (a delivery on dispatch's terms)"
    )
    delivery_zone: str | None = Field(default=None, description="the delivery zone the door lies in")
    delivery: ExpectedDeliveryOut | None = Field(
        default=None,
        description="a courier order on its way: when the courier is expected at the door, as dispatch planned "
        "it (null until planned, and once the order is delivered or ended)",
    )
    payment_method: str
    voucher_cents: int
    goods_cents: int
    total_cents: int
    left_to_pay_cents: int = Field(description="what is still owed after the voucher part and every payment")
    paid_cents: int = Field(default=0, description="what the merchant received besides the voucher part")
    paid: bool = Field(default=False, description="nothing is left to pay")
    placed_by: str
    merchant_answer_by: datetime
    answer_by: datetime = Field(
        description="by when the shop answers (accepts, or the order is rejected): the town's answer time counted "
        "in the shop's opening hours from the order's placement"
    )
    cancellable_until: datetime
    invoice_number: str | None
    invoice_cancelled: bool = Field(default=False, description="its invoice was cancelled (a Stornorechnung)")
    customer: OrderCustomerOut | None = Field(
        default=None, description="who ordered, their phone, delivery address and note: to the order's merchant only"
    )

    @classmethod
    def of(cls, order: Order, *, customer: bool = False, arrival: TimeSlot | None = None) -> OrderOut:
        """``customer``: the caller is the order's merchant (or the association), who sees who ordered;
        ``arrival``: when dispatch expects its courier at the door of a courier order."""
        links = order.meeting_links
        return cls(
            order_id=order.order_id,
            checkout_id=order.checkout_id,
            merchant_id=order.merchant_id,
            status=order.status,
            accepted=order.accepted,
            stock_reserved=order.stock_reserved,
            voucher_redeemed=order.redemption_id is not None,
            rejection_reason=order.rejection_reason,
            cancelled_by=order.cancelled_by,
            lines=[
                OrderLineOut(
                    offer_id=line.offer_id,
                    kind=line.kind,
                    title=line.title,
                    quantity=line.quantity,
                    unit_price_cents=line.unit_price_cents,
                    vat_rate_percent=line.vat_rate_percent,
                    slot=line.slot,
                    held=line.held,
                    meeting_url=links.get(line_id(line.offer_id, line.slot)),
                )
                for line in order.lines
            ],
            fulfilment=order.fulfilment.method,
            pickup_window=order.fulfilment.pickup_window,
            delivery_fee_cents=order.fulfilment.delivery_fee_cents,
            delivery_slot=order.fulfilment.delivery_slot,
            delivery_zone=order.fulfilment.delivery_zone,
            delivery=None
            if arrival is None
            else ExpectedDeliveryOut(expected_from=arrival.starts_at, expected_until=arrival.ends_at),
            payment_method=order.payment.method,
            voucher_cents=order.payment.voucher_cents,
            goods_cents=order.goods_cents,
            total_cents=order.total_cents,
            left_to_pay_cents=order.owed_cents,
            paid_cents=order.received_cents,
            paid=order.paid,
            placed_by=order.placed_by,
            merchant_answer_by=order.merchant_answer_by,
            answer_by=order.merchant_answer_by,
            cancellable_until=order.cancellable_until,
            invoice_number=order.invoice.invoice_number if order.invoice else None,
            invoice_cancelled=order.invoice_cancelled,
            customer=OrderCustomerOut.of(order.customer) if customer and order.customer else None,
        )


class CheckoutOut(BaseModel):
    checkout_id: UUID
    orders: list[OrderOut]
    total_cents: int
    order_link_token: str | None = Field(
        description="a guest's token for the orders (send it as 'Order-Token', or follow the e-mailed link); "
        "given once, by the request that checked out"
    )

    @classmethod
    def of(cls, done: CheckedOut, order_link_token: str | None) -> CheckoutOut:
        orders = [OrderOut.of(order) for order in done.orders]
        return cls(
            checkout_id=done.checkout_id,
            orders=orders,
            total_cents=sum(order.total_cents for order in orders),
            order_link_token=order_link_token,
        )


class ReasonIn(Request):
    reason: Reason = ""


class PaidIn(Request):
    paid_cents: Cents = Field(description="what the customer paid at the shop or the door (the rest after vouchers)")


class OrderSummaryOut(BaseModel):
    """A row of a list: the customer's history, the merchant's inbox, the association's view."""

    order_id: UUID
    checkout_id: UUID
    merchant_id: UUID
    status: str
    accepted: bool
    fulfilment: str
    pickup_starts_at: datetime | None
    total_cents: int
    voucher_cents: int
    payment_method: str
    placed_by: str
    placed_at: datetime
    answer_by: datetime = Field(description="by when the shop answers (accepts, or the order is rejected)")
    invoice_number: str | None
    left_to_pay_cents: int | None = Field(
        default=None,
        description="what is still owed after the voucher part, what was paid on the spot and every payment "
        "(null: not known to the list yet, for an order from before it kept this; the order's own view knows)",
    )
    paid: bool | None = Field(default=None, description="nothing is left to pay (null: not known to the list yet)")
    customer: OrderSummaryCustomerOut | None = Field(
        default=None, description="who ordered and their phone: to the order's merchant and the association only"
    )

    @classmethod
    def of(cls, row: dict[str, Any]) -> OrderSummaryOut:
        """A row of ``order_list``; it carries the customer only for a merchant's or the
        association's list (``queries.order_list`` decides), so a customer's rows have none."""
        name = row.get("customer_name")
        customer = OrderSummaryCustomerOut(name=name, phone=row.get("customer_phone")) if name else None
        return cls.model_validate({**row, "customer": customer})


class OrderSummaryCustomerOut(BaseModel):
    """Who ordered, as the merchant's inbox lists it (the order's own view adds where it goes)."""

    name: str
    phone: str | None = Field(
        description="empty: none given; null: not known to the list yet (an order from before it kept this)"
    )


# --- customers ---------------------------------------------------------------------------


class SignInLinkIn(Request):
    email: Email
    language: MailLanguage = "de"


class SessionIn(Request):
    account_id: UUID
    token: LinkToken


class SessionOut(BaseModel):
    customer_token: str = Field(description="send as 'Authorization: Bearer <token>'")
    account_id: UUID
    expires_in_seconds: int


# --- figures -----------------------------------------------------------------------------


class FiguresOut(BaseModel):
    """The town's orders by status and money, for the association (from the order overview)."""

    orders: int
    by_status: dict[str, int]
    goods_cents_confirmed: int
    voucher_cents_confirmed: int
    merchants_with_orders: int
    since: AwareDatetime | None


# --- shops -------------------------------------------------------------------------------


class CheckoutOptionsOut(BaseModel):
    """What a shop offers at checkout, by the rules checkout applies: choose from these."""

    merchant_id: UUID
    name: str
    taking_orders: bool = Field(description="false while the shop is closed or suspended")
    payment_methods: dict[FulfilmentMethod, list[PaymentMethod]] = Field(
        description="per way of fulfilment the shop offers (pickup, delivery), how to pay what a voucher leaves; "
        "'invoice' only at a shop the town's association approved that has a tax number"
    )
    not_on_invoice: str | None = Field(description="why the shop takes no orders on invoice; null when it does")

    @classmethod
    def of(cls, options: CheckoutOptions) -> CheckoutOptionsOut:
        return cls(
            merchant_id=options.merchant_id,
            name=options.name,
            taking_orders=options.taking_orders,
            payment_methods={method: list(ways) for method, ways in options.payment_methods.items()},
            not_on_invoice=options.not_on_invoice,
        )
