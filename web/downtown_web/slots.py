# SPDX-License-Identifier: AGPL-3.0-or-later
"""A service's times as the storefront offers them: grouped by the town's days, sent back by a form.

Ordering lists a service's free times as instants (``GET /offers/{id}/free-slots``) and holds
the one a basket line takes; this front only shows them. A day is the town's calendar day a
time begins on, found by converting each instant to the town's zone, so a day with a clock
change (23 or 25 hours) groups like any other. A chosen time travels in the form as its two
instants (``starts|ends``), exactly as ordering wrote them, and goes back to ordering as it
came: ordering decides whether it is still free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from downtown_web.services import ServiceProblem
from downtown_web.words import N_

MAX_VALUE = 120
"""A form's slot value is two ISO instants and a bar (about 51 characters); more is not one."""

TAKEN = N_("Someone else has just taken this time. Please choose another one.")
NO_LONGER = N_("This time can no longer be booked. Please choose another one.")
CHOOSE = N_("Please choose a time.")

SLOT_STATUSES = {
    "hold_ended": N_("This time is no longer kept for you, but still free: check out soon to book it."),
    "held_elsewhere": N_("Someone else has taken this time in the meantime. Please remove it and choose another one."),
    "booked": N_("Someone else has taken this time in the meantime. Please remove it and choose another one."),
    "not_bookable": N_("This time can no longer be booked. Please remove it and choose another one."),
}
"""The basket quote's ``slot_status`` of a service line, as the customer reads it (``held``
names its time, so the basket's template words it)."""
LOST = frozenset({"held_elsewhere", "booked", "not_bookable"})
"""The statuses in which checkout would refuse the line's time."""


@dataclass(frozen=True)
class Slot:
    """One time of a service: two instants (with the offset ordering wrote)."""

    starts_at: datetime
    ends_at: datetime

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Slot:
        """A slot as ordering writes it (``{"starts_at": "…", "ends_at": "…"}``)."""
        return cls(datetime.fromisoformat(str(raw["starts_at"])), datetime.fromisoformat(str(raw["ends_at"])))

    @property
    def value(self) -> str:
        """What a form's radio button sends back for this time."""
        return f"{self.starts_at.isoformat()}|{self.ends_at.isoformat()}"

    def as_json(self) -> dict[str, str]:
        """The time as ordering's ``slot`` field takes it."""
        return {"starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat()}


@dataclass(frozen=True)
class SlotDay:
    """The free times beginning on one of the town's days, earliest first."""

    day: date
    slots: list[Slot] = field(default_factory=list)


@dataclass(frozen=True)
class BookedTime:
    """A basket line's time as the basket shows it, with what the basket's quote says of it."""

    slot: Slot
    video: bool
    """A video consultation (the offer is held by video)."""
    status: str | None = None
    """The quote's ``slot_status``; None when there was no quote to ask."""
    held_until: datetime | None = None

    @classmethod
    def of(cls, line: Mapping[str, Any], quoted: Mapping[str, Any] | None, *, video: bool) -> BookedTime:
        """From the basket's line and the quote's line of the same id (None: not quoted)."""
        until = (quoted or {}).get("held_until")
        status = (quoted or {}).get("slot_status")
        return cls(Slot.of(line["slot"]), video, status, datetime.fromisoformat(until) if until else None)

    @property
    def lost(self) -> bool:
        """Whether checkout would refuse the time: taken meanwhile, or no longer bookable."""
        return self.status in LOST

    @property
    def said(self) -> str | None:
        """The message id saying what became of the time (``held`` names its time: the template's)."""
        return SLOT_STATUSES.get(self.status or "")


def by_town_day(slots: Iterable[Slot], zone: tzinfo) -> list[SlotDay]:
    """The times grouped by the town's day each begins on, days and times in time order."""
    days: dict[date, list[Slot]] = {}
    for slot in sorted(slots, key=lambda each: each.starts_at):
        days.setdefault(slot.starts_at.astimezone(zone).date(), []).append(slot)
    return [SlotDay(day, times) for day, times in sorted(days.items())]


def chosen(value: str | None) -> Slot | None:
    """The time a form sent (``starts|ends``, two instants with their offsets), or None when
    it is not one: missing, too long, not two instants, without a zone, or ending first."""
    if not value or len(value) > MAX_VALUE or value.count("|") != 1:
        return None
    starts, ends = value.split("|")
    try:
        slot = Slot(datetime.fromisoformat(starts), datetime.fromisoformat(ends))
    except ValueError:
        return None
    if slot.starts_at.tzinfo is None or slot.ends_at.tzinfo is None or slot.ends_at <= slot.starts_at:
        return None
    return slot


def refusal_of_time(problem: ServiceProblem, translate: Callable[[str], str], otherwise: str) -> str:
    """Ordering's refusal of a chosen time, in words: taken by another basket or an order
    (409), or no longer bookable (422: passed, beyond the horizon, outside the hours);
    ``otherwise`` (already worded) for any other refusal."""
    if problem.status == 409:
        return translate(TAKEN)
    if problem.status == 422:
        return translate(NO_LONGER)
    return otherwise
