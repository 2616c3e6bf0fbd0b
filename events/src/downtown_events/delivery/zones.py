# SPDX-License-Identifier: Apache-2.0
"""Where a town's couriers deliver: a polygon drawn on the map, or a list of postal codes.

Ordering keeps a replica of the zone (from dispatch's events) and asks :func:`delivers_to`
before it offers delivery, so the rule lives here once. A point on the zone's border is
inside: a customer across the street from the line should not be refused by rounding.
The polygon is read in plain lon/lat degrees (a town is small enough for that to be exact
where it matters: which side of an edge a point lies on) and may not cross the antimeridian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from downtown_events.delivery.geo import Coordinates
from downtown_events.refusals import InvalidChange

POSTAL_CODE = re.compile(r"[0-9]{5}")
ON_EDGE_TOLERANCE = 1e-12
"""In degrees squared (a cross product), a few nanometres: what floating point cannot tell from zero."""
MAX_VERTICES = 10_000


@dataclass(frozen=True)
class PolygonZone:
    """A simple polygon; the closing vertex may be repeated or not. Holes are not modelled: a
    town that leaves out a district draws around it."""

    vertices: tuple[Coordinates, ...]

    def __post_init__(self) -> None:
        points = list(self.vertices)
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()
        if len(set(points)) < 3:
            raise InvalidChange("a delivery zone's polygon needs at least three distinct points")
        if len(points) > MAX_VERTICES:
            raise InvalidChange(f"a delivery zone's polygon has at most {MAX_VERTICES} points")
        if max(p.lon for p in points) - min(p.lon for p in points) > 180:
            raise InvalidChange("a delivery zone may not span more than 180 degrees of longitude")
        object.__setattr__(self, "vertices", tuple(points))

    def contains(self, point: Coordinates) -> bool:
        """Inside or on the border (ray casting, with the border checked first)."""
        x, y = point.lon, point.lat
        inside = False
        vertices = self.vertices
        for index, a in enumerate(vertices):
            b = vertices[index - 1]
            if _on_segment(x, y, a, b):
                return True
            if (a.lat > y) != (b.lat > y):  # half-open: a vertex on the ray counts once
                crossing = a.lon + (y - a.lat) * (b.lon - a.lon) / (b.lat - a.lat)
                if x < crossing:
                    inside = not inside
        return inside


def _on_segment(x: float, y: float, a: Coordinates, b: Coordinates) -> bool:
    cross = (b.lon - a.lon) * (y - a.lat) - (b.lat - a.lat) * (x - a.lon)
    if abs(cross) > ON_EDGE_TOLERANCE:
        return False
    return min(a.lon, b.lon) <= x <= max(a.lon, b.lon) and min(a.lat, b.lat) <= y <= max(a.lat, b.lat)


@dataclass(frozen=True)
class PostalCodeZone:
    """Whole five-digit codes: a prefix would let "4862" or "48624999" in."""

    postal_codes: frozenset[str]

    def __post_init__(self) -> None:
        codes = frozenset(code.strip() for code in self.postal_codes)
        wrong = sorted(code for code in codes if not POSTAL_CODE.fullmatch(code))
        if wrong:
            raise InvalidChange(f"postal codes have five digits, not {', '.join(map(repr, wrong))}")
        if not codes:
            raise InvalidChange("a delivery zone by postal code names at least one")
        object.__setattr__(self, "postal_codes", codes)

    def contains(self, postal_code: str) -> bool:
        return "".join(postal_code.split()) in self.postal_codes


DeliveryZone = PolygonZone | PostalCodeZone


def delivers_to(zone: DeliveryZone, coordinates: Coordinates | None, postal_code: str | None) -> bool:
    """Whether an address is in the zone, by whichever of its facts the zone is drawn in; an
    address without that fact is outside (it cannot be shown to be in)."""
    if isinstance(zone, PolygonZone):
        return coordinates is not None and zone.contains(coordinates)
    return postal_code is not None and zone.contains(postal_code)
