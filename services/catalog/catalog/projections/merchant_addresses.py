# SPDX-License-Identifier: AGPL-3.0-or-later
"""Which merchants an e-mail address belongs to, from the town directory: where a merchant's
sign-in link is mailed (:mod:`catalog.app.sign_in`).

The directory is a read model, so a merchant registered a moment ago may not be found yet (it
asks again a moment later). A town has hundreds of merchants, not millions: the comparison,
case-blind as a mailbox is, needs no index.
"""

from __future__ import annotations

from uuid import UUID

from downtown_events.runtime.database import Pool

MAX_MERCHANTS_PER_ADDRESS = 5
"""One person may keep several shops under one address; a link goes to each, up to these."""


class DirectoryMerchantAddresses:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def merchants_at(self, email: str) -> list[UUID]:
        """The registered, unsuspended merchants whose profile names ``email``."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT merchant_id FROM directory_merchants"
                " WHERE lower(email) = lower(%(email)s) AND registered_at IS NOT NULL AND NOT suspended"
                " ORDER BY merchant_id LIMIT %(limit)s",
                {"email": email.strip(), "limit": MAX_MERCHANTS_PER_ADDRESS},
            )
            return [row["merchant_id"] for row in await cursor.fetchall()]
