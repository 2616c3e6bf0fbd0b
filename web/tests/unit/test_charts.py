# SPDX-License-Identifier: AGPL-3.0-or-later
"""The charts' arithmetic: every shape inside its box, lengths in proportion to the values."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from downtown_web.charts import WIDTH, bars, budget, columns


def test_the_largest_bar_fills_the_width_and_the_others_are_in_proportion() -> None:
    chart = bars([("placed", 10), ("fulfilled", 40), ("cancelled", 0)])
    placed, fulfilled, cancelled = chart.bars
    assert fulfilled.width == WIDTH
    assert placed.width == WIDTH / 4
    assert cancelled.width == 0
    assert placed.y < fulfilled.y < cancelled.y
    assert cancelled.y + cancelled.height <= chart.height


def test_no_values_or_only_zeros_draw_nothing_and_divide_by_nothing() -> None:
    assert bars([]).bars == ()
    assert bars([]).height > 0
    assert [bar.width for bar in bars([("a", 0), ("b", 0)]).bars] == [0, 0]
    assert [bar.height for bar in columns([("1.", 0), ("2.", 0)]).bars] == [0, 0]


def test_columns_stand_on_one_baseline_side_by_side() -> None:
    chart = columns([("1.", 5), ("2.", 10), ("3.", 0)], width=300, height=100)
    first, second, third = chart.bars
    assert (first.height, second.height, third.height) == (50, 100, 0)
    assert all(bar.y + bar.height == 100 for bar in chart.bars)
    assert first.x < second.x < third.x and third.x + third.width <= 300


def test_a_budget_is_one_bar_of_its_parts_in_order() -> None:
    chart = budget(1000, [("granted", 250), ("reserved", 250), ("left", 500)], width=200)
    granted, reserved, left = chart.bars
    assert (granted.x, granted.width) == (0, 50)
    assert (reserved.x, reserved.width) == (50, 50)
    assert (left.x, left.width) == (100, 100)


def test_parts_beyond_the_budget_are_cut_at_its_end() -> None:
    granted, left = budget(100, [("granted", 150), ("left", 10)], width=100).bars
    assert granted.width == 100 and left.width == 0


@settings(deadline=None)  # a busy machine is slow, not wrong
@given(st.lists(st.tuples(st.text(max_size=5), st.integers(-10, 10**9)), max_size=40))
def test_every_shape_lies_inside_its_chart(values: list[tuple[str, int]]) -> None:
    for chart in (bars(values), columns(values), budget(sum(max(v, 0) for _, v in values), values)):
        for bar in chart.bars:
            assert bar.x >= 0 and bar.x + bar.width <= chart.width + 0.01
            assert bar.y >= 0 and bar.y + bar.height <= chart.height + 0.01
            assert bar.width >= 0 and bar.height >= 0
