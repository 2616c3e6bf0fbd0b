# SPDX-License-Identifier: AGPL-3.0-or-later
"""The buyer's notifier: a purchase event in, the mail it calls for queued.

Reads the vouchers' own store (public and private events, in commit order, in one
transaction with its checkpoint; see ``vouchers.adapters.notifier``). For an online
purchase's ``PurchaseStarted`` it queues the payment instructions; for its ``PurchasePaid``
the vouchers, as a PDF drawn from the codes sealed for this e-mail (see
``vouchers.adapters.sealing``). It reads the purchase's, the programmes' and the vouchers'
streams on that same transaction; the mail's id is made of the event's id and the role
``buyer``, and the queue adds nothing for an id it holds, so an event delivered again
queues nothing again.

A purchase paid before its ``PurchaseStarted`` was read (a quick provider) gets no payment
instructions: the stream is read as it is now, and it is no longer waiting for money. A
PDF that cannot be drawn (the delivery key cannot open the codes, a renderer failing) does
not hold the mail back: it goes without the attachment and says where to fetch the
vouchers with the purchase's access token; the failure is logged for an operator.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.mail import MailQueue, OutgoingMail
from downtown_events.runtime.store import EventStore
from downtown_events.runtime.texts import Texts
from downtown_events.vouchers import PurchasePaid, PurchaseStarted
from vouchers.app.context import programme_of, purchase_of, voucher_of
from vouchers.app.notifications import BuyerMail, MailVoucher, PaymentDetails, paid_vouchers, payment_instructions
from vouchers.app.ports import CodeSeal
from vouchers.domain.codes import VoucherCode
from vouchers.domain.programme import Programme
from vouchers.domain.purchase import Purchase
from vouchers.domain.voucher import Voucher

log = logging.getLogger(__name__)

READS = frozenset(kind.type_name() for kind in (PurchaseStarted, PurchasePaid))
"""The event types the notifier decodes; every other is skipped (and tracked)."""


class PrintableVouchers(Protocol):
    """Draws a paid purchase's vouchers as the PDF the buyer prints (the one
    ``GET /purchases/{id}/vouchers.pdf`` serves)."""

    async def pdf(
        self,
        purchase: Purchase,
        vouchers: Sequence[Voucher],
        codes: Mapping[UUID, VoucherCode],
        programmes: Mapping[UUID, Programme],
    ) -> bytes: ...


@dataclass(frozen=True)
class NotifierSettings:
    town_name: str
    payment: PaymentDetails
    texts: Texts | None = None


async def notify(
    event: IntegrationEvent,
    event_id: str | UUID,
    *,
    store: EventStore,
    mail: MailQueue,
    seal: CodeSeal,
    documents: PrintableVouchers,
    settings: NotifierSettings,
) -> OutgoingMail | None:
    """Queue the mail ``event`` calls for (and return it); None when it calls for none."""
    outgoing: OutgoingMail | None = None
    if isinstance(event, PurchaseStarted) and event.channel == "online":
        outgoing = await _instructions(event_id, event.purchase_id, store, settings)
    elif isinstance(event, PurchasePaid):
        outgoing = await _vouchers(event_id, event.purchase_id, store, seal, documents, settings)
    if outgoing is not None:
        await mail.queue(outgoing)
    return outgoing


async def _instructions(
    event_id: str | UUID, purchase_id: UUID, store: EventStore, settings: NotifierSettings
) -> OutgoingMail | None:
    purchase = await purchase_of(store, purchase_id)
    if purchase is None or purchase.status != "pending":
        return None  # paid (or lapsed) before this was read: nothing to pay any more
    programmes = await _programmes(store, purchase)
    vouchers = tuple(
        MailVoucher(
            programmes[item.programme_id].terms.name, item.amount_cents, gift_for=_gift_for(purchase, item.voucher_id)
        )
        for item in purchase.items
    )
    context = BuyerMail(purchase, vouchers, settings.town_name)
    return payment_instructions(event_id, context, settings.payment, settings.texts)


async def _vouchers(
    event_id: str | UUID,
    purchase_id: UUID,
    store: EventStore,
    seal: CodeSeal,
    documents: PrintableVouchers,
    settings: NotifierSettings,
) -> OutgoingMail | None:
    purchase = await purchase_of(store, purchase_id)
    if purchase is None or purchase.channel != "online" or purchase.secrets is None:
        return None  # a counter sale is printed at the counter, a bulk issue fetched as CSV
    programmes = await _programmes(store, purchase)
    issued = [voucher for item in purchase.items if (voucher := await voucher_of(store, item.voucher_id)) is not None]
    vouchers = tuple(
        MailVoucher(
            programmes[voucher.programme_id].terms.name,
            voucher.value_cents,
            voucher.bonus_cents,
            _gift_for(purchase, voucher.voucher_id),
            voucher.expires_on,
        )
        for voucher in issued
    )
    pdf = await _pdf(purchase, issued, programmes, seal, documents)
    return paid_vouchers(event_id, BuyerMail(purchase, vouchers, settings.town_name), pdf, settings.texts)


async def _pdf(
    purchase: Purchase,
    issued: Sequence[Voucher],
    programmes: Mapping[UUID, Programme],
    seal: CodeSeal,
    documents: PrintableVouchers,
) -> bytes | None:
    """The vouchers' PDF, or None (logged) when it cannot be drawn: the mail goes anyway."""
    sealed = purchase.secrets.delivery_sealed_codes if purchase.secrets is not None else None
    if sealed is None or len(issued) != len(purchase.items):
        log.warning("purchase %s: no codes sealed for its e-mail, or not all vouchers issued", purchase.purchase_id)
        return None
    try:
        codes = {vid: VoucherCode(code) for vid, code in seal.unseal_for_delivery(purchase.purchase_id, sealed).items()}
        return await documents.pdf(purchase, issued, codes, programmes)
    except Exception:  # the mail must not wait for a document that cannot be drawn
        log.exception("purchase %s: its vouchers' PDF could not be drawn; mailed without it", purchase.purchase_id)
        return None


async def _programmes(store: EventStore, purchase: Purchase) -> dict[UUID, Programme]:
    found = {}
    for programme_id in sorted({item.programme_id for item in purchase.items}):
        programme = await programme_of(store, programme_id)
        if programme is not None:
            found[programme_id] = programme
    return found


def _gift_for(purchase: Purchase, voucher_id: UUID) -> str:
    gifts = purchase.secrets.gifts if purchase.secrets is not None else ()
    return next((gift.recipient_name for gift in gifts if gift.voucher_id == voucher_id), "")
