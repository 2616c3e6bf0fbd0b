# SPDX-License-Identifier: AGPL-3.0-or-later
"""A service's free times as the storefront offers them: grouped by the town's day (a day
with a clock change like any other), sent back by a form, refused in words.

Times are built in UTC, the way ordering's instants are compared, so no test depends on the
machine's zone or calendar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from downtown_events.runtime.texts import Texts
from downtown_web.services import ServiceProblem
from downtown_web.slots import BookedTime, Slot, by_town_day, chosen, refusal_of_time

BERLIN = ZoneInfo("Europe/Berlin")
GERMAN = Texts("downtown_web", zone=BERLIN)  # the pages write times in the town's zone


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def half_hour(starts: datetime) -> Slot:
    """A slot as ordering writes it: instants with the town's offset."""
    return Slot(starts.astimezone(BERLIN), (starts + timedelta(minutes=30)).astimezone(BERLIN))


def test_times_group_by_the_towns_day_not_by_utcs() -> None:
    late = half_hour(utc(2026, 12, 8, 22, 30))  # 23:30 in Berlin on the 8th
    early = half_hour(utc(2026, 12, 8, 23, 0))  # 00:00 in Berlin: already the 9th
    morning = half_hour(utc(2026, 12, 8, 8))
    days = by_town_day([early, late, morning], BERLIN)
    assert [day.day for day in days] == [date(2026, 12, 8), date(2026, 12, 9)]
    assert days[0].slots == [morning, late] and days[1].slots == [early]


def test_the_days_of_a_clock_change_group_like_any_other() -> None:
    # Berlin leaves summer time on 25 October 2026 at 01:00 UTC: that day has 25 hours.
    before = half_hour(utc(2026, 10, 24, 22))  # 00:00 (UTC+2) on the 25th
    twice = [half_hour(utc(2026, 10, 25, 0, 30)), half_hour(utc(2026, 10, 25, 1, 30))]  # 02:30 both times
    last = half_hour(utc(2026, 10, 25, 22, 30))  # 23:30 (UTC+1) on the 25th
    next_day = half_hour(utc(2026, 10, 25, 23))  # 00:00 on the 26th
    # and into summer time on 29 March 2026 at 01:00 UTC: that day has 23 hours
    spring = [half_hour(utc(2026, 3, 28, 23)), half_hour(utc(2026, 3, 29, 21, 30))]  # 00:00 and 23:30 on the 29th
    days = by_town_day([next_day, *twice, last, before, *spring], BERLIN)
    assert [(day.day, len(day.slots)) for day in days] == [
        (date(2026, 3, 29), 2),
        (date(2026, 10, 25), 4),
        (date(2026, 10, 26), 1),
    ]
    assert days[1].slots == [before, *twice, last]  # the repeated hour's two 02:30 in time order


def test_a_chosen_time_goes_back_as_it_came() -> None:
    slot = half_hour(utc(2026, 12, 8, 9))
    assert chosen(slot.value) == slot
    assert slot.as_json() == {"starts_at": "2026-12-08T10:00:00+01:00", "ends_at": "2026-12-08T10:30:00+01:00"}
    assert Slot.of(slot.as_json()) == slot


def test_what_is_not_a_time_is_not_chosen() -> None:
    assert chosen(None) is None and chosen("") is None
    assert chosen("2026-12-08T10:00:00+01:00") is None  # one instant
    assert chosen("2026-12-08T10:00:00|2026-12-08T10:30:00") is None  # no zone: which 10:00?
    assert chosen("2026-12-08T10:30:00+01:00|2026-12-08T10:00:00+01:00") is None  # ends first
    assert chosen("tomorrow|later") is None
    assert chosen("2026-12-08T10:00:00+01:00|" + "9" * 200) is None  # too long to be one


def test_a_refused_time_is_worded_in_the_visitors_language() -> None:
    def german(message: str) -> str:
        return GERMAN.gettext("de", message)

    taken = ServiceProblem(409, "Time not available", "… is held by another basket")
    assert (
        refusal_of_time(taken, german, "")
        == "Diese Zeit hat gerade jemand anderes gebucht. Bitte wählen Sie eine andere."
    )
    passed = ServiceProblem(422, "Invalid change", "the time chosen for … has passed")
    assert "nicht mehr buchbar" in refusal_of_time(passed, german, "")
    assert refusal_of_time(ServiceProblem(503, "", ""), german, "worded elsewhere") == "worded elsewhere"


def booked_line(starts: datetime) -> dict[str, object]:
    return {"line_id": "l1", "offer_id": "o1", "title": "Sehberatung", "slot": half_hour(starts).as_json()}


def test_a_booked_time_says_what_the_quote_says_of_it() -> None:
    line = booked_line(utc(2026, 12, 8, 9))
    held = BookedTime.of(line, {"slot_status": "held", "held_until": "2026-12-07T14:10:00+01:00"}, video=True)
    assert held.video and not held.lost and held.held_until == utc(2026, 12, 7, 13, 10)
    for status in ("held_elsewhere", "booked", "not_bookable"):
        lost = BookedTime.of(line, {"slot_status": status, "held_until": None}, video=False)
        assert lost.lost and lost.said and "choose another one" in lost.said
    ended = BookedTime.of(line, {"slot_status": "hold_ended", "held_until": None}, video=False)
    assert not ended.lost and ended.said and "still free" in ended.said
    unquoted = BookedTime.of(line, None, video=False)
    assert unquoted.status is None and not unquoted.lost and unquoted.said is None


def test_the_basket_shows_a_time_taken_meanwhile_as_a_problem_beside_it() -> None:
    line = booked_line(utc(2026, 12, 8, 9))
    taken = BookedTime.of(line, {"slot_status": "booked", "held_until": None}, video=True)
    page = GERMAN.render(
        "basket.html",
        "de",
        town="Teststadt",
        brand_colour="#1f5c4a",
        logo_url=None,
        language="de",
        other_language="en",
        switch_language="/language/en?next=%2Fbasket",
        csrf="c" * 43,
        path="/basket",
        statuses={},
        signed_in=False,
        basket={"goods_cents": 2500, "lines": [line]},
        by_shop={"m1": [{**line, "merchant_id": "m1", "quantity": 1, "unit_price_cents": 2500, "booked": taken}]},
        shops={"m1": {"name": "Optik Blick"}},
        lost=True,
    )
    assert "Videoberatung: " in page and "Dienstag, 8. Dezember 2026, 10:00–10:30" in page
    assert 'role="alert"><p>Eine Zeit in Ihrem Warenkorb ist nicht mehr frei.' in page
    assert '<p class="problem">Diese Zeit hat inzwischen jemand anderes gebucht.' in page
    assert 'href="/offers/o1">Eine andere Zeit wählen' in page
