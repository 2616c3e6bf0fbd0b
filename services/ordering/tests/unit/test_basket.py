# SPDX-License-Identifier: AGPL-3.0-or-later
"""Baskets: filled from several merchants, lines put, changed and removed, frozen once checked out."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import TimeSlot
from ordering.domain import basket
from ordering.domain.errors import AlreadyCheckedOut, AlreadyExists, InvalidChange, NotFound
from ordering.domain.private_events import BasketCheckedOut, BasketLinePut, BasketLineRemoved, BasketOpened

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOKEN_HASH = hashlib.sha256(b"guest-token").hexdigest()
WINE, BAKERY = uuid4(), uuid4()
RIESLING, BREAD, TASTING = uuid4(), uuid4(), uuid4()
SLOT = TimeSlot(starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, hours=1))


def opened() -> tuple[basket.Basket, list[IntegrationEvent]]:
    events = basket.open_basket(None, basket_id=uuid4(), access_token_hash=TOKEN_HASH, now=NOW)
    state = basket.replay(events)
    assert state is not None
    return state, events


def put(state: basket.Basket, offer: object = RIESLING, **overrides: object) -> list[IntegrationEvent]:
    fields: dict[str, object] = dict(
        offer_id=offer, merchant_id=WINE, kind="product", title="Riesling 2023", quantity=2, unit_price_cents=1290
    )
    return basket.put(state, **{**fields, **overrides})  # type: ignore[arg-type]


def test_a_guest_fills_one_basket_from_several_merchants() -> None:
    state, history = opened()
    assert history == [BasketOpened(basket_id=state.basket_id, access_token_hash=TOKEN_HASH, opened_at=NOW)]
    history += put(state)
    state = basket.replay(history)  # type: ignore[assignment]
    history += put(state, BREAD, merchant_id=BAKERY, title="Roggenbrot", quantity=1, unit_price_cents=450)
    history += put(
        basket.replay(history),  # type: ignore[arg-type]
        TASTING,
        kind="service",
        title="Weinprobe",
        quantity=1,
        unit_price_cents=2500,
        slot=SLOT,
    )
    state = basket.replay(history)  # type: ignore[assignment]
    assert state.merchant_ids == (WINE, BAKERY)
    assert [line.offer_id for line in state.lines_of(WINE)] == [RIESLING, TASTING]
    assert [line.gross_cents for line in state.lines.values()] == [2580, 450, 2500]
    assert state.version == 4 and not state.checked_out


def test_putting_the_same_offer_again_replaces_its_line_and_the_same_line_decides_nothing() -> None:
    state, history = opened()
    history += put(state)
    state = basket.replay(history)  # type: ignore[assignment]
    assert put(state) == []
    (again,) = put(state, quantity=3, unit_price_cents=1390)
    assert isinstance(again, BasketLinePut) and again.line_id == basket.line_id(RIESLING)
    state = basket.evolve(state, again)
    (line,) = state.lines.values()
    assert (line.quantity, line.unit_price_cents) == (3, 1390)


def test_two_slots_of_one_service_are_two_lines() -> None:
    state, _ = opened()
    later = TimeSlot(starts_at=SLOT.starts_at + timedelta(hours=2), ends_at=SLOT.ends_at + timedelta(hours=2))
    for slot in (SLOT, later):
        (event,) = put(state, TASTING, kind="service", title="Weinprobe", quantity=1, slot=slot)
        state = basket.evolve(state, event)
    assert len(state.lines) == 2


def test_quantities_are_one_to_999_and_a_service_needs_a_slot() -> None:
    state, _ = opened()
    for quantity in (0, -1, 1000, 10**9):
        with pytest.raises(InvalidChange, match="1 to 999"):
            put(state, quantity=quantity)
    assert put(state, quantity=999)
    with pytest.raises(InvalidChange, match="choose one of its slots"):
        put(state, TASTING, kind="service", title="Weinprobe")
    with pytest.raises(InvalidChange, match="only a service is booked"):
        put(state, slot=SLOT)
    with pytest.raises(InvalidChange, match="title"):
        put(state, title="x" * 121)


def test_an_empty_title_from_the_catalog_still_names_the_line() -> None:
    state, _ = opened()
    (event,) = put(state, title="  ")
    assert isinstance(event, BasketLinePut) and event.title == "Angebot"


def test_the_quantity_changes_at_the_price_the_customer_saw() -> None:
    state, history = opened()
    history += put(state)
    state = basket.replay(history)  # type: ignore[assignment]
    line_id = basket.line_id(RIESLING)
    (changed,) = basket.change_quantity(state, line_id=line_id, quantity=5)
    assert isinstance(changed, BasketLinePut) and (changed.quantity, changed.unit_price_cents) == (5, 1290)
    assert basket.change_quantity(state, line_id=line_id, quantity=2) == []
    with pytest.raises(InvalidChange):
        basket.change_quantity(state, line_id=line_id, quantity=0)
    with pytest.raises(NotFound, match="no such line"):
        basket.change_quantity(state, line_id=uuid4(), quantity=1)


def test_removing_a_line_twice_removes_it_once() -> None:
    state, history = opened()
    history += put(state)
    state = basket.replay(history)  # type: ignore[assignment]
    (removed,) = basket.remove(state, line_id=basket.line_id(RIESLING))
    assert removed == BasketLineRemoved(basket_id=state.basket_id, line_id=basket.line_id(RIESLING))
    state = basket.evolve(state, removed)
    assert state.lines == {} and basket.remove(state, line_id=basket.line_id(RIESLING)) == []


def test_a_checked_out_basket_changes_no_more() -> None:
    state, history = opened()
    history += put(state)
    checkout_id = uuid4()
    history.append(
        BasketCheckedOut(basket_id=state.basket_id, checkout_id=checkout_id, order_ids=[uuid4()], checked_out_at=NOW)
    )
    state = basket.replay(history)  # type: ignore[assignment]
    assert state.checked_out and state.checkout_id == checkout_id
    for attempt in (
        lambda: put(state, quantity=1),
        lambda: basket.change_quantity(state, line_id=basket.line_id(RIESLING), quantity=1),
        lambda: basket.remove(state, line_id=basket.line_id(RIESLING)),
    ):
        with pytest.raises(AlreadyCheckedOut, match="changes no more") as refused:
            attempt()
        assert refused.value.checkout_id == checkout_id


def test_a_basket_is_opened_once_and_seen_by_its_owner_only() -> None:
    state, _ = opened()
    assert basket.open_basket(state, basket_id=state.basket_id, access_token_hash=TOKEN_HASH, now=NOW) == []
    with pytest.raises(AlreadyExists):
        basket.open_basket(state, basket_id=state.basket_id, account_id=uuid4(), now=NOW)
    with pytest.raises(InvalidChange, match="exactly one"):
        basket.open_basket(None, basket_id=uuid4(), now=NOW)
    assert basket.ensure_owner(state, account_id=None, access_token_hash=TOKEN_HASH) is state
    for account_id, token_hash in ((uuid4(), None), (None, "0" * 64), (None, None)):
        with pytest.raises(NotFound, match="no such basket"):
            basket.ensure_owner(state, account_id=account_id, access_token_hash=token_hash)
    account = uuid4()
    owned = basket.replay(basket.open_basket(None, basket_id=uuid4(), account_id=account, now=NOW))
    assert basket.ensure_owner(owned, account_id=account, access_token_hash=None) is owned
    assert TOKEN_HASH not in repr(state)


def test_an_unknown_basket_is_not_found() -> None:
    with pytest.raises(NotFound):
        put(None)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        basket.replay([BasketLineRemoved(basket_id=uuid4(), line_id=uuid4())])
    assert basket.replay([]) is None


def test_a_basket_holds_at_most_100_lines() -> None:
    state, _ = opened()
    for _ in range(basket.MAX_LINES):
        (event,) = put(state, uuid4(), quantity=1)
        state = basket.evolve(state, event)
    with pytest.raises(InvalidChange, match="at most 100 lines"):
        put(state, uuid4())
    first = next(iter(state.lines.values()))
    assert put(state, first.offer_id, quantity=7)  # an existing line may still change
