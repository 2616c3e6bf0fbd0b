# SPDX-License-Identifier: AGPL-3.0-or-later
"""A voucher payment authorisation: the customer lets orders take up to an amount of a voucher.

A code is a secret and must never travel on a topic, so the customer shows it to vouchers
once (``POST /authorizations``) and the order carries only the authorisation's random id.
Nothing is redeemed when the authorisation is given: the balance may still be spent
elsewhere meanwhile, and each order's redemption decides on what is there then.

The authorisation's stream records what orders took of it (private) and every order it
refused (the public ``VoucherPaymentRefused``). An id nobody authorised (another town's, a
typo, a forgery) gets a stream holding its refusals only. The orders of one checkout (one
basket split per merchant) may share an authorisation; an order of another checkout may
not, since the id is published with the first order (``OrderPlaced``) and anyone reading
that topic would otherwise spend the rest.

Two streams decide an order's payment, and the process manager appends to both in one
transaction (see ``order_payment.pay``): the authorisation's (how much of it is left, which
checkout it pays) and the voucher's (its balance, its expiry, where it may be spent).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.money import format_money
from downtown_events.vouchers import VoucherPaymentRefused
from vouchers.domain.errors import (
    AlreadyExists,
    InsufficientBalance,
    InvalidChange,
    NotFound,
    VoucherHasExpired,
    checked,
)
from vouchers.domain.private_events import (
    VoucherAuthorizationReleased,
    VoucherAuthorizationUsed,
    VoucherPaymentAuthorized,
)
from vouchers.domain.voucher import Voucher

NO_AUTHORIZATION = UUID(int=0)
"""Where an order's refusal goes when it asked for a voucher part naming no authorisation."""


@dataclass(frozen=True)
class OrderUse:
    order_id: UUID
    checkout_id: UUID
    merchant_id: UUID
    voucher_cents: int
    redemption_id: UUID
    released: bool = False


@dataclass(frozen=True)
class Authorization:
    authorization_id: UUID
    voucher_id: UUID | None = None
    """None: nobody authorised this id; its stream holds refusals only."""
    amount_cents: int = 0
    authorized_at: datetime | None = None
    expires_at: datetime | None = None
    uses: Mapping[UUID, OrderUse] = field(default_factory=dict)
    refused: frozenset[UUID] = frozenset()
    version: int = 0

    @property
    def used_cents(self) -> int:
        """What the orders still standing took of it."""
        return sum(use.voucher_cents for use in self.uses.values() if not use.released)

    @property
    def left_cents(self) -> int:
        return self.amount_cents - self.used_cents

    def answered(self, order_id: UUID) -> bool:
        """Whether this order was paid or refused already (a redelivered ``OrderPlaced``)."""
        return order_id in self.uses or order_id in self.refused

    def checkout(self) -> UUID | None:
        """The checkout whose orders it pays, once one used it."""
        return next((use.checkout_id for use in self.uses.values()), None)


def evolve(state: Authorization | None, event: IntegrationEvent) -> Authorization:
    match event:
        case VoucherPaymentAuthorized() if state is None:
            return Authorization(
                event.authorization_id,
                event.voucher_id,
                event.amount_cents,
                event.authorized_at,
                event.expires_at,
                version=1,
            )
        case VoucherPaymentRefused() if state is None:
            return Authorization(event.authorization_id, refused=frozenset({event.order_id}), version=1)
    if state is None or isinstance(event, VoucherPaymentAuthorized):
        raise ValueError(f"{type(event).__name__} out of order on an authorisation's stream")
    match event:
        case VoucherAuthorizationUsed():
            use = OrderUse(
                event.order_id, event.checkout_id, event.merchant_id, event.voucher_cents, event.redemption_id
            )
            state = replace(state, uses={**state.uses, event.order_id: use})
        case VoucherAuthorizationReleased():
            released = replace(state.uses[event.order_id], released=True)
            state = replace(state, uses={**state.uses, event.order_id: released})
        case VoucherPaymentRefused():
            state = replace(state, refused=state.refused | {event.order_id})
    return replace(state, version=state.version + 1)


def replay(events: Iterable[IntegrationEvent]) -> Authorization | None:
    state: Authorization | None = None
    for event in events:
        state = evolve(state, event)
    return state


def authorize(
    state: Authorization | None,
    *,
    authorization_id: UUID,
    voucher: Voucher,
    amount_cents: int,
    now: datetime,
    valid_for: timedelta,
    today: date,
    masked_code: str | None = None,
) -> list[IntegrationEvent]:
    """Let orders take up to ``amount_cents`` of the voucher for ``valid_for``: what the
    voucher holds now, and only while it is valid. ``masked_code``, the code as typed and
    masked, names the voucher on the statements of the orders' merchants."""
    if state is not None:
        raise AlreadyExists("this authorisation exists already")
    if amount_cents <= 0:
        raise InvalidChange("the amount to authorise must be positive")
    if not voucher.valid_on(today):
        raise VoucherHasExpired(f"this voucher was valid through {voucher.expires_on.isoformat()}")
    if amount_cents > voucher.balance_cents:
        raise InsufficientBalance(
            f"the voucher's balance is {format_money(voucher.balance_cents, 'en')}; "
            "authorise at most that and pay the rest otherwise"
        )
    return [
        VoucherPaymentAuthorized(
            authorization_id=authorization_id,
            voucher_id=voucher.voucher_id,
            amount_cents=amount_cents,
            authorized_at=now,
            expires_at=now + valid_for,
            masked_code=masked_code,
        )
    ]


def use(
    state: Authorization | None,
    *,
    order_id: UUID,
    checkout_id: UUID,
    merchant_id: UUID,
    voucher_cents: int,
    redemption_id: UUID,
    placed_at: datetime,
) -> list[IntegrationEvent]:
    """An order placed at ``placed_at`` takes ``voucher_cents`` of the authorisation, or is
    refused (the error's reason says why). Taking it again for the same order decides nothing."""
    if state is None or state.voucher_id is None or state.expires_at is None:
        raise NotFound("no voucher authorisation has this id; authorise the voucher again")
    if order_id in state.uses:
        return []
    if placed_at > state.expires_at:
        raise InvalidChange(
            f"the voucher authorisation expired at {state.expires_at.isoformat(timespec='minutes')}, "
            "before the order was placed; authorise the voucher again"
        )
    if (checkout := state.checkout()) is not None and checkout != checkout_id:
        raise InvalidChange("this voucher authorisation pays the orders of another checkout; authorise it again")
    if voucher_cents > state.left_cents:
        raise InsufficientBalance(
            f"the voucher authorisation has {format_money(state.left_cents, 'en')} left "
            f"of {format_money(state.amount_cents, 'en')}, "
            f"less than the {format_money(voucher_cents, 'en')} this order asks of it"
        )
    return [
        VoucherAuthorizationUsed(
            authorization_id=state.authorization_id,
            order_id=order_id,
            checkout_id=checkout_id,
            merchant_id=merchant_id,
            voucher_id=state.voucher_id,
            voucher_cents=voucher_cents,
            redemption_id=redemption_id,
        )
    ]


def refuse(
    state: Authorization | None,
    *,
    authorization_id: UUID,
    order_id: UUID,
    merchant_id: UUID,
    voucher_cents: int,
    reason: str,
) -> list[IntegrationEvent]:
    """The order's voucher part is refused, once: an order already answered decides nothing."""
    if state is not None and state.answered(order_id):
        return []
    return [
        checked(
            VoucherPaymentRefused,
            authorization_id=authorization_id,
            order_id=order_id,
            merchant_id=merchant_id,
            voucher_cents=voucher_cents,
            reason=reason[:500] or "the voucher payment was refused",
        )
    ]


def release(state: Authorization | None, *, order_id: UUID, reason: str = "") -> list[IntegrationEvent]:
    """The order ended and its redemption was reversed: what it took is free again. An order
    that took nothing, or was released before, decides nothing."""
    found = state.uses.get(order_id) if state is not None else None
    if state is None or found is None or found.released:
        return []
    return [
        VoucherAuthorizationReleased(
            authorization_id=state.authorization_id,
            order_id=order_id,
            voucher_cents=found.voucher_cents,
            reason=reason,
        )
    ]
