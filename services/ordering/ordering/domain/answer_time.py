# SPDX-License-Identifier: AGPL-3.0-or-later
"""By when a merchant answers an order: the town's answer time counted in the shop's opening hours.

A shop closed on Sundays cannot answer an order placed at 05:37 on a Sunday by 06:07; it
can by half an hour after it opens on Monday. So the merchant's time to answer
(``TownSettings.merchant_answer_time``) is open time: the clock runs while the shop is open
and stands still while it is closed. The deadline is carried on the order
(``OrderPlaced.merchant_answer_by``), so the time-out job fires then and the customer is
told at checkout by when the shop will answer.

Opening hours are weekly windows of the town's wall clock (see
:func:`ordering.domain.facts.within_windows` for why instants are compared in UTC): a window
lasts from the first time the clock shows its opening to the last time it shows its
closing, so in the autumn night a window until 03:00 holds the repeated hour, and a window
that opens in the spring night's missing hour opens when the clock jumps.

A shop that names no hours has the town's fallback (``merchant_answer_fallback``) in plain
time; so does one whose hours hold no open time within the horizon. The count looks at most
``ANSWER_HORIZON`` ahead: a shop open an hour a week, asked for two, answers by the end of
its open time within the week rather than a fortnight later.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta, tzinfo

from downtown_events.catalog import TimeWindow
from ordering.domain.facts import as_utc

ANSWER_HORIZON = timedelta(days=7)
"""The furthest ahead a merchant's answer is awaited: a week holds every weekday's hours once."""

Interval = tuple[datetime, datetime]


def answer_deadline(
    placed_at: datetime,
    opening_hours: Iterable[TimeWindow],
    timezone: tzinfo,
    *,
    open_time: timedelta,
    fallback: timedelta,
    horizon: timedelta = ANSWER_HORIZON,
) -> datetime:
    """The instant (in UTC) at which ``open_time`` of the shop's opening hours has passed since
    ``placed_at``; ``placed_at + fallback`` for a shop without open hours; at most the end of
    the open time within ``horizon``."""
    start = as_utc(placed_at)
    left = open_time
    last_close: datetime | None = None
    for opens, closes in open_intervals(opening_hours, timezone, start, start + horizon):
        if closes - opens >= left:
            return opens + left
        left -= closes - opens
        last_close = closes
    return last_close if last_close is not None else start + fallback


def open_intervals(windows: Iterable[TimeWindow], timezone: tzinfo, start: datetime, end: datetime) -> list[Interval]:
    """The shop's open time between the instants ``start`` and ``end``, as ordered, disjoint
    intervals in UTC (overlapping windows merged, the ends cut to ``start`` and ``end``)."""
    cut = [
        (max(opens, start), min(closes, end))
        for opens, closes in _occurrences(list(windows), timezone, start, end)
        if closes > start and opens < end
    ]
    return _merged(sorted(interval for interval in cut if interval[0] < interval[1]))


def _occurrences(windows: list[TimeWindow], timezone: tzinfo, start: datetime, end: datetime) -> Iterator[Interval]:
    """Every window on every calendar day from the day before ``start`` to the day after ``end``
    in the town, as instants (a day either side covers any zone's offset)."""
    day = start.astimezone(timezone).date() - timedelta(days=1)
    last = end.astimezone(timezone).date() + timedelta(days=1)
    while day <= last:
        for window in windows:
            if window.weekday == day.weekday():
                opens, closes = _instant(day, window.opens, timezone, 0), _instant(day, window.closes, timezone, 1)
                if opens < closes:  # a window wholly inside the spring night's missing hour is none
                    yield opens, closes
        day += timedelta(days=1)


def _instant(day: date, wall: time, timezone: tzinfo, fold: int) -> datetime:
    """When the town's clock shows ``wall`` on ``day``: the first time (``fold`` 0) or the last
    (1) in the autumn night; in the spring night a time the clock skips is the jump itself."""
    local = datetime.combine(day, wall, tzinfo=timezone).replace(fold=fold)
    instant = as_utc(local)
    if instant.astimezone(timezone).replace(tzinfo=None) == local.replace(tzinfo=None, fold=0):
        return instant
    return _jump(as_utc(local.replace(fold=1)), as_utc(local.replace(fold=0)), timezone)


def _jump(before: datetime, after: datetime, timezone: tzinfo) -> datetime:
    """The first second at ``after``'s offset (the clock's jump lies between the two)."""
    offset = after.astimezone(timezone).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + timedelta(seconds=(after - before).total_seconds() // 2)
        before, after = (before, middle) if middle.astimezone(timezone).utcoffset() == offset else (middle, after)
    return after


def _merged(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for opens, closes in intervals:
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged
