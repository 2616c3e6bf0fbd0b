# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's list of campaigns: the sales projection keeps when each started (newest
first), and each listed row says where the campaign stands without replaying its stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.projection import RowSet
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent
from downtown_events.vouchers import CampaignBonusGranted, CampaignBonusReserved, CampaignEnded, CampaignStarted
from vouchers.api.schemas import CampaignListed
from vouchers.domain.campaign import state_of
from vouchers.projections.sales import CAMPAIGNS, Sales

NOW = datetime(2026, 11, 2, 10, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=30)


def received(event: IntegrationEvent, version: int, at: datetime) -> ReceivedEvent:
    envelope = CloudEvent(
        id=str(uuid4()),
        source="/vouchers",
        type=event.ce_type(),
        subject=str(getattr(event, "campaign_id")),  # noqa: B009 - every campaign event has one
        time=at,
        town="testtown",
        streamversion=version,
        data=event.model_dump_json().encode(),
    )
    key, value, headers = envelope.to_kafka()
    return ReceivedEvent(KafkaRecord("testtown.vouchers.events", 0, version, key, value, headers), envelope, event)


def test_the_campaign_row_keeps_when_it_started_and_its_budget_tallies() -> None:
    campaign_id, purchase_id = uuid4(), uuid4()
    started = CampaignStarted(
        campaign_id=campaign_id,
        programme_id=uuid4(),
        name="Heimat shoppen",
        bonus_percent=20,
        budget_cents=50_000,
        per_buyer_cap_cents=2_000,
        ends_at=DEADLINE,
    )
    events = [
        received(started, 1, NOW),
        received(CampaignBonusReserved(campaign_id=campaign_id, purchase_id=purchase_id, bonus_cents=500), 2, NOW),
        received(CampaignBonusGranted(campaign_id=campaign_id, purchase_id=purchase_id, bonus_cents=500), 3, NOW),
    ]

    row = Sales().fold(RowSet(), events).get(CAMPAIGNS, campaign_id)

    assert row is not None
    assert (row["started_at"], row["reserved_cents"], row["granted_cents"], row["ended"]) == (NOW, 0, 500, False)
    listed = CampaignListed.of_row(row, NOW + timedelta(hours=1))
    assert (listed.remaining_cents, listed.state, listed.started_at) == (49_500, "running", NOW)

    unknown = Sales().fold(RowSet(), [received(CampaignEnded(campaign_id=campaign_id, reason=""), 4, NOW)])
    assert unknown.get(CAMPAIGNS, campaign_id) is None  # a campaign the list never saw start stays out
    ended = Sales().fold(RowSet(), [*events, received(CampaignEnded(campaign_id=campaign_id, reason=""), 4, NOW)])
    ended_row = ended.get(CAMPAIGNS, campaign_id)
    assert ended_row is not None and CampaignListed.of_row(ended_row, NOW).state == "ended"


@pytest.mark.parametrize(
    ("ended", "ends_at", "remaining", "state"),
    [
        (False, DEADLINE, 1, "running"),
        (False, DEADLINE, 0, "spent"),
        (False, NOW, 100, "expired"),
        (True, DEADLINE, 100, "ended"),
        (True, NOW, 0, "ended"),
    ],
)
def test_a_campaign_stands_running_spent_expired_or_ended(
    ended: bool, ends_at: datetime, remaining: int, state: str
) -> None:
    assert state_of(ended=ended, ends_at=ends_at, remaining_cents=remaining, now=NOW) == state
