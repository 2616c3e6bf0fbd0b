# SPDX-License-Identifier: AGPL-3.0-or-later
"""Properties over any sequence of commands: balances stay within the voucher's value and
add up, and a campaign never promises more than its budget or a buyer more than the cap."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from downtown_events.contract import IntegrationEvent
from downtown_events.vouchers import BalanceChange, ProgrammeTerms, VoucherIssued
from vouchers.domain import campaign, programme, voucher
from vouchers.domain.balance import expire, redeem, refund, reverse_redemption
from vouchers.domain.errors import DomainError
from vouchers.domain.merchant_standing import MerchantStanding

LAST_DAY = date(2029, 12, 31)
MERCHANTS = [MerchantStanding(uuid4(), f"Laden {n}", "active", "approved") for n in range(2)]

amounts = st.integers(min_value=1, max_value=4000)
picks = st.integers(min_value=0, max_value=7)
voucher_commands = st.lists(
    st.one_of(
        st.tuples(st.just("redeem"), amounts, picks, st.booleans()),
        st.tuples(st.just("reverse"), picks),
        st.tuples(st.just("refund"), picks, st.integers(min_value=1, max_value=1500), st.booleans()),
        st.tuples(st.just("refund"), picks, st.integers(min_value=1, max_value=300), st.booleans()),
        st.tuples(st.just("expire")),
        st.tuples(st.just("days"), st.integers(min_value=1, max_value=400)),
    ),
    min_size=5,
    max_size=40,
)


def check_voucher(state: voucher.Voucher) -> None:
    assert 0 <= state.paid_balance_cents <= state.paid_cents
    assert 0 <= state.bonus_balance_cents <= state.bonus_cents
    assert 0 <= state.balance_cents <= state.value_cents
    spent = state.redeemed_cents - state.reversed_cents - state.refunded_cents
    assert state.value_cents == state.balance_cents + spent + state.breakage_cents
    if state.breakage_cents:  # once expired, nothing stays spendable after a decision
        assert state.balance_cents == 0


@settings(max_examples=300, deadline=None)
@given(
    paid=st.integers(min_value=0, max_value=10_000),
    bonus=st.integers(min_value=0, max_value=3_000),
    commands=voucher_commands,
)
def test_any_sequence_of_voucher_commands_keeps_the_books_straight(
    paid: int, bonus: int, commands: list[tuple]
) -> None:  # type: ignore[type-arg]
    if paid + bonus == 0:
        paid = 1
    history: list[IntegrationEvent] = [
        VoucherIssued(
            voucher_id=uuid4(),
            purchase_id=uuid4(),
            programme_id=uuid4(),
            kind="town",
            value_cents=paid + bonus,
            paid_cents=paid,
            bonus_cents=bonus,
            expires_on=LAST_DAY,
        )
    ]
    state = voucher.replay(history)
    assert state is not None
    today, redemptions, refunds = date(2029, 6, 1), [uuid4()], [uuid4()]
    for command in commands:
        try:
            events = decide(state, command, today, redemptions, refunds)
        except DomainError:
            continue
        finally:
            if command[0] == "days":
                today += timedelta(days=command[1])
        for event in events:
            state = voucher.evolve(state, event)
            if isinstance(event, BalanceChange):
                assert event.balance_after_cents == state.balance_cents
        check_voucher(state)
        history += events
    assert voucher.replay(history) == state


def decide(
    state: voucher.Voucher,
    command: tuple,
    today: date,
    redemptions: list[UUID],
    refunds: list[UUID],  # type: ignore[type-arg]
) -> list[IntegrationEvent]:
    """One command; ids are drawn from those used before (retries, reuses) or new."""
    match command:
        case ("redeem", amount, merchant, reuse):
            redemption_id = redemptions[merchant % len(redemptions)] if reuse else new(redemptions)
            return redeem(
                state,
                redemption_id=redemption_id,
                merchant=MERCHANTS[merchant % 2],
                amount_cents=amount,
                today=today,
                merchant_accepts=True,
            )
        case ("reverse", pick):
            return reverse_redemption(state, redemption_id=recent(redemptions, pick), today=today)
        case ("refund", pick, amount, reuse):
            refund_id = refunds[pick % len(refunds)] if reuse else new(refunds)
            return refund(
                state,
                refund_id=refund_id,
                redemption_id=recent(redemptions, pick),
                amount_cents=amount,
                today=today,
            )
        case ("expire",):
            return expire(state, today=today)
    return []


def recent(ids: list[UUID], pick: int) -> UUID:
    """Mostly one of the last ids used, so that most commands meet something to act on."""
    return ids[-1 - pick % len(ids)]


def new(ids: list[UUID]) -> UUID:
    ids.append(uuid4())
    return ids[-1]


NOW = datetime(2026, 11, 1, tzinfo=UTC)
TOWN = programme.replay(
    programme.open_programme(
        None, programme_id=uuid4(), kind="town", terms=ProgrammeTerms(name="T", denominations_cents=[1])
    )
)
reservations = st.tuples(
    st.just("reserve"), st.integers(0, 4), st.lists(st.integers(1, 20_000), min_size=1, max_size=4)
)
campaign_commands = st.lists(
    st.one_of(
        reservations,
        reservations,
        reservations,
        st.tuples(st.just("grant"), picks),
        st.tuples(st.just("release"), picks),
        st.tuples(st.just("end")),
        st.tuples(st.just("hours"), st.integers(1, 48)),
    ),
    min_size=5,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    budget=st.integers(min_value=1, max_value=20_000),
    cap_share=st.integers(min_value=1, max_value=100),
    percent=st.integers(min_value=1, max_value=100),
    commands=campaign_commands,
)
def test_a_campaign_never_promises_more_than_its_budget_or_a_buyer_more_than_the_cap(
    budget: int,
    cap_share: int,
    percent: int,
    commands: list[tuple],  # type: ignore[type-arg]
) -> None:
    assert TOWN is not None
    cap = max(1, budget * cap_share // 100)
    history = campaign.start(
        None,
        campaign_id=uuid4(),
        programme=TOWN,
        name="Bonus",
        bonus_percent=percent,
        budget_cents=budget,
        per_buyer_cap_cents=cap,
        ends_at=NOW + timedelta(days=10),
        now=NOW,
    )
    state = campaign.replay(history)
    assert state is not None
    now, purchases = NOW, [uuid4()]
    for command in commands:
        try:
            match command:
                case ("reserve", buyer, item_amounts):
                    events = campaign.reserve(
                        state,
                        purchase_id=new(purchases),
                        buyer_ref=f"buyer{buyer}",
                        amounts_cents=item_amounts,
                        now=now,
                    )
                case ("grant", pick):
                    events = campaign.grant(state, purchase_id=recent(purchases, pick))
                case ("release", pick):
                    events = campaign.release(state, purchase_id=recent(purchases, pick))
                case ("end",):
                    events = campaign.end(state, now=now)
                case ("hours", hours):
                    now, events = now + timedelta(hours=hours), []
        except DomainError:
            continue
        for event in events:
            state = campaign.evolve(state, event)
            assert state.reserved_cents >= 0 and state.granted_cents >= 0
            assert state.reserved_cents + state.granted_cents <= state.budget_cents
            assert all(0 <= total <= cap for total in state.buyer_totals.values())
        history += events
    assert campaign.replay(history) == state
