# SPDX-License-Identifier: AGPL-3.0-or-later
"""``ordering-admin``: prepare a town's ordering (database, its topics and those it reads,
migrations, read tables), run the answer-time job now, export or import the order log."""

from __future__ import annotations

from downtown_events.runtime.service import admin_cli
from ordering.bootstrap import ORDERING
from ordering.settings import OrderingSettings

cli = admin_cli(ORDERING, lambda: OrderingSettings())  # type: ignore[call-arg]
