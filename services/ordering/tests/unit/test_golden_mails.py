# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every mail ordering writes, in German and English, against its golden file.

Each case is one event of one order from fixed fixtures (ids, times, names, amounts), chosen
so that every wording a mail can take is written once: delivery, pickup and a booking;
on invoice, at pickup, at the door, by voucher in part or in whole; every reason an order is
rejected; who cancelled; notes, refunds to a voucher, the status link, the invoice attached
or not; a cancellation invoice, alone or with a corrected invoice to follow; the sign-in
link; and a mail whose Reply-To cannot go with it. A mail is stored as
``golden/mails/<case>.<role>.<language>.txt``: the headers a person sees, the attachments'
names, then the body. A wording changed on purpose: ``DOWNTOWN_UPDATE_GOLDEN=1``
(see ``tests/support/golden.py``), then review the diff.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from babel.messages.pofile import read_po

import ordering
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    Fulfilment,
    InvoiceCancelled,
    InvoiceIssued,
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderDeliveryFailed,
    OrderHandedOver,
    OrderLine,
    OrderOutForDelivery,
    OrderPlaced,
    OrderReadyForPickup,
    OrderRejected,
    Payment,
    PaymentMethod,
    RejectionReason,
    TimeSlot,
    VatAmount,
)
from ordering.app.customers import SignInLink, sign_in_mail
from ordering.app.notifications import (
    CustomerContact,
    Language,
    MerchantContact,
    OrderContext,
    OutgoingMail,
    notifications_for,
    without_reply_to,
)
from ordering.domain import order as orders
from tests.support.golden import assert_golden, assert_no_stale_golden

GOLDEN = Path(__file__).parent / "golden" / "mails"
LANGUAGES: tuple[Language, ...] = ("de", "en")

ORDER_ID = UUID("4b1d5e7a-9c2f-4e3a-8b6d-0f1e2d3c4b5a")  # reference 4B1D5E7A
CHECKOUT_ID = UUID("6a0c3f1e-2b4d-4c5e-9f60-718293a4b5c6")
MERCHANT_ID = UUID("0f5e4d3c-2b1a-4987-8654-3210fedcba98")
PLACED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Schöppingen


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2026 given in UTC (Schöppingen is one hour ahead)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def product(title: str, quantity: int, unit: int, number: int) -> OrderLine:
    return OrderLine(
        offer_id=UUID(int=number),
        kind="product",
        title=title,
        quantity=quantity,
        unit_price_cents=unit,
        vat_rate_percent=7,
    )


def service(title: str, quantity: int, unit: int, number: int, slot: TimeSlot, held: str = "in_person") -> OrderLine:
    return OrderLine(
        offer_id=UUID(int=number),
        kind="service",
        title=title,
        quantity=quantity,
        unit_price_cents=unit,
        vat_rate_percent=19,
        slot=slot,
        held=held,  # type: ignore[arg-type]
    )


SHOP = MerchantContact(
    name="Bäckerei Öztürk",
    email="laden@oeztuerk.example",
    address="Markt 3, 48624 Schöppingen",
    phone="02555 1234",
    inbox_url="https://bestellen.example/merchant/orders/4b1d5e7a-9c2f-4e3a-8b6d-0f1e2d3c4b5a",
)
CUSTOMER = CustomerContact(
    name="Jörg Müller-Weiß",
    email="joerg@example.org",
    status_url="https://bestellen.example/orders/4b1d5e7a-9c2f-4e3a-8b6d-0f1e2d3c4b5a?token=abc",
)


def placed(
    lines: list[OrderLine],
    fulfilment: Fulfilment,
    method: PaymentMethod,
    *,
    voucher_cents: int = 0,
    placed_by: str = "customer",
) -> OrderPlaced:
    goods = sum(line.gross_cents for line in lines)
    total = goods + fulfilment.delivery_fee_cents
    return OrderPlaced(
        order_id=ORDER_ID,
        checkout_id=CHECKOUT_ID,
        merchant_id=MERCHANT_ID,
        lines=lines,
        fulfilment=fulfilment,
        payment=Payment(
            method=method,
            voucher_cents=voucher_cents,
            voucher_authorization_id=UUID(int=99) if voucher_cents else None,
        ),
        goods_cents=goods,
        total_cents=total,
        placed_by=placed_by,  # type: ignore[arg-type]
        merchant_answer_by=PLACED_AT + timedelta(hours=2),
        cancellable_until=PLACED_AT + timedelta(minutes=30),
    )


def pickup_order() -> OrderContext:
    """Bread and cake, collected in a window, paid at pickup."""
    window = TimeSlot(starts_at=at(2, 14), ends_at=at(2, 15))
    lines = [product("Brötchen „Spezial“", 3, 95, 1), product("Apfelkuchen", 1, 1250, 2)]
    return OrderContext(
        placed=placed(lines, Fulfilment(method="pickup", pickup_window=window), "at_pickup"),
        customer=CUSTOMER,
        merchant=SHOP,
        town_name="Schöppingen",
    )


def delivery_order(method: PaymentMethod = "invoice") -> OrderContext:
    """Delivered by a courier, part paid by voucher, the rest as ``method``."""
    lines = [product("Kaffee, 500 g", 2, 1070, 3), product("Stollen", 1, 1890, 4)]
    fulfilment = Fulfilment(method="delivery", delivery_zone="48624", delivery_fee_cents=390)
    return OrderContext(
        placed=placed(lines, fulfilment, method, voucher_cents=1000),
        customer=CUSTOMER,
        merchant=SHOP,
        town_name="Schöppingen",
        delivery_address="Hauptstraße 1, 48624 Schöppingen",
    )


def booking_order() -> OrderContext:
    """Services at booked times (one over midnight), no pickup window, paid wholly by voucher."""
    inspection = service("Fahrradinspektion", 1, 4900, 5, TimeSlot(starts_at=at(5, 9), ends_at=at(5, 10)))
    night = service("Nachtwächterführung", 2, 1500, 6, TimeSlot(starts_at=at(6, 21, 30), ends_at=at(6, 23, 30)))
    lines = [inspection, night]
    total = sum(line.gross_cents for line in lines)
    return OrderContext(
        placed=placed(lines, Fulfilment(method="pickup"), "voucher", voucher_cents=total),
        customer=replace(CUSTOMER, status_url=None),
        merchant=replace(SHOP, inbox_url=None),
        town_name="Schöppingen",
    )


def video_order() -> OrderContext:
    """A consultation held by video call, on invoice: the mails speak of the call and carry its link."""
    advice = service(
        "Hörgeräteberatung", 1, 3500, 7, TimeSlot(starts_at=at(5, 16), ends_at=at(5, 16, 45)), held="video"
    )
    return OrderContext(
        placed=placed([advice], Fulfilment(method="pickup"), "invoice"),
        customer=CUSTOMER,
        merchant=SHOP,
        town_name="Schöppingen",
        meeting_url="https://meet.example/downtown-4b1d5e7a",
    )


def nameless_order() -> OrderContext:
    """A customer who gave no name: the mails greet and refer to them without one."""
    order = pickup_order()
    return replace(order, customer=replace(CUSTOMER, name=""))


def assisted_order() -> OrderContext:
    """Taken by phone by the merchant: no e-mail address, so no customer mail and no Reply-To."""
    order = pickup_order()
    return replace(
        order,
        placed=order.placed.model_copy(update={"placed_by": "merchant"}),
        customer=CustomerContact(name="Frau Hölscher", email=None),
    )


def event_of(kind: type[IntegrationEvent], order: OrderContext, **fields: object) -> IntegrationEvent:
    if kind is OrderPlaced:
        return order.placed
    return kind(order_id=ORDER_ID, merchant_id=MERCHANT_ID, **fields)


def invoice(order: OrderContext) -> InvoiceIssued:
    return InvoiceIssued(
        order_id=ORDER_ID,
        merchant_id=MERCHANT_ID,
        invoice_number="RE-2026-00042",
        sequence=42,
        issued_on=date(2026, 3, 4),
        net_cents=3919,
        vat=[VatAmount(rate_percent=7, net_cents=3919, vat_cents=275)],
        gross_cents=order.placed.total_cents,
    )


def cancellation(order: OrderContext, corrected: bool) -> InvoiceCancelled:
    return InvoiceCancelled(
        order_id=ORDER_ID,
        merchant_id=MERCHANT_ID,
        invoice_number="RE-2026-00043",
        sequence=43,
        issued_on=date(2026, 3, 9),
        cancels_invoice_number="RE-2026-00042",
        net_cents=3919,
        vat=[VatAmount(rate_percent=7, net_cents=3919, vat_cents=275)],
        gross_cents=order.placed.total_cents,
        corrected=corrected,
        reason="Rechnungsanschrift falsch",
    )


Case = Callable[[], tuple[IntegrationEvent, OrderContext]]


def rejected(reason: RejectionReason, order: Callable[[], OrderContext], detail: str = "") -> Case:
    return lambda: (event_of(OrderRejected, ctx := order(), reason=reason, detail=detail), ctx)


def simple(kind: type[IntegrationEvent], order: Callable[[], OrderContext], **fields: object) -> Case:
    return lambda: (event_of(kind, ctx := order(), **fields), ctx)


def with_invoice(order: Callable[[], OrderContext], pdf: bytes | None) -> Case:
    def case() -> tuple[IntegrationEvent, OrderContext]:
        ctx = replace(order(), invoice_pdf=pdf)
        return invoice(ctx), ctx

    return case


def with_cancellation(order: Callable[[], OrderContext], pdf: bytes | None, *, corrected: bool) -> Case:
    def case() -> tuple[IntegrationEvent, OrderContext]:
        ctx = replace(order(), invoice_pdf=pdf)
        return cancellation(ctx, corrected), ctx

    return case


CASES: dict[str, Case] = {
    "order_placed_pickup": simple(OrderPlaced, pickup_order),
    "order_placed_delivery": simple(OrderPlaced, delivery_order),
    "order_placed_booking": simple(OrderPlaced, booking_order),
    "order_placed_nameless": simple(OrderPlaced, nameless_order),
    "order_placed_assisted": simple(OrderPlaced, assisted_order),
    "order_confirmed_pickup": simple(OrderConfirmed, pickup_order),
    "order_confirmed_delivery": simple(OrderConfirmed, delivery_order),
    "order_confirmed_booking": simple(OrderConfirmed, booking_order),
    "order_placed_video": simple(OrderPlaced, video_order),
    "order_confirmed_video": simple(OrderConfirmed, video_order),
    "order_handed_over_video": simple(OrderHandedOver, video_order, paid_cents=0),
    "order_rejected_out_of_stock": rejected("out_of_stock", delivery_order),
    "order_rejected_slot_taken": rejected("slot_taken", booking_order),
    "order_rejected_offer_unavailable": rejected("offer_unavailable", pickup_order),
    "order_rejected_voucher_refused": rejected("voucher_refused", delivery_order),
    "order_rejected_declined": rejected("declined", pickup_order, "Der Ofen ist heute leider kalt."),
    "order_rejected_timed_out": rejected("timed_out", delivery_order, "no answer from the merchant"),
    "order_rejected_merchant_unavailable": rejected("merchant_unavailable", pickup_order),
    "order_cancelled_by_customer": simple(OrderCancelled, nameless_order, by="customer"),
    "order_cancelled_by_merchant": simple(OrderCancelled, delivery_order, by="merchant", detail="Krankheit"),
    "order_cancelled_by_association": simple(
        OrderCancelled, pickup_order, by="association", detail="Der Laden ist geschlossen."
    ),
    "order_ready_for_pickup": simple(OrderReadyForPickup, pickup_order),
    "order_ready_for_pickup_paid": simple(OrderReadyForPickup, booking_order),
    "order_out_for_delivery": simple(OrderOutForDelivery, lambda: delivery_order("card_at_door")),
    "order_delivered": simple(OrderDelivered, delivery_order),
    "order_delivered_paid_at_door": simple(OrderDelivered, lambda: delivery_order("cash_at_door"), paid_cents=3920),
    "order_handed_over": simple(OrderHandedOver, booking_order, paid_cents=0),
    "order_handed_over_paid_at_pickup": simple(OrderHandedOver, pickup_order, paid_cents=1535),
    "order_delivery_failed": simple(OrderDeliveryFailed, delivery_order, detail="Niemand war zu Hause."),
    "invoice_issued_attached": with_invoice(delivery_order, b"%PDF-1.4 golden\n%%EOF\n"),
    "invoice_issued_paid_on_the_order_page": with_invoice(booking_order, None),
    "invoice_cancelled_attached": with_cancellation(delivery_order, b"%PDF-1.4 golden\n%%EOF\n", corrected=False),
    "invoice_cancelled_corrected_on_the_order_page": with_cancellation(delivery_order, None, corrected=True),
}


def in_language(order: OrderContext, language: Language) -> OrderContext:
    return replace(
        order,
        customer=replace(order.customer, language=language),
        merchant=replace(order.merchant, language=language),
    )


def readable(mail: OutgoingMail, body: str | None = None) -> str:
    """A mail as a person's mail client shows it: recipient, reply address, subject, attachments, text."""
    to = f"{mail.to_name} <{mail.to_address}>" if mail.to_name else mail.to_address
    head = [f"About: {mail.about}", f"Language: {mail.language}", f"To: {to}"]
    if mail.reply_to:
        head.append(f"Reply-To: {mail.reply_to}")
    head.append(f"Subject: {mail.subject}")
    head += [f"Attachment: {item.filename} ({item.content_type})" for item in mail.attachments]
    return "\n".join(head) + "\n\n" + (mail.body if body is None else body)


def rendered() -> dict[str, str]:
    """Every golden mail by its file name."""
    files: dict[str, str] = {}
    for name, case in CASES.items():
        for language in LANGUAGES:
            event, order = case()
            order = in_language(order, language)
            for mail in notifications_for(event, UUID(int=7), order):
                role = mail.about.split(":")[1]
                files[f"{name}.{role}.{language}.txt"] = readable(mail)
    for language in LANGUAGES:
        link = SignInLink(account_id=UUID(int=11), email="joerg@example.org", token="t0ken", link_id=UUID(int=12))
        mail = sign_in_mail(link, language=language, public_url="https://bestellen.example/", minutes=20)
        files[f"sign_in_link.customer.{language}.txt"] = readable(mail)
        # The mail server cannot carry a Reply-To with letters beyond ASCII before the @:
        # the body says whom to write to instead.
        order = in_language(pickup_order(), language)
        order = replace(
            order,
            customer=replace(order.customer, email="jörg@example.org"),
            merchant=replace(order.merchant, email="bäcker@oeztuerk.example"),
        )
        for mail in notifications_for(order.placed, UUID(int=7), order):
            role = mail.about.split(":")[1]
            body = without_reply_to(mail.body, mail.language, mail.reply_to or "")
            files[f"order_placed_without_reply_to.{role}.{language}.txt"] = readable(mail, body)
    return files


RENDERED = rendered()


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_the_mail_says_what_its_golden_file_says(name: str) -> None:
    assert_golden(GOLDEN / name, RENDERED[name])


def test_every_golden_mail_is_still_written() -> None:
    assert_no_stale_golden(GOLDEN, RENDERED)


def test_every_case_writes_a_mail_in_both_languages() -> None:
    for name in CASES:
        for language in LANGUAGES:
            assert any(file.startswith(f"{name}.") and file.endswith(f".{language}.txt") for file in RENDERED), name


# --- one language per mail ------------------------------------------------------------------
# A German mail holds no English sentence, an English one no German: every case above, and
# every rejection with the details the saga really writes (the time-out's, the catalog's and
# vouchers' refusals, a voucher part redeemed at the wrong amount), which are English for
# operators and must never reach a customer. A sentence is one language's when it is a
# template's message (English) or its translation (German), or one of those details; text a
# person typed (titles, names, a merchant's note) is theirs, in whatever language they wrote.

CATALOGUE = Path(ordering.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "messages.po"
ENGLISH_DETAILS = (
    # the catalog's reservation refusals
    "Brötchen „Spezial“: only 2 left",
    "Fahrradinspektion: that time was booked a moment ago",
    "the offer is withdrawn",
    "the shop is closed for now",
    "the catalog does not know this shop",
    # vouchers' payment refusals
    "the voucher has too little left for this order",
    "the voucher's authorisation has expired",
)
"""Details the catalog and vouchers write into their refusals today (in English, for operators)."""
ENGLISH_FRAGMENTS = ("did not answer in time", "did not arrive in time", "booked a moment ago", "was redeemed as")
"""Pieces of every English detail, including those ordering's domain writes itself."""
SHORTEST = 14
"""Shorter pieces of a message ("%(day)s, %(time)s", "Total: ") say nothing of its language."""


def sentences(language: Language) -> set[str]:
    """The pieces of every message of the catalogue in ``language`` (the English ids, or the
    German translations) between its placeholders, long enough to tell a language by."""
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po, locale="de")
    texts: list[str] = []
    for entry in catalogue:
        if not entry.id:
            continue
        ids = [str(text) for text in (entry.id if isinstance(entry.id, tuple | list) else [entry.id])]
        strings = [str(text) for text in (entry.string if isinstance(entry.string, tuple | list) else [entry.string])]
        texts += ids if language == "en" else [text for text in strings if text]
    pieces = (piece.strip(' .,:;()"“”') for text in texts for piece in re.split(r"%\(\w+\)s|%%|\n", text))
    return {piece for piece in pieces if len(piece) >= SHORTEST}


def rejections() -> Iterator[tuple[str, OrderRejected, OrderContext]]:
    """Every rejection with a detail the saga writes: the domain's own, the catalog's, vouchers'."""
    order = orders.ensure_exists(orders.replay([delivery_order().placed]))
    timed_out = orders.time_out(order, now=order.merchant_answer_by + timedelta(seconds=1))
    yield "timed_out", _only(timed_out), delivery_order()
    wrong = orders.record_voucher_redeemed(order, voucher_id=UUID(int=1), redemption_id=UUID(int=2), voucher_cents=5)
    yield "voucher_redeemed_wrongly", _only(wrong), delivery_order()
    reasons: dict[str, RejectionReason] = {
        "left": "out_of_stock",
        "booked": "slot_taken",
        "withdrawn": "offer_unavailable",
    }
    for detail in ENGLISH_DETAILS:
        reason = next((code for word, code in reasons.items() if word in detail), None)
        reason = reason or ("voucher_refused" if "voucher" in detail else "merchant_unavailable")
        context = booking_order() if reason == "slot_taken" else pickup_order()
        yield (
            detail,
            OrderRejected(order_id=UUID(int=3), merchant_id=UUID(int=4), reason=reason, detail=detail),
            context,
        )


def _only(events: Sequence[IntegrationEvent]) -> OrderRejected:
    (event,) = events
    assert isinstance(event, OrderRejected)
    return event


def every_mail(language: Language) -> Iterator[tuple[str, OutgoingMail]]:
    for name, case in CASES.items():
        event, order = case()
        for mail in notifications_for(event, UUID(int=7), in_language(order, language)):
            yield name, mail
    for name, rejected, order in rejections():
        for mail in notifications_for(rejected, UUID(int=8), in_language(order, language)):
            yield f"rejected ({name})", mail


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_mail_speaks_its_readers_language_alone(language: Language) -> None:
    other: Language = "en" if language == "de" else "de"
    foreign = sentences(other) - sentences(language)  # a piece both catalogues share is no tell
    if other == "en":
        foreign |= {*ENGLISH_DETAILS, *ENGLISH_FRAGMENTS}
    assert len(foreign) > 50
    mails = list(every_mail(language))
    assert len(mails) > 40
    for name, mail in mails:
        assert mail.language == language
        text = f"{mail.subject}\n{mail.body}"
        found = sorted(piece for piece in foreign if piece in text)
        assert not found, f"{name} ({mail.about}, {language}) holds {other} text: {found}\n\n{text}"
