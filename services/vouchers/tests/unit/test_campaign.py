# SPDX-License-Identifier: AGPL-3.0-or-later
"""Campaigns: a bonus from a fixed budget, never overspent, capped per buyer, until a deadline."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from downtown_events.contract import IntegrationEvent
from downtown_events.vouchers import (
    CampaignBonusGranted,
    CampaignBonusReleased,
    CampaignBonusReserved,
    CampaignEnded,
    ProgrammeClosed,
    ProgrammeTerms,
)
from vouchers.domain import campaign, programme
from vouchers.domain.bonus import offer_bonus, reserved_bonuses
from vouchers.domain.errors import AlreadyExists, InvalidChange, NotFound
from vouchers.domain.private_events import CampaignBuyerRecorded

NOW = datetime(2026, 11, 2, 10, tzinfo=UTC)
ENDS = datetime(2026, 12, 24, 12, tzinfo=UTC)
TOWN = programme.replay(
    programme.open_programme(
        None, programme_id=uuid4(), kind="town", terms=ProgrammeTerms(name="Gescher", denominations_cents=[1000])
    )
)
assert TOWN is not None
ANNA, BERND = "a" * 64, "b" * 64


def start_events(budget: int = 10_000, cap: int = 2_000, percent: int = 20) -> list[IntegrationEvent]:
    return campaign.start(
        None,
        campaign_id=uuid4(),
        programme=TOWN,
        name="Weihnachtsbonus",
        bonus_percent=percent,
        budget_cents=budget,
        per_buyer_cap_cents=cap,
        ends_at=ENDS,
        now=NOW,
    )


def replayed(events: list[IntegrationEvent]) -> campaign.Campaign:
    state = campaign.replay(events)
    assert state is not None
    return state


def started(budget: int = 10_000, cap: int = 2_000, percent: int = 20) -> campaign.Campaign:
    return replayed(start_events(budget, cap, percent))


def reserve(state: campaign.Campaign, buyer: str, *amounts: int, at: datetime = NOW) -> tuple[campaign.Campaign, UUID]:
    purchase_id = uuid4()
    events = campaign.reserve(state, purchase_id=purchase_id, buyer_ref=buyer, amounts_cents=amounts, now=at)
    return apply(state, events), purchase_id


def apply(state: campaign.Campaign, events: list[IntegrationEvent]) -> campaign.Campaign:
    for event in events:
        state = campaign.evolve(state, event)
    return state


def test_starting_a_campaign_checks_its_terms() -> None:
    state = started()
    assert (state.bonus_percent, state.budget_cents, state.remaining_cents, state.version) == (20, 10_000, 10_000, 1)
    kwargs = dict(campaign_id=uuid4(), programme=TOWN, name="B", bonus_percent=20, budget_cents=100, ends_at=ENDS)
    with pytest.raises(InvalidChange, match="cap per buyer cannot exceed"):
        campaign.start(None, per_buyer_cap_cents=101, now=NOW, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidChange, match="deadline"):
        campaign.start(None, per_buyer_cap_cents=50, now=ENDS, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidChange, match="bonus_percent"):
        campaign.start(None, **{**kwargs, "bonus_percent": 150}, per_buyer_cap_cents=50, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(AlreadyExists):
        campaign.start(state, per_buyer_cap_cents=50, now=NOW, **kwargs)  # type: ignore[arg-type]
    closed = programme.evolve(TOWN, ProgrammeClosed(programme_id=TOWN.programme_id))
    with pytest.raises(InvalidChange, match="closed"):
        campaign.start(None, **{**kwargs, "programme": closed}, per_buyer_cap_cents=50, now=NOW)  # type: ignore[arg-type]


def test_a_reservation_holds_floor_percent_of_each_item_and_records_the_buyer_privately() -> None:
    state = started()
    purchase_id = uuid4()
    events = campaign.reserve(state, purchase_id=purchase_id, buyer_ref=ANNA, amounts_cents=[2500, 999], now=NOW)
    assert events == [
        CampaignBonusReserved(campaign_id=state.campaign_id, purchase_id=purchase_id, bonus_cents=500 + 199),
        CampaignBuyerRecorded(campaign_id=state.campaign_id, purchase_id=purchase_id, buyer_ref=ANNA),
    ]
    assert events[0].published and not events[1].published
    state = apply(state, events)
    assert (state.reserved_cents, state.remaining_cents, state.buyer_totals[ANNA]) == (699, 10_000 - 699, 699)
    assert reserved_bonuses(state, purchase_id=purchase_id, amounts_cents=[2500, 999]) == [500, 199]


def test_a_retried_reservation_holds_nothing_more() -> None:
    state, purchase_id = reserve(started(), ANNA, 5000)
    assert campaign.reserve(state, purchase_id=purchase_id, buyer_ref=ANNA, amounts_cents=[5000], now=NOW) == []


def test_the_last_of_the_budget_gives_a_partial_bonus_then_none() -> None:
    state, _ = reserve(started(budget=1_500, cap=1_500), ANNA, 5000)  # 1000 of 1500
    assert offer_bonus(state, buyer_ref=BERND, amounts_cents=[5000, 2500], now=NOW) == [500, 0]
    state, partial = reserve(state, BERND, 5000, 2500)
    assert state.reservations[partial].bonus_cents == 500 and state.remaining_cents == 0
    assert reserved_bonuses(state, purchase_id=partial, amounts_cents=[5000, 2500]) == [500, 0]
    state, nothing = reserve(state, "c" * 64, 5000)
    assert nothing not in state.reservations and state.reserved_cents == 1_500


def test_a_buyer_gets_no_more_than_the_cap_across_purchases() -> None:
    state, _ = reserve(started(cap=1_200), ANNA, 5000)  # 1000
    assert offer_bonus(state, buyer_ref=ANNA, amounts_cents=[5000], now=NOW) == [200]
    state, _ = reserve(state, ANNA, 5000)
    assert state.buyer_totals[ANNA] == 1_200
    assert campaign.reserve(state, purchase_id=uuid4(), buyer_ref=ANNA, amounts_cents=[5000], now=NOW) == []
    assert offer_bonus(state, buyer_ref=BERND, amounts_cents=[5000], now=NOW) == [1000]


def test_no_reservation_after_the_deadline_or_once_ended_early() -> None:
    state = started()
    assert campaign.reserve(state, purchase_id=uuid4(), buyer_ref=ANNA, amounts_cents=[5000], now=ENDS) == []
    assert campaign.reserve(
        state, purchase_id=uuid4(), buyer_ref=ANNA, amounts_cents=[5000], now=ENDS - timedelta(seconds=1)
    )
    (ended,) = campaign.end(state, reason="Budget anders verwendet", now=NOW)
    assert isinstance(ended, CampaignEnded)
    state = campaign.evolve(state, ended)
    assert not state.running_at(NOW)
    assert campaign.reserve(state, purchase_id=uuid4(), buyer_ref=ANNA, amounts_cents=[5000], now=NOW) == []
    assert campaign.end(state, now=NOW) == []
    assert campaign.end(started(), now=ENDS) == []  # past its deadline it has ended by itself


def test_a_paid_purchase_is_granted_its_bonus_even_after_the_deadline() -> None:
    state, purchase_id = reserve(started(), ANNA, 5000, at=ENDS - timedelta(minutes=1))
    assert not state.running_at(ENDS)  # paid after the deadline, as a bank transfer may be
    (granted,) = campaign.grant(state, purchase_id=purchase_id)
    assert granted == CampaignBonusGranted(campaign_id=state.campaign_id, purchase_id=purchase_id, bonus_cents=1000)
    state = campaign.evolve(state, granted)
    assert (state.reserved_cents, state.granted_cents, state.remaining_cents) == (0, 1000, 9000)
    assert campaign.grant(state, purchase_id=purchase_id) == []
    with pytest.raises(InvalidChange, match="was paid"):
        campaign.release(state, purchase_id=purchase_id)


def test_a_reservation_made_before_an_early_end_is_still_granted() -> None:
    state, purchase_id = reserve(started(), ANNA, 5000)
    state = apply(state, campaign.end(state, now=NOW))
    assert campaign.grant(state, purchase_id=purchase_id)


def test_releasing_returns_the_bonus_to_the_budget_and_to_the_buyers_cap() -> None:
    state, purchase_id = reserve(started(budget=1_000, cap=1_000), ANNA, 5000)
    assert offer_bonus(state, buyer_ref=ANNA, amounts_cents=[5000], now=NOW) == [0]
    (released,) = campaign.release(state, purchase_id=purchase_id)
    assert isinstance(released, CampaignBonusReleased) and released.bonus_cents == 1000
    state = campaign.evolve(state, released)
    assert (state.remaining_cents, state.buyer_totals[ANNA]) == (1_000, 0)
    assert campaign.release(state, purchase_id=purchase_id) == []
    with pytest.raises(InvalidChange, match="released"):
        campaign.grant(state, purchase_id=purchase_id)
    assert offer_bonus(state, buyer_ref=ANNA, amounts_cents=[5000], now=NOW) == [1000]


def test_granting_or_releasing_an_unknown_reservation_is_refused() -> None:
    with pytest.raises(NotFound, match="holds no bonus"):
        campaign.grant(started(), purchase_id=uuid4())
    with pytest.raises(NotFound):
        campaign.release(None, purchase_id=uuid4())
    with pytest.raises(NotFound):
        campaign.replay([CampaignEnded(campaign_id=uuid4())])


def test_many_buyers_never_overspend_the_budget() -> None:
    history = start_events(budget=10_007, cap=700, percent=15)
    state = replayed(history)
    peak = 0
    for number in range(400):
        purchase_id, amounts = uuid4(), [1000 + 37 * number % 4000, 2500]
        events = campaign.reserve(
            state, purchase_id=purchase_id, buyer_ref=f"buyer{number % 30}", amounts_cents=amounts, now=NOW
        )
        if events and number % 3 == 0:
            events += campaign.release(apply(state, events), purchase_id=purchase_id)
        elif events and number % 3 == 1:
            events += campaign.grant(apply(state, events), purchase_id=purchase_id)
        state, history = apply(state, events), history + events
        peak = max(peak, state.reserved_cents + state.granted_cents)
        assert 0 <= state.reserved_cents + state.granted_cents <= state.budget_cents
        assert all(0 <= total <= state.per_buyer_cap_cents for total in state.buyer_totals.values())
    assert peak == state.budget_cents  # used up to the last cent, never beyond
    assert campaign.replay(history) == state


def test_a_long_campaign_stream_replays_in_linear_time() -> None:
    history = start_events(budget=10_000_000, cap=10_000_000)
    campaign_id = history[0].campaign_id  # type: ignore[attr-defined]
    for number in range(10_000):
        purchase_id = uuid4()
        history += [
            CampaignBonusReserved(campaign_id=campaign_id, purchase_id=purchase_id, bonus_cents=500),
            CampaignBuyerRecorded(campaign_id=campaign_id, purchase_id=purchase_id, buyer_ref=f"b{number}"),
            CampaignBonusGranted(campaign_id=campaign_id, purchase_id=purchase_id, bonus_cents=500),
        ]
    began = time.perf_counter()
    state = replayed(history)
    assert time.perf_counter() - began < 1.0
    assert state.granted_cents == 5_000_000 and state.version == 30_001
