# SPDX-License-Identifier: AGPL-3.0-or-later
"""Vouchers' own replica of the town's merchants, kept from the catalog's events.

Vouchers asks no service synchronously: whether a merchant may sell or redeem (approved by
the association and not suspended), and whether its token was revoked, comes from here, a few
hundred milliseconds behind the catalog. Each row is written by one merchant's stream only, so
replicas never contend.

``approved`` and ``approval_withdrawn`` came later than the other columns: a live table from
before gets them (null) when the worker starts, and learns approvals made before the upgrade
only by a rebuild from the catalog's topic (``make rebuild PROJECTION=merchants``); until then
a null reads as "not approved", the safe side.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from downtown_events.catalog import (
    MerchantApprovalWithdrawn,
    MerchantApproved,
    MerchantClosed,
    MerchantProfileChanged,
    MerchantRegistered,
    MerchantReinstated,
    MerchantReopened,
    MerchantSuspended,
    MerchantTokensRevoked,
)
from downtown_events.runtime.projection import Projection, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent

MERCHANTS = Table(
    name="voucher_merchants",
    key="merchant_id",
    columns={
        "merchant_id": "uuid",
        "name": "text",
        "closed": "boolean",
        "suspended": "boolean",
        "approved": "boolean",
        "approval_withdrawn": "boolean",
        "tokens_valid_after": "timestamptz",
        "updated_at": "timestamptz",
    },
)
_EVENTS = (
    MerchantRegistered,
    MerchantProfileChanged,
    MerchantClosed,
    MerchantReopened,
    MerchantSuspended,
    MerchantReinstated,
    MerchantTokensRevoked,
    MerchantApproved,
    MerchantApprovalWithdrawn,
)
_FLAGS: dict[type, dict[str, bool]] = {
    MerchantClosed: {"closed": True},
    MerchantReopened: {"closed": False},
    MerchantSuspended: {"suspended": True},
    MerchantReinstated: {"suspended": False},
    MerchantApproved: {"approved": True, "approval_withdrawn": False},
    MerchantApprovalWithdrawn: {"approved": False, "approval_withdrawn": True},
}


class MerchantReplica(Projection):
    name = "merchants"
    tables = (MERCHANTS,)
    event_types = _EVENTS
    sources = ("catalog",)

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        return [(MERCHANTS, event.event.merchant_id)] if isinstance(event.event, _EVENTS) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data = event.event
        if not isinstance(data, _EVENTS):
            return
        row = rows.get(MERCHANTS, data.merchant_id) or {
            "merchant_id": data.merchant_id,
            "name": "",
            "closed": False,
            "suspended": False,
            "approved": False,
            "approval_withdrawn": False,
            "tokens_valid_after": None,
        }
        if isinstance(data, MerchantRegistered | MerchantProfileChanged):
            row["name"] = data.profile.name
        elif isinstance(data, MerchantTokensRevoked):
            row["tokens_valid_after"] = data.revoked_at
        else:
            row.update(_FLAGS[type(data)])
        row["updated_at"] = event.envelope.time
        rows.put(MERCHANTS, row)
