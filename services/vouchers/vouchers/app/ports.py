"""What the vouchers' use cases ask of the world besides the event store: read models that
adapters implement over PostgreSQL (and tests in memory)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from vouchers.domain.merchant_standing import MerchantStanding


class MerchantDirectory(Protocol):
    """The vouchers' replica of the catalog's merchants (a read model, seconds behind)."""

    async def standing(self, merchant_id: UUID) -> MerchantStanding: ...

    async def tokens_valid_after(self, merchant_id: UUID) -> datetime | None: ...


class CodeIndex(Protocol):
    """Which voucher a code's keyed hash belongs to (fed from the private store)."""

    async def voucher_for(self, code_hash: str) -> UUID | None: ...


class CampaignFinder(Protocol):
    """The campaigns that may add a bonus to a programme's vouchers now (candidates: the
    campaign's own stream decides)."""

    async def running_for(self, programme_id: UUID, now: datetime) -> list[UUID]: ...
