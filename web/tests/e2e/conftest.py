# SPDX-License-Identifier: AGPL-3.0-or-later
"""The web fronts the end-to-end tests share: one ``downtown-web`` over the session's ordering
town, and one over a delivery town whose clock stands still (the browser journeys')."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import Databases, start_delivery_town
from downtown_events.runtime.clock_file import set_clock
from tests.support.local_stack import SESSION_TOWNS, RunningTown
from tests.support.mailbox import Mailbox
from tests.support.web_front import WebFront, running_web_front

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="session")
def front(ordering_town: RunningTown, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebFront]:
    with running_web_front(ordering_town, tmp_path_factory.mktemp("web")) as running:
        yield running


@dataclass(frozen=True)
class ClockedTown:
    """A running town, the web front over it, and the instant its clock stands at."""

    town: RunningTown
    front: WebFront
    now: datetime


@pytest.fixture(scope="session")
def delivery_front(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[ClockedTown]:
    """A town running all four services (dispatch's couriers deliver) and a web front over it,
    started once per session. Its clock (a file every service process reads) stands at 10:00
    a week ahead of the machine's: shops that open every day are open, pickup windows and the
    couriers' slots lie ahead, and no midnight passes while a test runs, whatever the hour.
    The front itself keeps the machine's clock; it shows what the services answer."""
    workdir = tmp_path_factory.mktemp("delivery-front")
    now = datetime.combine(datetime.now(BERLIN).date() + timedelta(days=7), time(10, 0), tzinfo=BERLIN)
    clock = workdir / "clock"
    set_clock(clock, now)
    town = start_delivery_town(databases, workdir, mailbox, clock=clock)
    SESSION_TOWNS.add(town.town)
    try:
        with running_web_front(town, workdir) as web:
            yield ClockedTown(town, web, now)
    finally:
        town.stop()
