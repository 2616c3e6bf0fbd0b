# SPDX-License-Identifier: AGPL-3.0-or-later
"""Events the catalog stores and replays but never publishes.

Registered like the public ones because reading the event store needs every type in it.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from downtown_events.contract import PrivateEvent, ValueObject, registry


class CatalogPrivateEvent(PrivateEvent):
    service: ClassVar[str] = "catalog"


class TakenStock(ValueObject):
    offer_id: UUID
    quantity: int = Field(ge=1)


@registry.register
class OrderStockTaken(CatalogPrivateEvent):
    """Which counted stock a reservation took, beside its ``OrderReservationMade``: a release
    gives back exactly this, even if the shop began counting an offer in between (an offer
    sold uncounted took nothing, so it gives nothing back)."""

    event_name: ClassVar[str] = "OrderStockTaken"
    schema_version: ClassVar[int] = 1
    reservation_id: UUID
    order_id: UUID
    taken: list[TakenStock] = Field(default_factory=list)
