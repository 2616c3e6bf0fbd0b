# SPDX-License-Identifier: AGPL-3.0-or-later
"""The e-mails an order's events call for: who gets one, in which language, saying what.

Pure: given an event of the order contract and what the app layer knows of the order (the
customer's and the merchant's contact, the town, the ``OrderPlaced`` it began with), it
returns the :class:`OutgoingMail` to queue. The merchant learns of a new order at once (and
of a cancellation they did not make); the customer of every change that concerns them.
Plain text only: no HTML, no images, no tracking; the only link is the one the app passes
(the order's status page, the merchant's inbox, a video consultation's meeting).

Every mail carries a **deterministic message id**, made of the event's id and the
recipient's role (not their address: an address corrected between two deliveries of one
event must not make it a second mail). The outbox keys its rows by it, so an event
delivered twice queues one mail per recipient.

Texts are German (Sie-Form) unless the recipient chose English; amounts as the recipient's
language writes them (``1.234,50 €``, ``€1,234.50``: :func:`downtown_events.money.format_money`,
the one formatting every mail, document and page uses); times in the town's time zone. Text a
person typed (names, titles, notes) is cleaned to one printable line and cut to length, so
it can neither break a header nor smuggle invisible characters into the message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from downtown_events.contract import IntegrationEvent
from downtown_events.money import format_money
from downtown_events.ordering import (
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
    RejectionReason,
    TimeSlot,
)

Language = Literal["de", "en"]
Role = Literal["customer", "merchant"]

_MAIL_IDS = UUID("0b6f3f0e-5d1c-4c52-9a55-6f1d0e8a7c31")
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
NAME_LIMIT = 120
TEXT_LIMIT = 500

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
)
"""The order events that send mail; the notifier consumer reads these (and no others)."""


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
    invoice rendered for ``InvoiceIssued`` (attached; without it the mail points to the
    status page).
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
        """The order's short reference people read out on the phone: ``A1B2C3D4``."""
        return self.placed.order_id.hex[:8].upper()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class OutgoingMail:
    """One plain-text mail to one recipient. ``message_id`` is stable for (event, role);
    ``about`` tells an operator what it is (``OrderPlaced:merchant``)."""

    message_id: str
    to_address: str
    to_name: str
    subject: str
    body: str
    language: Language
    about: str
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()


def mail_id(event_id: str | UUID, role: Role) -> str:
    """The id of the mail an event sends to one role: the same for every delivery of the event."""
    return str(uuid5(_MAIL_IDS, f"{event_id}/{role}"))


# --- formatting ----------------------------------------------------------------------------


_WEEKDAYS = {
    "de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(day: date, language: Language) -> str:
    if language == "de":
        return day.strftime("%d.%m.%Y")
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def format_time(moment: datetime, zone: ZoneInfo, language: Language) -> str:
    """``Mo., 14.12.2026, 10:00 Uhr`` / ``Mon 14 Dec 2026, 10:00``, in the town's time."""
    local = moment.astimezone(zone)
    return _day(local, language) + f", {local:%H:%M}" + (" Uhr" if language == "de" else "")


def format_window(slot: TimeSlot, zone: ZoneInfo, language: Language) -> str:
    """``Mo., 14.12.2026, 10:00–11:00 Uhr``; a window over midnight names both days."""
    start, end = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    if start.date() != end.date():
        return f"{format_time(start, zone, language)} – {format_time(end, zone, language)}"
    return _day(start, language) + f", {start:%H:%M}–{end:%H:%M}" + (" Uhr" if language == "de" else "")


def _day(local: datetime, language: Language) -> str:
    weekday = _WEEKDAYS[language][local.weekday()]
    return f"{weekday}{',' if language == 'de' else ''} {format_date(local.date(), language)}"


def clean(text: str, limit: int = NAME_LIMIT) -> str:
    """Typed text as one printable line: NFC, no control or invisible characters, cut to ``limit``."""
    kept = "".join(c for c in unicodedata.normalize("NFC", text) if unicodedata.category(c) not in _UNPRINTABLE)
    kept = " ".join(kept.split())
    return kept if len(kept) <= limit else kept[: limit - 1].rstrip() + "…"


# --- the mails -------------------------------------------------------------------------------


def notifications_for(event: IntegrationEvent, event_id: str | UUID, order: OrderContext) -> list[OutgoingMail]:
    """The mails ``event`` sends (none for events nobody is told of, such as ``OrderPacked``)."""
    writer = _WRITERS.get(type(event))
    return [] if writer is None else writer(_Compose(event_id, order), event)


class _Compose:
    """Builds the mails of one event for one order."""

    def __init__(self, event_id: str | UUID, order: OrderContext) -> None:
        self.event_id = event_id
        self.order = order
        self.merchant = clean(order.merchant.name) or "?"
        self.customer = clean(order.customer.name)
        self.town = clean(order.town_name)

    def to_customer(
        self,
        event: IntegrationEvent,
        texts: Callable[[Language], tuple[str, list[str]]],
        attachments: tuple[Attachment, ...] = (),
    ) -> list[OutgoingMail]:
        contact = self.order.customer
        if not contact.email:
            return []
        language = contact.language
        subject, paragraphs = texts(language)
        status = _status_link(contact.status_url, language)
        signature = _CUSTOMER_SIGNATURE[language].format(merchant=self.merchant, town=self.town)
        body = _body(_greeting(self.customer, language), paragraphs + status, signature, language)
        return [
            self._mail(
                event, "customer", contact.email, self.customer, language, subject, body, attachments=attachments
            )
        ]

    def to_merchant(
        self, event: IntegrationEvent, texts: Callable[[Language], tuple[str, list[str]]]
    ) -> list[OutgoingMail]:
        contact = self.order.merchant
        language = contact.language
        subject, paragraphs = texts(language)
        reply_to = self.order.customer.email or None
        signature = _MERCHANT_SIGNATURE[language].format(town=self.town)
        if reply_to:
            signature += _MERCHANT_REPLIES[language]
        body = _body(_greeting(self.merchant, language), paragraphs, signature, language)
        return [self._mail(event, "merchant", contact.email, self.merchant, language, subject, body, reply_to=reply_to)]

    def _mail(
        self,
        event: IntegrationEvent,
        role: Role,
        address: str,
        name: str,
        language: Language,
        subject: str,
        body: str,
        *,
        reply_to: str | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> OutgoingMail:
        return OutgoingMail(
            message_id=mail_id(self.event_id, role),
            to_address=address.strip(),
            to_name=name,
            subject=clean(subject, 200),
            body=body,
            language=language,
            about=f"{type(event).__name__}:{role}",
            reply_to=reply_to if reply_to is not None else (self.order.merchant.email if role == "customer" else None),
            attachments=attachments,
        )

    # summaries shared by several mails

    def lines(self, language: Language) -> str:
        return "\n".join(_line(line, self.order.zone, language) for line in self.order.placed.lines)

    def totals(self, language: Language) -> str:
        placed, de = self.order.placed, language == "de"
        rows = []
        if placed.fulfilment.method == "delivery":
            rows.append(("Warenwert" if de else "Goods", placed.goods_cents))
            rows.append(("Liefergebühr" if de else "Delivery fee", placed.fulfilment.delivery_fee_cents))
        rows.append(("Gesamt" if de else "Total", placed.total_cents))
        if placed.payment.voucher_cents:
            rows.append(("Mit Gutschein bezahlt" if de else "Paid by voucher", -placed.payment.voucher_cents))
        text = "\n".join(f"{label}: {format_money(cents, language)}" for label, cents in rows)
        return f"{text}\n{self.payment(language)}"

    def left_to_pay(self) -> int:
        return max(0, self.order.placed.total_cents - self.order.placed.payment.voucher_cents)

    def payment(self, language: Language) -> str:
        left = self.left_to_pay()
        if left == 0:
            return "Es ist nichts mehr zu zahlen." if language == "de" else "Nothing is left to pay."
        method = _PAYMENT[language][self.order.placed.payment.method]
        return f"{'Noch zu zahlen' if language == 'de' else 'Left to pay'}: {format_money(left, language)} ({method})"

    def fulfilment(self, language: Language) -> str:
        fulfilment, de = self.order.placed.fulfilment, language == "de"
        if fulfilment.method == "delivery":
            where = clean(self.order.delivery_address, 300) or clean(fulfilment.delivery_zone or "", 60)
            return ("Lieferung durch einen Kurier an: " if de else "Delivered by a courier to: ") + where
        text = ("Abholung bei " if de else "Pickup at ") + self.merchant
        if self.order.merchant.address:
            text += f", {clean(self.order.merchant.address, 300)}"
        if fulfilment.pickup_window is not None:
            window = format_window(fulfilment.pickup_window, self.order.zone, language)
            text += f"\n{'Zeitfenster' if de else 'Time'}: {window}"
        return text

    def at(self, moment: datetime, language: Language) -> str:
        return format_time(moment, self.order.zone, language)

    def refund(self, language: Language, *, voucher_taken: bool = True) -> list[str]:
        """What happens to the money of an order that will not go ahead (``voucher_taken``:
        False when vouchers refused the voucher, so there is nothing to give back)."""
        voucher = self.order.placed.payment.voucher_cents if voucher_taken else 0
        if language == "de":
            nothing = "Es wird Ihnen nichts berechnet."
            back = (
                f"Die {format_money(voucher, language)}, die Sie mit Ihrem Gutschein bezahlt haben, "
                "werden wieder auf ihn gebucht."
            )
        else:
            nothing = "You will not be charged."
            back = f"The {format_money(voucher, language)} you paid by voucher will be credited back to it."
        return [f"{back} {nothing}" if voucher else nothing]


def _line(line: OrderLine, zone: ZoneInfo, language: Language) -> str:
    text = f"- {line.quantity} × {clean(line.title)}"
    if line.slot is not None:
        text += f", {format_window(line.slot, zone, language)}"
    text += f": {format_money(line.gross_cents, language)}"
    if line.quantity > 1:
        text += f" ({'je' if language == 'de' else 'each'} {format_money(line.unit_price_cents, language)})"
    return text


def _greeting(name: str, language: Language) -> str:
    if language == "de":
        return f"Guten Tag {name}," if name else "Guten Tag,"
    return f"Hello {name}," if name else "Hello,"


def _status_link(url: str | None, language: Language) -> list[str]:
    if not url:
        return []
    lead = "Den Stand Ihrer Bestellung sehen Sie hier:" if language == "de" else "You can follow your order here:"
    return [f"{lead}\n{clean(url, 2000)}"]


def _body(greeting: str, paragraphs: Sequence[str], signature: str, language: Language) -> str:
    """German letters go on in lower case after the greeting's comma; English ones do not."""
    kept = [paragraph for paragraph in paragraphs if paragraph]
    if language == "en" and kept:
        kept[0] = kept[0][0].upper() + kept[0][1:]
    return "\n\n".join([greeting, *kept, signature]) + "\n"


_CUSTOMER_SIGNATURE = {
    "de": (
        "Viele Grüße\n{merchant}\n\n-- \nBestellt über Downtown {town}, den digitalen Marktplatz der Geschäfte "
        "vor Ort. "
        "Diese E-Mail wurde automatisch versandt; wenn Sie antworten, erreicht Ihre Antwort {merchant}."
    ),
    "en": (
        "Kind regards\n{merchant}\n\n-- \nOrdered through Downtown {town}, the digital high street of the local shops. "
        "This e-mail was sent automatically; if you reply, your reply reaches {merchant}."
    ),
}
_MERCHANT_SIGNATURE = {
    "de": "Viele Grüße\nDowntown {town}\n\n-- \nDiese E-Mail wurde automatisch versandt.",
    "en": "Kind regards\nDowntown {town}\n\n-- \nThis e-mail was sent automatically.",
}
_MERCHANT_REPLIES = {"de": " Eine Antwort erreicht den Kunden.", "en": " A reply reaches the customer."}
# What a mail says a reply reaches, taken out when its Reply-To cannot go with it.
_REPLIES_REACH = {
    "de": re.compile(r"( Eine Antwort erreicht den Kunden\.|; wenn Sie antworten, erreicht Ihre Antwort [^\n]*\.)"),
    "en": re.compile(r"( A reply reaches the customer\.|; if you reply, your reply reaches [^\n]*\.)"),
}
_NO_REPLY_TO = {
    "de": (
        "Hinweis: Antworten auf diese E-Mail erreichen {address} nicht, denn unser Mailserver kann "
        "Adressen mit Sonderzeichen vor dem @ nicht als Antwortadresse mitgeben. Bitte schreiben Sie "
        "direkt an {address}."
    ),
    "en": (
        "Please note: a reply to this e-mail does not reach {address}, as our mail server cannot give "
        "addresses with special characters before the @ as the reply address. Please write to {address} directly."
    ),
}
_PAYMENT: dict[Language, dict[PaymentMethod, str]] = {
    "de": {
        "invoice": "auf Rechnung",
        "at_pickup": "bei Abholung",
        "cash_at_door": "bar an der Tür",
        "card_at_door": "mit Karte an der Tür",
        "voucher": "mit Gutschein",
    },
    "en": {
        "invoice": "on invoice",
        "at_pickup": "at pickup",
        "cash_at_door": "in cash at the door",
        "card_at_door": "by card at the door",
        "voucher": "by voucher",
    },
}
_REASONS: dict[Language, dict[RejectionReason, str]] = {
    "de": {
        "out_of_stock": "Leider ist nicht mehr alles, was Sie bestellt haben, vorrätig.",
        "slot_taken": "Leider ist der gewählte Termin inzwischen vergeben.",
        "offer_unavailable": "Leider ist ein Angebot Ihrer Bestellung nicht mehr erhältlich.",
        "voucher_refused": "Leider konnte Ihr Gutschein nicht eingelöst werden.",
        "declined": "Leider kann {merchant} Ihre Bestellung nicht annehmen.",
        "timed_out": "Leider konnte Ihre Bestellung bei {merchant} nicht rechtzeitig bestätigt werden.",
        "merchant_unavailable": "Leider nimmt {merchant} zurzeit keine Bestellungen an.",
    },
    "en": {
        "out_of_stock": "Unfortunately not everything you ordered is still in stock.",
        "slot_taken": "Unfortunately the time you chose has been booked in the meantime.",
        "offer_unavailable": "Unfortunately an offer in your order is no longer available.",
        "voucher_refused": "Unfortunately your voucher could not be redeemed.",
        "declined": "Unfortunately {merchant} cannot take your order.",
        "timed_out": "Unfortunately your order from {merchant} could not be confirmed in time.",
        "merchant_unavailable": "Unfortunately {merchant} is not taking orders at the moment.",
    },
}


def _note(detail: str, language: Language) -> list[str]:
    text = clean(detail, TEXT_LIMIT)
    if not text:
        return []
    return [f"Hinweis: „{text}“" if language == "de" else f'Note: "{text}"']


# --- one writer per event kind -----------------------------------------------------------------


def _placed(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, OrderPlaced)
    ref = c.order.reference

    def merchant(lang: Language) -> tuple[str, list[str]]:
        answer_by = c.at(event.merchant_answer_by, lang)
        who = c.customer or ("ein Kunde" if lang == "de" else "a customer")
        if lang == "de":
            assisted = event.placed_by != "customer"
            lead = f"für {who} wurde eine Bestellung eingetragen" if assisted else f"{who} hat bei Ihnen bestellt"
            ask = (
                f"Bitte nehmen Sie die Bestellung bis {answer_by} an oder lehnen Sie sie ab. "
                "Ohne Antwort wird sie danach abgelehnt."
            )
            subject = f"Neue Bestellung {ref}: bitte bis {answer_by} annehmen"
        else:
            assisted = event.placed_by != "customer"
            lead = f"an order was entered for {who}" if assisted else f"{who} has placed an order with you"
            ask = f"Please accept or decline the order by {answer_by}; if you do not answer by then, it is declined."
            subject = f"New order {ref}: please accept by {answer_by}"
        inbox = c.order.merchant.inbox_url
        link = [(("Zur Bestellung: " if lang == "de" else "Open the order: ") + clean(inbox, 2000))] if inbox else []
        head = f"{lead} ({'Bestellung' if lang == 'de' else 'order'} {ref}):"
        return subject, [head + "\n" + c.lines(lang), c.fulfilment(lang), c.totals(lang), ask, *link]

    def customer(lang: Language) -> tuple[str, list[str]]:
        answer_by = c.at(event.merchant_answer_by, lang)
        until = c.at(event.cancellable_until, lang)
        if lang == "de":
            subject = f"Ihre Bestellung bei {c.merchant} ist eingegangen"
            lead = (
                f"vielen Dank für Ihre Bestellung {ref} bei {c.merchant}. {c.merchant} prüft sie jetzt; "
                f"Sie erhalten eine E-Mail, sobald sie bestätigt ist (spätestens {answer_by})."
            )
            cancel = f"Sie können die Bestellung bis {until} stornieren."
        else:
            subject = f"Your order from {c.merchant} has been received"
            lead = (
                f"thank you for your order {ref} from {c.merchant}. {c.merchant} is checking it now; "
                f"you will get an e-mail as soon as it is confirmed (by {answer_by} at the latest)."
            )
            cancel = f"You can cancel the order until {until}."
        return subject, [lead, c.lines(lang), c.fulfilment(lang), c.totals(lang), cancel]

    return c.to_merchant(event, merchant) + c.to_customer(event, customer)


def _confirmed(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    ref, meeting = c.order.reference, c.order.meeting_url
    delivery = c.order.placed.fulfilment.method == "delivery"

    def customer(lang: Language) -> tuple[str, list[str]]:
        if lang == "de":
            subject = f"Ihre Bestellung bei {c.merchant} ist bestätigt"
            lead = f"gute Nachricht: {c.merchant} hat Ihre Bestellung {ref} bestätigt."
            then = (
                "Wir melden uns, sobald sie unterwegs ist." if delivery else "Wir melden uns, sobald sie bereitliegt."
            )
            link = f"Link zur Videoberatung (bitte nicht weitergeben):\n{clean(meeting, 2000)}" if meeting else ""
        else:
            subject = f"Your order from {c.merchant} is confirmed"
            lead = f"good news: {c.merchant} has confirmed your order {ref}."
            then = (
                "We will let you know when it is on its way." if delivery else "We will let you know when it is ready."
            )
            link = (
                f"Link to the video consultation (please keep it to yourself):\n{clean(meeting, 2000)}"
                if meeting
                else ""
            )
        return subject, [lead, c.lines(lang), c.fulfilment(lang), c.totals(lang), link, then]

    def merchant(lang: Language) -> tuple[str, list[str]]:
        who = c.customer or ("Kunde" if lang == "de" else "customer")
        if lang == "de":
            subject = f"Videoberatung gebucht: Bestellung {ref}"
            lead = f"die Videoberatung für {who} ist bestätigt (Bestellung {ref}):"
            link = f"Link zur Videoberatung (bitte nicht weitergeben):\n{clean(meeting or '', 2000)}"
        else:
            subject = f"Video consultation booked: order {ref}"
            lead = f"the video consultation for {who} is confirmed (order {ref}):"
            link = f"Link to the video consultation (please keep it to yourself):\n{clean(meeting or '', 2000)}"
        return subject, [lead + "\n" + c.lines(lang), link]

    return c.to_customer(event, customer) + (c.to_merchant(event, merchant) if meeting else [])


def _rejected(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, OrderRejected)

    def customer(lang: Language) -> tuple[str, list[str]]:
        reason = _REASONS[lang][event.reason].format(merchant=c.merchant)
        if lang == "de":
            subject = f"Ihre Bestellung bei {c.merchant} kann leider nicht ausgeführt werden"
            lead = f"Ihre Bestellung {c.order.reference} bei {c.merchant} kommt nicht zustande. {reason}"
        else:
            subject = f"Your order from {c.merchant} cannot go ahead"
            lead = f"your order {c.order.reference} from {c.merchant} cannot go ahead. {reason}"
        refund = c.refund(lang, voucher_taken=event.reason != "voucher_refused")
        # A time-out's detail is the system's own words (which answer was missing), not a note for the customer.
        note = _note(event.detail, lang) if event.reason != "timed_out" else []
        return subject, [lead, *note, *refund]

    return c.to_customer(event, customer)


def _cancelled(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, OrderCancelled)
    ref = c.order.reference

    def customer(lang: Language) -> tuple[str, list[str]]:
        if lang == "de":
            subject = f"Ihre Bestellung bei {c.merchant} ist storniert"
            lead = {
                "customer": f"wie gewünscht haben wir Ihre Bestellung {ref} bei {c.merchant} storniert.",
                "merchant": f"{c.merchant} hat Ihre Bestellung {ref} leider storniert.",
                "association": f"Ihre Bestellung {ref} bei {c.merchant} wurde leider storniert.",
            }[event.by]
        else:
            subject = f"Your order from {c.merchant} is cancelled"
            lead = {
                "customer": f"as you asked, we have cancelled your order {ref} from {c.merchant}.",
                "merchant": f"{c.merchant} has cancelled your order {ref}, we are sorry.",
                "association": f"your order {ref} from {c.merchant} has been cancelled, we are sorry.",
            }[event.by]
        return subject, [lead, *_note(event.detail, lang), *c.refund(lang)]

    def merchant(lang: Language) -> tuple[str, list[str]]:
        who = c.customer or ("der Kunde" if lang == "de" else "the customer")
        if lang == "de":
            by = f"{who} hat" if event.by == "customer" else "Downtown hat"
            subject = f"Bestellung {ref} storniert"
            lead = f"{by} die Bestellung {ref} storniert. Bitte packen Sie sie nicht mehr."
        else:
            by = f"{who} has" if event.by == "customer" else "Downtown has"
            subject = f"Order {ref} cancelled"
            lead = f"{by} cancelled order {ref}. Please do not pack it any more."
        return subject, [lead + "\n" + c.lines(lang), *_note(event.detail, lang)]

    return c.to_customer(event, customer) + (c.to_merchant(event, merchant) if event.by != "merchant" else [])


def _ready(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    def customer(lang: Language) -> tuple[str, list[str]]:
        pay = c.payment(lang) if c.left_to_pay() else ""
        if lang == "de":
            subject = f"Ihre Bestellung liegt bei {c.merchant} bereit"
            lead = f"Ihre Bestellung {c.order.reference} liegt zur Abholung für Sie bereit."
            bring = f"Nennen Sie bei der Abholung bitte die Bestellnummer {c.order.reference}."
        else:
            subject = f"Your order is ready at {c.merchant}"
            lead = f"your order {c.order.reference} is ready for you to collect."
            bring = f"Please give the order number {c.order.reference} when you collect it."
        return subject, [lead, c.fulfilment(lang), pay, bring]

    return c.to_customer(event, customer)


def _out_for_delivery(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    def customer(lang: Language) -> tuple[str, list[str]]:
        pay = c.payment(lang) if c.left_to_pay() else ""
        if lang == "de":
            subject = "Ihre Bestellung ist unterwegs"
            lead = f"Ihre Bestellung {c.order.reference} von {c.merchant} ist unterwegs zu Ihnen."
        else:
            subject = "Your order is on its way"
            lead = f"your order {c.order.reference} from {c.merchant} is on its way to you."
        return subject, [lead, c.fulfilment(lang), pay]

    return c.to_customer(event, customer)


def _delivered(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, OrderDelivered)

    def customer(lang: Language) -> tuple[str, list[str]]:
        if lang == "de":
            subject = "Ihre Bestellung wurde geliefert"
            lead = (
                f"Ihre Bestellung {c.order.reference} von {c.merchant} wurde zugestellt. Vielen Dank für Ihren Einkauf!"
            )
            paid = f"An der Tür bezahlt: {format_money(event.paid_cents, lang)}" if event.paid_cents else ""
        else:
            subject = "Your order has been delivered"
            lead = (
                f"your order {c.order.reference} from {c.merchant} has been delivered. Thank you for shopping locally!"
            )
            paid = f"Paid at the door: {format_money(event.paid_cents, lang)}" if event.paid_cents else ""
        return subject, [lead, paid]

    return c.to_customer(event, customer)


def _handed_over(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, OrderHandedOver)

    def customer(lang: Language) -> tuple[str, list[str]]:
        if lang == "de":
            subject = f"Vielen Dank für Ihren Einkauf bei {c.merchant}"
            lead = f"Sie haben Ihre Bestellung {c.order.reference} bei {c.merchant} abgeholt. Vielen Dank!"
            paid = f"Bei der Abholung bezahlt: {format_money(event.paid_cents, lang)}" if event.paid_cents else ""
        else:
            subject = f"Thank you for shopping at {c.merchant}"
            lead = f"you have collected your order {c.order.reference} from {c.merchant}. Thank you!"
            paid = f"Paid at pickup: {format_money(event.paid_cents, lang)}" if event.paid_cents else ""
        return subject, [lead, paid]

    return c.to_customer(event, customer)


def _delivery_failed(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, OrderDeliveryFailed)

    def customer(lang: Language) -> tuple[str, list[str]]:
        if lang == "de":
            subject = "Ihre Bestellung konnte nicht zugestellt werden"
            lead = (
                f"leider konnten wir Ihnen Ihre Bestellung {c.order.reference} nicht übergeben; "
                f"sie geht zurück an {c.merchant}."
            )
        else:
            subject = "Your order could not be delivered"
            lead = (
                f"unfortunately we could not hand your order {c.order.reference} over to you; "
                f"it goes back to {c.merchant}."
            )
        return subject, [lead, *_note(event.detail, lang), *c.refund(lang)]

    return c.to_customer(event, customer)


def _invoice(c: _Compose, event: IntegrationEvent) -> list[OutgoingMail]:
    assert isinstance(event, InvoiceIssued)
    number = clean(event.invoice_number, 40)
    pdf = c.order.invoice_pdf
    left = max(0, event.gross_cents - c.order.placed.payment.voucher_cents)
    due = event.issued_on + timedelta(days=c.order.invoice_payment_days)

    def customer(lang: Language) -> tuple[str, list[str]]:
        if lang == "de":
            subject = f"Ihre Rechnung {number} von {c.merchant}"
            where = "Sie finden sie im Anhang." if pdf else "Sie finden sie auf der Seite Ihrer Bestellung."
            lead = (
                f"für Ihre Bestellung {c.order.reference} stellt Ihnen {c.merchant} die Rechnung {number} "
                f"vom {format_date(event.issued_on, lang)} über {format_money(event.gross_cents, lang)} aus. {where}"
            )
            pay = (
                f"Bitte überweisen Sie {format_money(left, lang)} bis zum {format_date(due, lang)}."
                if left
                else "Die Rechnung ist bereits bezahlt."
            )
        else:
            subject = f"Your invoice {number} from {c.merchant}"
            where = "It is attached." if pdf else "You will find it on your order's page."
            lead = (
                f"{c.merchant} has issued invoice {number} of {format_date(event.issued_on, lang)} for your order "
                f"{c.order.reference}, amounting to {format_money(event.gross_cents, lang)}. {where}"
            )
            pay = (
                f"Please transfer {format_money(left, lang)} by {format_date(due, lang)}."
                if left
                else "It is already paid."
            )
        return subject, [lead, pay]

    attachments = (Attachment(f"Rechnung-{_filename(number)}.pdf", "application/pdf", pdf),) if pdf else ()
    return c.to_customer(event, customer, attachments)


def _filename(text: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in text) or "Rechnung"


_Writer = Callable[[_Compose, IntegrationEvent], list[OutgoingMail]]
_WRITERS: dict[type[IntegrationEvent], _Writer] = {
    OrderPlaced: _placed,
    OrderConfirmed: _confirmed,
    OrderRejected: _rejected,
    OrderCancelled: _cancelled,
    OrderReadyForPickup: _ready,
    OrderOutForDelivery: _out_for_delivery,
    OrderDelivered: _delivered,
    OrderHandedOver: _handed_over,
    OrderDeliveryFailed: _delivery_failed,
    InvoiceIssued: _invoice,
}
assert set(_WRITERS) == set(NOTIFIED_EVENTS)


def without_reply_to(body: str, language: str, address: str) -> str:
    """The body of a mail whose ``Reply-To`` (``address``) cannot go with it (the mail server
    takes no address with letters beyond ASCII before the @): what it says a reply reaches is
    taken out, and a note before the signature tells the reader to write to ``address``."""
    said: Language = "en" if language == "en" else "de"
    text = _REPLIES_REACH[said].sub(lambda found: "" if found.group(0).startswith(" ") else ".", body)
    note = _NO_REPLY_TO[said].format(address=clean(address, 254))
    main, delimiter, signature = text.rpartition("\n\n-- \n")
    if not delimiter:
        return f"{text.rstrip()}\n\n{note}\n"
    letter, _, closing = main.rpartition("\n\n")  # the closing ("Viele Grüße\n…") stays last
    return f"{letter}\n\n{note}\n\n{closing}{delimiter}{signature}"
