# SPDX-License-Identifier: AGPL-3.0-or-later
"""Vouchers' own replica of the town's merchants: the kit's merchant replica (see
``downtown_events.runtime.merchant_replica``) in ``voucher_merchants``, rebuilt as ``merchants``.

Vouchers asks no service synchronously: whether a merchant may sell or redeem (approved by
the association and not suspended), and whether its token was revoked, comes from here, a few
hundred milliseconds behind the catalog.

The table predates the kit's replica: ``approved`` and ``approval_withdrawn`` came later than
its first columns, and the merchant's contact, address, tax number, opening hours and closing
note came with the kit. A live table from before gets them (null) when the worker starts; a
null reads as "not approved" (the safe side), "not withdrawn" and "not known", and the rows
learn what was said before the upgrade from one forced rebuild from the catalog's topic (see
the kit's module).
"""

from __future__ import annotations

from downtown_events.runtime.merchant_replica import merchant_replica

MERCHANT_REPLICA = merchant_replica("voucher_merchants", name="merchants")
MERCHANTS = MERCHANT_REPLICA.table
