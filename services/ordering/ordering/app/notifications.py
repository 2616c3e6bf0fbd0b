# SPDX-License-Identifier: AGPL-3.0-or-later
"""The e-mails an order's events call for: who gets one, in which language, with what data.

Given an event of the order contract and what the app layer knows of the order (the
customer's and the merchant's contact, the town, the ``OrderPlaced`` it began with), it
returns the :class:`OutgoingMail` to queue. The merchant learns of a new order at once (and
of a cancellation they did not make); the customer of every change that concerns them.
Plain text only: no HTML, no images, no tracking; the only link is the one the app passes
(the order's status page, the merchant's inbox, a video consultation's meeting).

What a mail *says* is not written here. Each mail is a template,
``ordering/templates/mail/<event>_<role>.txt`` (``order_placed_customer.txt``), in English,
with its German in ``ordering/locale/de/LC_MESSAGES/messages.po``, rendered by the kit's
:class:`~downtown_events.runtime.texts.Texts` (``make translations`` extracts the messages
and updates the catalogues). A town changes a wording, or adds a language, with files in its
``DOWNTOWN_TEXTS_DIR``. This module chooses the mail and its recipients and hands the
template its data: the order as the mails show it (:class:`MailOrder`), names, links, the
event's times and amounts. Amounts are written by the kit's ``money`` filter
(:func:`downtown_events.money.format_money`, ``1.234,50 €`` / ``€1,234.50``), times in the
town's time zone with the language's pattern from the catalogue.

Every mail carries a **deterministic message id**, made of the event's id and the
recipient's role (the kit's :func:`~downtown_events.runtime.mail.mail_id`; not their address:
an address corrected between two deliveries of one event must not make it a second mail). The
kit's mail outbox keys its rows by it, so an event delivered twice queues one mail per recipient.

Text a person typed (names, titles, notes) is cleaned to one printable line and cut to
length before a template sees it, so it can neither break a header nor smuggle invisible
characters into the message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
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
    PaymentMethod,
    TimeSlot,
)
from downtown_events.references import order_reference
from downtown_events.runtime.mail import NAME_LIMIT as NAME_LIMIT
from downtown_events.runtime.mail import Attachment as Attachment
from downtown_events.runtime.mail import OutgoingMail as OutgoingMail
from downtown_events.runtime.mail import clean as clean
from downtown_events.runtime.mail import mail_id as mail_id
from downtown_events.runtime.texts import RenderedMail, Texts

Language = Literal["de", "en"]
Role = Literal["customer", "merchant"]

TEXT_LIMIT = 500
URL_LIMIT = 2000

NOTIFIED_EVENTS: tuple[type[IntegrationEvent], ...] = (
    OrderPlaced,
    OrderConfirmed,
    OrderRejected,
    OrderCancelled,
    OrderReadyForPickup,
    OrderOutForDelivery,
    OrderDelivered,
    OrderHandedOver,
    OrderDeliveryFailed,
    InvoiceIssued,
    InvoiceCancelled,
)
"""The order events that send mail; the notifier consumer reads these (and no others)."""


@cache
def mail_texts(texts_dir: Path | None = None, timezone: str = "Europe/Berlin") -> Texts:
    """Ordering's texts, with the town's (``DOWNTOWN_TEXTS_DIR``) over them; one per process."""
    return Texts("ordering", override=texts_dir, zone=timezone)


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue (``make translations``); it is translated where used."""
    return message


# --- what the app layer fills in ---------------------------------------------------------


@dataclass(frozen=True)
class CustomerContact:
    """Who ordered. No ``email`` (an assisted order taken by phone): the customer gets no mail.
    ``status_url``: the order's status page (a guest's signed link, or the account's page)."""

    name: str
    email: str | None
    language: Language = "de"
    status_url: str | None = None


@dataclass(frozen=True)
class MerchantContact:
    """The shop: where its mail goes, where a pickup happens (``address``, one line), and
    where it answers orders (``inbox_url``)."""

    name: str
    email: str
    address: str = ""
    phone: str = ""
    language: Language = "de"
    inbox_url: str | None = None


@dataclass(frozen=True)
class OrderContext:
    """What the app knows of the order beyond the event in hand.

    ``placed`` is the order's ``OrderPlaced`` (lines, fulfilment, payment, totals);
    ``delivery_address`` the private address, one line; ``meeting_url`` a booked video
    consultation's link (sent to both sides with the confirmation); ``invoice_pdf`` the
    invoice rendered for ``InvoiceIssued``, or the cancellation invoice for
    ``InvoiceCancelled`` (attached; without it the mail points to the status page).
    """

    placed: OrderPlaced
    customer: CustomerContact
    merchant: MerchantContact
    town_name: str
    timezone: str = "Europe/Berlin"
    delivery_address: str = ""
    meeting_url: str | None = None
    invoice_pdf: bytes | None = None
    invoice_payment_days: int = 14

    @property
    def reference(self) -> str:
        """The order's short reference people read out on the phone: ``A1B2C3D4`` (the kit's,
        so that a voucher statement names the order as this mail does)."""
        return order_reference(self.placed.order_id)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# --- what a template is given --------------------------------------------------------------


@dataclass(frozen=True)
class MailLine:
    quantity: int
    title: str
    slot: TimeSlot | None
    gross_cents: int
    unit_price_cents: int
    video: bool = False
    """A service held by video call: no pickup, a meeting link with the confirmation."""


@dataclass(frozen=True)
class MailOrder:
    """An order as its mails show it, typed text cleaned: ``order`` in every template."""

    reference: str
    merchant: str
    merchant_address: str
    lines: tuple[MailLine, ...]
    delivery: bool
    delivery_to: str
    pickup_window: TimeSlot | None
    goods_cents: int
    delivery_fee_cents: int
    total_cents: int
    voucher_cents: int
    left_to_pay_cents: int
    payment_method: PaymentMethod
    video_only: bool = False
    """Every line is held by video call: the mails speak of the call, not of a pickup."""

    @classmethod
    def of(cls, order: OrderContext, merchant: str) -> MailOrder:
        placed, fulfilment = order.placed, order.placed.fulfilment
        lines = tuple(
            MailLine(
                line.quantity,
                clean(line.title),
                line.slot,
                line.gross_cents,
                line.unit_price_cents,
                video=_by_video(line, order),
            )
            for line in placed.lines
        )
        return cls(
            reference=order.reference,
            merchant=merchant,
            merchant_address=clean(order.merchant.address, 300),
            lines=lines,
            delivery=fulfilment.method == "delivery",
            delivery_to=clean(order.delivery_address, 300) or clean(fulfilment.delivery_zone or "", 60),
            pickup_window=fulfilment.pickup_window,
            goods_cents=placed.goods_cents,
            delivery_fee_cents=fulfilment.delivery_fee_cents,
            total_cents=placed.total_cents,
            voucher_cents=placed.payment.voucher_cents,
            left_to_pay_cents=max(0, placed.total_cents - placed.payment.voucher_cents),
            payment_method=placed.payment.method,
            video_only=all(line.video for line in lines),
        )


def _by_video(line: OrderLine, order: OrderContext) -> bool:
    """As the order recorded it at checkout; for an order placed before it did, a service of
    an order that has a meeting link."""
    if line.held is not None:
        return line.held == "video"
    return line.kind == "service" and order.meeting_url is not None


# --- the mails -------------------------------------------------------------------------------


def notifications_for(
    event: IntegrationEvent, event_id: str | UUID, order: OrderContext, texts: Texts | None = None
) -> list[OutgoingMail]:
    """The mails ``event`` sends (none for events nobody is told of, such as ``OrderPacked``).
    ``texts``: the town's (:func:`mail_texts` with its ``texts_dir``); by default ordering's own."""
    writer = _WRITERS.get(type(event))
    if writer is None:
        return []
    return writer(_Compose(event_id, order, texts or mail_texts(timezone=order.timezone)), event)


class _Compose:
    """Builds the mails of one event for one order: the template of (event, role), its data."""

    def __init__(self, event_id: str | UUID, order: OrderContext, texts: Texts) -> None:
        self.event_id = event_id
        self.order = order
        self.texts = texts
        self.merchant = clean(order.merchant.name) or "?"
        self.customer = clean(order.customer.name)
        self.data: dict[str, object] = {
            "order": MailOrder.of(order, self.merchant),
            "merchant": self.merchant,
            "customer": self.customer,
            "town": clean(order.town_name),
        }

    def to_customer(
        self, event: IntegrationEvent, *, attachments: tuple[Attachment, ...] = (), **data: object
    ) -> list[OutgoingMail]:
        contact = self.order.customer
        if not contact.email:
            return []
        language = contact.language
        text = self._render(event, "customer", language, status_url=_url(contact.status_url), **data)
        reply_to = self.order.merchant.email
        return [self._mail(event, "customer", contact.email, self.customer, language, text, reply_to, attachments)]

    def to_merchant(self, event: IntegrationEvent, **data: object) -> list[OutgoingMail]:
        contact = self.order.merchant
        reply_to = self.order.customer.email or None
        text = self._render(event, "merchant", contact.language, replies_reach_customer=bool(reply_to), **data)
        return [self._mail(event, "merchant", contact.email, self.merchant, contact.language, text, reply_to)]

    def _render(self, event: IntegrationEvent, role: Role, language: Language, **data: object) -> RenderedMail:
        return self.texts.mail(_template(event, role), language, **self.data, **data)

    def _mail(
        self,
        event: IntegrationEvent,
        role: Role,
        address: str,
        name: str,
        language: Language,
        text: RenderedMail,
        reply_to: str | None,
        attachments: tuple[Attachment, ...] = (),
    ) -> OutgoingMail:
        return OutgoingMail(
            message_id=mail_id(self.event_id, role),
            to_address=address.strip(),
            to_name=name,
            subject=clean(text.subject, 200),
            body=text.body,
            language=language,
            about=f"{type(event).__name__}:{role}",
            reply_to=reply_to,
            attachments=attachments,
        )


def _template(event: IntegrationEvent, role: Role) -> str:
    """``OrderReadyForPickup`` to the customer: ``mail/order_ready_for_pickup_customer.txt``."""
    return f"mail/{re.sub(r'(?<!^)(?=[A-Z])', '_', type(event).__name__).lower()}_{role}.txt"


def _url(url: str | None) -> str:
    return clean(url, URL_LIMIT) if url else ""


# --- one writer per event kind: who is told, and what the template needs beyond the order ---


def _placed(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, OrderPlaced)
    answer_by, until = event.merchant_answer_by, event.cancellable_until
    assisted = event.placed_by != "customer"
    inbox = _url(c.order.merchant.inbox_url)
    merchant = c.to_merchant(event, assisted=assisted, inbox_url=inbox, answer_by=answer_by)
    return merchant + c.to_customer(event, answer_by=answer_by, cancellable_until=until)


def _confirmed(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    meeting = _url(c.order.meeting_url)
    customer = c.to_customer(event, meeting_url=meeting)
    return customer + (c.to_merchant(event, meeting_url=meeting) if meeting else [])


def _rejected(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, OrderRejected)
    return c.to_customer(event, reason=event.reason, detail=clean(event.detail, TEXT_LIMIT))


def _cancelled(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, OrderCancelled)
    detail = clean(event.detail, TEXT_LIMIT)
    customer = c.to_customer(event, by=event.by, detail=detail)
    # The merchant who cancelled knows it already.
    return customer + (c.to_merchant(event, by=event.by, detail=detail) if event.by != "merchant" else [])


def _told_the_customer(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    return c.to_customer(event)


def _paid(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, OrderDelivered | OrderHandedOver)
    return c.to_customer(event, paid_cents=event.paid_cents)


def _delivery_failed(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, OrderDeliveryFailed)
    courier = c.order.placed.fulfilment.delivery_slot is not None  # the town's couriers' delivery
    return c.to_customer(event, detail=clean(event.detail, TEXT_LIMIT), courier=courier)


def _invoice(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, InvoiceIssued)
    number = clean(event.invoice_number, 40)
    return c.to_customer(
        event,
        attachments=_document(c, N_("Invoice"), number),
        invoice_number=number,
        issued_on=event.issued_on,
        gross_cents=event.gross_cents,
        left_to_pay_cents=max(0, event.gross_cents - c.order.placed.payment.voucher_cents),
        due_on=event.issued_on + timedelta(days=c.order.invoice_payment_days),
        attached=bool(c.order.invoice_pdf),
    )


def _invoice_cancelled(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    """The cancellation invoice, to the customer only (the merchant issued it). A correction
    says the corrected invoice follows: its own ``InvoiceIssued`` mails it, with its PDF."""
    assert isinstance(event, InvoiceCancelled)
    number = clean(event.invoice_number, 40)
    return c.to_customer(
        event,
        attachments=_document(c, N_("Cancellation invoice"), number),
        invoice_number=number,
        cancels_number=clean(event.cancels_invoice_number, 40),
        issued_on=event.issued_on,
        corrected=event.corrected,
        attached=bool(c.order.invoice_pdf),
    )


def _document(c: _Compose, title: str, number: str) -> tuple[Attachment, ...]:
    """The PDF, if there is one, named as the document is titled in the reader's language
    ("Rechnung-RE-2026-00042.pdf", "Cancellation-invoice-RE-2026-00043.pdf")."""
    pdf = c.order.invoice_pdf
    if not pdf:
        return ()
    name = _filename(c.texts.gettext(c.order.customer.language, title)) or "document"
    return (Attachment(f"{name}-{_filename(number)}.pdf", "application/pdf", pdf),)


def _filename(text: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in text)


_Writer = Callable[[_Compose, IntegrationEvent], list[OutgoingMail]]
_WRITERS: dict[type[IntegrationEvent], _Writer] = {
    OrderPlaced: _placed,
    OrderConfirmed: _confirmed,
    OrderRejected: _rejected,
    OrderCancelled: _cancelled,
    OrderReadyForPickup: _told_the_customer,
    OrderOutForDelivery: _told_the_customer,
    OrderDelivered: _paid,
    OrderHandedOver: _paid,
    OrderDeliveryFailed: _delivery_failed,
    InvoiceIssued: _invoice,
    InvoiceCancelled: _invoice_cancelled,
}
assert set(_WRITERS) == set(NOTIFIED_EVENTS)


# --- a Reply-To the mail server cannot carry ----------------------------------------------------

_REPLY_PROMISES = (
    (
        N_("This e-mail was sent automatically; if you reply, your reply reaches %(merchant)s."),
        N_("This e-mail was sent automatically."),
    ),
    (
        N_("This e-mail was sent automatically. A reply reaches the customer."),
        N_("This e-mail was sent automatically."),
    ),
)
"""What a signature promises a reply reaches, and the same sentence without the promise
(the templates' own messages: a town's template that words them otherwise keeps its promise
sentence, and the note below still says whom to write to)."""
_NO_REPLY_TO = N_(
    "Please note: a reply to this e-mail does not reach %(address)s, as our mail server cannot give addresses "
    "with special characters before the @ as the reply address. Please write to %(address)s directly."
)


def without_reply_to(body: str, language: str, address: str, texts: Texts | None = None) -> str:
    """The body of a mail whose ``Reply-To`` (``address``) cannot go with it (the mail server
    takes no address with letters beyond ASCII before the @): what it says a reply reaches is
    taken out, and a note before the signature tells the reader to write to ``address``.
    ``texts``: the catalogue the mail was written with (by default ordering's own)."""
    texts = texts or mail_texts()
    text = body
    for promise, plain in _REPLY_PROMISES:
        without = texts.gettext(language, plain).replace("%%", "%")
        text = _sentence(texts.gettext(language, promise)).sub(without.replace("\\", "\\\\"), text)
    note = texts.gettext(language, _NO_REPLY_TO) % {"address": clean(address, 254)}
    main, delimiter, signature = text.rpartition("\n\n-- \n")
    if not delimiter:
        return f"{text.rstrip()}\n\n{note}\n"
    letter, _, closing = main.rpartition("\n\n")  # the closing ("Viele Grüße\n…") stays last
    return f"{letter}\n\n{note}\n\n{closing}{delimiter}{signature}"


def _sentence(message: str) -> re.Pattern[str]:
    """A translated message as a pattern: its placeholders stand for any text on the line."""
    parts = re.split(r"%\([a-z_]+\)s", message)
    return re.compile(r"[^\n]*?".join(re.escape(part.replace("%%", "%")) for part in parts))
