# SPDX-License-Identifier: Apache-2.0
"""The merchant replica's fold over plain rows, and what its rows read as, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from uuid import UUID, uuid4

import pytest

from downtown_events.catalog import (
    Address,
    BankAccount,
    MerchantApprovalWithdrawn,
    MerchantApproved,
    MerchantAvailabilityNoted,
    MerchantClosed,
    MerchantProfile,
    MerchantProfileChanged,
    MerchantRegistered,
    MerchantReinstated,
    MerchantReopened,
    MerchantSuspended,
    MerchantTokensRevoked,
    OfferWithdrawn,
    OpeningHoursChanged,
    TimeWindow,
)
from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.merchant_replica import (
    MERCHANT_COLUMNS,
    MerchantReplica,
    ReplicatedMerchant,
    Standing,
    merchant_replica,
    profile_columns,
)
from downtown_events.runtime.projection import Row, RowSet
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent, SkippedEvent, decode_record

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MONDAY = TimeWindow(weekday=0, opens=time(9), closes=time(18))
REPLICA = merchant_replica("test_merchants")
_offsets = count()


class Stream:
    """A merchant's stream as the catalog publishes it: numbered, a minute apart."""

    def __init__(self, merchant_id: UUID) -> None:
        self.merchant_id, self.version, self.time = merchant_id, 0, START

    def __call__(self, event: IntegrationEvent) -> ReceivedEvent:
        self.version += 1
        self.time += timedelta(minutes=1)
        envelope = CloudEvent(
            id=str(uuid4()),
            source="/catalog",
            type=event.ce_type(),
            subject=str(self.merchant_id),
            time=self.time,
            town="testtown",
            streamversion=self.version,
            data=event.model_dump_json().encode(),
        )
        key, value, headers = envelope.to_kafka()
        return ReceivedEvent(
            KafkaRecord("testtown.catalog.events", 0, next(_offsets), key, value, headers), envelope, event
        )


def profile(**changes: object) -> MerchantProfile:
    fields: dict[str, object] = {
        "name": "Fahrrad Terhaar",
        "category": "Fahrräder",
        "address": Address(street="Markt 3", postal_code="48624", city="Schöppingen"),
        "phone": "02555 1",
        "email": "laden@terhaar.example",
        "offers_delivery": True,
        "tax_number": "DE123456789",
    }
    return MerchantProfile.model_validate(fields | changes)


def fold(events: list[ReceivedEvent], rows: RowSet | None = None, replica: MerchantReplica = REPLICA) -> RowSet:
    return replica.fold(rows or RowSet(), events)


def row_of(rows: RowSet, merchant_id: UUID) -> Row:
    row = rows.get(REPLICA.table, merchant_id)
    assert row is not None
    return row


def registered(merchant_id: UUID) -> tuple[Stream, ReceivedEvent]:
    stream = Stream(merchant_id)
    return stream, stream(MerchantRegistered(merchant_id=merchant_id, profile=profile(), opening_hours=[MONDAY]))


def test_a_declaration_names_the_projection_and_its_table_and_reads_the_catalogs_topic() -> None:
    vouchers, ordering = merchant_replica("voucher_merchants"), merchant_replica("ordering_merchants", name="other")

    assert (vouchers.name, [table.name for table in vouchers.tables]) == ("merchants", ["voucher_merchants"])
    assert (ordering.name, ordering.table.name, vouchers.table.name) == (
        "other",
        "ordering_merchants",
        "voucher_merchants",
    )
    assert vouchers.sources == ("catalog",) and vouchers.consumer_name == "projection:merchants"
    assert list(vouchers.table.columns) == list(MERCHANT_COLUMNS) and vouchers.table.key == "merchant_id"
    assert "downtown.catalog.MerchantApproved" in (vouchers.reads() or ())


def test_a_registration_fills_the_profile_and_the_hours_and_allows_nothing_yet() -> None:
    merchant_id = uuid4()
    _, event = registered(merchant_id)

    row = row_of(fold([event]), merchant_id)

    assert row == {
        "merchant_id": merchant_id,
        "name": "Fahrrad Terhaar",
        "category": "Fahrräder",
        "street": "Markt 3",
        "postal_code": "48624",
        "city": "Schöppingen",
        "phone": "02555 1",
        "email": "laden@terhaar.example",
        "tax_number": "DE123456789",
        "tax_number_kind": None,
        "iban": None,
        "bic": None,
        "account_holder": None,
        "video_consultation_url": None,
        "offers_delivery": True,
        "offers_pickup": True,
        "sells_vouchers": False,
        "latitude": None,
        "longitude": None,
        "opening_hours": [{"weekday": 0, "opens": "09:00:00", "closes": "18:00:00"}],
        "closed": False,
        "closed_note": "",
        "suspended": False,
        "approved": False,
        "approval_withdrawn": False,
        "tokens_valid_after": None,
        "updated_at": event.envelope.time,
    }
    standing = Standing.of(merchant_id, row)
    assert standing == Standing(merchant_id, "Fahrrad Terhaar", True, approval="none")
    assert not standing.may_act_with_money  # registering alone allows no money


def test_a_profile_change_replaces_the_profile_and_keeps_hours_and_standing() -> None:
    merchant_id = uuid4()
    stream, event = registered(merchant_id)
    approved = stream(MerchantApproved(merchant_id=merchant_id))
    changed = stream(
        MerchantProfileChanged(
            merchant_id=merchant_id,
            profile=profile(name="Terhaar Räder", tax_number=None, video_consultation_url="https://video.example/t"),
        )
    )

    row = row_of(fold([event, approved, changed]), merchant_id)

    assert (row["name"], row["tax_number"], row["video_consultation_url"]) == (
        "Terhaar Räder",
        None,
        "https://video.example/t",
    )
    assert row["opening_hours"] == [{"weekday": 0, "opens": "09:00:00", "closes": "18:00:00"}] and row["approved"]
    assert row["updated_at"] == changed.envelope.time


def test_standing_follows_closing_suspension_approval_and_its_withdrawal() -> None:
    merchant_id = uuid4()
    stream, event = registered(merchant_id)
    rows = fold(
        [
            event,
            stream(MerchantApproved(merchant_id=merchant_id)),
            stream(MerchantClosed(merchant_id=merchant_id, note="Betriebsferien bis 15.8.")),
        ]
    )
    closed = Standing.of(merchant_id, row_of(rows, merchant_id))
    assert (closed.closed, closed.approved, closed.may_act_with_money) == (True, True, True)
    assert row_of(rows, merchant_id)["closed_note"] == "Betriebsferien bis 15.8."

    fold([stream(MerchantSuspended(merchant_id=merchant_id, reason="Prüfung"))], rows)
    assert not Standing.of(merchant_id, row_of(rows, merchant_id)).may_act_with_money

    fold([stream(MerchantReopened(merchant_id=merchant_id)), stream(MerchantReinstated(merchant_id=merchant_id))], rows)
    fold([stream(MerchantApprovalWithdrawn(merchant_id=merchant_id, reason="Kassenprüfung"))], rows)
    row = row_of(rows, merchant_id)
    assert (row["closed"], row["closed_note"], row["suspended"]) == (False, "", False)
    assert Standing.of(merchant_id, row) == Standing(merchant_id, "Fahrrad Terhaar", True, approval="withdrawn")

    fold([stream(MerchantApproved(merchant_id=merchant_id))], rows)
    assert Standing.of(merchant_id, row_of(rows, merchant_id)).may_act_with_money


def test_new_hours_and_a_revocation_change_only_their_columns() -> None:
    merchant_id = uuid4()
    stream, event = registered(merchant_id)
    revoked_at = START + timedelta(days=1)
    rows = fold([event])
    before = row_of(rows, merchant_id)

    fold(
        [
            stream(OpeningHoursChanged(merchant_id=merchant_id, opening_hours=[])),
            stream(MerchantTokensRevoked(merchant_id=merchant_id, revoked_at=revoked_at)),
        ],
        rows,
    )

    after = row_of(rows, merchant_id)
    changed = {column for column in MERCHANT_COLUMNS if after[column] != before[column]}
    assert changed == {"opening_hours", "tokens_valid_after", "updated_at"}
    assert (after["opening_hours"], after["tokens_valid_after"]) == ([], revoked_at)


def test_events_read_before_the_registration_keep_the_merchant_unknown_but_hold() -> None:
    """A registration that could not be read (parked) leaves a row without a name: unknown to
    every read, but a revocation still counts."""
    merchant_id = uuid4()
    stream = Stream(merchant_id)
    stream.version = 1
    revoked_at = START + timedelta(hours=1)
    rows = fold(
        [
            stream(MerchantApproved(merchant_id=merchant_id)),
            stream(MerchantTokensRevoked(merchant_id=merchant_id, revoked_at=revoked_at)),
        ]
    )

    row = row_of(rows, merchant_id)
    assert row["name"] is None and row["approved"] and row["tokens_valid_after"] == revoked_at
    assert Standing.of(merchant_id, row) == Standing(merchant_id, "", known=False)
    assert not Standing.of(merchant_id, row).may_act_with_money


def test_other_events_touch_nothing() -> None:
    offer_id = uuid4()
    event = Stream(offer_id)(OfferWithdrawn(offer_id=offer_id, merchant_id=uuid4(), kind="product"))

    assert list(REPLICA.touches(event)) == []
    assert not fold([event]).changed


def test_an_availability_note_is_for_customers_and_skipped_not_dead_lettered() -> None:
    """The catalog's directory shows the day's note; no service's rule reads it, so the
    replica does not decode it, and a consumer skips it like any type it does not read."""
    merchant_id = uuid4()
    stream, registration = registered(merchant_id)
    rows = fold([registration])
    before = dict(row_of(rows, merchant_id))
    noted = stream(
        MerchantAvailabilityNoted(merchant_id=merchant_id, note="Heute nur Abholung", for_day=date(2026, 3, 2))
    )

    assert "downtown.catalog.MerchantAvailabilityNoted" not in (REPLICA.reads() or ())
    assert isinstance(decode_record(noted.record, "testtown", REPLICA.reads()), SkippedEvent)
    assert list(REPLICA.touches(noted)) == []
    assert row_of(fold([noted], rows), merchant_id) == before


def test_two_declarations_fold_into_their_own_tables() -> None:
    merchant_id = uuid4()
    _, event = registered(merchant_id)
    other = merchant_replica("other_merchants")

    rows = fold([event], replica=other)

    assert rows.get(other.table, merchant_id) is not None and rows.get(REPLICA.table, merchant_id) is None
    assert list(other.touches(event)) == [(other.table, merchant_id)]


def test_a_row_reads_as_a_typed_merchant() -> None:
    merchant_id = uuid4()
    _, event = registered(merchant_id)
    row = row_of(fold([event]), merchant_id) | {"email": " laden@terhaar.example ", "closed_note": None}

    merchant = ReplicatedMerchant.from_row(row)

    assert merchant == ReplicatedMerchant(
        merchant_id=merchant_id,
        name="Fahrrad Terhaar",
        standing=Standing(merchant_id, "Fahrrad Terhaar", True),
        category="Fahrräder",
        address=Address(street="Markt 3", postal_code="48624", city="Schöppingen"),
        phone="02555 1",
        email="laden@terhaar.example",
        tax_number="DE123456789",
        offers_delivery=True,
        offers_pickup=True,
        opening_hours=(MONDAY,),
    )


@pytest.mark.parametrize("approved", [None, False])
def test_a_row_from_before_columns_were_added_reads_as_known_but_unapproved(approved: bool | None) -> None:
    """The shape of vouchers' table before the kit (and before approvals): the columns added
    since read as null, which is "not approved", "not withdrawn" and "not known"."""
    merchant_id = uuid4()
    old: Row = {"merchant_id": merchant_id, "name": "Eisdiele", "closed": False, "suspended": False}
    row = dict.fromkeys(MERCHANT_COLUMNS) | old | {"approved": approved}

    merchant = ReplicatedMerchant.from_row(row)

    assert merchant.standing == Standing(merchant_id, "Eisdiele", True, approval="none")
    assert not merchant.standing.may_act_with_money
    assert (merchant.address, merchant.opening_hours, merchant.tax_number, merchant.closed_note) == (None, (), "", "")


def test_the_profile_columns_are_the_tables_profile_part() -> None:
    columns = profile_columns(profile())

    assert set(columns) < set(MERCHANT_COLUMNS)
    assert set(MERCHANT_COLUMNS) - set(columns) == {
        "merchant_id",
        "opening_hours",
        "closed",
        "closed_note",
        "suspended",
        "approved",
        "approval_withdrawn",
        "tokens_valid_after",
        "updated_at",
    }


def test_a_profile_with_a_bank_account_and_a_tax_number_kind_fills_their_columns() -> None:
    merchant_id = uuid4()
    stream, event = registered(merchant_id)
    bank = BankAccount(iban="DE89370400440532013000", bic="COBADEFFXXX", account_holder="Terhaar GmbH")
    changed = stream(
        MerchantProfileChanged(merchant_id=merchant_id, profile=profile(bank_account=bank, tax_number_kind="ust_idnr"))
    )

    row = row_of(fold([event, changed]), merchant_id)

    assert (row["iban"], row["bic"], row["account_holder"], row["tax_number_kind"]) == (
        "DE89370400440532013000",
        "COBADEFFXXX",
        "Terhaar GmbH",
        "ust_idnr",
    )
    merchant = ReplicatedMerchant.from_row(row)
    assert (merchant.iban, merchant.bic, merchant.account_holder, merchant.tax_number_kind) == (
        "DE89370400440532013000",
        "COBADEFFXXX",
        "Terhaar GmbH",
        "ust_idnr",
    )
