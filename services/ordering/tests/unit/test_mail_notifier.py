# SPDX-License-Identifier: AGPL-3.0-or-later
"""The notifier's use case: an order's events in, the mails they call for out (in memory).

The store is the runtime's in-memory one; the mail queue and the merchant directory are
plain fakes of the app's ports. The real outbox, replica and store are in
``tests/integration/test_mail_outbox.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pypdfium2

from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    Fulfilment,
    InvoiceCancelled,
    InvoiceIssued,
    OrderConfirmed,
    OrderLine,
    OrderPacked,
    OrderPlaced,
    Payment,
    TimeSlot,
)
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.merchant_replica import ReplicatedMerchant
from ordering.adapters.invoice_pdf import render_invoice_pdf
from ordering.adapters.notifier import MERCHANTS_TABLE, merchant_details
from ordering.app.notifications import MerchantContact, OutgoingMail, mail_id
from ordering.app.notifier import MerchantDetails, NotifierSettings, notify
from ordering.domain import fulfilment, invoice, order
from ordering.domain.facts import MerchantFacts
from ordering.domain.invoice_correction import cancel_invoice, correct_invoice
from ordering.domain.invoice_document import InvoiceParty, recorded_document
from ordering.domain.private_events import (
    InvoiceNumberTaken,
    InvoiceParticularsRecorded,
    MeetingLinkAssigned,
    OrderCustomerRecorded,
)
from ordering.projections.catalog_replica import MERCHANTS

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
SHOP_ADDRESS = Address(street="Markt 3", postal_code="48624", city="Schöppingen")
TOKEN_KEY = "key"


def guest_token(checkout_id: UUID) -> str:
    return f"{TOKEN_KEY}:{checkout_id}"


SETTINGS = NotifierSettings(town_name="Schöppingen", public_url="https://bestellen.example/", guest_token=guest_token)


@dataclass
class Outbox:
    """The outbox's promise in a dict: a mail id is queued once."""

    mails: dict[str, OutgoingMail] = field(default_factory=dict)

    async def queue(self, mail: OutgoingMail) -> bool:
        if mail.message_id in self.mails:
            return False
        self.mails[mail.message_id] = mail
        return True


@dataclass
class Merchants:
    known: dict[UUID, MerchantDetails] = field(default_factory=dict)

    async def merchant(self, merchant_id: UUID) -> MerchantDetails | None:
        return self.known.get(merchant_id)


def shop(*, tax_number: str = "DE123456789", email: str = "laden@terhaar.example") -> MerchantDetails:
    contact = MerchantContact(name="Fahrrad Terhaar", email=email, address="Markt 3, 48624 Schöppingen")
    kind = "vat_id" if tax_number else None
    party = InvoiceParty(
        name="Fahrrad Terhaar", address=SHOP_ADDRESS, tax_number=tax_number or None, tax_number_kind=kind
    )
    return MerchantDetails(contact, party)


def placed_order(
    *, language: str = "de", guest: bool = True, email: str | None = "anna@example.org", service: bool = False
) -> list[IntegrationEvent]:
    order_id, checkout_id = uuid4(), uuid4()
    slot = TimeSlot(starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, hours=1))
    line = OrderLine(
        offer_id=uuid4(),
        kind="service" if service else "product",
        title="Fahrradschlauch" if not service else "Videoberatung",
        quantity=2 if not service else 1,
        unit_price_cents=899,
        vat_rate_percent=19,
        slot=slot if service else None,
    )
    placed = OrderPlaced(
        order_id=order_id,
        checkout_id=checkout_id,
        merchant_id=uuid4(),
        lines=[line],
        fulfilment=Fulfilment(method="pickup", pickup_window=None if service else slot),
        payment=Payment(method="invoice"),
        goods_cents=line.gross_cents,
        total_cents=line.gross_cents,
        merchant_answer_by=NOW + timedelta(hours=2),
        cancellable_until=NOW + timedelta(minutes=30),
    )
    token_hash = hashlib.sha256(guest_token(checkout_id).encode()).hexdigest() if guest else None
    customer = OrderCustomerRecorded(
        order_id=order_id,
        checkout_id=checkout_id,
        name="Anna Beispiel",
        email=email,
        phone="" if email else "02555 1234",
        billing_address=HOME,
        account_id=None if guest else uuid4(),
        guest_token_hash=token_hash,
        language=language,  # type: ignore[arg-type]
    )
    return [placed, customer]


def then(history: list[IntegrationEvent], *steps: Callable[[order.Order | None], list[IntegrationEvent]]) -> None:
    for step in steps:
        history += step(order.replay(history))


def confirmed(history: list[IntegrationEvent]) -> list[IntegrationEvent]:
    then(history, order.record_stock_reserved, lambda state: order.accept(state, now=NOW))
    return history


def invoiced(history: list[IntegrationEvent]) -> list[IntegrationEvent]:
    confirmed(history)
    then(history, fulfilment.mark_ready_for_pickup, lambda state: fulfilment.hand_over(state, paid_cents=0))
    merchant_id = history[0].merchant_id  # type: ignore[attr-defined]
    issuer = MerchantFacts(
        merchant_id, "Fahrrad Terhaar", approved=True, tax_number="DE123456789", address=SHOP_ADDRESS
    )
    decision = invoice.invoice_order(
        None, order.replay(history), merchant=issuer, today=date(2026, 3, 2), standard_vat_percent=19
    )
    history += decision.order_events
    return history


def invoice_taken_back(history: list[IntegrationEvent], *, corrected: bool) -> list[IntegrationEvent]:
    """The order's invoice cancelled (a Stornorechnung), or corrected: cancelled and issued anew."""
    merchant_id = history[0].merchant_id  # type: ignore[attr-defined]
    issuer = MerchantFacts(
        merchant_id, "Fahrrad Terhaar", approved=True, tax_number="DE123456789", address=SHOP_ADDRESS
    )
    state = order.replay(history)
    (taken,) = [event for event in history if isinstance(event, InvoiceIssued)]
    sequence = invoice.evolve(
        None,
        InvoiceNumberTaken(
            sequence_id=invoice.invoice_sequence_id(merchant_id),
            merchant_id=merchant_id,
            sequence=taken.sequence,
            order_id=taken.order_id,
            invoice_number=taken.invoice_number,
            taken_on=taken.issued_on,
        ),
    )
    original = recorded_document(history)
    assert original is not None
    later = date(2026, 3, 9)
    decision = (
        correct_invoice(sequence, state, original=original, merchant=issuer, today=later, standard_vat_percent=19)
        if corrected
        else cancel_invoice(sequence, state, original=original, today=later)
    )
    history += decision.order_events
    return history


def issued_before_particulars_were_recorded(history: list[IntegrationEvent]) -> list[IntegrationEvent]:
    return [event for event in history if not isinstance(event, InvoiceParticularsRecorded)]


async def stored(history: list[IntegrationEvent]) -> tuple[InMemoryEventStore, UUID]:
    store = InMemoryEventStore()
    placed = history[0]
    assert isinstance(placed, OrderPlaced)
    await store.append(str(placed.order_id), 0, history)
    return store, placed.merchant_id


async def mails_of(
    history: list[IntegrationEvent], event_type: type[IntegrationEvent], merchant: MerchantDetails | None = None
) -> tuple[list[OutgoingMail], str]:
    store, merchant_id = await stored(history)
    merchants = Merchants({merchant_id: merchant} if merchant else {})
    outbox = Outbox()
    event = next(event for event in history if isinstance(event, event_type))
    event_id = str(uuid4())
    await notify(
        event,
        event_id,
        store=store,
        merchants=merchants,
        mail=outbox,
        settings=SETTINGS,
        render_invoice=render_invoice_pdf,
    )
    return list(outbox.mails.values()), event_id


async def test_a_new_order_tells_the_merchant_at_once_and_the_customer_with_their_link() -> None:
    history = placed_order()
    mails, event_id = await mails_of(history, OrderPlaced, shop())
    by_role = {mail.about: mail for mail in mails}
    assert set(by_role) == {"OrderPlaced:merchant", "OrderPlaced:customer"}
    merchant, customer = by_role["OrderPlaced:merchant"], by_role["OrderPlaced:customer"]
    assert merchant.to_address == "laden@terhaar.example" and merchant.reply_to == "anna@example.org"
    assert merchant.message_id == mail_id(event_id, "merchant") and customer.message_id == mail_id(event_id, "customer")
    order_id, checkout_id = history[0].order_id, history[0].checkout_id  # type: ignore[attr-defined]
    assert f"https://bestellen.example/merchant#order-{order_id}" in merchant.body
    assert customer.to_address == "anna@example.org" and customer.reply_to == "laden@terhaar.example"
    assert f"https://bestellen.example/orders/{order_id}?token=key%3A{checkout_id}" in customer.body
    assert customer.subject == "Ihre Bestellung bei Fahrrad Terhaar ist eingegangen"
    assert "Markt 3, 48624 Schöppingen" in customer.body


async def test_a_customer_with_an_account_gets_a_link_without_a_token_in_their_language() -> None:
    history = placed_order(guest=False, language="en")
    mails, _ = await mails_of(history, OrderPlaced, shop())
    (customer,) = [mail for mail in mails if mail.about == "OrderPlaced:customer"]
    assert customer.language == "en" and customer.subject == "Your order from Fahrrad Terhaar has been received"
    assert f"/orders/{history[0].order_id}\n" in customer.body and "token" not in customer.body  # type: ignore[attr-defined]


async def test_a_guest_link_made_with_another_key_is_left_out() -> None:
    history = placed_order()
    customer = history[1]
    assert isinstance(customer, OrderCustomerRecorded)
    history[1] = customer.model_copy(update={"guest_token_hash": "0" * 64})
    mails, _ = await mails_of(history, OrderPlaced, shop())
    (mail,) = [mail for mail in mails if mail.about == "OrderPlaced:customer"]
    assert "token=" not in mail.body


async def test_a_customer_without_an_e_mail_address_gets_none_and_the_merchant_still_does() -> None:
    history = placed_order(email=None)
    mails, _ = await mails_of(history, OrderPlaced, shop())
    assert [mail.about for mail in mails] == ["OrderPlaced:merchant"]


async def test_a_merchant_the_replica_does_not_know_gets_no_mail_and_the_customer_still_does() -> None:
    mails, _ = await mails_of(placed_order(), OrderPlaced, merchant=None)
    assert [mail.about for mail in mails] == ["OrderPlaced:customer"]
    mails, _ = await mails_of(placed_order(), OrderPlaced, shop(email=""))
    assert [mail.about for mail in mails] == ["OrderPlaced:customer"]


async def test_the_confirmation_of_a_video_consultation_carries_its_meeting_link_to_both_sides() -> None:
    history = confirmed(placed_order(service=True))
    line = history[0].lines[0]  # type: ignore[attr-defined]
    assert line.slot is not None
    url = "https://meet.example/" + "r" * 24
    history.append(
        MeetingLinkAssigned(order_id=history[0].order_id, offer_id=line.offer_id, slot=line.slot, url=url)  # type: ignore[attr-defined]
    )
    mails, _ = await mails_of(history, OrderConfirmed, shop())
    assert sorted(mail.about for mail in mails) == ["OrderConfirmed:customer", "OrderConfirmed:merchant"]
    assert all(url in mail.body for mail in mails)


async def test_events_nobody_is_told_of_send_nothing() -> None:
    history = confirmed(placed_order())
    then(history, fulfilment.mark_packed)
    mails, _ = await mails_of(history, OrderPacked, shop())
    assert mails == []


async def test_an_invoice_goes_to_the_customer_as_a_pdf_dated_and_numbered() -> None:
    history = invoiced(placed_order())
    mails, _ = await mails_of(history, InvoiceIssued, shop())
    (mail,) = mails
    assert mail.about == "InvoiceIssued:customer" and "Sie finden sie im Anhang." in mail.body
    (attachment,) = mail.attachments
    assert attachment.filename == "Rechnung-RE-2026-00001.pdf" and attachment.content_type == "application/pdf"
    text = " ".join(
        " ".join(str(page.get_textpage().get_text_range()).split())
        for page in pypdfium2.PdfDocument(attachment.content)
    )
    assert "RE-2026-00001" in text and "DE123456789" in text and "Anna Beispiel" in text and "Hauptstraße 1" in text
    assert "02.03.2026" in text  # issued on; supplied on the day handed over (the store's clock: today)


async def test_the_invoice_says_what_was_recorded_when_it_was_issued_whatever_the_replica_says_now() -> None:
    history = invoiced(placed_order())
    renamed = MerchantDetails(
        MerchantContact(name="Terhaar Räder GmbH", email="neu@terhaar.example"),
        InvoiceParty(name="Terhaar Räder GmbH", address=HOME),  # and no tax number any more
    )
    mails, _ = await mails_of(history, InvoiceIssued, renamed)
    (attachment,) = mails[0].attachments
    text = " ".join(str(page.get_textpage().get_text_range()) for page in pypdfium2.PdfDocument(attachment.content))
    assert "Fahrrad Terhaar" in text and "DE123456789" in text and "Räder" not in text
    (again,) = (await mails_of(history, InvoiceIssued, shop()))[0][0].attachments
    assert again.content == attachment.content


async def test_an_old_invoice_the_replica_cannot_complete_goes_without_the_pdf_pointing_to_the_order() -> None:
    history = issued_before_particulars_were_recorded(invoiced(placed_order()))
    mails, _ = await mails_of(history, InvoiceIssued, shop(tax_number=""))
    (mail,) = mails
    assert mail.attachments == () and "Sie finden sie auf der Seite Ihrer Bestellung." in mail.body
    (old,) = (await mails_of(history, InvoiceIssued, shop()))[0]
    (attachment,) = old.attachments  # with the replica's merchant complete, drawn up as it always was
    assert attachment.content.startswith(b"%PDF-")


async def test_an_invoice_whose_rendering_fails_still_sends_the_mail() -> None:
    history = invoiced(placed_order())
    store, merchant_id = await stored(history)
    outbox = Outbox()

    def broken(document: object, language: str) -> bytes:
        raise RuntimeError("the renderer broke")

    event = next(event for event in history if isinstance(event, InvoiceIssued))
    merchants = Merchants({merchant_id: shop()})
    await notify(
        event, uuid4(), store=store, merchants=merchants, mail=outbox, settings=SETTINGS, render_invoice=broken
    )
    (mail,) = outbox.mails.values()
    assert mail.attachments == ()


def pdf_text(content: bytes) -> str:
    pages = pypdfium2.PdfDocument(content)
    return " ".join(" ".join(str(page.get_textpage().get_text_range()).split()) for page in pages)


async def test_a_cancellation_invoice_goes_to_the_customer_as_a_pdf_naming_the_invoice_it_cancels() -> None:
    history = invoice_taken_back(invoiced(placed_order()), corrected=False)
    mails, event_id = await mails_of(history, InvoiceCancelled, shop())
    (mail,) = mails  # the merchant issued it: only the customer is told
    assert mail.about == "InvoiceCancelled:customer" and mail.message_id == mail_id(event_id, "customer")
    assert mail.subject == "Stornierung Ihrer Rechnung RE-2026-00001 von Fahrrad Terhaar"
    assert "Stornorechnung RE-2026-00002 vom 09.03.2026" in mail.body and "nichts mehr zu zahlen" in mail.body
    (attachment,) = mail.attachments
    assert attachment.filename == "Stornorechnung-RE-2026-00002.pdf"
    text = pdf_text(attachment.content)
    assert (
        "Stornorechnung / Cancellation invoice" in text and "Storno zu Rechnung / Cancels invoice RE-2026-00001" in text
    )


async def test_a_correction_mails_the_cancellation_saying_the_corrected_invoice_follows_and_then_that_invoice() -> None:
    history = invoice_taken_back(invoiced(placed_order(language="en")), corrected=True)
    (storno,), _ = await mails_of(history, InvoiceCancelled, shop())
    assert storno.language == "en" and "A corrected invoice takes the place of invoice RE-2026-00001" in storno.body
    (attachment,) = storno.attachments
    assert attachment.filename == "Cancellation-invoice-RE-2026-00002.pdf"
    assert "Cancellation invoice / Stornorechnung" in pdf_text(attachment.content)
    reissued = [event for event in history if isinstance(event, InvoiceIssued)][-1]
    assert reissued.invoice_number == "RE-2026-00003"
    store, merchant_id = await stored(history)
    outbox = Outbox()
    await notify(
        reissued,
        uuid4(),
        store=store,
        merchants=Merchants({merchant_id: shop()}),
        mail=outbox,
        settings=SETTINGS,
        render_invoice=render_invoice_pdf,
    )
    (invoice_mail,) = outbox.mails.values()
    (pdf,) = invoice_mail.attachments
    assert pdf.filename == "Invoice-RE-2026-00003.pdf"
    assert "Invoice / Rechnung" in pdf_text(pdf.content) and "RE-2026-00003" in pdf_text(pdf.content)


async def test_an_event_of_an_order_the_store_does_not_hold_sends_nothing() -> None:
    history = placed_order()
    outbox = Outbox()
    count = await notify(
        history[0],
        uuid4(),
        store=InMemoryEventStore(),
        merchants=Merchants(),
        mail=outbox,
        settings=SETTINGS,
        render_invoice=render_invoice_pdf,
    )
    assert count == 0 and outbox.mails == {}


def test_the_replicas_merchant_row_gives_the_contact_and_the_invoice_party() -> None:
    assert MERCHANTS.name == MERCHANTS_TABLE
    row: dict[str, object] = {
        "merchant_id": uuid4(),
        "name": "Fahrrad Terhaar",
        "email": " laden@terhaar.example ",
        "phone": "02555 1",
        "street": "Markt 3",
        "postal_code": "48624",
        "city": "Schöppingen",
        "tax_number": "DE123456789",
    }
    details = merchant_details(ReplicatedMerchant.from_row(row))
    assert details.contact == MerchantContact(
        name="Fahrrad Terhaar", email="laden@terhaar.example", address="Markt 3, 48624 Schöppingen", phone="02555 1"
    )
    assert details.invoice_party == InvoiceParty(
        name="Fahrrad Terhaar", address=SHOP_ADDRESS, tax_number="DE123456789", tax_number_kind="vat_id"
    )
    partial = merchant_details(ReplicatedMerchant.from_row({**row, "street": None, "email": None, "tax_number": None}))
    assert partial.invoice_party is None and partial.contact.email == "" and partial.contact.address == ""
