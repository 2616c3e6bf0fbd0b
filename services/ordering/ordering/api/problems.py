# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering's own errors as problems (the kit maps the rest: see runtime/http/problems).

Nothing is written when any of these is raised: handlers decide before they append, and a
checkout's orders are one unit of work.
"""

from __future__ import annotations

from typing import Any

from downtown_events.runtime.http.problems import ProblemRule
from ordering.domain.errors import (
    AlreadyCheckedOut,
    AlreadyExists,
    DomainError,
    InvalidChange,
    NotAllowed,
    NotFound,
    NotYetKnown,
    OfferUnavailable,
    OutOfStock,
    PricesChanged,
)


def _changes(error: PricesChanged) -> dict[str, Any]:
    return {
        "price_changes": [
            {
                "line_id": str(change.line_id),
                "offer_id": str(change.offer_id),
                "title": change.title,
                "old_unit_price_cents": change.old_unit_price_cents,
                "new_unit_price_cents": change.new_unit_price_cents,
            }
            for change in error.changes
        ]
    }


ORDERING_PROBLEMS = [
    ProblemRule(DomainError, 400, "Bad request"),
    ProblemRule(NotFound, 404, "Not found"),
    ProblemRule(NotAllowed, 403, "Not allowed"),
    ProblemRule(AlreadyExists, 409, "Already exists"),
    ProblemRule(InvalidChange, 422, "Refused"),
    ProblemRule(OfferUnavailable, 422, "Offer not available", extensions=lambda e: {"offer_id": str(e.offer_id)}),
    ProblemRule(OutOfStock, 422, "Not enough left", extensions=lambda e: {"offer_id": str(e.offer_id), "left": e.left}),
    ProblemRule(PricesChanged, 409, "Prices changed", extensions=_changes),
    ProblemRule(
        AlreadyCheckedOut,
        409,
        "Already checked out",
        extensions=lambda e: {"checkout_id": str(e.checkout_id) if e.checkout_id else None},
    ),
    ProblemRule(NotYetKnown, 503, "Not known yet", headers=lambda _: {"Retry-After": "2"}),
]
