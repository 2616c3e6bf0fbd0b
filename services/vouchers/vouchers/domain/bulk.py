# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's bulk issue: many town vouchers at once (prizes, a campaign's give-away,
a company's order paid by invoice), as one purchase on the ``bulk`` channel that the
association pays itself, so the vouchers are issued like any others."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.vouchers import PurchaseItem
from vouchers.domain import purchase as purchases
from vouchers.domain.errors import AlreadyExists, InvalidChange
from vouchers.domain.programme import Programme, ensure_selling
from vouchers.domain.purchase import Purchase
from vouchers.domain.sale import BuyerSecrets, check_items, started_events


def bulk_issue(
    state: Purchase | None,
    *,
    purchase_id: UUID,
    programme: Programme,
    amount_cents: int,
    voucher_ids: Sequence[UUID],
    secrets: BuyerSecrets,
    reference: str,
    now: datetime,
) -> list[IntegrationEvent]:
    """Started and paid (method ``association``) in one decision; no campaign bonus, since
    the association pays the whole value. ``secrets`` are the association contact's."""
    if state is not None:
        raise AlreadyExists("this bulk issue was made before")
    programme = ensure_selling(programme)
    if programme.kind != "town":
        raise InvalidChange("the association bulk-issues town vouchers; a merchant sells its own")
    items = [
        PurchaseItem(voucher_id=voucher_id, programme_id=programme.programme_id, amount_cents=amount_cents)
        for voucher_id in voucher_ids
    ]
    check_items(items, secrets, {programme.programme_id: programme}, {}, None)
    # Paid at once, so the purchase never waits: its payment deadline is the moment itself.
    started = started_events(purchase_id, "bulk", items, secrets, now, None)
    total = sum(item.amount_cents for item in items)
    paid = purchases.pay(purchases.replay(started), method="association", reference=reference, amount_cents=total)
    return [*started, *paid]
