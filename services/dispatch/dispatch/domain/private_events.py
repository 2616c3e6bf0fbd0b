# SPDX-License-Identifier: AGPL-3.0-or-later
"""Events the dispatch service stores and replays but never publishes.

They hold what integrators must not see: who receives a delivery and where (opened from
ordering's sealed hand-off), the name a recipient gave and the proof photo's digest, a
dispatcher's pin of a job to a courier, a courier's e-mail address and the hashes of their
one-time sign-in links' tokens.
"""

from __future__ import annotations

from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from downtown_events.contract import PrivateEvent, registry
from downtown_events.ordering import DeliveryDropOff
from downtown_events.text import EventLine

Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class DispatchPrivateEvent(PrivateEvent):
    service: ClassVar[str] = "dispatch"


@registry.register
class DeliveryDropOffRecorded(DispatchPrivateEvent):
    """Where and to whom the job goes (appended with the job's first pickup): the content of
    the order's sealed drop-off, checked against the delivery zone."""

    event_name: ClassVar[str] = "DeliveryDropOffRecorded"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    drop_off: DeliveryDropOff


@registry.register
class DeliveryJobPinned(DispatchPrivateEvent):
    """A dispatcher keeps the job with one courier whatever the planner would prefer
    (``courier_id`` None: the pin is lifted)."""

    event_name: ClassVar[str] = "DeliveryJobPinned"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    courier_id: UUID | None


@registry.register
class DeliveryProofRecorded(DispatchPrivateEvent):
    """Who took the goods, and the digest of the proof photo (its bytes, stripped of their
    metadata, are kept apart), appended with ``DeliveryJobDelivered``."""

    event_name: ClassVar[str] = "DeliveryProofRecorded"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    recipient_name: EventLine = Field(min_length=1, max_length=120)
    photo_sha256: Sha256Hex | None = None
    at: AwareDatetime


@registry.register
class DeliveryOrderFiled(DispatchPrivateEvent):
    """Which job an order ordering asked to deliver went to (on the order's own stream in
    dispatch): ordering's later news of the order (cancelled, rejected) names the order, not
    its checkout, and the reaction must find the job in its own transaction, not in a read
    model that may lag."""

    event_name: ClassVar[str] = "DeliveryOrderFiled"
    schema_version: ClassVar[int] = 1
    order_id: UUID
    job_id: UUID


@registry.register
class CourierEmailRecorded(DispatchPrivateEvent):
    """The address a courier's sign-in links go to, as the association gave it (appended with
    ``CourierAdded``, which integrators see: a rider's mailbox is not theirs to know)."""

    event_name: ClassVar[str] = "CourierEmailRecorded"
    schema_version: ClassVar[int] = 1
    courier_service_id: UUID
    courier_id: UUID
    email: EventLine = Field(min_length=3, max_length=254)


@registry.register
class CourierSignInLinkIssued(DispatchPrivateEvent):
    """A one-time sign-in link was e-mailed to the courier; only its token's hash is kept (the
    token is only ever in the mail)."""

    event_name: ClassVar[str] = "CourierSignInLinkIssued"
    schema_version: ClassVar[int] = 1
    courier_service_id: UUID
    courier_id: UUID
    link_id: UUID
    token_hash: Sha256Hex
    issued_at: AwareDatetime
    expires_at: AwareDatetime


@registry.register
class CourierSignInLinkUsed(DispatchPrivateEvent):
    """The link gave the courier a token; it opens nothing any more, and neither does any link
    of the courier issued before it that was still open."""

    event_name: ClassVar[str] = "CourierSignInLinkUsed"
    schema_version: ClassVar[int] = 1
    courier_service_id: UUID
    courier_id: UUID
    link_id: UUID
    used_at: AwareDatetime
