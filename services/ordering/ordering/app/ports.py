# SPDX-License-Identifier: AGPL-3.0-or-later
"""What ordering's use cases ask of the world besides the event store: its read models, and
the sealing of a courier order's drop-off for dispatch."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol
from uuid import UUID

from downtown_events.dispatch import DeliveryTermsSet
from downtown_events.ordering import DeliveryDropOff, TimeSlot
from ordering.domain.facts import MerchantFacts, OfferFacts


class CatalogReplica(Protocol):
    """Ordering's own replica of the catalog (a read model of the catalog's events)."""

    async def offers(self, offer_ids: Iterable[UUID]) -> dict[UUID, OfferFacts]: ...

    async def merchants(self, merchant_ids: Iterable[UUID]) -> dict[UUID, MerchantFacts]: ...

    async def facts(
        self, offer_ids: Iterable[UUID], merchant_ids: Iterable[UUID]
    ) -> tuple[dict[UUID, OfferFacts], dict[UUID, MerchantFacts]]:
        """``offers`` and ``merchants`` at once (a checkout needs both)."""
        ...

    async def booked_slots(
        self, offer_ids: Iterable[UUID], since: datetime, until: datetime
    ) -> dict[UUID, list[TimeSlot]]:
        """The times the catalog booked of these services for orders, overlapping ``since``
        to ``until``, by service (as the replica has heard so far)."""
        ...

    async def tokens_valid_after(self, merchant_id: UUID) -> datetime | None: ...


class TownDeliveryTerms(Protocol):
    """Ordering's replica of the town's delivery terms, as dispatch last published them."""

    async def current(self) -> DeliveryTermsSet | None:
        """The terms now (None: dispatch has published none; the town's settings decide)."""
        ...


class Deadlines(Protocol):
    """Orders past a deadline without the answer it was for: the merchant's, the catalog's or
    vouchers', or dispatch's to a courier order's hand-off (candidates: the order's own
    stream decides)."""

    async def unanswered_orders(self, now: datetime, limit: int) -> list[UUID]: ...


class DropOffSealer(Protocol):
    """Seals a courier order's drop-off so that only dispatch opens it (the town's delivery
    hand-off key, the order's id bound to it): the text goes into a public event."""

    def seal(self, order_id: UUID, drop_off: DeliveryDropOff) -> str: ...
