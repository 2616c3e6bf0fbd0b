# SPDX-License-Identifier: AGPL-3.0-or-later
"""``dispatch-admin``: prepare a town's dispatch service (database, topics, migrations, read tables)."""

from __future__ import annotations

from dispatch.bootstrap import DISPATCH
from dispatch.settings import DispatchSettings
from downtown_events.runtime.service import admin_cli

cli = admin_cli(DISPATCH, lambda: DispatchSettings())  # type: ignore[call-arg]
