# SPDX-License-Identifier: AGPL-3.0-or-later
"""Merchants join and leave town programmes; a member accepts the programme's vouchers."""

from __future__ import annotations

from uuid import uuid4

import pytest

from downtown_events.vouchers import MerchantJoinedProgramme, MerchantLeftProgramme, ProgrammeClosed, ProgrammeTerms
from vouchers.domain import membership, programme
from vouchers.domain.errors import InvalidChange, NotAllowed, NotFound, NotYetKnown
from vouchers.domain.merchant_standing import MerchantStanding

TERMS = ProgrammeTerms(name="Stadtgutschein", denominations_cents=[1000])
SHOP = MerchantStanding(uuid4(), "Café Extrablatt", "active", "approved")


def opened(kind: str = "town") -> programme.Programme:
    merchant = SHOP if kind == "merchant" else None
    events = programme.open_programme(None, programme_id=uuid4(), kind=kind, terms=TERMS, merchant=merchant)  # type: ignore[arg-type]
    state = programme.replay(events)
    assert state is not None
    return state


def test_the_membership_id_is_the_same_for_the_same_pair_and_differs_otherwise() -> None:
    programme_id, merchant_id = uuid4(), uuid4()
    assert membership.membership_id(programme_id, merchant_id) == membership.membership_id(programme_id, merchant_id)
    assert membership.membership_id(programme_id, merchant_id) != membership.membership_id(programme_id, uuid4())
    assert membership.membership_id(programme_id, merchant_id) != membership.membership_id(uuid4(), merchant_id)


def test_joining_leaving_and_joining_again() -> None:
    town = opened()
    (joined,) = membership.join(None, programme=town, merchant=SHOP)
    mid = membership.membership_id(town.programme_id, SHOP.merchant_id)
    assert joined == MerchantJoinedProgramme(
        membership_id=mid, programme_id=town.programme_id, merchant_id=SHOP.merchant_id
    )
    state = membership.replay([joined])
    assert membership.accepts(state) and membership.join(state, programme=town, merchant=SHOP) == []
    (left,) = membership.leave(state)
    assert isinstance(left, MerchantLeftProgramme)
    state = membership.evolve(state, left)
    assert not membership.accepts(state) and membership.leave(state) == []
    (again,) = membership.join(state, programme=town, merchant=SHOP)
    state = membership.evolve(state, again)
    assert membership.accepts(state) and state.version == 3


def test_nobody_is_a_member_before_joining() -> None:
    assert not membership.accepts(None)
    with pytest.raises(NotFound, match="never joined"):
        membership.leave(None)


def test_only_open_town_programmes_are_joined() -> None:
    with pytest.raises(InvalidChange, match="only town programmes"):
        membership.join(None, programme=opened("merchant"), merchant=SHOP)
    town = opened()
    closed = programme.evolve(town, ProgrammeClosed(programme_id=town.programme_id))
    with pytest.raises(InvalidChange, match="closed"):
        membership.join(None, programme=closed, merchant=SHOP)


def test_a_closed_shop_may_join_a_suspended_or_unknown_merchant_may_not() -> None:
    town = opened()
    assert membership.join(None, programme=town, merchant=MerchantStanding(uuid4(), "Zu", "closed", "approved"))
    with pytest.raises(NotAllowed):
        membership.join(None, programme=town, merchant=MerchantStanding(uuid4(), "Gesperrt", "suspended", "approved"))
    with pytest.raises(NotYetKnown):
        membership.join(None, programme=town, merchant=MerchantStanding.unknown(uuid4()))
