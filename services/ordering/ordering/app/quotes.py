# SPDX-License-Identifier: AGPL-3.0-or-later
"""Costs and choices before checkout: a service's free times, and a basket's quote.

Everything comes from ordering's own replica of the catalog, its slot holds and the town's
settings: no call to another service. The replica may lag the catalog by a moment, so a
quote says what checkout would decide now, and the catalog still has the last word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from uuid import UUID

from downtown_events.geo import GeoPoint
from downtown_events.money import Language
from downtown_events.runtime.texts import Texts
from ordering.app.context import Context
from ordering.app.ports import CatalogReplica
from ordering.app.quote_texts import warning_text
from ordering.app.shopping import BasketKey, ShoppingHandlers
from ordering.domain.basket import Basket
from ordering.domain.errors import AlreadyCheckedOut, InvalidChange, NotFound
from ordering.domain.quote import Quote, QuoteFacts, QuoteWarning, quote, taken
from ordering.domain.slots import FreeSlots, days_from, free_slots


class QuoteHandlers:
    def __init__(self, context: Context, replica: CatalogReplica, shopping: ShoppingHandlers, texts: Texts) -> None:
        self._context = context
        self._replica = replica
        self._shopping = shopping
        self._texts = texts

    def words(self, language: Language) -> Callable[[QuoteWarning], str]:
        """A warning's sentence in ``language``, in the town's wording where it has its own."""
        return lambda warning: warning_text(warning, language, self._texts)

    async def free_slots(self, offer_id: UUID, first_day: date | None, days: int) -> FreeSlots:
        """The service's times on ``days`` days from ``first_day`` (the town's today) that are
        neither booked by an order nor held by a basket, and that checkout would accept now."""
        offer = (await self._replica.offers([offer_id])).get(offer_id)
        if offer is None or offer.withdrawn:
            raise NotFound("no such offer in this town (any more)")
        if offer.kind != "service":
            raise InvalidChange(f"{offer.title} is a product; only a service is booked for a time")
        span = days_from(first_day or self._context.today(), days)
        facts = await self._facts([offer_id], span)
        now = self._context.now()
        return free_slots(offer, span, taken(offer_id, facts, now), self._context.town, now)

    async def quote(
        self,
        basket_id: UUID,
        key: BasketKey,
        *,
        postal_code: str | None,
        first_day: date | None,
        days: int,
        pin: GeoPoint | None = None,
    ) -> Quote:
        """What each shop's order would cost and allow if the basket were checked out now; with
        dispatch's terms, the one delivery's fee and the next slots to the door (``pin``)."""
        basket = await self._shopping.basket(basket_id, key)
        if basket.checked_out:
            raise AlreadyCheckedOut("this basket was checked out; its orders say what comes next", basket.checkout_id)
        span = days_from(first_day or self._context.today(), days)
        offer_ids = {line.offer_id for line in basket.lines.values()}
        services = {line.offer_id for line in basket.lines.values() if line.slot is not None}
        slot_days = _slot_days(basket, self._context.town.timezone)
        facts = await self._facts(services, sorted({*span, *slot_days}), offer_ids, set(basket.merchant_ids))
        return quote(
            basket,
            facts,
            self._context.town,
            self._context.now(),
            days=span,
            postal_code=postal_code,
            terms=await self._shopping.delivery_terms(),
            pin=pin,
        )

    async def _facts(
        self,
        services: Iterable[UUID],
        days: Sequence[date],
        offer_ids: Iterable[UUID] = (),
        merchant_ids: Iterable[UUID] = (),
    ) -> QuoteFacts:
        services = list(services)
        offers, merchants = await self._replica.facts(set(offer_ids) | set(services), merchant_ids)
        since, until = self._day_start(min(days)), self._day_start(max(days) + timedelta(days=1))
        booked = await self._replica.booked_slots(services, since, until) if services else {}
        holds = await self._shopping.holding.holds(services, days)
        return QuoteFacts(offers, merchants, booked, holds)

    def _day_start(self, day: date) -> datetime:
        return datetime.combine(day, time(0, 0), tzinfo=self._context.town.timezone)


def _slot_days(basket: Basket, timezone: tzinfo) -> set[date]:
    """The town days of the basket's service times (their holds are on those days' streams)."""
    return {line.slot.starts_at.astimezone(timezone).date() for line in basket.lines.values() if line.slot}
