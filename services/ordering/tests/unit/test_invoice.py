# SPDX-License-Identifier: AGPL-3.0-or-later
"""Invoices: a gapless number per merchant taken with the invoice, VAT per rate to the cent,
everything the invoice says fixed when it is issued, and only by a merchant who may issue it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    Fulfilment,
    InvoiceIssued,
    OrderLine,
    OrderPlaced,
    Payment,
    PaymentMethod,
    VatAmount,
)
from ordering.domain import invoice, order
from ordering.domain.errors import Contradiction, InvalidChange
from ordering.domain.facts import MerchantFacts
from ordering.domain.invoice import InvoiceSequence
from ordering.domain.invoice_issuer import ensure_takes_invoices, invoice_seller, tax_number_kind
from ordering.domain.order import Order
from ordering.domain.private_events import (
    InvoiceDocument,
    InvoiceLine,
    InvoiceNumberTaken,
    InvoiceParticularsRecorded,
    InvoiceParty,
    OrderCustomerRecorded,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
MERCHANT = uuid4()
SHOP_ADDRESS = Address(street="Markt 3", postal_code="48624", city="Schöppingen")
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
SHOP = MerchantFacts(
    MERCHANT, "Fahrrad Terhaar", approved=True, tax_number="DE123456789", address=SHOP_ADDRESS, offers_delivery=True
)
SELLER = InvoiceParty(name="Fahrrad Terhaar", address=SHOP_ADDRESS, tax_number="DE123456789", tax_number_kind="vat_id")


def line(quantity: int, price: int, rate: int) -> OrderLine:
    return OrderLine(
        offer_id=uuid4(), kind="product", title="Ware", quantity=quantity, unit_price_cents=price, vat_rate_percent=rate
    )


def placed(
    lines: list[OrderLine] | None = None, fee: int = 390, method: PaymentMethod = "invoice", merchant: UUID = MERCHANT
) -> OrderPlaced:
    lines = lines or [line(2, 1290, 19), line(1, 450, 7)]
    goods = sum(item.gross_cents for item in lines)
    return OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=merchant,
        lines=lines,
        fulfilment=Fulfilment(method="delivery", delivery_zone="48624", delivery_fee_cents=fee),
        payment=Payment(method=method),
        goods_cents=goods,
        total_cents=goods + fee,
        merchant_answer_by=NOW + timedelta(hours=2),
        cancellable_until=NOW + timedelta(minutes=30),
    )


def history_of(event: OrderPlaced, *, confirm: bool = True) -> list[IntegrationEvent]:
    customer = OrderCustomerRecorded(
        order_id=event.order_id,
        checkout_id=event.checkout_id,
        name="Anna Beispiel",
        email="a@b.de",
        delivery_address=HOME,
    )
    history: list[IntegrationEvent] = [event, customer]
    if confirm:
        for decide in (order.record_stock_reserved, lambda s: order.accept(s, now=NOW)):
            history += decide(order.replay(history))
    return history


def confirmed(event: OrderPlaced | None = None) -> Order:
    state = order.replay(history_of(event or placed()))
    assert state is not None and state.confirmed
    return state


def test_numbers_follow_each_other_per_merchant_and_an_order_keeps_its_number() -> None:
    first, second = uuid4(), uuid4()
    (taken,) = invoice.take_number(None, merchant_id=MERCHANT, order_id=first, today=TODAY)
    assert taken == InvoiceNumberTaken(
        sequence_id=invoice.invoice_sequence_id(MERCHANT),
        merchant_id=MERCHANT,
        sequence=1,
        order_id=first,
        invoice_number="RE-2026-00001",
        taken_on=TODAY,
    )
    assert not taken.published
    state = invoice.replay([taken])
    assert invoice.take_number(state, merchant_id=MERCHANT, order_id=first, today=TODAY) == []
    (next_,) = invoice.take_number(state, merchant_id=MERCHANT, order_id=second, today=date(2027, 1, 1))
    assert isinstance(next_, InvoiceNumberTaken) and (next_.sequence, next_.invoice_number) == (2, "RE-2027-00002")
    with pytest.raises(InvalidChange, match="another merchant's"):
        invoice.take_number(state, merchant_id=uuid4(), order_id=second, today=TODAY)
    assert invoice.invoice_sequence_id(MERCHANT) != invoice.invoice_sequence_id(uuid4())
    assert invoice.replay([]) is None


def test_vat_is_worked_out_per_rate_from_gross_prices_with_the_fee_at_the_standard_rate() -> None:
    amounts = invoice.vat_breakdown([line(2, 1290, 19), line(1, 450, 7)], 390, 19)
    assert amounts == [
        VatAmount(rate_percent=7, net_cents=421, vat_cents=29),  # 4.50 € / 1.07 = 4.2056
        VatAmount(rate_percent=19, net_cents=2496, vat_cents=474),  # 29.70 € / 1.19 = 24.9580
    ]
    assert invoice.vat_breakdown([line(1, 1000, 0)], 0, 19) == [VatAmount(rate_percent=0, net_cents=1000, vat_cents=0)]


def test_net_is_rounded_half_up() -> None:
    assert invoice.net_cents(3, 20) == 3  # 2.5 -> 3
    assert invoice.net_cents(1, 100) == 1  # 0.5 -> 1
    assert invoice.net_cents(119, 19) == 100 and invoice.net_cents(0, 19) == 0


@settings(max_examples=500, deadline=None)
@given(
    lines=st.lists(
        st.tuples(st.integers(1, 999), st.integers(0, 100_000), st.sampled_from([0, 7, 19, 20, 10, 22, 5])),
        min_size=1,
        max_size=20,
    ),
    fee=st.integers(0, 2000),
)
def test_net_and_vat_add_up_to_the_gross_of_each_rate_to_the_cent(lines: list[tuple[int, int, int]], fee: int) -> None:
    order_lines = [line(quantity, price, rate) for quantity, price, rate in lines]
    amounts = invoice.vat_breakdown(order_lines, fee, 19)
    gross = {rate: 0 for _, _, rate in lines}
    for item in order_lines:
        gross[item.vat_rate_percent] += item.gross_cents
    if fee:
        gross[19] = gross.get(19, 0) + fee
    assert [amount.rate_percent for amount in amounts] == sorted(gross)
    for amount in amounts:
        expected = (Decimal(gross[amount.rate_percent]) * 100 / (100 + amount.rate_percent)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        assert amount.net_cents == int(expected)
        assert amount.net_cents + amount.vat_cents == gross[amount.rate_percent]
    assert sum(amount.net_cents + amount.vat_cents for amount in amounts) == sum(gross.values())


def test_an_order_paid_on_invoice_gets_its_invoice_with_the_number_in_one_decision() -> None:
    state = confirmed()
    sequence = None
    for _ in range(41):  # last year's invoices: the count goes on
        taken_before = invoice.take_number(sequence, merchant_id=MERCHANT, order_id=uuid4(), today=date(2025, 12, 31))
        sequence = invoice.evolve(sequence, taken_before[0])
    assert sequence is not None and sequence.last == 41 and sequence.version == 41
    decision = invoice.invoice_order(sequence, state, merchant=SHOP, today=TODAY, standard_vat_percent=19)
    (taken,) = decision.sequence_events
    issued, particulars = decision.order_events
    assert isinstance(taken, InvoiceNumberTaken) and taken.sequence == 42
    assert issued == InvoiceIssued(
        order_id=state.order_id,
        merchant_id=MERCHANT,
        invoice_number="RE-2026-00042",
        sequence=42,
        issued_on=TODAY,
        net_cents=421 + 2496,
        vat=[
            VatAmount(rate_percent=7, net_cents=421, vat_cents=29),
            VatAmount(rate_percent=19, net_cents=2496, vat_cents=474),
        ],
        gross_cents=3420,
    )
    assert isinstance(particulars, InvoiceParticularsRecorded) and not particulars.published
    invoiced = order.evolve(order.evolve(state, issued), particulars)
    assert invoiced.invoice == issued
    again = invoice.invoice_order(
        invoice.evolve(sequence, taken), invoiced, merchant=SHOP, today=TODAY, standard_vat_percent=19
    )
    assert (again.sequence_events, again.order_events) == ((), ())
    assert decision.sequence_id == invoice.invoice_sequence_id(MERCHANT) and decision.order_id == state.order_id
    assert invoice.issue(invoiced, taken=taken, seller=SELLER, standard_vat_percent=19) == []  # type: ignore[arg-type]
    with pytest.raises(Contradiction, match="has invoice RE-2026-00042"):
        invoice.issue(
            invoiced,
            taken=taken.model_copy(update={"sequence": 43}),  # type: ignore[union-attr]
            seller=SELLER,
            standard_vat_percent=19,
        )


def test_the_invoice_records_everything_it_says_when_it_is_issued() -> None:
    event = placed(lines=[line(2, 1290, 19), line(1, 450, 7)])
    state = order.replay(history_of(event))
    decision = invoice.invoice_order(None, state, merchant=SHOP, today=TODAY, standard_vat_percent=19)
    _, particulars = decision.order_events
    assert isinstance(particulars, InvoiceParticularsRecorded)
    assert (particulars.order_id, particulars.merchant_id) == (event.order_id, MERCHANT)
    assert particulars.document == InvoiceDocument(
        number="RE-2026-00001",
        issued_on=TODAY,
        supplied_on=TODAY,  # issued with the handing over or the delivery
        seller=SELLER,
        buyer=InvoiceParty(name="Anna Beispiel", address=HOME),
        lines=(
            InvoiceLine(title="Ware", quantity=2, unit_gross_cents=1290, gross_cents=2580, vat_rate_percent=19),
            InvoiceLine(title="Ware", quantity=1, unit_gross_cents=450, gross_cents=450, vat_rate_percent=7),
        ),
        delivery_fee_cents=390,
        delivery_fee_vat_percent=19,
        vat=(
            VatAmount(rate_percent=7, net_cents=421, vat_cents=29),
            VatAmount(rate_percent=19, net_cents=2496, vat_cents=474),
        ),
        net_cents=2917,
        vat_cents=503,
        gross_cents=3420,
        voucher_cents=0,
        due_cents=3420,
        payment_method="invoice",
        payment_reference="RE-2026-00001",  # no bank account in this shop's profile: none printed
    )
    steuernummer = replace(SHOP, name="Terhaar Räder GmbH", tax_number="12/345/67890")
    assert invoice_seller(steuernummer) == InvoiceParty(
        name="Terhaar Räder GmbH", address=SHOP_ADDRESS, tax_number="12/345/67890", tax_number_kind="tax_number"
    )


def test_only_an_approved_merchant_with_tax_number_and_address_issues_or_takes_invoices() -> None:
    state = confirmed()
    for merchant, at_issue, at_checkout in (
        (replace(SHOP, approved=False), "does not vouch for it", "has not approved it for payments"),
        (replace(SHOP, tax_number=" "), "without a tax number or VAT id", "no tax number or VAT id"),
        (replace(SHOP, address=None), "without the shop's address", "no address of it"),
    ):
        with pytest.raises(InvalidChange, match=at_issue):
            invoice.invoice_order(None, state, merchant=merchant, today=TODAY, standard_vat_percent=19)
        with pytest.raises(InvalidChange, match=f"Fahrrad Terhaar takes no orders on invoice: .*{at_checkout}"):
            ensure_takes_invoices(merchant)
    with pytest.raises(InvalidChange, match="not heard of this shop"):
        invoice.invoice_order(None, state, merchant=None, today=TODAY, standard_vat_percent=19)
    ensure_takes_invoices(SHOP)
    assert (tax_number_kind("DE123456789"), tax_number_kind("12/345/67890"), tax_number_kind("1234567890123")) == (
        "vat_id",
        "tax_number",
        "tax_number",
    )


def test_an_invoice_without_the_customers_address_is_refused_rather_than_issued() -> None:
    event = placed()
    nameless = OrderCustomerRecorded(order_id=event.order_id, checkout_id=event.checkout_id, name="A", phone="0255")
    history: list[IntegrationEvent] = [event, nameless]
    for decide in (order.record_stock_reserved, lambda s: order.accept(s, now=NOW)):
        history += decide(order.replay(history))
    with pytest.raises(InvalidChange, match="customer's name and address"):
        invoice.invoice_order(None, order.replay(history), merchant=SHOP, today=TODAY, standard_vat_percent=19)


def test_only_a_confirmed_order_paid_on_invoice_gets_one() -> None:
    for state, reason in (
        (confirmed(placed(method="cash_at_door")), "not paid on invoice"),
        (order.replay(history_of(placed(), confirm=False)), "not confirmed yet"),
    ):
        with pytest.raises(InvalidChange, match=reason):
            invoice.invoice_order(None, state, merchant=SHOP, today=TODAY, standard_vat_percent=19)
    state = confirmed()
    cancelled = order.evolve(state, order.cancel(state, by="merchant", now=NOW)[0])
    with pytest.raises(InvalidChange, match="did not go ahead"):
        invoice.invoice_order(None, cancelled, merchant=SHOP, today=TODAY, standard_vat_percent=19)
    (taken,) = invoice.take_number(None, merchant_id=MERCHANT, order_id=uuid4(), today=TODAY)
    with pytest.raises(InvalidChange, match="another order"):
        invoice.issue(state, taken=taken, seller=SELLER, standard_vat_percent=19)  # type: ignore[arg-type]


# --- gapless under concurrency: a fake event store with the real store's guarantee ---------


class Conflict(Exception):
    pass


@dataclass
class Store:
    """Streams with optimistic concurrency; a unit of work appends to several streams, all or none."""

    streams: dict[str, list[IntegrationEvent]]

    def read(self, stream: str) -> tuple[int, list[IntegrationEvent]]:
        events = list(self.streams.get(stream, []))
        return len(events), events

    def commit(self, appends: dict[str, tuple[int, tuple[IntegrationEvent, ...]]]) -> None:
        if any(len(self.streams.get(stream, [])) != expected for stream, (expected, _) in appends.items()):
            raise Conflict
        for stream, (_, events) in appends.items():
            self.streams.setdefault(stream, []).extend(events)


def invoicing(store: Store, order_id: UUID) -> Iterator[None]:
    """The app's handler, pausing between its reads and its commit; retries on a conflict."""
    sequence_stream = str(invoice.invoice_sequence_id(MERCHANT))
    while True:
        sequence_version, sequence_events = store.read(sequence_stream)
        yield
        order_version, order_events = store.read(str(order_id))
        yield
        decision = invoice.invoice_order(
            invoice.replay(sequence_events),
            order.replay(order_events),
            merchant=SHOP,
            today=TODAY,
            standard_vat_percent=19,
        )
        if not decision.order_events:
            return
        try:
            store.commit(
                {
                    sequence_stream: (sequence_version, decision.sequence_events),
                    str(order_id): (order_version, decision.order_events),
                }
            )
            return
        except Conflict:
            yield


@settings(max_examples=300, deadline=None)
@given(
    orders=st.integers(1, 6),
    duplicates=st.lists(st.integers(0, 5), max_size=4),
    schedule=st.lists(st.integers(0, 9), max_size=200),
)
def test_invoice_numbers_stay_gapless_whatever_the_interleaving(
    orders: int, duplicates: list[int], schedule: list[int]
) -> None:
    store = Store({})
    order_ids = []
    for _ in range(orders):
        history = history_of(placed())
        order_id = history[0].order_id  # type: ignore[attr-defined]
        store.streams[str(order_id)] = history
        order_ids.append(order_id)
    # One handler per order, plus redelivered requests for some orders running at the same time.
    workers = [invoicing(store, order_id) for order_id in order_ids]
    workers += [invoicing(store, order_ids[pick % orders]) for pick in duplicates]
    for pick in schedule:
        if workers:
            worker = workers[pick % len(workers)]
            if next(worker, StopIteration) is StopIteration:
                workers.remove(worker)
    for worker in workers:  # the rest run to their end
        for _ in worker:
            pass
    sequence = invoice.replay(store.streams[str(invoice.invoice_sequence_id(MERCHANT))])
    assert isinstance(sequence, InvoiceSequence)
    assert sequence.last == orders and set(sequence.numbers) == set(order_ids)
    numbers = []
    for order_id in order_ids:
        state = order.replay(store.streams[str(order_id)])
        assert state is not None and state.invoice is not None
        assert sum(isinstance(event, InvoiceIssued) for event in store.streams[str(order_id)]) == 1
        assert sum(isinstance(event, InvoiceParticularsRecorded) for event in store.streams[str(order_id)]) == 1
        assert sequence.numbers[order_id].sequence == state.invoice.sequence
        numbers.append(state.invoice.sequence)
    assert sorted(numbers) == list(range(1, orders + 1))
