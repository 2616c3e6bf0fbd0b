# SPDX-License-Identifier: AGPL-3.0-or-later
"""The notifier's use case: an order event in, the mails it calls for queued.

The notifier reads ordering's own store (public and private events, in commit order, in
one transaction with its checkpoint; see the adapter in ``ordering.adapters.notifier``). For
each event that sends mail it reads the order's stream on that same transaction, adds the
merchant's contact from the catalog replica, and queues what
:func:`ordering.app.notifications.notifications_for` writes. A mail's id is made of the
event's id and the recipient's role, and the queue adds nothing for an id it holds: an event
delivered again queues nothing again.

The stream is read as it is *now*, not as it was at the event: what an order's mails draw on
(the customer's contact, the meeting link appended right after the confirmation, the
invoice) is only ever added to a stream, never changed, so reading on can only complete it.

An ``InvoiceIssued`` mail carries the invoice as a PDF, an ``InvoiceCancelled`` mail the
cancellation invoice (rendered by the port the adapter passes, in the customer's language),
drawn from the particulars recorded with it, the same document the order's page serves; a
document that cannot be drawn up (an invoice issued before particulars were recorded, whose
shop the replica now lacks a tax number for) or rendered goes out without it, pointing to
the order's page instead.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo
from typing import Protocol
from urllib.parse import quote
from uuid import UUID
from zoneinfo import ZoneInfo

from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import InvoiceCancelled, InvoiceIssued, OrderDelivered, OrderHandedOver, OrderPlaced
from downtown_events.runtime.mail import MailQueue as MailQueue
from downtown_events.runtime.store import EventStore, StoredEvent
from downtown_events.runtime.texts import Texts
from ordering.app.notifications import (
    NOTIFIED_EVENTS,
    CustomerContact,
    MerchantContact,
    OrderContext,
    notifications_for,
)
from ordering.domain import order as orders
from ordering.domain.errors import InvalidChange, NotFound
from ordering.domain.invoice_document import InvoiceDocument, InvoiceParty, legacy_document, recorded_document
from ordering.domain.order import Order
from ordering.domain.private_events import BankAccount

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MerchantDetails:
    """A merchant as the notifier needs it: where its mail goes, and, for invoices issued
    before their particulars were recorded, who issues them (None when the replica lacks the
    address the invoice must name)."""

    contact: MerchantContact
    invoice_party: InvoiceParty | None
    bank: BankAccount | None = None
    """The account its profile names for transfers (None: none recorded)."""


class MerchantDirectory(Protocol):
    """The merchants ordering's catalog replica knows (None: not known, or not registered)."""

    async def merchant(self, merchant_id: UUID) -> MerchantDetails | None: ...


class InvoiceRenderer(Protocol):
    """An invoice's particulars as a PDF, in ``language`` (the customer's)."""

    def __call__(self, document: InvoiceDocument, language: str) -> bytes: ...


@dataclass(frozen=True)
class NotifierSettings:
    """What the mails say beyond the order: the town, its time zone, where links point, and
    the words they say it in (``texts``: ordering's templates and catalogues with the town's
    ``DOWNTOWN_TEXTS_DIR`` over them, :func:`~ordering.app.notifications.mail_texts`; None:
    ordering's own).

    ``guest_token`` is the key-holder's way to a guest's order link (``Context.guest_token``):
    a guest reads their order at ``{public_url}/orders/{id}?token=…``, a customer with an
    account at ``{public_url}/orders/{id}`` (signed in), a merchant on its orders page,
    ``{public_url}/merchant#order-{id}`` (the web front's, signed in), unless the shop gave
    an inbox of its own.
    """

    town_name: str
    public_url: str
    timezone: str = "Europe/Berlin"
    guest_token: Callable[[UUID], str] | None = None
    invoice_payment_days: int = 14
    texts: Texts | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def order_url(self, order_id: UUID, token: str | None = None) -> str:
        url = f"{self.public_url.rstrip('/')}/orders/{order_id}"
        return f"{url}?token={quote(token, safe='')}" if token else url

    def merchant_url(self, order_id: UUID) -> str:
        return f"{self.public_url.rstrip('/')}/merchant#order-{order_id}"


READS = frozenset(kind.type_name() for kind in NOTIFIED_EVENTS)
"""The event types the notifier decodes; every other is skipped (and tracked)."""


async def notify(
    event: IntegrationEvent,
    event_id: str | UUID,
    *,
    store: EventStore,
    merchants: MerchantDirectory,
    mail: MailQueue,
    settings: NotifierSettings,
    render_invoice: InvoiceRenderer,
) -> int:
    """Queue the mails ``event`` calls for; returns how many were new (0 on a redelivery)."""
    if not isinstance(event, NOTIFIED_EVENTS):
        return 0
    order_id = getattr(event, "order_id", None)
    if not isinstance(order_id, UUID):
        return 0
    history = await store.read(str(order_id))
    if not history or not isinstance(history[0].event, OrderPlaced):
        log.warning("%s %s: no order %s in the store; no mail", type(event).__name__, event_id, order_id)
        return 0
    merchant = await merchants.merchant(history[0].event.merchant_id)
    context = order_context(history, merchant, settings)
    if isinstance(event, InvoiceIssued | InvoiceCancelled):
        pdf = _invoice_pdf(history, merchant, settings.zone, render_invoice, event, context.customer.language)
        context = replace(context, invoice_pdf=pdf)
    queued = 0
    for outgoing in notifications_for(event, event_id, context, settings.texts):
        if not outgoing.to_address:
            log.warning("%s: %s has no e-mail address in the replica; not sent", outgoing.about, order_id)
            continue
        queued += await mail.queue(outgoing)
    return queued


def order_context(
    history: Sequence[StoredEvent], merchant: MerchantDetails | None, settings: NotifierSettings
) -> OrderContext:
    """What the mails of an order draw on, from its stream (first ``OrderPlaced``) and its merchant."""
    placed = history[0].event
    assert isinstance(placed, OrderPlaced)
    order = orders.ensure_exists(orders.replay(stored.event for stored in history))
    shop = merchant.contact if merchant is not None else MerchantContact(name="", email="")
    inbox = shop.inbox_url or settings.merchant_url(order.order_id)
    recorded = order.customer
    delivery = recorded.delivery_address if recorded is not None else None
    return OrderContext(
        placed=placed,
        customer=_customer(order, settings),
        merchant=replace(shop, inbox_url=inbox),
        town_name=settings.town_name,
        timezone=settings.timezone,
        delivery_address=one_line(delivery) if delivery is not None else "",
        meeting_url=next(iter(order.meeting_links.values()), None),
        invoice_payment_days=settings.invoice_payment_days,
    )


def _customer(order: Order, settings: NotifierSettings) -> CustomerContact:
    recorded = order.customer
    if recorded is None:  # an order without its customer record: nobody to write to
        return CustomerContact(name="", email=None)
    token = None
    if recorded.guest_token_hash and settings.guest_token is not None:
        candidate = settings.guest_token(order.checkout_id)
        # A link made with another key (rotated since) would not open the order: leave it out.
        if hashlib.sha256(candidate.encode()).hexdigest() == recorded.guest_token_hash:
            token = candidate
    return CustomerContact(
        name=recorded.name,
        email=recorded.email,
        language=recorded.language,
        status_url=settings.order_url(order.order_id, token),
    )


def one_line(address: Address) -> str:
    return f"{address.street}, {address.postal_code} {address.city}"


def invoice_of(
    history: Sequence[StoredEvent], merchant: MerchantDetails | None, timezone: tzinfo, number: str | None = None
) -> InvoiceDocument:
    """The order's invoice ``number`` (None: its current one, the latest issued) or
    cancellation invoice as it was issued: the particulars its stream recorded then, which
    need nothing else (``merchant`` is not consulted). An invoice issued before particulars
    were recorded is drawn up from the stream and ``merchant`` as the replica knows it now,
    the date of supply being the day it was handed over or delivered (in the town's time).
    Raises ``InvalidChange`` for an order without an invoice, or an old one whose merchant's
    or customer's particulars are missing."""
    order = orders.ensure_exists(orders.replay(stored.event for stored in history))
    if order.invoice is None:
        raise InvalidChange("this order has no invoice yet")
    wanted = number or order.invoice.invoice_number
    recorded = recorded_document((stored.event for stored in history), wanted)
    if recorded is not None:
        return recorded
    if (number is not None and number != order.invoice.invoice_number) or order.invoice_documents > 1:
        raise NotFound(f"this order has no invoice {wanted}")
    if merchant is None or merchant.invoice_party is None:
        raise InvalidChange("an invoice needs the merchant's name and address; the catalog has none for this shop")
    supplied = [
        stored.recorded_at.astimezone(timezone).date()
        for stored in history
        if isinstance(stored.event, OrderHandedOver | OrderDelivered)
    ]
    return legacy_document(
        order, seller=merchant.invoice_party, timezone=timezone, supplied_on=supplied[-1] if supplied else None
    )


def _invoice_pdf(
    history: Sequence[StoredEvent],
    merchant: MerchantDetails | None,
    timezone: tzinfo,
    render: InvoiceRenderer,
    event: InvoiceIssued | InvoiceCancelled,
    language: str,
) -> bytes | None:
    try:
        document = invoice_of(history, merchant, timezone, event.invoice_number)
    except (InvalidChange, NotFound) as missing:
        log.warning("invoice of order %s not attached: %s", history[0].stream_id, missing)
        return None
    try:
        return render(document, language)
    except Exception:  # the customer still gets the mail, pointing to the order's page
        log.exception("invoice %s of order %s could not be rendered", document.number, history[0].stream_id)
        return None
