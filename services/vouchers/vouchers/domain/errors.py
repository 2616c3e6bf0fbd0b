# SPDX-License-Identifier: AGPL-3.0-or-later
"""Why a command was refused, in words a buyer, a merchant or the association can act on.

Reasons are English; an amount in one is written as English readers write it (``€12.50``)
by :func:`downtown_events.money.format_money`, the formatting every text for a person uses.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class DomainError(Exception):
    """A rule of the vouchers service refused the command; nothing was written."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotFound(DomainError):
    """The programme, purchase, voucher or redemption does not exist (or is not the caller's)."""


class NotTheBuyer(NotFound):
    """The access token does not open this purchase, or there is no such purchase: the
    bearer is told the same either way (HTTP 401), so a token opens nothing but its own."""


class NotAllowed(DomainError):
    """The caller may not do this here (a suspended merchant, another merchant's voucher)."""


class InvalidChange(DomainError):
    """The command contradicts the current state (a closed programme, an unpaid purchase...)."""


class AlreadyExists(DomainError):
    """The aggregate was created before (with the same idempotency key, or id)."""


class NotYetKnown(DomainError):
    """The service has not yet heard of it (a merchant registered a moment ago whose event
    has not reached the replica): asking again shortly will do (HTTP 503, Retry-After)."""


class LimitReached(InvalidChange):
    """A limit the town set is reached by what exists now (open purchases of one buyer,
    open programmes of one merchant): something must end before more can start (HTTP 409)."""


class InsufficientBalance(InvalidChange):
    """The voucher holds less than the amount asked for; the reason says how much it holds."""


class VoucherHasExpired(InvalidChange):
    """The voucher's validity ran out; the reason says the last day it was valid."""


class RequestIdReused(InvalidChange):
    """A redemption or refund id came back with other content: a client bug, not a retry."""


class AlreadyPaid(InvalidChange):
    """A second, different payment for a paid purchase: it must be refunded, not booked."""


class CodesAlreadyDelivered(NotAllowed):
    """Codes are shown in full once; after that only the vouchers' balances are."""


def checked(model: type[M], **fields: Any) -> M:
    """The event, or an :class:`InvalidChange` naming what the contract refused (a name too
    long, an e-mail address that is none), rather than pydantic's error escaping the domain."""
    try:
        return model(**fields)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc']) or 'value'}: {detail['msg']}" for detail in error.errors()
        )
        raise InvalidChange(problems) from None
