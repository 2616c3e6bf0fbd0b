# SPDX-License-Identifier: AGPL-3.0-or-later
"""A basket: one customer (guest or account) fills it from several merchants of the town,
then checks it out into one order per merchant (see :mod:`ordering.domain.checkout`).

Each line keeps the unit price the customer saw when putting it in; checkout compares it
with the catalog's current price, so a price that changed is shown, never silently charged.
A line is one offer, and for a bookable service one slot of it: the same offer put again
(for the same slot) replaces its line.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID, uuid5

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import OfferKind, TimeSlot
from ordering.domain.errors import AlreadyCheckedOut, AlreadyExists, InvalidChange, NotFound, checked
from ordering.domain.private_events import BasketCheckedOut, BasketLinePut, BasketLineRemoved, BasketOpened

MAX_QUANTITY = 999
MAX_LINES = 100
"""An order holds at most 100 lines (the contract's limit), so a basket does too."""


@dataclass(frozen=True)
class BasketLine:
    line_id: UUID
    offer_id: UUID
    merchant_id: UUID
    kind: OfferKind
    title: str
    quantity: int
    unit_price_cents: int
    slot: TimeSlot | None = None

    @property
    def gross_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class Basket:
    basket_id: UUID
    account_id: UUID | None
    access_token_hash: str | None = field(default=None, repr=False)
    # Read-only by convention, in the order lines were first put in: a fold copies it once.
    lines: Mapping[UUID, BasketLine] = field(default_factory=dict)
    checkout_id: UUID | None = None
    order_ids: tuple[UUID, ...] = ()
    version: int = 0

    @property
    def checked_out(self) -> bool:
        return self.checkout_id is not None

    @property
    def merchant_ids(self) -> tuple[UUID, ...]:
        """The merchants of the basket, in the order their first line was put in."""
        return tuple(dict.fromkeys(line.merchant_id for line in self.lines.values()))

    def lines_of(self, merchant_id: UUID) -> tuple[BasketLine, ...]:
        return tuple(line for line in self.lines.values() if line.merchant_id == merchant_id)


def line_id(offer_id: UUID, slot: TimeSlot | None = None) -> UUID:
    """A line's id: one per offer, and per slot for a service (two sessions of one tutoring
    are two lines); the same offer and slot always give the same id."""
    return uuid5(offer_id, "" if slot is None else f"{slot.starts_at.isoformat()}/{slot.ends_at.isoformat()}")


def shown_title(title: str) -> str:
    """The catalog lets an offer's title be empty; an order line needs one."""
    return title.strip() or "Angebot"


def evolve(state: Basket | None, event: IntegrationEvent) -> Basket:
    return _fold(state, [event])


def replay(events: Iterable[IntegrationEvent]) -> Basket | None:
    history = list(events)
    if history and not isinstance(history[0], BasketOpened):
        raise NotFound("no such basket")
    return _fold(None, history) if history else None


def _fold(state: Basket | None, events: Sequence[IntegrationEvent]) -> Basket:
    if state is None:
        first, *events = events
        if not isinstance(first, BasketOpened):
            raise ValueError(f"{type(first).__name__} before BasketOpened")
        state = Basket(first.basket_id, first.account_id, first.access_token_hash, version=1)
    lines, checkout_id, order_ids = dict(state.lines), state.checkout_id, state.order_ids
    for event in events:
        match event:
            case BasketLinePut():
                lines[event.line_id] = BasketLine(
                    event.line_id,
                    event.offer_id,
                    event.merchant_id,
                    event.kind,
                    event.title,
                    event.quantity,
                    event.unit_price_cents,
                    event.slot,
                )
            case BasketLineRemoved():
                lines.pop(event.line_id, None)
            case BasketCheckedOut():
                checkout_id, order_ids = event.checkout_id, tuple(event.order_ids)
            case BasketOpened():
                raise ValueError("a basket is opened once")
    return replace(
        state, lines=lines, checkout_id=checkout_id, order_ids=order_ids, version=state.version + len(events)
    )


def ensure_exists(state: Basket | None) -> Basket:
    if state is None:
        raise NotFound("no such basket")
    return state


def ensure_owner(state: Basket | None, *, account_id: UUID | None, access_token_hash: str | None) -> Basket:
    """Only its owner sees a basket: the signed-in account, or the bearer of the guest's
    token (compared in constant time). To anyone else it does not exist."""
    if state is not None:
        if state.account_id is not None and state.account_id == account_id:
            return state
        expected, given = state.access_token_hash or "", access_token_hash or ""
        if expected and given and hmac.compare_digest(expected.encode(), given.encode()):
            return state
    raise NotFound("no such basket")


def open_basket(
    state: Basket | None,
    *,
    basket_id: UUID,
    account_id: UUID | None = None,
    access_token_hash: str | None = None,
    now: datetime,
) -> list[IntegrationEvent]:
    """A new basket for an account or a guest; opening it again for the same owner decides nothing."""
    if state is not None:
        if (state.account_id, state.access_token_hash) == (account_id, access_token_hash):
            return []
        raise AlreadyExists("a basket with this id exists already")
    return [
        checked(
            BasketOpened, basket_id=basket_id, account_id=account_id, access_token_hash=access_token_hash, opened_at=now
        )
    ]


def put(
    state: Basket | None,
    *,
    offer_id: UUID,
    merchant_id: UUID,
    kind: OfferKind,
    title: str,
    quantity: int,
    unit_price_cents: int,
    slot: TimeSlot | None = None,
) -> list[IntegrationEvent]:
    """Put an offer in at the price the customer sees now, or replace its line (a new
    quantity, a price confirmed again). The same line again decides nothing."""
    basket = _ensure_open(state)
    title = shown_title(title)
    check_line(kind, title, quantity, slot)
    if unit_price_cents < 0:
        raise InvalidChange("a price is 0 or more")
    new_id = line_id(offer_id, slot)
    line = BasketLine(new_id, offer_id, merchant_id, kind, title, quantity, unit_price_cents, slot)
    if basket.lines.get(new_id) == line:
        return []
    if new_id not in basket.lines and len(basket.lines) >= MAX_LINES:
        raise InvalidChange(f"a basket holds at most {MAX_LINES} lines; order these first")
    return [_put_event(basket, line)]


def change_quantity(state: Basket | None, *, line_id: UUID, quantity: int) -> list[IntegrationEvent]:
    """A new quantity for a line, at the price the customer saw when putting it in."""
    basket = _ensure_open(state)
    _check_quantity(quantity)
    line = basket.lines.get(line_id)
    if line is None:
        raise NotFound("this basket has no such line")
    if line.quantity == quantity:
        return []
    return [_put_event(basket, replace(line, quantity=quantity))]


def remove(state: Basket | None, *, line_id: UUID) -> list[IntegrationEvent]:
    """Take a line out; a line that is not there (removed before) decides nothing."""
    basket = _ensure_open(state)
    if line_id not in basket.lines:
        return []
    return [BasketLineRemoved(basket_id=basket.basket_id, line_id=line_id)]


def check_line(kind: OfferKind, title: str, quantity: int, slot: TimeSlot | None) -> None:
    """What any order line must be: 1 to 999 of it, and a slot for a service only."""
    _check_quantity(quantity)
    if kind == "service" and slot is None:
        raise InvalidChange(f"{title} is booked for a time: choose one of its slots")
    if kind == "product" and slot is not None:
        raise InvalidChange(f"{title} is a product; only a service is booked for a time")


def _ensure_open(state: Basket | None) -> Basket:
    basket = ensure_exists(state)
    if basket.checked_out:
        raise AlreadyCheckedOut(
            "this basket was checked out and changes no more; your orders are on their way, start a new basket",
            basket.checkout_id,
        )
    return basket


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidChange(f"a quantity is 1 to {MAX_QUANTITY}; to take a line out, remove it")


def _put_event(basket: Basket, line: BasketLine) -> BasketLinePut:
    return checked(
        BasketLinePut,
        basket_id=basket.basket_id,
        line_id=line.line_id,
        offer_id=line.offer_id,
        merchant_id=line.merchant_id,
        kind=line.kind,
        title=line.title,
        quantity=line.quantity,
        unit_price_cents=line.unit_price_cents,
        slot=line.slot,
    )
