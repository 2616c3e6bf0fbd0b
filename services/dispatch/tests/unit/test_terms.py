# SPDX-License-Identifier: AGPL-3.0-or-later
"""The town's delivery terms: set whole, validated as every reader computes with them."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from dispatch.domain import terms as town_terms
from dispatch.domain.errors import InvalidChange, NotFound
from downtown_events.dispatch import DeliveryTermsSet

TERMS_ID, COURIERS = town_terms.terms_id_of("duelmen"), uuid4()
CENTRE = {
    "name": "Innenstadt",
    "polygon": [{"lat": 51.83, "lon": 7.27}, {"lat": 51.84, "lon": 7.29}, {"lat": 51.85, "lon": 7.27}],
}
FEE = {"pricing": "flat", "cents": 390, "free_above_cents": 5000}
THURSDAY = {"weekday": 3, "starts": "14:00", "ends": "18:00", "capacity": 30, "kind": "town_round"}


def set_terms(state: town_terms.Terms | None = None, **changed: Any) -> list[DeliveryTermsSet]:
    arguments: dict[str, Any] = {
        "terms_id": TERMS_ID,
        "courier_service_id": COURIERS,
        "courier_service_known": True,
        "zones": [CENTRE, {"name": "Hiddingsel", "postal_codes": ["48249"]}],
        "fee": FEE,
        "slots": [THURSDAY],
        "lead_minutes": 60,
        "attempts": 2,
    }
    return list(town_terms.set_terms(state, **(arguments | changed)))  # type: ignore[arg-type]


def test_terms_are_set_whole_with_zone_ids_from_their_names() -> None:
    [terms] = set_terms()
    assert terms.terms_id == TERMS_ID == town_terms.terms_id_of("duelmen") != town_terms.terms_id_of("coesfeld")
    assert [zone.zone_id for zone in terms.zones] == [
        town_terms.zone_id_of("Innenstadt"),
        town_terms.zone_id_of("Hiddingsel"),
    ]
    assert town_terms.zone_id_of(" innenstadt ") == town_terms.zone_id_of("Innenstadt")
    assert terms.fee.cents == 390 and terms.slots[0].kind == "town_round"
    state = town_terms.replay([terms])
    assert state is not None and state.current == terms
    assert set_terms(state) == []  # the same terms again: nothing new
    [changed] = set_terms(state, attempts=3)
    assert town_terms.replay([terms, changed]).current.attempts == 3  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changed", "reason"),
    [
        ({"zones": [{"name": "Strich", "polygon": CENTRE["polygon"][:2]}]}, "at least three corners"),
        (
            {"zones": [{"name": "Punkt", "polygon": [CENTRE["polygon"][0]] * 3}]},
            "zones.0: a delivery zone's polygon needs at least three distinct points",
        ),
        ({"zones": [{"name": "Dorf", "postal_codes": ["4824"]}]}, "zones.0: postal codes have five digits"),
        ({"zones": [{"name": "Nirgends"}]}, "a polygon or a list of postal codes"),
        ({"zones": [CENTRE, {**CENTRE, "name": " innenstadt"}]}, "a name of its own"),
        ({"zones": []}, "zones"),
        ({"fee": {"pricing": "flat", "cents": -1}}, "fee.cents"),
        ({"fee": {"pricing": "barter"}}, "fee.pricing"),
        ({"slots": [{**THURSDAY, "ends": "13:00"}]}, "a slot ends after it starts"),
        ({"slots": [{**THURSDAY, "weekday": 7}]}, "weekday"),
        ({"attempts": 0}, "attempts"),
        ({"zones": [{"name": "Mond", "polygon": [{"lat": 91, "lon": 0}] * 3}]}, "lat"),
    ],
)
def test_terms_no_reader_could_compute_with_are_refused_naming_where(changed: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidChange, match=reason):
        set_terms(**changed)


def test_terms_for_an_unknown_courier_service_are_refused() -> None:
    with pytest.raises(NotFound, match="courier_service_id"):
        set_terms(courier_service_known=False)
