# SPDX-License-Identifier: Apache-2.0
"""Places on the earth: validated coordinates and the great-circle distance between them.

Coordinates come from addresses geocoded outside the domain; a NaN or a latitude of 200
would otherwise travel silently into fees and tours, so they are refused where they are made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from downtown_events.refusals import InvalidChange

EARTH_RADIUS_M = 6_371_008.8
"""The mean earth radius (IUGG): haversine on a sphere is good to about 0.5 %, plenty for a town."""


@dataclass(frozen=True)
class Coordinates:
    """A point in WGS 84 degrees. ``lon`` first nowhere: fields are named, never positional."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        for name, value, limit in (("lat", self.lat, 90.0), ("lon", self.lon, 180.0)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InvalidChange(f"{name} must be a finite number of degrees, not {value!r}")
            if not -limit <= value <= limit:
                raise InvalidChange(f"{name} lies between -{limit:g} and {limit:g} degrees, not {value!r}")


def haversine_m(one: Coordinates, other: Coordinates) -> float:
    """The great-circle distance in metres (the haversine formula, numerically sound for the
    short distances of a town, where the spherical law of cosines loses its digits)."""
    phi1, phi2 = math.radians(one.lat), math.radians(other.lat)
    dphi = phi2 - phi1
    dlambda = math.radians(other.lon - one.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
