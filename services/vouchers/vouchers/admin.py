# SPDX-License-Identifier: AGPL-3.0-or-later
"""``vouchers-admin``: prepare a town's vouchers (database, topics, migrations, read tables),
run the expiry job, export or import the whole voucher ledger."""

from __future__ import annotations

from downtown_events.runtime.service import admin_cli
from vouchers.bootstrap import VOUCHERS
from vouchers.settings import VouchersSettings

cli = admin_cli(VOUCHERS, lambda: VouchersSettings())  # type: ignore[call-arg]
