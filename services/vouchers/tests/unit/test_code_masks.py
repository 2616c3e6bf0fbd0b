# SPDX-License-Identifier: AGPL-3.0-or-later
"""The read model that gives statements a voucher's masked code: from a redemption by code or
an online checkout's authorisation, one row per voucher; an authorisation from before issue 16
(no masked code) adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.projection import RowSet
from downtown_events.runtime.records import ReceivedEvent
from tests.support.received import received as received_event
from vouchers.domain.private_events import VoucherCodeMaskRecorded, VoucherPaymentAuthorized
from vouchers.projections.code_masks import MASKS, CodeMasks

AT = datetime(2026, 12, 1, 10, tzinfo=UTC)
MASKED = "••••-••••-••••-••••-X7KQ"


def stored(event: IntegrationEvent, stream: UUID) -> ReceivedEvent:
    return received_event(event, stream, at=AT)


def authorized(voucher_id: UUID, masked_code: str | None) -> ReceivedEvent:
    event = VoucherPaymentAuthorized(
        authorization_id=uuid4(),
        voucher_id=voucher_id,
        amount_cents=1_000,
        authorized_at=AT,
        expires_at=AT + timedelta(minutes=30),
        masked_code=masked_code,
    )
    return stored(event, event.authorization_id)


def test_a_redemption_by_code_and_a_checkout_each_give_the_voucher_its_masked_code() -> None:
    at_counter, ordered, before_issue_16 = uuid4(), uuid4(), uuid4()
    events = [
        stored(VoucherCodeMaskRecorded(voucher_id=at_counter, masked_code=MASKED), at_counter),
        authorized(ordered, "••••-••••-••••-••••-K7M2"),
        authorized(at_counter, MASKED),  # the same voucher again: the same row
        authorized(before_issue_16, None),
    ]

    rows = CodeMasks().fold(RowSet(), events)

    assert rows.get(MASKS, at_counter) == {"voucher_id": at_counter, "masked_code": MASKED}
    assert rows.get(MASKS, ordered) == {"voucher_id": ordered, "masked_code": "••••-••••-••••-••••-K7M2"}
    assert rows.get(MASKS, before_issue_16) is None
