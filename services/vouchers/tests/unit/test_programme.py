# SPDX-License-Identifier: AGPL-3.0-or-later
"""Programmes: who opens them, what they sell, how long their vouchers stay valid."""

from __future__ import annotations

import re
from datetime import date
from uuid import uuid4

import pytest

from downtown_events.vouchers import (
    AmountRange,
    ProgrammeChanged,
    ProgrammeClosed,
    ProgrammeOpened,
    ProgrammeTerms,
    ValidityPolicy,
)
from vouchers.domain import programme
from vouchers.domain.errors import AlreadyExists, InvalidChange, NotAllowed, NotFound, NotYetKnown
from vouchers.domain.merchant_standing import MerchantStanding

TERMS = ProgrammeTerms(name="Dülmen-Gutschein", denominations_cents=[1000, 2500, 5000])
SHOP = MerchantStanding(uuid4(), "Weinhandlung am Markt", "active", "approved")


def town_programme(terms: ProgrammeTerms = TERMS) -> programme.Programme:
    state = programme.replay(programme.open_programme(None, programme_id=uuid4(), kind="town", terms=terms))
    assert state is not None
    return state


def test_a_town_programme_is_the_associations_and_names_no_merchant() -> None:
    programme_id = uuid4()
    (opened,) = programme.open_programme(None, programme_id=programme_id, kind="town", terms=TERMS)
    assert opened == ProgrammeOpened(programme_id=programme_id, kind="town", merchant_id=None, terms=TERMS)
    with pytest.raises(InvalidChange, match="join it"):
        programme.open_programme(None, programme_id=uuid4(), kind="town", terms=TERMS, merchant=SHOP)


def test_a_merchant_programme_names_a_merchant_allowed_to_sell() -> None:
    (opened,) = programme.open_programme(None, programme_id=uuid4(), kind="merchant", terms=TERMS, merchant=SHOP)
    assert isinstance(opened, ProgrammeOpened) and opened.merchant_id == SHOP.merchant_id
    with pytest.raises(InvalidChange, match="needs the merchant"):
        programme.open_programme(None, programme_id=uuid4(), kind="merchant", terms=TERMS)
    suspended = MerchantStanding(SHOP.merchant_id, SHOP.name, "suspended", "approved")
    with pytest.raises(NotAllowed, match="suspended"):
        programme.open_programme(None, programme_id=uuid4(), kind="merchant", terms=TERMS, merchant=suspended)
    with pytest.raises(NotYetKnown, match="try again"):
        programme.open_programme(
            None, programme_id=uuid4(), kind="merchant", terms=TERMS, merchant=MerchantStanding.unknown(uuid4())
        )


def test_opening_twice_is_refused() -> None:
    state = town_programme()
    with pytest.raises(AlreadyExists):
        programme.open_programme(state, programme_id=state.programme_id, kind="town", terms=TERMS)


def test_terms_change_for_future_sales_until_the_programme_closes() -> None:
    state = town_programme()
    assert programme.change_terms(state, terms=TERMS) == []
    new_terms = TERMS.model_copy(update={"denominations_cents": [2000]})
    (changed,) = programme.change_terms(state, terms=new_terms)
    assert changed == ProgrammeChanged(programme_id=state.programme_id, terms=new_terms)
    state = programme.evolve(programme.evolve(state, changed), ProgrammeClosed(programme_id=state.programme_id))
    assert state.closed and state.terms == new_terms and state.version == 3
    assert programme.close(state, reason="again") == []
    with pytest.raises(InvalidChange, match="closed"):
        programme.change_terms(state, terms=TERMS)
    with pytest.raises(InvalidChange, match="sells no more"):
        programme.ensure_selling(state)


def test_an_unknown_programme_or_another_aggregates_stream_is_not_found() -> None:
    with pytest.raises(NotFound):
        programme.close(None)
    with pytest.raises(NotFound):
        programme.replay([ProgrammeClosed(programme_id=uuid4())])
    assert programme.replay([]) is None


def test_a_voucher_is_sold_for_a_denomination() -> None:
    state = town_programme()
    programme.check_amount(state, 2500)
    with pytest.raises(InvalidChange, match=r"not sold for €20.00; choose one of €10.00, €25.00, €50.00$"):
        programme.check_amount(state, 2000)


def test_a_free_amount_is_sold_within_its_range_both_ends_included() -> None:
    state = town_programme(ProgrammeTerms(name="Frei", free_amount=AmountRange(min_cents=500, max_cents=25000)))
    for cents in (500, 1234, 25000):
        programme.check_amount(state, cents)
    for cents in (499, 25001, 0, -100):
        with pytest.raises(InvalidChange, match=re.escape("any amount from €5.00 to €250.00")):
            programme.check_amount(state, cents)


def test_denominations_and_a_free_range_are_both_offered() -> None:
    terms = ProgrammeTerms(
        name="Beides", denominations_cents=[10000], free_amount=AmountRange(min_cents=1000, max_cents=5000)
    )
    state = town_programme(terms)
    programme.check_amount(state, 10000)
    programme.check_amount(state, 3000)
    with pytest.raises(InvalidChange, match=re.escape("one of €100.00 or any amount from €10.00 to €50.00")):
        programme.check_amount(state, 7500)


@pytest.mark.parametrize(
    ("purchased_on", "expires_on"),
    [
        (date(2026, 3, 5), date(2029, 12, 31)),
        (date(2026, 1, 1), date(2029, 12, 31)),
        (date(2026, 12, 31), date(2029, 12, 31)),
        (date(2024, 2, 29), date(2027, 12, 31)),
    ],
)
def test_by_default_a_voucher_is_valid_three_years_to_the_end_of_the_year(purchased_on: date, expires_on: date) -> None:
    assert programme.expiry_date(ValidityPolicy(), purchased_on) == expires_on


@pytest.mark.parametrize(
    ("years", "purchased_on", "expires_on"),
    [
        (3, date(2026, 3, 5), date(2029, 3, 5)),
        (3, date(2024, 2, 29), date(2027, 2, 28)),
        (4, date(2024, 2, 29), date(2028, 2, 29)),
        (1, date(2027, 2, 28), date(2028, 2, 28)),
        (2, date(2026, 12, 31), date(2028, 12, 31)),
    ],
)
def test_without_end_of_year_a_voucher_is_valid_to_the_same_day_n_years_on(
    years: int, purchased_on: date, expires_on: date
) -> None:
    policy = ValidityPolicy(years=years, to_end_of_year=False)
    assert programme.expiry_date(policy, purchased_on) == expires_on
