# SPDX-License-Identifier: AGPL-3.0-or-later
"""The buyer's notifier as a use case, on the in-memory store: a purchase's events in, the
mails they call for out, each once; the paid vouchers drawn from the codes sealed for the
e-mail; what it does when the PDF cannot be drawn; who gets no mail. And the association
finding a purchase by the reference a transfer names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

import pytest

from downtown_events.references import purchase_reference
from downtown_events.runtime.mail import OutgoingMail
from downtown_events.runtime.principal import NotPermitted
from downtown_events.vouchers import PurchasePaid, PurchaseStarted
from services.vouchers.tests.unit.test_handlers import ASSOCIATION, World, a_world
from vouchers.app.notifications import PaymentDetails
from vouchers.app.notifier import NotifierSettings, notify
from vouchers.domain.codes import VoucherCode
from vouchers.domain.commands import ConfirmPayment, RequestedVoucher, StartPurchase
from vouchers.domain.errors import InvalidChange
from vouchers.domain.programme import Programme
from vouchers.domain.purchase import Purchase
from vouchers.domain.voucher import Voucher


@pytest.fixture
def world() -> World:
    return a_world()


SETTINGS = NotifierSettings("Schöppingen", PaymentDetails(account_holder="WG", iban="DE89 3704 0044 0532 0130 00"))


@dataclass
class Outbox:
    """The mail queue: keyed by message id, as the kit's outbox is."""

    mails: dict[str, OutgoingMail] = field(default_factory=dict)

    async def queue(self, mail: OutgoingMail) -> bool:
        return self.mails.setdefault(mail.message_id, mail) is mail


@dataclass
class Drawings:
    """Draws a 'PDF' naming each code it was given, or fails when told to."""

    fail: bool = False
    drawn: list[dict[UUID, str]] = field(default_factory=list)

    async def pdf(
        self,
        purchase: Purchase,
        vouchers: Sequence[Voucher],
        codes: Mapping[UUID, VoucherCode],
        programmes: Mapping[UUID, Programme],
    ) -> bytes:
        if self.fail:
            raise RuntimeError("the renderer broke")
        self.drawn.append({voucher_id: code.display for voucher_id, code in codes.items()})
        return b"%PDF " + ",".join(sorted(code.display for code in codes.values())).encode()


async def events_of(world: World, purchase_id: UUID) -> list[tuple[UUID, object]]:
    return [(stored.event_id, stored.event) for stored in await world.store.read(str(purchase_id))]


async def notify_all(world: World, purchase_id: UUID, outbox: Outbox, drawings: Drawings) -> list[OutgoingMail]:
    sent = []
    for event_id, event in await events_of(world, purchase_id):
        mail = await notify(
            event,  # type: ignore[arg-type]
            event_id,
            store=world.store,
            mail=outbox,
            seal=world.seal,
            documents=drawings,
            settings=SETTINGS,
        )
        if mail is not None:
            sent.append(mail)
    return sent


async def bought(world: World, language: str = "de") -> tuple[UUID, str]:
    programme_id = await world.town_programme()
    wanted = (RequestedVoucher(programme_id, 2500), RequestedVoucher(programme_id, 1000, "Oma Grete"))
    started = await world.purchases.start_purchase(
        StartPurchase(wanted, buyer_email="anna@example.de", language=language)  # type: ignore[arg-type]
    )
    assert started.access_token is not None
    return started.purchase.purchase_id, started.access_token


async def test_a_purchase_sends_its_payment_instructions_then_its_vouchers_each_once(world: World) -> None:
    purchase_id, token = await bought(world, "en")
    outbox, drawings = Outbox(), Drawings()
    (instructions,) = await notify_all(world, purchase_id, outbox, drawings)
    assert instructions.about == "PurchaseStarted:buyer" and instructions.language == "en"
    assert "IBAN: DE89 3704 0044 0532 0130 00" in instructions.body and "Stadtgutschein: €25.00" in instructions.body

    purchase = await world.purchases.purchase_for_buyer(purchase_id, token)
    await world.purchases.confirm_payment(None, ConfirmPayment(purchase_id, "provider", "p-1", purchase.total_cents))
    await notify_all(world, purchase_id, outbox, drawings)  # every event again: a replay
    assert [mail.about for mail in outbox.mails.values()] == ["PurchaseStarted:buyer", "PurchasePaid:buyer"]
    paid = list(outbox.mails.values())[1]
    (attachment,) = paid.attachments
    codes = await world.purchases.codes_for_buyer(purchase_id, token)  # what the buyer's token opens
    assert attachment.content == b"%PDF " + ",".join(sorted(code.display for code in codes.values())).encode()
    assert "a gift for Oma Grete" in paid.body and "valid until" in paid.body


async def test_a_purchase_paid_before_its_start_was_read_gets_no_payment_instructions(world: World) -> None:
    purchase_id, _ = await bought(world)
    purchase = await world.purchases.purchase_for_buyer(purchase_id, _)
    await world.purchases.confirm_payment(None, ConfirmPayment(purchase_id, "provider", "p-2", purchase.total_cents))
    sent = await notify_all(world, purchase_id, Outbox(), Drawings())
    assert [mail.about for mail in sent] == ["PurchasePaid:buyer"]


async def test_a_pdf_that_cannot_be_drawn_does_not_hold_the_mail_back(world: World) -> None:
    purchase_id, token = await bought(world)
    purchase = await world.purchases.purchase_for_buyer(purchase_id, token)
    await world.purchases.confirm_payment(None, ConfirmPayment(purchase_id, "provider", "p-3", purchase.total_cents))
    sent = await notify_all(world, purchase_id, Outbox(), Drawings(fail=True))
    paid = next(mail for mail in sent if mail.about == "PurchasePaid:buyer")
    assert paid.attachments == () and "mit dem Link, den Sie beim Kauf erhalten haben" in paid.body


async def test_a_counter_sale_sends_no_mail(world: World) -> None:
    programme_id = await world.town_programme()
    shop = await world.member(programme_id)
    sold = await world.purchases.sell_at_counter(
        shop, StartPurchase((RequestedVoucher(programme_id, 2500),), buyer_email="kunde@example.de"), "Bon 17"
    )
    events = await events_of(world, sold.purchase.purchase_id)
    assert any(isinstance(event, PurchaseStarted) for _, event in events)
    assert any(isinstance(event, PurchasePaid) for _, event in events)
    assert await notify_all(world, sold.purchase.purchase_id, Outbox(), Drawings()) == []


async def test_the_association_finds_a_purchase_by_its_transfer_reference_and_nobody_else_does(world: World) -> None:
    purchase_id, _ = await bought(world)
    reference = purchase_reference(purchase_id)
    for written in (reference, reference.lower(), reference.replace("-", " "), f" {reference} "):
        (found,) = await world.purchases.with_reference(ASSOCIATION, written)
        assert found.purchase_id == purchase_id and found.transfer_reference == reference
    assert await world.purchases.with_reference(ASSOCIATION, "GS-00000000") == []
    for malformed in ("A1B2C3D4", "GS-A1B2C3", "GS-A1B2C3D4E", "GS-XYZ12345", "'; DROP TABLE"):
        with pytest.raises(InvalidChange, match="reference"):
            await world.purchases.with_reference(ASSOCIATION, malformed)
    shop = await world.member(await world.town_programme())
    with pytest.raises(NotPermitted):
        await world.purchases.with_reference(shop, reference)
