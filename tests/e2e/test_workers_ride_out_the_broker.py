# SPDX-License-Identifier: AGPL-3.0-or-later
"""A worker rides out the broker: started while it is down, or running while it restarts.

Faust ends a worker process when its producer cannot reach the broker as the app starts —
what happened to a vouchers worker restarted just before a broker restart. The kit's worker
waits for the broker and, should faust stop by itself anyway, starts again in the same
process. Vouchers' worker is the one tried here: it has the most of faust in it (live
figures in windowed tables with changelog topics, besides its consumers).
"""

from __future__ import annotations

import time

import pytest

from tests.support.local_stack import OWN_STACK, RunningTown, kill_broker, restart_broker, start_broker, wait_ready
from tests.support.vouchers_client import merchant

pytestmark = pytest.mark.skipif(not OWN_STACK, reason="stops the broker: only on the stack `make test` started")


def test_a_worker_started_while_the_broker_is_down_waits_for_it_then_works(catalog_and_vouchers: RunningTown) -> None:
    town = catalog_and_vouchers
    vouchers = town["vouchers"]
    vouchers.kill("vouchers-worker")
    kill_broker()
    try:
        vouchers.launch("vouchers-worker")
        time.sleep(4.0)  # long enough for faust to have given up at once, as it did
        assert vouchers.processes["vouchers-worker"].poll() is None, vouchers.log_tails()
    finally:
        start_broker()
    wait_ready(vouchers)
    merchant(town, name="Blumen Kaiser")  # the catalog's news reaches the restarted worker's replica
    assert vouchers.processes["vouchers-worker"].poll() is None


@pytest.mark.parametrize("starting_for", [0.3, 1.0, 3.0])
def test_a_worker_restarting_while_the_broker_restarts_comes_back(
    catalog_and_vouchers: RunningTown, starting_for: float
) -> None:
    """The broker goes away at some moment of the worker's start (its bootstrap, its group
    join, its tables' recovery)."""
    town = catalog_and_vouchers
    vouchers = town["vouchers"]
    vouchers.kill("vouchers-worker")
    vouchers.launch("vouchers-worker")
    time.sleep(starting_for)
    restart_broker()
    wait_ready(vouchers)
    merchant(town, name=f"Café am Markt {starting_for}")
    for service in town.services.values():
        assert all(process.poll() is None for process in service.processes.values()), service.log_tails()
