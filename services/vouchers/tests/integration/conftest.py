# SPDX-License-Identifier: AGPL-3.0-or-later
"""One running town (catalog and vouchers as separate processes) for every vouchers
integration test: starting the processes costs seconds, so the tests share it and each
works with its own merchants, programmes and vouchers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING
from unittest import mock

import pytest

from tests.support.local_stack import RunningTown, random_town, start_town
from tests.support.order_saga import Saga, order_saga

if TYPE_CHECKING:
    from conftest import Databases

SHARED_TOWN_SETTINGS = {
    # Every test client is 127.0.0.1: the throttles would count all of them as one guesser.
    "DOWNTOWN_BALANCE_TRIES_PER_CLIENT": "1000",
    "DOWNTOWN_PURCHASE_STARTS_PER_CLIENT": "100000",
}


@pytest.fixture(scope="package")
def vouchers_town(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTown]:
    town = random_town("v")
    with mock.patch.dict(os.environ, SHARED_TOWN_SETTINGS):
        running = start_town(
            town,
            ["catalog", "vouchers"],
            lambda service: databases.create(town, service),
            tmp_path_factory.mktemp("vouchers-town"),
        )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def saga(vouchers_town: RunningTown, kafka_bootstrap: str) -> AsyncIterator[Saga]:
    """Ordering's topic as the town's vouchers worker reads it, handed over by the test."""
    async with order_saga(vouchers_town, kafka_bootstrap) as driven:
        yield driven
