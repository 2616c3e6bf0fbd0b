# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering's own errors as problems, after the refusals every service shares (the kit's
``DOMAIN_PROBLEMS``; the kit maps the rest: see runtime/http/problems).

Nothing is written when any of these is raised: handlers decide before they append, and a
checkout's orders are one unit of work.
"""

from __future__ import annotations

from typing import Any

from downtown_events.runtime.http.problems import DOMAIN_PROBLEMS, ProblemRule
from ordering.domain.errors import (
    AlreadyCheckedOut,
    CouriersDeliver,
    DeliverySlotRefused,
    OfferUnavailable,
    OutOfStock,
    PricesChanged,
    SlotUnavailable,
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


def _clash(error: SlotUnavailable) -> dict[str, Any]:
    """The time met, and whether a basket holds it for a few minutes or an order booked it."""
    return {
        "offer_id": str(error.offer_id),
        "clash": error.why,
        "starts_at": error.slot.starts_at.isoformat(),
        "ends_at": error.slot.ends_at.isoformat(),
    }


ORDERING_PROBLEMS = [
    *DOMAIN_PROBLEMS,
    ProblemRule(OfferUnavailable, 422, "Offer not available", extensions=lambda e: {"offer_id": str(e.offer_id)}),
    ProblemRule(OutOfStock, 422, "Not enough left", extensions=lambda e: {"offer_id": str(e.offer_id), "left": e.left}),
    ProblemRule(PricesChanged, 409, "Prices changed", extensions=_changes),
    ProblemRule(SlotUnavailable, 409, "Time not available", extensions=_clash),
    ProblemRule(CouriersDeliver, 409, "Delivered by the town's couriers"),
    ProblemRule(DeliverySlotRefused, 422, "Delivery slot not available", field="delivery_slot"),
    ProblemRule(
        AlreadyCheckedOut,
        409,
        "Already checked out",
        extensions=lambda e: {"checkout_id": str(e.checkout_id) if e.checkout_id else None},
    ),
]
