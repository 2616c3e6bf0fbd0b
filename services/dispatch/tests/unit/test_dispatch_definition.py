# SPDX-License-Identifier: AGPL-3.0-or-later
"""The service reads the catalog's topic for its merchant replica, and ordering's for the delivery requests."""

from dispatch.bootstrap import DISPATCH
from dispatch.projections import MERCHANTS


def test_the_worker_follows_the_catalogs_merchants() -> None:
    assert DISPATCH.services_read() == ["catalog", "ordering"]
    assert MERCHANTS.name == "merchants" and MERCHANTS.table.name == "dispatch_merchants"
