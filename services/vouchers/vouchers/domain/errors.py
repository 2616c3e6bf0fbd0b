# SPDX-License-Identifier: AGPL-3.0-or-later
"""Why a command was refused, in words a buyer, a merchant or the association can act on.

Reasons are English; an amount in one is written as English readers write it (``€12.50``)
by :func:`downtown_events.money.format_money`, the formatting every text for a person uses.
The refusals every service shares, and :func:`checked`, are the kit's
(:mod:`downtown_events.refusals`), re-exported here; this module adds the vouchers' own.
"""

from __future__ import annotations

from downtown_events.refusals import (  # noqa: F401 - the shared refusals, re-exported
    AlreadyExists,
    DomainError,
    InvalidChange,
    NotAllowed,
    NotFound,
    NotYetKnown,
    checked,
)


class NotTheBuyer(NotFound):
    """The access token does not open this purchase, or there is no such purchase: the
    bearer is told the same either way (HTTP 401), so a token opens nothing but its own."""


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
