# SPDX-License-Identifier: Apache-2.0
"""Places on the map: a shop's, a customer's door, a courier's depot, a zone's corners."""

from __future__ import annotations

import math

from pydantic import Field, field_validator

from downtown_events.contract import ValueObject


class GeoPoint(ValueObject):
    """A point on the earth (WGS 84), in degrees."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)

    @field_validator("lat", "lon")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("a coordinate is a finite number of degrees")
        return value
