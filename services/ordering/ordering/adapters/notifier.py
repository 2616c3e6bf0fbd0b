# SPDX-License-Identifier: AGPL-3.0-or-later
"""The notifier consumer: ordering's store in, the mail outbox out, in one transaction.

Registered as ``Reaction(notifier(settings, guest_token=…), from_store=True)``: the runtime's
store feed hands it the store's events in commit order and saves its checkpoint and
tracking rows in the transaction :meth:`Notifier.handle` runs in. Everything the notifier
reads (the order's stream, the catalog replica's merchant row) and writes (the outbox rows)
is on that connection, so a crash before the commit leaves nothing and the events come
again; one after it leaves the mails queued and the events marked read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import Any
from uuid import UUID

from downtown_events.ordering import OrderDelivered, OrderHandedOver, OrderPlaced
from downtown_events.runtime.database import Connection
from downtown_events.runtime.faults import crash_point
from downtown_events.runtime.mail_outbox import PostgresMailQueue
from downtown_events.runtime.merchant_replica import MerchantReader, ReplicatedMerchant
from downtown_events.runtime.postgres_store import TransactionalEventStore
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.texts import Texts
from ordering.adapters.invoice_pdf import render_invoice_pdf
from ordering.adapters.receipt_pdf import render_receipt_pdf
from ordering.app.notifications import MerchantContact, mail_texts
from ordering.app.notifier import (
    READS,
    InvoiceRenderer,
    MerchantDetails,
    NotifierSettings,
    invoice_of,
    notify,
    one_line,
)
from ordering.domain import order as orders
from ordering.domain import receipt as receipts
from ordering.domain.errors import InvalidChange, NotFound
from ordering.domain.invoice_document import InvoiceParty, document_language, recorded_document
from ordering.domain.invoice_issuer import invoice_bank_of, tax_number_kind
from ordering.domain.receipt import recorded_receipt

SERVICE = "ordering"
CONSUMER_NAME = "ordering_notifier"
MAX_AGE = timedelta(days=2)
"""Events recorded longer ago send no mail (as the sender gives up on mail that old)."""
# The catalog replica's merchants (``ordering.projections.catalog_replica.MERCHANTS``): named
# here because adapters and projections are sibling layers that do not import each other; a
# unit test holds the two names together.
MERCHANTS_TABLE = "ordering_merchants"
_MERCHANTS = MerchantReader(MERCHANTS_TABLE)


class Notifier:
    """The :class:`~downtown_events.runtime.tracking.EventHandler` that queues order mails."""

    consumer_name = CONSUMER_NAME

    def __init__(
        self,
        settings: NotifierSettings,
        *,
        render_invoice: InvoiceRenderer | None = None,
        max_age: timedelta = MAX_AGE,
    ) -> None:
        self.settings = settings
        # The documents in the same words as the mails that carry them (the town's texts).
        self._render_invoice = render_invoice or partial(render_invoice_pdf, texts=settings.texts)
        self._max_age = max_age

    @property
    def reads(self) -> frozenset[str]:
        return READS

    async def handle(self, conn: Connection, events: Sequence[ReceivedEvent]) -> None:
        store = TransactionalEventStore(conn, service=SERVICE)
        merchants, outbox = SqlMerchantDirectory(conn), PostgresMailQueue(conn)
        too_old = datetime.now(UTC) - self._max_age
        for received in events:
            if received.envelope.time < too_old:
                continue  # a store read from its start (a new notifier, a reset): old news is not sent
            await notify(
                received.event,
                received.envelope.id,
                store=store,
                merchants=merchants,
                mail=outbox,
                settings=self.settings,
                render_invoice=self._render_invoice,
            )
            crash_point("notifier.after_queue")


def notifier(settings: Any, *, guest_token: Callable[[UUID], str] | None = None) -> Notifier:
    """The notifier of the ordering settings' town (``town_name``/``town``, ``timezone``,
    ``public_url``); ``guest_token`` is the app context's ``guest_token`` (a guest's link)."""
    return Notifier(
        NotifierSettings(
            town_name=settings.display_name,
            public_url=settings.public_url,
            timezone=settings.timezone,
            guest_token=guest_token,
            texts=mail_texts(settings.texts_dir, settings.timezone),
        )
    )


async def order_invoice_pdf(
    conn: Connection, order_id: UUID, timezone: tzinfo, number: str | None = None, *, texts: Texts | None = None
) -> bytes:
    """The order's invoice (``number``: that one, or a cancellation invoice; None: its
    current one) as a PDF, the same bytes its mail carried and every download gets (for GET
    /orders/{id}/invoice.pdf, after the caller checked who may see the order): drawn from the
    particulars recorded when it was issued, whatever the catalog says now, in the customer's
    language, worded by ``texts`` (the town's, :func:`document_texts`; None: ordering's own).
    Only an invoice issued before they were recorded needs the replica's merchant. Raises
    ``NotFound`` for no such order or number, ``InvalidChange`` for one without an invoice,
    or an old one whose merchant's or customer's particulars are missing."""
    history = await TransactionalEventStore(conn, service=SERVICE).read(str(order_id))
    placed = history[0].event if history else None
    if not isinstance(placed, OrderPlaced):
        raise NotFound("no such order")
    merchant = None
    if recorded_document(stored.event for stored in history) is None:
        merchant = await SqlMerchantDirectory(conn).merchant(placed.merchant_id)
    language = document_language(orders.ensure_exists(orders.replay(stored.event for stored in history)))
    return render_invoice_pdf(invoice_of(history, merchant, timezone, number), language, texts)


async def order_receipt_pdf(
    conn: Connection, order_id: UUID, *, timezone: tzinfo, standard_vat_percent: int, texts: Texts | None = None
) -> bytes:
    """The receipt of an order paid in full at the shop or the door, as recorded when it was
    paid, in the customer's language and ``texts``' words (as :func:`order_invoice_pdf`); an
    order handed over before receipts were recorded gets one drawn now, naming the shop as
    the replica knows it (what it said then was not kept). Raises ``NotFound`` for no such
    order, ``InvalidChange`` for one with no receipt (yet)."""
    stored = await TransactionalEventStore(conn, service=SERVICE).read(str(order_id))
    history = [each.event for each in stored]
    if not history or not isinstance(history[0], OrderPlaced):
        raise NotFound("no such order")
    recorded = recorded_receipt(history)
    order = orders.ensure_exists(orders.replay(history))
    if recorded is None:
        receipts.ensure_receipt_due(order)
        details = await SqlMerchantDirectory(conn).merchant(order.merchant_id)
        if details is None or details.invoice_party is None:
            raise InvalidChange("a receipt names the shop's address; the catalog has none for this shop")
        paid_on = next(
            each.recorded_at.astimezone(timezone).date()
            for each in reversed(stored)
            if isinstance(each.event, OrderHandedOver | OrderDelivered)
        )
        recorded = receipts.draw_up_receipt(
            order, seller=details.invoice_party, paid_on=paid_on, standard_vat_percent=standard_vat_percent
        )
    return render_receipt_pdf(recorded, document_language(order), texts)


def document_texts(settings: Any) -> Texts:
    """The words the town's documents are printed in: ordering's, with the settings'
    ``texts_dir`` (``DOWNTOWN_TEXTS_DIR``) over them, the mails' own (one per process)."""
    return mail_texts(settings.texts_dir, settings.timezone)


class SqlMerchantDirectory:
    """The catalog replica's merchants, read on the caller's connection (the replica's table
    lives in ordering's database). Also for the API's invoice download."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def merchant(self, merchant_id: UUID) -> MerchantDetails | None:
        merchant = await _MERCHANTS.merchant(self._conn, merchant_id)
        return None if merchant is None else merchant_details(merchant)


def merchant_details(merchant: ReplicatedMerchant) -> MerchantDetails:
    address = merchant.address
    contact = MerchantContact(
        name=merchant.name,
        email=merchant.email,
        address=one_line(address) if address is not None else "",
        phone=merchant.phone,
    )
    number = merchant.tax_number or None
    kind = None if number is None else tax_number_kind(number, merchant.tax_number_kind)
    party = (
        None
        if address is None
        else InvoiceParty(name=merchant.name, address=address, tax_number=number, tax_number_kind=kind)
    )
    bank = invoice_bank_of(merchant.name, merchant.iban, merchant.bic, merchant.account_holder)
    return MerchantDetails(contact, party, bank)
