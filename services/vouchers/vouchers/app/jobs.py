# SPDX-License-Identifier: AGPL-3.0-or-later
"""The vouchers' scheduled work: unpaid purchases lapse, vouchers past their validity expire.

It finds candidates in the read models and lets each aggregate decide, so a round run twice
(or by two replicas) changes nothing the first did not.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from vouchers.app.context import Context
from vouchers.app.ports import Deadlines
from vouchers.app.purchases import PurchaseHandlers
from vouchers.app.redemptions import RedemptionHandlers
from vouchers.domain.errors import DomainError

log = logging.getLogger(__name__)
BATCH = 500


async def expire_due(
    context: Context, purchases: PurchaseHandlers, vouchers: RedemptionHandlers, deadlines: Deadlines
) -> int:
    """One round: every unpaid purchase past its time, every voucher past its validity."""
    done = 0
    for purchase_id in await deadlines.purchases_past_payment(context.now(), BATCH):
        done += await _counted(purchases.expire_unpaid(purchase_id), f"purchase {purchase_id}")
    for voucher_id in await deadlines.vouchers_past_validity(context.today(), BATCH):
        done += await _counted(vouchers.expire(voucher_id), f"voucher {voucher_id}")
    return done


async def _counted(decision: Awaitable[bool], what: str) -> int:
    try:
        return int(await decision)
    except DomainError as refused:  # the read model was behind the aggregate: nothing due after all
        log.info("%s not expired: %s", what, refused.reason)
        return 0
