# SPDX-License-Identifier: AGPL-3.0-or-later
"""Events the catalog stores and replays but never publishes.

Registered like the public ones because reading the event store needs every type in it.
"""

from __future__ import annotations

from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from downtown_events.contract import PrivateEvent, ValueObject, registry


class CatalogPrivateEvent(PrivateEvent):
    service: ClassVar[str] = "catalog"


class TakenStock(ValueObject):
    offer_id: UUID
    quantity: int = Field(ge=1)


@registry.register
class OrderStockTaken(CatalogPrivateEvent):
    """Which counted stock a reservation took, beside its ``OrderReservationMade``: a release
    gives back exactly this, even if the shop began counting an offer in between (an offer
    sold uncounted took nothing, so it gives nothing back)."""

    event_name: ClassVar[str] = "OrderStockTaken"
    schema_version: ClassVar[int] = 1
    reservation_id: UUID
    order_id: UUID
    taken: list[TakenStock] = Field(default_factory=list)


Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


@registry.register
class MerchantSignInLinkIssued(CatalogPrivateEvent):
    """A one-time sign-in link was e-mailed to the merchant's address; only its token's hash
    is kept (the token is only ever in the mail)."""

    event_name: ClassVar[str] = "MerchantSignInLinkIssued"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID
    link_id: UUID
    token_hash: Sha256Hex
    issued_at: AwareDatetime
    expires_at: AwareDatetime


@registry.register
class MerchantSignInLinkUsed(CatalogPrivateEvent):
    """The link gave the merchant a token; it opens nothing any more, and neither does any
    link issued before it that was still open."""

    event_name: ClassVar[str] = "MerchantSignInLinkUsed"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID
    link_id: UUID
    used_at: AwareDatetime
