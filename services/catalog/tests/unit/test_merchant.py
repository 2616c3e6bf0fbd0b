# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's rules, as behaviour: given its events, a command decides new events."""

from __future__ import annotations

from datetime import date, time
from uuid import uuid4

import pytest

from catalog.domain import merchant
from catalog.domain.errors import AlreadyExists, InvalidChange, NotAllowed, NotFound
from downtown_events.catalog import (
    Address,
    MerchantApprovalWithdrawn,
    MerchantApproved,
    MerchantAvailabilityNoted,
    MerchantClosed,
    MerchantProfile,
    MerchantProfileChanged,
    MerchantRegistered,
    MerchantReinstated,
    MerchantSuspended,
    OpeningHoursChanged,
    TimeWindow,
)

PROFILE = MerchantProfile(
    name="Bäckerei Kröger",
    category="Bäckerei",
    phone="02555 77",
    email="backstube@kroeger.example",
    address=Address(street="Markt 3", postal_code="48624", city="Schöppingen"),
)
MERCHANT_ID = uuid4()


def hours(*windows: tuple[int, int, int]) -> list[TimeWindow]:
    return [TimeWindow(weekday=day, opens=time(start), closes=time(end)) for day, start, end in windows]


def registered() -> merchant.Merchant:
    state = merchant.replay(merchant.register(None, MERCHANT_ID, PROFILE, hours((0, 7, 13))))
    assert state is not None
    return state


def test_registering_records_profile_and_hours() -> None:
    (event,) = merchant.register(None, MERCHANT_ID, PROFILE, hours((0, 7, 13), (0, 14, 18)))
    assert isinstance(event, MerchantRegistered) and event.profile == PROFILE and len(event.opening_hours) == 2


def test_registering_twice_is_refused() -> None:
    with pytest.raises(AlreadyExists):
        merchant.register(registered(), MERCHANT_ID, PROFILE, [])


def test_overlapping_opening_hours_are_refused() -> None:
    with pytest.raises(InvalidChange, match="overlap on weekday 2"):
        merchant.register(None, MERCHANT_ID, PROFILE, hours((2, 8, 12), (2, 11, 18)))


def test_changes_to_an_unknown_merchant_are_refused() -> None:
    with pytest.raises(NotFound):
        merchant.close(None, "Urlaub")


def test_an_unchanged_profile_or_hours_decides_nothing() -> None:
    state = registered()
    assert merchant.change_profile(state, PROFILE) == []
    assert merchant.change_opening_hours(state, hours((0, 7, 13))) == []
    new_profile = PROFILE.model_copy(update={"offers_delivery": True})
    assert merchant.change_profile(state, new_profile) == [
        MerchantProfileChanged(merchant_id=MERCHANT_ID, profile=new_profile)
    ]
    assert isinstance(merchant.change_opening_hours(state, hours((1, 9, 17)))[0], OpeningHoursChanged)


def test_closing_and_reopening_toggle_and_repeat_harmlessly() -> None:
    state = registered()
    (closed,) = merchant.close(state, "Betriebsurlaub")
    state = merchant.evolve(state, closed)
    assert isinstance(closed, MerchantClosed) and state.closed and state.version == 2
    assert merchant.close(state, "again") == []
    state = merchant.evolve(state, merchant.reopen(state)[0])
    assert not state.closed and merchant.reopen(state) == []


MONDAY, TUESDAY = date(2026, 12, 7), date(2026, 12, 8)


def test_a_note_for_customers_is_for_its_day_replaced_or_cleared_once() -> None:
    state = registered()
    (noted,) = merchant.note_availability(state, "Heute ab 14 Uhr nur Abholung", MONDAY)
    assert noted == MerchantAvailabilityNoted(
        merchant_id=MERCHANT_ID, note="Heute ab 14 Uhr nur Abholung", for_day=MONDAY
    )
    state = merchant.evolve(state, noted)
    assert merchant.note_for(state, MONDAY) == "Heute ab 14 Uhr nur Abholung"
    assert merchant.note_for(state, TUESDAY) == ""  # yesterday's note greets nobody
    assert merchant.note_availability(state, "Heute ab 14 Uhr nur Abholung", MONDAY) == []

    (cleared,) = merchant.note_availability(state, "", MONDAY)
    state = merchant.evolve(state, cleared)
    assert (cleared.note, merchant.note_for(state, MONDAY)) == ("", "")
    assert merchant.note_availability(state, "", MONDAY) == []
    assert merchant.note_availability(state, "", TUESDAY) == []
    (next_day,) = merchant.note_availability(state, "Heute ab 14 Uhr nur Abholung", TUESDAY)
    assert isinstance(next_day, MerchantAvailabilityNoted) and next_day.for_day == TUESDAY


def test_a_suspended_merchant_notes_nothing_and_a_closed_one_may() -> None:
    closed = merchant.evolve(registered(), merchant.close(registered(), "Inventur")[0])
    assert len(merchant.note_availability(closed, "Ab Montag wieder da", MONDAY)) == 1
    suspended = merchant.evolve(registered(), merchant.suspend(registered(), "Beschwerden")[0])
    with pytest.raises(NotAllowed, match="association"):
        merchant.note_availability(suspended, "Heute geöffnet", MONDAY)
    with pytest.raises(NotFound):
        merchant.note_availability(None, "Heute geöffnet", MONDAY)


def test_a_suspended_merchant_may_not_sell_until_reinstated() -> None:
    state = registered()
    (suspended,) = merchant.suspend(state, "Beschwerden")
    state = merchant.evolve(state, suspended)
    assert isinstance(suspended, MerchantSuspended)
    with pytest.raises(NotAllowed, match="association"):
        merchant.ensure_not_suspended(state)
    (reinstated,) = merchant.reinstate(state)
    assert isinstance(reinstated, MerchantReinstated)
    assert merchant.ensure_not_suspended(merchant.evolve(state, reinstated)).merchant_id == MERCHANT_ID


def test_a_registered_merchant_is_not_approved_until_the_association_says_so() -> None:
    """Registration is open to anyone; acting with money needs the association's approval."""
    state = registered()
    assert not state.approved
    (approved,) = merchant.approve(state)
    assert approved == MerchantApproved(merchant_id=MERCHANT_ID)
    state = merchant.evolve(state, approved)
    assert state.approved and merchant.approve(state) == []  # approving twice changes nothing
    (withdrawn,) = merchant.withdraw_approval(state, "Kassenprüfung offen")
    assert withdrawn == MerchantApprovalWithdrawn(merchant_id=MERCHANT_ID, reason="Kassenprüfung offen")
    state = merchant.evolve(state, withdrawn)
    assert not state.approved and merchant.withdraw_approval(state, "again") == []
    with pytest.raises(NotFound):
        merchant.approve(None)
