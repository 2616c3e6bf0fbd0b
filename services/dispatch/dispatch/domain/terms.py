# SPDX-License-Identifier: AGPL-3.0-or-later
"""The town's delivery terms, decided on one stream per town: set whole by the association,
each set replacing the one before.

The terms are validated by converting them with the arithmetic every reader uses
(:mod:`downtown_events.delivery.terms`): what dispatch accepts, ordering and the catalog can
compute with, so a polygon of two distinct corners, a postal code of four digits or a
negative fee is refused here, not discovered at a customer's checkout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial, reduce
from typing import Any
from uuid import UUID, uuid5

from dispatch.domain.errors import InvalidChange, NotFound, checked
from downtown_events.contract import IntegrationEvent
from downtown_events.delivery.terms import fee_rule_of, slot_definitions, zones_of
from downtown_events.dispatch import DeliveryTermsSet

TERMS_NAMESPACE = UUID("3b0f6b8e-9c1d-5e7a-8f42-1d6c5a9e2b77")


def terms_id_of(town: str) -> UUID:
    """The town's one terms stream."""
    return uuid5(TERMS_NAMESPACE, f"terms:{town}")


def zone_id_of(name: str) -> UUID:
    """A zone's id from its name, so that the same zone set again keeps its id (jobs name it)."""
    return uuid5(TERMS_NAMESPACE, f"zone:{' '.join(name.split()).casefold()}")


@dataclass(frozen=True)
class Terms:
    """The town's terms as last set."""

    current: DeliveryTermsSet


def evolve(state: Terms | None, event: IntegrationEvent) -> Terms | None:
    return Terms(event) if isinstance(event, DeliveryTermsSet) else state


def replay(events: Iterable[IntegrationEvent]) -> Terms | None:
    return reduce(evolve, events, None)


def set_terms(
    state: Terms | None,
    *,
    terms_id: UUID,
    courier_service_id: UUID,
    courier_service_known: bool,
    zones: Sequence[Mapping[str, Any]],
    fee: Mapping[str, Any],
    slots: Sequence[Mapping[str, Any]],
    lead_minutes: int,
    attempts: int,
) -> Sequence[IntegrationEvent]:
    """The terms whole (``zones``: name with polygon and/or postal codes; ``fee`` and ``slots``
    as the contract's values). The same terms set again decide nothing."""
    if not courier_service_known:
        raise NotFound("courier_service_id: no courier service of that id is registered")
    names = [" ".join(str(zone.get("name", "")).split()).casefold() for zone in zones]
    if len(set(names)) < len(names):
        raise InvalidChange("zones: each zone has a name of its own")
    terms = checked(
        DeliveryTermsSet,
        terms_id=terms_id,
        courier_service_id=courier_service_id,
        zones=[{**zone, "zone_id": zone_id_of(str(zone.get("name", "")))} for zone in zones],
        fee=fee,
        slots=slots,
        lead_minutes=lead_minutes,
        attempts=attempts,
    )
    for index, zone in enumerate(terms.zones):
        _named(f"zones.{index}", partial(zones_of, zone))
    _named("fee", lambda: fee_rule_of(terms.fee))
    _named("slots", lambda: slot_definitions(terms))
    if state is not None and state.current == terms:
        return []
    return [terms]


def _named(where: str, convert: Callable[[], object]) -> None:
    """Run a conversion of the arithmetic; its refusal names the part of the terms it was about."""
    try:
        convert()
    except InvalidChange as refusal:
        raise InvalidChange(f"{where}: {refusal.reason}") from None
