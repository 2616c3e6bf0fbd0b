# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the vouchers' use cases ask of the world besides the event store: read models that
adapters implement over PostgreSQL (and tests in memory)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from vouchers.domain.merchant_standing import MerchantStanding


class MerchantDirectory(Protocol):
    """The vouchers' replica of the catalog's merchants (a read model, seconds behind)."""

    async def standing(self, merchant_id: UUID) -> MerchantStanding: ...

    async def tokens_valid_after(self, merchant_id: UUID) -> datetime | None: ...


class ProgrammeDirectory(Protocol):
    """The programmes as the sales read model lists them (a moment behind the streams)."""

    async def town_programme_names(self) -> list[str]:
        """The names of every town programme, open or closed: the town's, not a merchant's."""

    async def open_programmes_of(self, merchant_id: UUID) -> int:
        """How many programmes of the merchant sell now."""


class CodeIndex(Protocol):
    """Which voucher a code's keyed hash belongs to (fed from the private store)."""

    async def voucher_for(self, code_hash: str) -> UUID | None: ...


class RequestKeys(Protocol):
    """What each Idempotency-Key was first used for, whichever voucher the request named: a
    voucher's stream recognises a retry on that voucher only."""

    async def claim(self, scope: str, key: str, fingerprint: str, what: str) -> None:
        """Record the key's first use; raises ``IdempotencyKeyReused`` for other content."""


class CampaignFinder(Protocol):
    """The campaigns that may add a bonus to a programme's vouchers now (candidates: the
    campaign's own stream decides)."""

    async def running_for(self, programme_id: UUID, now: datetime) -> list[UUID]: ...


class BuyerPurchases(Protocol):
    """A buyer's purchases by the reference standing for them (fed from the private store)."""

    async def open_unpaid(self, buyer_refs: Sequence[str], now: datetime) -> int:
        """How many online purchases of these references wait for their money at ``now``."""

    async def ids_between(self, lowest: UUID, highest: UUID) -> list[UUID]:
        """The purchases whose ids lie in the range (a transfer's reference: a few at most)."""


class Deadlines(Protocol):
    """What the scheduled expiry job looks at (candidates: each aggregate decides)."""

    async def vouchers_past_validity(self, today: date, limit: int) -> list[UUID]: ...

    async def purchases_past_payment(self, now: datetime, limit: int) -> list[UUID]: ...


class SealBroken(ValueError):
    """The token does not open these codes (a wrong token, or altered data)."""


class CodeSeal(Protocol):
    """Keeps codes for the buyer alone: sealed under a key only their access token gives."""

    def new_access_token(self) -> str: ...

    def token_hash(self, token: str) -> str: ...

    def seal(self, token: str, purchase_id: UUID, codes: dict[UUID, str]) -> str: ...

    def unseal(self, token: str, purchase_id: UUID, sealed: str) -> dict[UUID, str]:
        """Raises :class:`SealBroken` when the token does not open them."""

    def seal_for_delivery(self, purchase_id: UUID, codes: dict[UUID, str]) -> str:
        """The codes sealed under the service's delivery key, for the e-mail that brings the
        paid vouchers (the worker has no buyer's token)."""

    def unseal_for_delivery(self, purchase_id: UUID, sealed: str) -> dict[UUID, str]:
        """Raises :class:`SealBroken` when the delivery key does not open them."""

    def buyer_ref(self, email: str) -> str:
        """An opaque keyed reference standing for the buyer's mailbox (for per-buyer caps):
        every spelling of one mailbox gives the same (``Anna+1@…``, ``a.nna@…``, …)."""

    def earlier_buyer_refs(self, email: str) -> tuple[str, ...]:
        """The references an earlier version of the service recorded for this address, where
        they differ from :meth:`buyer_ref`: caps count what was recorded under them too."""
