# SPDX-License-Identifier: AGPL-3.0-or-later
"""The statements' read model: a courier service's deliveries with who paid what, its failed
attempts and returns (a return is its job's last courier's), the month's sums, and the
town's months cut at its midnights; each event touches only the rows it names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from dispatch.projections.statements import (
    STATEMENT_COURIERS,
    STATEMENT_JOBS,
    STATEMENT_LINES,
    MonthTotals,
    StatementLine,
    StatementsProjection,
    line_id,
    month_bounds,
)
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import (
    CourierAdded,
    DeliveryAttemptFailed,
    DeliveryJobDelivered,
    DeliveryJobReturned,
    DeliveryJobUnplanned,
    DeliveryOrderPickedUp,
)
from downtown_events.runtime.projection import RowSet
from downtown_events.runtime.records import ReceivedEvent
from tests.support.received import received as received_event

AT = datetime(2026, 12, 7, 15, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def received(event: IntegrationEvent, stream: UUID) -> ReceivedEvent:
    return received_event(event, stream, at=AT, topic="testtown.dispatch.events")


def fold(events: list[ReceivedEvent]) -> RowSet:
    """As the writer folds: every row the policy reads or writes is one it said it touches."""
    rows = RowSet()
    rows.read = set()
    projection = StatementsProjection()
    for event in events:
        touched = {(table.name, str(key)) for table, key in projection.touches(event)}
        before = set(rows.changed)
        rows.read.clear()
        projection.evolve(rows, event)
        assert rows.read | (rows.changed - before) <= touched, "a row read or written that the event does not name"
    return rows


def delivered(job_id: UUID, courier_id: UUID, fee: int, town: int, orders: int = 1) -> ReceivedEvent:
    order_ids = [uuid4() for _ in range(orders)]
    event = DeliveryJobDelivered(
        job_id=job_id, order_ids=order_ids, courier_id=courier_id, at=AT, fee_cents=fee, town_cents=town
    )
    return received(event, job_id)


def test_a_delivery_is_a_line_with_the_customers_and_the_towns_parts_and_its_courier() -> None:
    service, courier, job = uuid4(), uuid4(), uuid4()
    added = CourierAdded(
        courier_service_id=service, courier_id=courier, display_name="Jana", vehicle="bike", capacity=8
    )

    rows = fold([received(added, service), delivered(job, courier, fee=150, town=350, orders=2)])

    assert rows.get(STATEMENT_COURIERS, courier) == {"courier_id": courier, "courier_service_id": service}
    line = rows.get(STATEMENT_LINES, line_id(job, "delivered"))
    assert line is not None
    assert (line["kind"], line["courier_id"], line["at"], line["orders"]) == ("delivered", courier, AT, 2)
    assert (line["fee_cents"], line["town_cents"]) == (150, 350)


def test_failed_attempts_are_lines_each_and_a_return_is_the_last_couriers() -> None:
    job, first, second = uuid4(), uuid4(), uuid4()
    order = uuid4()
    picked = DeliveryOrderPickedUp(job_id=job, order_id=order, merchant_id=uuid4(), courier_id=first, at=AT)
    events = [
        received(picked, job),
        *(
            received(
                DeliveryAttemptFailed(
                    job_id=job,
                    order_ids=[order],
                    courier_id=courier,
                    attempt=attempt,
                    reason="not_at_home",
                    at=AT + timedelta(days=attempt),
                    then="retry" if attempt == 1 else "return",
                ),
                job,
            )
            for attempt, courier in ((1, first), (2, second))
        ),
        received(DeliveryJobReturned(job_id=job, order_ids=[order], at=AT + timedelta(days=3)), job),
    ]

    rows = fold(events)

    failed = [rows.get(STATEMENT_LINES, line_id(job, "failed", attempt)) for attempt in (1, 2)]
    assert [(line["courier_id"], line["attempt"], line["reason"]) for line in failed if line] == [
        (first, 1, "not_at_home"),
        (second, 2, "not_at_home"),
    ]
    returned = rows.get(STATEMENT_LINES, line_id(job, "returned"))
    assert returned is not None and returned["courier_id"] == second and returned["fee_cents"] == 0
    assert rows.get(STATEMENT_JOBS, job) == {"job_id": job, "courier_id": second}


def test_a_return_without_a_courier_known_is_kept_unattributed_and_other_events_touch_nothing() -> None:
    job = uuid4()
    unplanned = received(DeliveryJobUnplanned(job_id=job, reason="no courier on shift"), job)
    assert list(StatementsProjection().touches(unplanned)) == []

    rows = fold([received(DeliveryJobReturned(job_id=job, order_ids=[uuid4()], at=AT), job)])

    returned = rows.get(STATEMENT_LINES, line_id(job, "returned"))
    assert returned is not None and returned["courier_id"] is None


def test_the_same_delivery_replayed_is_the_same_line() -> None:
    job, courier = uuid4(), uuid4()
    event = delivered(job, courier, fee=0, town=400)
    rows = fold([event, event])
    assert len({key for key in rows.changed if key[0] == STATEMENT_LINES.name}) == 1


def test_a_months_totals_count_what_was_paid_and_what_was_ridden_for_nothing() -> None:
    def line(kind: str, fee: int = 0, town: int = 0) -> StatementLine:
        return StatementLine(kind, uuid4(), uuid4(), AT, 1, fee, town, None, None)

    totals = MonthTotals.of(
        [line("delivered", 150, 350), line("delivered", 0, 500), line("failed"), line("failed"), line("returned")]
    )

    assert totals == MonthTotals(deliveries=2, fee_cents=150, town_cents=850, failed_attempts=2, returns=1)


def test_a_month_runs_from_the_towns_midnight_to_the_next_months() -> None:
    starts, ends = month_bounds(2026, 12, BERLIN)
    assert starts == datetime(2026, 11, 30, 23, tzinfo=UTC)
    assert ends == datetime(2026, 12, 31, 23, tzinfo=UTC)
    summer, _ = month_bounds(2026, 7, BERLIN)
    assert summer == datetime(2026, 6, 30, 22, tzinfo=UTC)
