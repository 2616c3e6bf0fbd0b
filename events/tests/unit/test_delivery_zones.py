# SPDX-License-Identifier: Apache-2.0
"""Delivery zones: coordinates refused when they are no place, membership by polygon or postal code."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from downtown_events.delivery.geo import Coordinates, haversine_m
from downtown_events.delivery.zones import PolygonZone, PostalCodeZone, delivers_to
from downtown_events.refusals import InvalidChange

lats = st.floats(min_value=-80, max_value=80, allow_nan=False)
lons = st.floats(min_value=-170, max_value=170, allow_nan=False)

DUELMEN_SQUARE = PolygonZone(
    (Coordinates(51.80, 7.20), Coordinates(51.80, 7.35), Coordinates(51.88, 7.35), Coordinates(51.88, 7.20))
)


@pytest.mark.parametrize(
    ("lat", "lon"), [(90.0001, 0), (-91, 0), (0, 180.5), (0, -181), (math.nan, 0), (0, math.inf), (True, 0), ("51", 7)]
)
def test_coordinates_that_are_no_place_are_refused(lat: object, lon: object) -> None:
    with pytest.raises(InvalidChange):
        Coordinates(lat, lon)  # type: ignore[arg-type]


def test_the_poles_and_the_antimeridian_are_places() -> None:
    assert Coordinates(90, 180) and Coordinates(-90, -180)


def test_haversine_knows_a_degree_of_latitude() -> None:
    assert haversine_m(Coordinates(51, 7), Coordinates(52, 7)) == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(Coordinates(51.8, 7.2), Coordinates(51.8, 7.2)) == 0


def test_inside_outside_and_on_the_border() -> None:
    assert DUELMEN_SQUARE.contains(Coordinates(51.84, 7.28))
    assert not DUELMEN_SQUARE.contains(Coordinates(51.79, 7.28))
    assert DUELMEN_SQUARE.contains(Coordinates(51.80, 7.28))  # on an edge
    assert DUELMEN_SQUARE.contains(Coordinates(51.88, 7.35))  # on a corner
    assert not DUELMEN_SQUARE.contains(Coordinates(51.84, 7.3500001))


def test_a_concave_zone_leaves_its_notch_out() -> None:
    # a U: the notch between its arms is outside, though it lies within the bounding box
    u = PolygonZone(
        tuple(Coordinates(lat, lon) for lon, lat in [(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    )
    assert not u.contains(Coordinates(2, 1.5))
    assert u.contains(Coordinates(2, 0.5)) and u.contains(Coordinates(2, 2.5))
    assert u.contains(Coordinates(1, 1.5))  # on the notch's bottom edge
    assert not u.contains(Coordinates(3, 1.5))  # between the arms' tops, on the line of two top edges
    assert u.contains(Coordinates(1, 0.5)) and not u.contains(Coordinates(1, 3.5))  # level with the notch's corners


def test_the_closing_point_may_be_repeated_and_degenerate_polygons_are_refused() -> None:
    closed = PolygonZone(DUELMEN_SQUARE.vertices + DUELMEN_SQUARE.vertices[:1])
    assert closed.vertices == DUELMEN_SQUARE.vertices
    with pytest.raises(InvalidChange):
        PolygonZone((Coordinates(0, 0), Coordinates(1, 1), Coordinates(0, 0)))
    with pytest.raises(InvalidChange):
        PolygonZone((Coordinates(0, -100), Coordinates(1, 100), Coordinates(2, 0)))


@settings(max_examples=200, deadline=None)
@given(lats, lats, st.floats(min_value=-90, max_value=90), st.floats(min_value=-90, max_value=90), lats, lons)
def test_a_rectangle_holds_what_lies_between_its_sides(
    lat1: float, lat2: float, lon1: float, lon2: float, lat: float, lon: float
) -> None:
    south, north, west, east = min(lat1, lat2), max(lat1, lat2), min(lon1, lon2), max(lon1, lon2)
    if north == south or east == west:
        return
    corners = (Coordinates(south, west), Coordinates(south, east), Coordinates(north, east), Coordinates(north, west))
    expected = south <= lat <= north and west <= lon <= east
    assert PolygonZone(corners).contains(Coordinates(lat, lon)) == expected
    assert PolygonZone(corners[::-1]).contains(Coordinates(lat, lon)) == expected  # either winding


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(lats, lons), min_size=3, max_size=12, unique=True))
def test_every_vertex_is_in_its_zone(points: list[tuple[float, float]]) -> None:
    vertices = tuple(Coordinates(lat, lon) for lat, lon in points)
    try:
        zone = PolygonZone(vertices)
    except InvalidChange:
        return
    assert all(zone.contains(vertex) for vertex in zone.vertices)


def test_postal_codes_are_whole_five_digit_codes() -> None:
    zone = PostalCodeZone(frozenset({"48249", " 48653 "}))
    assert zone.contains("48249") and zone.contains("48 653")
    assert not zone.contains("4824") and not zone.contains("482490") and not zone.contains("48250")
    for wrong in ({"4824"}, {"48a49"}, set()):
        with pytest.raises(InvalidChange):
            PostalCodeZone(frozenset(wrong))


def test_an_address_is_judged_by_the_fact_the_zone_is_drawn_in() -> None:
    codes = PostalCodeZone(frozenset({"48249"}))
    assert delivers_to(codes, None, "48249") and not delivers_to(codes, Coordinates(51.84, 7.28), None)
    assert delivers_to(DUELMEN_SQUARE, Coordinates(51.84, 7.28), None)
    assert not delivers_to(DUELMEN_SQUARE, None, "48249")
