# SPDX-License-Identifier: AGPL-3.0-or-later
"""The vouchers' use cases over the runtime's in-memory event store and small fakes of the
ports: who may do what, counter sales, bulk issues, codes shown once, replays without
credentials, redemptions under contention, one unit of work, the expiry round."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.ordering import Fulfilment, OrderLine, OrderPlaced, OrderRejected, Payment
from downtown_events.references import purchase_reference
from downtown_events.runtime.addresses import canonical_email
from downtown_events.runtime.idempotency import IdempotencyKeyReused
from downtown_events.runtime.mail import OutgoingMail
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.principal import NotPermitted, Principal
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent
from downtown_events.vouchers import (
    ProgrammeOpened,
    ProgrammeTerms,
    PurchasePaid,
    PurchaseStarted,
    ValidityPolicy,
    VoucherPaymentRefused,
)
from vouchers.app.authorizations import AuthorizationHandlers
from vouchers.app.context import Context, campaign_of, purchase_of, voucher_of
from vouchers.app.jobs import expire_due
from vouchers.app.notifications import PaymentDetails
from vouchers.app.notifier import NotifierSettings, notify
from vouchers.app.order_payments import OrderPayments, order_payments
from vouchers.app.ports import SealBroken
from vouchers.app.programmes import ProgrammeHandlers
from vouchers.app.purchases import PurchaseHandlers
from vouchers.app.redemptions import RedemptionHandlers
from vouchers.domain import campaign as campaigns
from vouchers.domain import programme as programmes
from vouchers.domain import purchase as purchases
from vouchers.domain.codes import VoucherCode, code_hash, parse_code
from vouchers.domain.commands import (
    AuthorizeVoucherPayment,
    BulkIssue,
    ChangeProgramme,
    CloseProgramme,
    ConfirmPayment,
    JoinProgramme,
    LeaveProgramme,
    OpenProgramme,
    RedeemVoucher,
    RefundVoucher,
    RequestedVoucher,
    ReverseRedemption,
    StartCampaign,
    StartPurchase,
)
from vouchers.domain.errors import (
    CodesAlreadyDelivered,
    InsufficientBalance,
    InvalidChange,
    LimitReached,
    NotAllowed,
    NotFound,
    NotYetKnown,
)
from vouchers.domain.merchant_standing import Approval, MerchantStanding, MerchantStatus
from vouchers.domain.private_events import VoucherCodeAssigned
from vouchers.domain.programme import Programme
from vouchers.domain.purchase import Purchase
from vouchers.domain.voucher import Voucher
from vouchers.settings import RESERVED_PROGRAMME_WORDS

START = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
ASSOCIATION = Principal(role="association")
TERMS = ProgrammeTerms(name="Stadtgutschein", denominations_cents=[1000, 2500, 5000])
OWN_TERMS = ProgrammeTerms(name="Gutschein vom Markt", denominations_cents=[1000, 2500, 5000])


# --- fakes of the ports ------------------------------------------------------------------


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Merchants:
    """The merchant replica (MerchantDirectory) as the catalog's events would leave it."""

    standings: dict[UUID, MerchantStanding] = field(default_factory=dict)

    def add(self, name: str, status: MerchantStatus = "active", approval: Approval = "approved") -> Principal:
        merchant_id = uuid4()
        self.standings[merchant_id] = MerchantStanding(merchant_id, name, status, approval)
        return Principal(role="merchant", subject=merchant_id)

    def set(self, principal: Principal, status: MerchantStatus | None = None, approval: Approval | None = None) -> None:
        standing = self.standings[principal.merchant()]
        self.standings[standing.merchant_id] = MerchantStanding(
            standing.merchant_id, standing.name, status or standing.status, approval or standing.approval
        )

    async def standing(self, merchant_id: UUID) -> MerchantStanding:
        return self.standings.get(merchant_id) or MerchantStanding.unknown(merchant_id)

    async def tokens_valid_after(self, merchant_id: UUID) -> datetime | None:
        return None


@dataclass
class StoreCodes:
    """The code lookup (CodeIndex), read straight from the store's private events."""

    store: InMemoryEventStore

    async def voucher_for(self, code_hash: str) -> UUID | None:
        for stream in self.store.streams.values():
            for stored in stream:
                if isinstance(stored.event, VoucherCodeAssigned) and stored.event.code_hash == code_hash:
                    return stored.event.voucher_id
        return None


@dataclass
class StoreCampaigns:
    """The running campaigns of a programme (CampaignFinder), from the store."""

    store: InMemoryEventStore

    async def running_for(self, programme_id: UUID, now: datetime) -> list[UUID]:
        found = []
        for stream_id, stream in self.store.streams.items():
            if stream and type(stream[0].event).__name__ == "CampaignStarted":
                campaign = campaigns.replay([stored.event for stored in stream])
                if campaign and campaign.programme_id == programme_id and campaign.running_at(now):
                    found.append(UUID(stream_id))
        return found


class PlainSeal:
    """A CodeSeal that only checks the token (the real one encrypts: see adapters/sealing)."""

    def __init__(self) -> None:
        self.tokens_made = 0

    def new_access_token(self) -> str:
        self.tokens_made += 1
        return uuid4().hex

    def token_hash(self, token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def seal(self, token: str, purchase_id: UUID, codes: dict[UUID, str]) -> str:
        plain = {"for": self.token_hash(token), "codes": {str(k): v for k, v in codes.items()}}
        return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode()

    def unseal(self, token: str, purchase_id: UUID, sealed: str) -> dict[UUID, str]:
        plain = json.loads(base64.urlsafe_b64decode(sealed))
        if plain["for"] != self.token_hash(token):
            raise SealBroken("not this token")
        return {UUID(k): v for k, v in plain["codes"].items()}

    def seal_for_delivery(self, purchase_id: UUID, codes: dict[UUID, str]) -> str:
        return self.seal("delivery", purchase_id, codes)

    def unseal_for_delivery(self, purchase_id: UUID, sealed: str) -> dict[UUID, str]:
        return self.unseal("delivery", purchase_id, sealed)

    def buyer_ref(self, email: str) -> str:
        return hashlib.sha256(canonical_email(email).encode()).hexdigest()

    def earlier_buyer_refs(self, email: str) -> tuple[str, ...]:
        legacy = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return () if legacy == self.buyer_ref(email) else (legacy,)


@dataclass
class StoreBuyers:
    """Open unpaid purchases per buyer (BuyerPurchases), from the store's private events."""

    store: InMemoryEventStore

    async def open_unpaid(self, buyer_refs: Sequence[str], now: datetime) -> int:
        count = 0
        for stream in self.store.streams.values():
            if stream and isinstance(stream[0].event, PurchaseStarted):
                state = purchases.replay([stored.event for stored in stream])
                assert state is not None and state.secrets is not None
                waiting = state.status == "pending" and state.channel == "online" and state.expires_at > now
                count += waiting and state.secrets.buyer_ref in buyer_refs
        return count

    async def ids_between(self, lowest: UUID, highest: UUID) -> list[UUID]:
        started = [
            stream[0].event.purchase_id
            for stream in self.store.streams.values()
            if stream and isinstance(stream[0].event, PurchaseStarted)
        ]
        return sorted(pid for pid in started if lowest <= pid <= highest)


@dataclass
class StoreProgrammes:
    """What the sales read model lists of programmes (ProgrammeDirectory), from the store."""

    store: InMemoryEventStore

    def _all(self) -> list[Programme]:
        found = []
        for stream in self.store.streams.values():
            if stream and isinstance(stream[0].event, ProgrammeOpened):
                state = programmes.replay([stored.event for stored in stream])
                assert state is not None
                found.append(state)
        return found

    async def town_programme_names(self) -> list[str]:
        return [programme.terms.name for programme in self._all() if programme.kind == "town"]

    async def open_programmes_of(self, merchant_id: UUID) -> int:
        return sum(1 for p in self._all() if p.merchant_id == merchant_id and not p.closed)


@dataclass
class Deadlines:
    """What the expiry job's read models would list: here, whatever the test names."""

    vouchers: list[UUID] = field(default_factory=list)
    purchases: list[UUID] = field(default_factory=list)

    async def vouchers_past_validity(self, today: date, limit: int) -> list[UUID]:
        return self.vouchers[:limit]

    async def purchases_past_payment(self, now: datetime, limit: int) -> list[UUID]:
        return self.purchases[:limit]


@dataclass
class World:
    store: InMemoryEventStore
    clock: Clock
    context: Context
    merchants: Merchants
    seal: PlainSeal
    programmes: ProgrammeHandlers
    purchases: PurchaseHandlers
    redemptions: RedemptionHandlers

    async def town_programme(self, validity: ValidityPolicy | None = None) -> UUID:
        terms = TERMS if validity is None else TERMS.model_copy(update={"validity": validity})
        programme, _ = await self.programmes.open_programme(ASSOCIATION, OpenProgramme("town", terms))
        return programme.programme_id

    async def member(self, programme_id: UUID, name: str = "Café am Markt") -> Principal:
        shop = self.merchants.add(name)
        await self.programmes.join(shop, JoinProgramme(programme_id, shop.merchant()))
        return shop

    async def paid(self, programme_id: UUID, *amounts: int, email: str = "anna@example.de") -> list[tuple[UUID, str]]:
        """Bought online, paid by the provider, codes fetched: (voucher id, code) per voucher."""
        wanted = tuple(RequestedVoucher(programme_id, cents) for cents in amounts)
        started = await self.purchases.start_purchase(StartPurchase(wanted, buyer_email=email))
        purchase_id = started.purchase.purchase_id
        total = started.purchase.total_cents
        await self.purchases.confirm_payment(None, ConfirmPayment(purchase_id, "provider", f"p-{purchase_id}", total))
        assert started.access_token is not None
        codes = await self.purchases.codes_for_buyer(purchase_id, started.access_token)
        return [(item.voucher_id, codes[item.voucher_id].display) for item in started.purchase.items]

    def types(self, stream_id: UUID) -> list[str]:
        return [type(stored.event).__name__ for stored in self.store.streams.get(str(stream_id), [])]


@pytest.fixture
def world() -> World:
    return a_world()


def a_world() -> World:
    """Every handler over one in-memory store (also the buyer notifier's tests' world)."""
    store = InMemoryEventStore()
    clock = Clock()
    context = Context(store, code_key=b"unit-test-code-hash-key", clock=clock)
    merchants = Merchants()
    seal = PlainSeal()
    purchases = PurchaseHandlers(
        context,
        merchants,
        StoreCampaigns(store),
        seal,
        StoreBuyers(store),
        unpaid_hours=72,
        max_vouchers=20,
        max_bulk=50,
        max_open_unpaid=3,
    )
    return World(
        store,
        clock,
        context,
        merchants,
        seal,
        ProgrammeHandlers(
            context, merchants, StoreProgrammes(store), reserved_words=RESERVED_PROGRAMME_WORDS, most_per_merchant=3
        ),
        purchases,
        RedemptionHandlers(context, merchants, StoreCodes(store)),
    )


# --- who may do what ---------------------------------------------------------------------


async def test_the_association_opens_town_programmes_and_a_merchant_its_own(world: World) -> None:
    shop = world.merchants.add("Weinhandlung")
    other = world.merchants.add("Blumen Meyer")

    with pytest.raises(NotPermitted):
        await world.programmes.open_programme(shop, OpenProgramme("town", TERMS))
    with pytest.raises(NotPermitted):
        await world.programmes.open_programme(ASSOCIATION, OpenProgramme("merchant", OWN_TERMS))
    own, created = await world.programmes.open_programme(shop, OpenProgramme("merchant", OWN_TERMS))
    changed = OWN_TERMS.model_copy(update={"denominations_cents": [2000]})
    with pytest.raises(NotPermitted):
        await world.programmes.change_programme(other, ChangeProgramme(own.programme_id, changed))
    town = await world.town_programme()
    with pytest.raises(NotPermitted):
        await world.programmes.change_programme(shop, ChangeProgramme(town, changed))

    assert created and own.merchant_id == shop.merchant_id and own.kind == "merchant"
    assert (await world.programmes.change_programme(shop, ChangeProgramme(own.programme_id, changed))).version == 2
    assert (await world.programmes.change_programme(ASSOCIATION, ChangeProgramme(town, changed))).version == 2


@pytest.mark.parametrize(
    "name",
    [
        "Stadtgutschein",
        "Münsteraner Stadt-Gutschein",
        "ＳＴＡＤＴＧＵＴＳＣＨＥＩＮ",
        "Stаdtgutschein Extra",
        "Heimat Taler",
    ],
)
async def test_a_merchant_programme_may_not_take_the_towns_name(world: World, name: str) -> None:
    """One merchant opened 500 programmes named like the town's voucher (Cyrillic а above)."""
    await world.programmes.open_programme(
        ASSOCIATION, OpenProgramme("town", TERMS.model_copy(update={"name": "Heimat-Taler"}))
    )
    shop = world.merchants.add("Weinhandlung")
    taken = OWN_TERMS.model_copy(update={"name": name})
    with pytest.raises(InvalidChange, match="the town's name"):
        await world.programmes.open_programme(shop, OpenProgramme("merchant", taken))
    own, _ = await world.programmes.open_programme(shop, OpenProgramme("merchant", OWN_TERMS))
    with pytest.raises(InvalidChange, match="the town's name"):
        await world.programmes.change_programme(shop, ChangeProgramme(own.programme_id, taken))


async def test_a_merchant_has_only_so_many_programmes_selling_at_once(world: World) -> None:
    shop = world.merchants.add("Weinhandlung")
    opened = []
    for n in range(3):
        terms = OWN_TERMS.model_copy(update={"name": f"Gutschein {n}"})
        opened.append((await world.programmes.open_programme(shop, OpenProgramme("merchant", terms)))[0])
    with pytest.raises(LimitReached, match="at most 3 programmes"):
        await world.programmes.open_programme(shop, OpenProgramme("merchant", OWN_TERMS))
    await world.programmes.close_programme(shop, CloseProgramme(opened[0].programme_id))
    assert await world.programmes.open_programme(shop, OpenProgramme("merchant", OWN_TERMS))
    # The association's town programmes are not a merchant's.
    for n in range(4):
        town = TERMS.model_copy(update={"name": f"Stadtgutschein {n}"})
        assert await world.programmes.open_programme(ASSOCIATION, OpenProgramme("town", town))


@pytest.mark.parametrize(
    ("status", "approval"), [("suspended", "approved"), ("active", "withdrawn"), ("active", "none")]
)
async def test_a_merchant_that_may_not_sell_changes_no_terms_the_association_still_may(
    world: World, status: MerchantStatus, approval: Approval
) -> None:
    shop = world.merchants.add("Weinhandlung")
    own, _ = await world.programmes.open_programme(shop, OpenProgramme("merchant", OWN_TERMS))
    world.merchants.set(shop, status, approval)
    changed = OWN_TERMS.model_copy(update={"denominations_cents": [100_000]})
    with pytest.raises(NotAllowed):
        await world.programmes.change_programme(shop, ChangeProgramme(own.programme_id, changed))
    with pytest.raises(NotAllowed):
        await world.programmes.open_programme(
            shop, OpenProgramme("merchant", OWN_TERMS.model_copy(update={"name": "B"}))
        )
    assert (
        await world.programmes.change_programme(ASSOCIATION, ChangeProgramme(own.programme_id, changed))
    ).version == 2
    assert (
        await world.programmes.close_programme(shop, CloseProgramme(own.programme_id))
    ).closed  # stopping is allowed


async def test_only_the_association_starts_campaigns_and_bulk_issues(world: World) -> None:
    town = await world.town_programme()
    shop = world.merchants.add("Weinhandlung")
    campaign = StartCampaign(town, "Heimat shoppen", 20, 10_000, 1_000, START + timedelta(days=30))
    bulk = BulkIssue(town, 1_000, 3, "Stadtfest", "orga@example.de")

    with pytest.raises(NotPermitted):
        await world.programmes.start_campaign(shop, campaign)
    with pytest.raises(NotPermitted):
        await world.purchases.bulk_issue(shop, bulk)

    assert world.types(town) == ["ProgrammeOpened"] and len(world.store.streams) == 1


async def test_a_merchant_joins_for_itself_and_the_association_for_anyone(world: World) -> None:
    town = await world.town_programme()
    shop, other = world.merchants.add("Weinhandlung"), world.merchants.add("Blumen Meyer")

    with pytest.raises(NotPermitted):
        await world.programmes.join(shop, JoinProgramme(town, other.merchant()))
    joined = await world.programmes.join(ASSOCIATION, JoinProgramme(town, other.merchant()))

    assert joined.merchant_id == other.merchant_id and joined.joined


async def test_anyone_may_ask_whether_a_shop_accepts_a_programmes_vouchers(world: World) -> None:
    town = await world.town_programme()
    member, stranger = world.merchants.add("Weinhandlung"), world.merchants.add("Blumen Meyer")
    await world.programmes.join(member, JoinProgramme(town, member.merchant()))

    assert await world.programmes.accepts(town, member.merchant())
    assert not await world.programmes.accepts(town, stranger.merchant())  # never joined
    await world.programmes.leave(member, LeaveProgramme(town, member.merchant()))
    assert not await world.programmes.accepts(town, member.merchant())  # left
    with pytest.raises(NotFound):
        await world.programmes.accepts(uuid4(), member.merchant())


async def test_who_may_confirm_which_payment(world: World) -> None:
    town = await world.town_programme()
    shop = world.merchants.add("Weinhandlung")
    started = await world.purchases.start_purchase(StartPurchase((RequestedVoucher(town, 2_500),), "a@example.de"))
    purchase_id = started.purchase.purchase_id

    refusals = [
        (None, ConfirmPayment(purchase_id, "cash", "bar", 2_500, shop.merchant())),  # unsigned cash
        (ASSOCIATION, ConfirmPayment(purchase_id, "cash", "bar", 2_500, shop.merchant())),
        (shop, ConfirmPayment(purchase_id, "bank_transfer", "SEPA-1", 2_500)),
        (shop, ConfirmPayment(purchase_id, "cash", "bar", 2_500, uuid4())),  # cash taken elsewhere
    ]
    for principal, payment in refusals:
        with pytest.raises(NotPermitted):
            await world.purchases.confirm_payment(principal, payment)
    assert world.types(purchase_id) == ["PurchaseStarted", "PurchaseSecretsSealed"]

    paid = await world.purchases.confirm_payment(
        ASSOCIATION, ConfirmPayment(purchase_id, "bank_transfer", "S-1", 2_500)
    )
    assert paid.status == "paid" and world.types(started.purchase.items[0].voucher_id)[0] == "VoucherIssued"


async def test_redeeming_needs_a_merchant_in_good_standing_that_accepts_the_voucher(world: World) -> None:
    town = await world.town_programme()
    member = await world.member(town)
    stranger = world.merchants.add("Nicht dabei")
    ((voucher_id, code),) = await world.paid(town, 2_500)
    unknown = Principal(role="merchant", subject=uuid4())

    with pytest.raises(NotPermitted):
        await world.redemptions.redeem(ASSOCIATION, RedeemVoucher(code, 100, uuid4()))
    with pytest.raises(NotAllowed, match="not joined"):
        await world.redemptions.redeem(stranger, RedeemVoucher(code, 100, uuid4()))
    with pytest.raises(NotYetKnown):
        await world.redemptions.redeem(unknown, RedeemVoucher(code, 100, uuid4()))
    world.merchants.set(member, "suspended")
    with pytest.raises(NotAllowed, match="suspended"):
        await world.redemptions.redeem(member, RedeemVoucher(code, 100, uuid4()))
    world.merchants.set(member, "closed")  # a shut shop still takes vouchers
    redeemed = await world.redemptions.redeem(member, RedeemVoucher(code, 100, uuid4()))

    assert redeemed.created and redeemed.voucher.balance_cents == 2_400
    assert world.types(voucher_id).count("VoucherRedeemed") == 1


async def test_a_redemption_is_reversed_by_its_merchant_or_the_association_and_seen_by_them(world: World) -> None:
    town = await world.town_programme()
    shop, other = await world.member(town), await world.member(town, "Blumen Meyer")
    ((voucher_id, code),) = await world.paid(town, 2_500)
    redeemed = await world.redemptions.redeem(shop, RedeemVoucher(code, 1_000, uuid4()))
    reversal = ReverseRedemption(voucher_id, redeemed.redemption.redemption_id, "Tippfehler")

    with pytest.raises(NotFound):
        await world.redemptions.reverse(other, reversal)
    with pytest.raises(NotFound):
        await world.redemptions.voucher(other, voucher_id)

    assert (await world.redemptions.voucher(shop, voucher_id)).balance_cents == 1_500
    assert (await world.redemptions.reverse(ASSOCIATION, reversal)).balance_cents == 2_500
    assert (await world.redemptions.reverse(shop, reversal)).balance_cents == 2_500  # twice: nothing more
    assert world.types(voucher_id).count("VoucherRedemptionReversed") == 1


async def test_a_merchant_sees_its_own_redemptions_of_a_town_voucher_not_its_rivals(world: World) -> None:
    town = await world.town_programme()
    shop, rival = await world.member(town), await world.member(town, "Blumen Meyer")
    ((voucher_id, code),) = await world.paid(town, 5_000)
    mine = await world.redemptions.redeem(shop, RedeemVoucher(code, 1_000, uuid4()))
    theirs = await world.redemptions.redeem(rival, RedeemVoucher(code, 700, uuid4()))
    refund = RefundVoucher(voucher_id, mine.redemption.redemption_id, uuid4(), 200, "Ware zurück")

    seen = await world.redemptions.voucher(shop, voucher_id)
    after_refund = await world.redemptions.refund(shop, refund)
    whole = await world.redemptions.voucher(ASSOCIATION, voucher_id)

    assert list(seen.redemptions) == [mine.redemption.redemption_id]
    assert list(after_refund.redemptions) == [mine.redemption.redemption_id]
    assert set(whole.redemptions) == {mine.redemption.redemption_id, theirs.redemption.redemption_id}
    assert list((await world.redemptions.voucher(rival, voucher_id)).redemptions) == [theirs.redemption.redemption_id]


async def test_a_merchant_the_association_has_not_approved_acts_with_no_money_until_it_does(world: World) -> None:
    """A merchant registered a minute earlier sold itself town vouchers at the counter, joined
    the town programme, redeemed the codes and was owed the money in the settlement."""
    town = await world.town_programme()
    member = await world.member(town)
    ((voucher_id, code),) = await world.paid(town, 2_500)
    redeemed = await world.redemptions.redeem(member, RedeemVoucher(code, 500, uuid4()))
    stranger = world.merchants.add("Kiosk Neu", approval="none")
    sale = StartPurchase((RequestedVoucher(town, 1_000),), "selbst@example.de")
    before = {stream: list(events) for stream, events in world.store.streams.items()}

    refusals = [
        world.purchases.sell_at_counter(stranger, sale, "Bon 1"),
        world.programmes.join(stranger, JoinProgramme(town, stranger.merchant())),
        world.programmes.join(ASSOCIATION, JoinProgramme(town, stranger.merchant())),
        world.programmes.open_programme(stranger, OpenProgramme("merchant", OWN_TERMS)),
        world.redemptions.redeem(stranger, RedeemVoucher(code, 100, uuid4())),
    ]
    for refused in refusals:
        with pytest.raises(NotAllowed, match="not approved Kiosk Neu yet"):
            await refused
    world.merchants.set(member, approval="withdrawn")
    for withdrawn in (
        world.redemptions.redeem(member, RedeemVoucher(code, 100, uuid4())),
        world.redemptions.reverse(member, ReverseRedemption(voucher_id, redeemed.redemption.redemption_id)),
        world.redemptions.refund(member, RefundVoucher(voucher_id, redeemed.redemption.redemption_id, uuid4(), 100)),
        world.purchases.sell_at_counter(member, sale, "Bon 2"),
    ):
        with pytest.raises(NotAllowed, match="withdrew its approval"):
            await withdrawn
    assert {stream: list(events) for stream, events in world.store.streams.items()} == before

    world.merchants.set(stranger, approval="approved")
    await world.programmes.join(stranger, JoinProgramme(town, stranger.merchant()))
    sold = await world.purchases.sell_at_counter(stranger, sale, "Bon 1")
    assert sold.purchase.status == "paid"
    assert (await world.redemptions.redeem(stranger, RedeemVoucher(code, 100, uuid4()))).created


# --- purchases: replays, counter sales, bulk issues, codes once ------------------------


async def test_a_replayed_purchase_gets_no_access_token_and_a_reused_key_is_refused(world: World) -> None:
    town = await world.town_programme()
    wanted = StartPurchase((RequestedVoucher(town, 2_500),), "anna@example.de", idempotency_key="kauf-0001")

    first = await world.purchases.start_purchase(wanted)
    replay = await world.purchases.start_purchase(wanted)
    with pytest.raises(IdempotencyKeyReused):
        await world.purchases.start_purchase(
            StartPurchase((RequestedVoucher(town, 1_000),), "anna@example.de", idempotency_key="kauf-0001")
        )

    assert first.created and first.access_token
    assert not replay.created and replay.access_token is None
    assert replay.purchase == first.purchase and world.seal.tokens_made == 1
    assert world.types(first.purchase.purchase_id) == ["PurchaseStarted", "PurchaseSecretsSealed"]


async def test_a_counter_sale_is_paid_in_cash_and_issued_at_once(world: World) -> None:
    shop = world.merchants.add("Weinhandlung")
    own, _ = await world.programmes.open_programme(shop, OpenProgramme("merchant", OWN_TERMS))
    town = await world.town_programme()
    sale = StartPurchase(
        (RequestedVoucher(own.programme_id, 2_500), RequestedVoucher(town, 1_000)),
        "k@example.de",
        idempotency_key="bon-4711",
    )

    sold = await world.purchases.sell_at_counter(shop, sale, "Bon 4711")
    again = await world.purchases.sell_at_counter(shop, sale, "Bon 4711")

    purchase = sold.purchase
    assert (purchase.channel, purchase.status, purchase.merchant_id) == ("counter", "paid", shop.merchant_id)
    assert purchase.payment_reference == "Bon 4711" and purchase.total_cents == 3_500
    issued = [await voucher_of(world.store, item.voucher_id) for item in purchase.items]
    assert [(v.value_cents, v.merchant_id) for v in issued if v] == [(2_500, shop.merchant_id), (1_000, None)]
    assert not again.created and again.access_token is None and again.purchase.status == "paid"
    assert world.types(purchase.purchase_id) == ["PurchaseStarted", "PurchaseSecretsSealed", "PurchasePaid"]
    assert sold.access_token is not None
    assert len(await world.purchases.codes_for_buyer(purchase.purchase_id, sold.access_token)) == 2


async def test_a_merchant_sells_no_other_merchants_vouchers_and_not_while_suspended(world: World) -> None:
    shop, other = world.merchants.add("Weinhandlung"), world.merchants.add("Blumen Meyer")
    theirs, _ = await world.programmes.open_programme(other, OpenProgramme("merchant", OWN_TERMS))
    town = await world.town_programme()

    with pytest.raises(NotAllowed, match="another merchant"):
        await world.purchases.sell_at_counter(
            shop, StartPurchase((RequestedVoucher(theirs.programme_id, 1_000),), "k@example.de"), ""
        )
    world.merchants.set(shop, "suspended")
    with pytest.raises(NotAllowed, match="suspended"):
        await world.purchases.sell_at_counter(shop, StartPurchase((RequestedVoucher(town, 1_000),), "k@example.de"), "")
    world.merchants.set(other, "suspended")
    with pytest.raises(NotAllowed, match="suspended"):
        await world.purchases.start_purchase(
            StartPurchase((RequestedVoucher(theirs.programme_id, 1_000),), "k@example.de")
        )

    assert {world.types(UUID(s))[0] for s in world.store.streams} == {"ProgrammeOpened"}


async def test_a_bulk_issue_makes_paid_town_vouchers_without_bonus_and_its_replay_makes_none(world: World) -> None:
    town = await world.town_programme()
    await world.programmes.start_campaign(
        ASSOCIATION, StartCampaign(town, "Aktion", 20, 10_000, 1_000, START + timedelta(days=9))
    )
    bulk = BulkIssue(town, 1_000, 5, "Gewinnspiel Stadtfest", "orga@example.de", idempotency_key="bulk-0001")

    issued = await world.purchases.bulk_issue(ASSOCIATION, bulk)
    replay = await world.purchases.bulk_issue(ASSOCIATION, bulk)

    purchase = issued.purchase
    assert (purchase.channel, purchase.status, purchase.total_cents, len(purchase.items)) == ("bulk", "paid", 5_000, 5)
    vouchers = [await voucher_of(world.store, item.voucher_id) for item in purchase.items]
    assert [(v.value_cents, v.bonus_cents, v.kind) for v in vouchers if v] == [(1_000, 0, "town")] * 5
    assert issued.access_token is not None and not replay.created and replay.access_token is None
    codes = await world.purchases.codes_for_buyer(purchase.purchase_id, issued.access_token)
    assert len({code.canonical for code in codes.values()}) == 5
    assert sum(1 for s in world.store.streams.values() if type(s[0].event).__name__ == "PurchaseStarted") == 1
    own, _ = await world.programmes.open_programme(
        world.merchants.add("Weinhandlung"), OpenProgramme("merchant", OWN_TERMS)
    )
    with pytest.raises(InvalidChange, match="town vouchers"):
        await world.purchases.bulk_issue(ASSOCIATION, BulkIssue(own.programme_id, 1_000, 2, "x", "orga@example.de"))
    with pytest.raises(InvalidChange, match="1 to 50"):
        await world.purchases.bulk_issue(ASSOCIATION, BulkIssue(town, 1_000, 51, "x", "orga@example.de"))


async def test_codes_are_shown_to_the_buyer_once_and_then_only_masked(world: World) -> None:
    town = await world.town_programme()
    started = await world.purchases.start_purchase(StartPurchase((RequestedVoucher(town, 2_500),), "anna@example.de"))
    purchase_id, token = started.purchase.purchase_id, started.access_token
    assert token is not None

    with pytest.raises(InvalidChange, match="once the purchase is paid"):
        await world.purchases.codes_for_buyer(purchase_id, token)
    await world.purchases.confirm_payment(None, ConfirmPayment(purchase_id, "provider", "p-1", 2_500))
    with pytest.raises(NotFound):
        await world.purchases.codes_for_buyer(purchase_id, "not-the-token")
    codes = await world.purchases.codes_for_buyer(purchase_id, token)
    await world.purchases.mark_delivered(purchase_id, token)
    with pytest.raises(CodesAlreadyDelivered):
        await world.purchases.codes_for_buyer(purchase_id, token)
    with pytest.raises(CodesAlreadyDelivered):
        await world.purchases.mark_delivered(purchase_id, token)

    ((voucher_id, code),) = codes.items()
    masked = await world.purchases.masked_codes(purchase_id, token)
    assert masked[voucher_id] == code.masked and masked[voucher_id].startswith("••••")
    assert (await world.redemptions.look_up(code.display)).voucher_id == voucher_id
    voucher = await voucher_of(world.store, voucher_id)
    assert voucher is not None and voucher.code_hash == code_hash(world.context.code_key, parse_code(code.display))
    assert world.types(purchase_id).count("PurchaseCodesDelivered") == 1


# --- one unit of work, contention, retries ----------------------------------------------


async def test_an_unpaid_purchase_holds_no_campaign_bonus_the_payment_grants_it(world: World) -> None:
    """Five purchases nobody paid once emptied a campaign for 72 hours: now nothing is held
    until the money is verified, and then the budget and the buyer's cap decide."""
    town = await world.town_programme()
    campaign, _ = await world.programmes.start_campaign(
        ASSOCIATION, StartCampaign(town, "Aktion", 20, 1_000, 600, START + timedelta(days=9))
    )
    unpaid = [
        await world.purchases.start_purchase(StartPurchase((RequestedVoucher(town, 5_000),), f"b{n}@example.de"))
        for n in range(3)
    ]
    held = await campaign_of(world.store, campaign.campaign_id)
    assert held is not None and (held.reserved_cents, held.granted_cents, held.version) == (0, 0, 1)
    assert all(started.purchase.items[0].bonus_cents == 0 for started in unpaid)

    first, second = unpaid[0].purchase, unpaid[1].purchase
    paid = await world.purchases.confirm_payment(None, ConfirmPayment(first.purchase_id, "provider", "p-1", 5_000))
    retried = await world.purchases.confirm_payment(None, ConfirmPayment(first.purchase_id, "provider", "p-1", 5_000))
    other = await world.purchases.confirm_payment(
        ASSOCIATION, ConfirmPayment(second.purchase_id, "bank_transfer", "SEPA-2", 5_000)
    )

    assert paid.items[0].bonus_cents == 600 and retried == paid  # the buyer's cap: 600
    assert other.items[0].bonus_cents == 400  # what is left of the budget
    issued = await voucher_of(world.store, paid.items[0].voucher_id)
    assert issued is not None and (issued.value_cents, issued.bonus_cents) == (5_600, 600)
    after = await campaign_of(world.store, campaign.campaign_id)
    assert after is not None and (after.reserved_cents, after.granted_cents) == (0, 1_000)
    assert world.types(first.purchase_id) == [
        "PurchaseStarted",
        "PurchaseSecretsSealed",
        "PurchasePaid",
        "PurchaseBonusGranted",
    ]
    third = await world.purchases.confirm_payment(
        None, ConfirmPayment(unpaid[2].purchase.purchase_id, "provider", "p-3", 5_000)
    )
    assert third.items[0].bonus_cents == 0 and world.types(third.purchase_id)[-1] == "PurchasePaid"


async def test_a_buyers_cap_counts_every_spelling_of_the_mailbox(world: World) -> None:
    town = await world.town_programme()
    campaign, _ = await world.programmes.start_campaign(
        ASSOCIATION, StartCampaign(town, "Aktion", 20, 100_000, 1_000, START + timedelta(days=9))
    )
    spellings = ["anna.becker+1@example.de", "ANNA.Becker@ｅｘａｍｐｌｅ.de", "annabecker@example.de."]
    bonuses = []
    for n, email in enumerate(spellings):
        started = await world.purchases.start_purchase(StartPurchase((RequestedVoucher(town, 2_500),), email))
        paid = await world.purchases.confirm_payment(
            None, ConfirmPayment(started.purchase.purchase_id, "provider", f"p-{n}", 2_500)
        )
        bonuses.append(paid.items[0].bonus_cents)

    assert bonuses == [500, 500, 0]
    after = await campaign_of(world.store, campaign.campaign_id)
    assert after is not None and after.granted_cents == 1_000


async def test_a_cap_counts_what_an_earlier_version_recorded_for_the_same_address(world: World) -> None:
    """Before canonical addresses the key was the address lower-cased: a campaign holds totals
    under that key for ``anna.becker@…``, which now keys as ``annabecker@…``."""
    town = await world.town_programme()
    campaign, _ = await world.programmes.start_campaign(
        ASSOCIATION, StartCampaign(town, "Aktion", 20, 100_000, 1_000, START + timedelta(days=9))
    )
    (legacy,) = world.seal.earlier_buyer_refs("Anna.Becker@example.de")
    earlier = campaigns.reserve(
        await campaign_of(world.store, campaign.campaign_id),
        purchase_id=uuid4(),
        buyer_ref=legacy,
        amounts_cents=[2_500],
        now=START,
    )
    await world.store.append(str(campaign.campaign_id), 1, earlier)
    started = await world.purchases.start_purchase(
        StartPurchase((RequestedVoucher(town, 5_000),), "anna.becker@example.de")
    )
    paid = await world.purchases.confirm_payment(
        None, ConfirmPayment(started.purchase.purchase_id, "provider", "p", 5_000)
    )
    assert paid.items[0].bonus_cents == 500  # 1000 cap, 500 taken under the earlier key


async def test_counter_cash_earns_no_bonus_and_a_merchant_takes_no_cash_for_town_vouchers_bought_online(
    world: World,
) -> None:
    town = await world.town_programme()
    await world.programmes.start_campaign(
        ASSOCIATION, StartCampaign(town, "Aktion", 20, 100_000, 5_000, START + timedelta(days=9))
    )
    shop = await world.member(town)
    sold = await world.purchases.sell_at_counter(
        shop, StartPurchase((RequestedVoucher(town, 5_000),), "k@example.de"), "Bon 1"
    )
    assert sold.purchase.status == "paid" and sold.purchase.items[0].bonus_cents == 0
    online = await world.purchases.start_purchase(StartPurchase((RequestedVoucher(town, 2_500),), "anna@example.de"))
    cash = ConfirmPayment(online.purchase.purchase_id, "cash", "Kasse", 2_500, shop.merchant())
    before = dict(world.store.streams)

    with pytest.raises(NotAllowed, match="its own counter sales and its own vouchers only"):
        await world.purchases.confirm_payment(shop, cash)

    assert dict(world.store.streams) == before


async def test_a_buyer_has_only_so_many_purchases_waiting_for_payment(world: World) -> None:
    town = await world.town_programme()
    want = (RequestedVoucher(town, 1_000),)
    started = [await world.purchases.start_purchase(StartPurchase(want, f"anna+{n}@example.de")) for n in range(3)]

    with pytest.raises(LimitReached, match="3 purchases waiting for payment"):
        await world.purchases.start_purchase(StartPurchase(want, "Anna@Example.de"))
    assert await world.purchases.start_purchase(StartPurchase(want, "bernd@example.de"))
    first = started[0].purchase
    await world.purchases.confirm_payment(None, ConfirmPayment(first.purchase_id, "provider", "p", 1_000))
    assert await world.purchases.start_purchase(StartPurchase(want, "anna@example.de"))  # one was paid
    world.clock.now = START + timedelta(hours=73)  # the others lapsed, recorded or not
    assert await world.purchases.start_purchase(StartPurchase(want, "anna@example.de"))


async def test_a_redemption_decides_again_on_conflicts_and_a_retry_redeems_once(world: World) -> None:
    town = await world.town_programme()
    shop = await world.member(town)
    ((voucher_id, code),) = await world.paid(town, 1_000)
    request = RedeemVoucher(code, 600, uuid4())

    world.store.conflicts_to_simulate = 20  # rival writers win twenty rounds
    first = await world.redemptions.redeem(shop, request)
    retried = await world.redemptions.redeem(shop, request)
    with pytest.raises(InsufficientBalance, match=r"€4\.00"):
        await world.redemptions.redeem(shop, RedeemVoucher(code, 600, uuid4()))

    assert first.created and not retried.created
    assert retried.redemption == first.redemption and retried.voucher.balance_cents == 400
    assert world.types(voucher_id).count("VoucherRedeemed") == 1


async def test_the_first_redemption_by_code_notes_the_masked_code_once_for_the_statements(world: World) -> None:
    town = await world.town_programme()
    shop = await world.member(town)
    ((voucher_id, code),) = await world.paid(town, 1_000)

    first = await world.redemptions.redeem(shop, RedeemVoucher(code, 300, uuid4()))
    await world.redemptions.redeem(shop, RedeemVoucher(code.lower(), 200, uuid4()))

    assert first.voucher.masked_code == parse_code(code).masked
    assert world.types(voucher_id).count("VoucherCodeMaskRecorded") == 1
    assert world.types(voucher_id)[-3:] == ["VoucherRedeemed", "VoucherCodeMaskRecorded", "VoucherRedeemed"]


async def test_a_refused_redemption_notes_nothing(world: World) -> None:
    town = await world.town_programme()
    shop = await world.member(town)
    ((voucher_id, code),) = await world.paid(town, 1_000)

    with pytest.raises(InsufficientBalance):
        await world.redemptions.redeem(shop, RedeemVoucher(code, 1_001, uuid4()))

    assert "VoucherCodeMaskRecorded" not in world.types(voucher_id)


# --- the expiry round, with the clock moved on --------------------------------------------


async def test_the_expiry_round_records_breakage_once_and_lapses_unpaid_purchases(world: World) -> None:
    town = await world.town_programme(ValidityPolicy(years=1, to_end_of_year=False))
    campaign, _ = await world.programmes.start_campaign(
        ASSOCIATION, StartCampaign(town, "Aktion", 10, 10_000, 1_000, START + timedelta(days=9))
    )
    shop = await world.member(town)
    ((voucher_id, code),) = await world.paid(town, 5_000, email="paid@example.de")
    await world.redemptions.redeem(shop, RedeemVoucher(code, 1_000, uuid4()))
    unpaid = await world.purchases.start_purchase(StartPurchase((RequestedVoucher(town, 2_500),), "late@example.de"))
    fresh = await world.paid(town, 1_000, email="fresh@example.de")
    deadlines = Deadlines(vouchers=[voucher_id, fresh[0][0]], purchases=[unpaid.purchase.purchase_id])

    assert await expire_due(world.context, world.purchases, world.redemptions, deadlines) == 0  # nothing due yet
    world.clock.now = START + timedelta(days=3)
    assert await expire_due(world.context, world.purchases, world.redemptions, deadlines) == 1  # the unpaid one
    world.clock.now = START + timedelta(days=366)
    fresh_voucher = await voucher_of(world.store, fresh[0][0])
    assert fresh_voucher is not None and fresh_voucher.valid_on(world.context.today()) is False
    deadlines.vouchers = [voucher_id]
    done = await expire_due(world.context, world.purchases, world.redemptions, deadlines)
    again = await expire_due(world.context, world.purchases, world.redemptions, deadlines)

    assert (done, again) == (1, 0)
    expired = await voucher_of(world.store, voucher_id)
    assert expired is not None and (expired.balance_cents, expired.breakage_cents) == (0, 4_500)
    (breakage,) = [s.event for s in world.store.streams[str(voucher_id)] if type(s.event).__name__ == "VoucherExpired"]
    assert (breakage.paid_breakage_cents, breakage.bonus_breakage_cents) == (4_000, 500)  # type: ignore[attr-defined]
    lapsed = await purchase_of(world.store, unpaid.purchase.purchase_id)
    budget = await campaign_of(world.store, campaign.campaign_id)
    assert lapsed is not None and lapsed.status == "expired"
    assert budget is not None and (budget.reserved_cents, budget.granted_cents) == (0, 600)
    assert world.types(campaign.campaign_id).count("CampaignBonusReleased") == 0  # the unpaid one held nothing
    with pytest.raises(InvalidChange, match="expired unpaid"):
        await world.purchases.confirm_payment(None, ConfirmPayment(unpaid.purchase.purchase_id, "provider", "p", 2_500))


# --- an order's voucher part: authorised by code, paid and given back by the process manager --


def received_order_event(event: IntegrationEvent, version: int, at: datetime = START) -> ReceivedEvent:
    """The order's event as the consumer hands it to the process manager (from ordering's topic)."""
    order_id = getattr(event, "order_id")  # noqa: B009 - every order event has one
    envelope = CloudEvent(
        id=str(uuid4()),
        source="/ordering",
        type=event.ce_type(),
        subject=str(order_id),
        time=at,
        town="testtown",
        streamversion=version,
        data=event.model_dump_json().encode(),
    )
    key, value, headers = envelope.to_kafka()
    return ReceivedEvent(KafkaRecord("testtown.ordering.events", 0, version, key, value, headers), envelope, event)


def order_placed(authorization_id: UUID | None, merchant: Principal, cents: int, checkout_id: UUID) -> OrderPlaced:
    return OrderPlaced(
        order_id=uuid4(),
        checkout_id=checkout_id,
        merchant_id=merchant.merchant(),
        lines=[
            OrderLine(
                offer_id=uuid4(), kind="product", title="Torte", quantity=1, unit_price_cents=5_000, vat_rate_percent=7
            )
        ],
        fulfilment=Fulfilment(method="pickup"),
        payment=Payment(method="at_pickup", voucher_authorization_id=authorization_id, voucher_cents=cents),
        goods_cents=5_000,
        total_cents=5_000,
        merchant_answer_by=START + timedelta(hours=1),
        cancellable_until=START + timedelta(minutes=15),
    )


async def test_an_authorisation_is_found_by_code_and_a_retry_with_its_key_gets_the_same_one(world: World) -> None:
    town = await world.town_programme()
    ((voucher_id, code),) = await world.paid(town, 2_500)
    handlers = AuthorizationHandlers(world.context, world.redemptions, valid_for=timedelta(minutes=30))

    first = await handlers.authorize(AuthorizeVoucherPayment(code.lower(), 2_000, "key-1"))
    again = await handlers.authorize(AuthorizeVoucherPayment(code, 2_000, "key-1"))
    other = await handlers.authorize(AuthorizeVoucherPayment(code, 2_000))

    assert first.created and not again.created and other.created
    assert (
        again.authorization == first.authorization
        and other.authorization.authorization_id != first.authorization.authorization_id
    )
    assert (first.authorization.voucher_id, first.authorization.expires_at) == (
        voucher_id,
        START + timedelta(minutes=30),
    )
    assert first.voucher.balance_cents == 2_500  # nothing redeemed yet
    with pytest.raises(IdempotencyKeyReused):
        await handlers.authorize(AuthorizeVoucherPayment(code, 1_000, "key-1"))
    with pytest.raises(InsufficientBalance):
        await handlers.authorize(AuthorizeVoucherPayment(code, 2_501))
    for wrong in ("7KQM-X2PA-5HJN-R8WT-CE3D", "not a code"):
        with pytest.raises(NotFound):
            await handlers.authorize(AuthorizeVoucherPayment(wrong, 100))
    stored = world.store.streams[str(first.authorization.authorization_id)]
    assert code.replace("-", "") not in json.dumps([s.metadata for s in stored])  # the fingerprint holds no code
    # Masked, the code names the voucher on the statements of the orders that spend it.
    assert [getattr(s.event, "masked_code", None) for s in stored] == [parse_code(code).masked]


async def test_the_process_manager_pays_an_order_once_and_gives_it_back_once(world: World) -> None:
    town = await world.town_programme()
    shop = await world.member(town)
    ((voucher_id, code),) = await world.paid(town, 5_000)
    handlers = AuthorizationHandlers(world.context, world.redemptions, valid_for=timedelta(minutes=30))
    authorized = await handlers.authorize(AuthorizeVoucherPayment(code, 4_000))
    payments = OrderPayments(world.context, world.merchants)
    checkout = uuid4()
    paid = order_placed(authorized.authorization.authorization_id, shop, 3_000, checkout)
    refused = order_placed(authorized.authorization.authorization_id, shop, 1_500, checkout)
    without = order_placed(None, shop, 0, checkout)

    world.store.conflicts_to_simulate = 5  # other orders of the checkout win some rounds
    for event in (paid, paid, refused, without, refused):
        await payments.react(received_order_event(event, 1), world.store)  # redeliveries too
    assert world.types(voucher_id).count("VoucherRedeemed") == 1
    answers = [s.event for s in world.store.streams[str(authorized.authorization.authorization_id)]]
    (refusal,) = [event for event in answers if isinstance(event, VoucherPaymentRefused)]
    assert refusal.order_id == refused.order_id and "€10.00 left" in refusal.reason

    rejection = OrderRejected(order_id=paid.order_id, merchant_id=paid.merchant_id, reason="declined")
    for event in (
        rejection,
        rejection,
        OrderRejected(order_id=refused.order_id, merchant_id=refused.merchant_id, reason="voucher_refused"),
    ):
        await payments.react(received_order_event(event, 2), world.store)

    voucher = await voucher_of(world.store, voucher_id)
    assert voucher is not None and (voucher.balance_cents, voucher.redeemed_cents, voucher.reversed_cents) == (
        5_000,
        3_000,
        3_000,
    )
    assert world.types(voucher_id).count("VoucherRedemptionReversed") == 1
    assert order_payments(world.context, world.merchants).consumer_name == "process:order_payments"


# --- the buyer's notifier (issue 16): a purchase's events in, the mails they call for out, each
# once; the paid vouchers drawn from the codes sealed for the e-mail; a PDF that cannot be drawn;
# who gets no mail; and the association finding a purchase by the reference a transfer names.

NOTIFIER = NotifierSettings("Schöppingen", PaymentDetails(account_holder="WG", iban="DE89 3704 0044 0532 0130 00"))


@dataclass
class Outbox:
    """The mail queue: keyed by message id, as the kit's outbox is."""

    mails: dict[str, OutgoingMail] = field(default_factory=dict)

    async def queue(self, mail: OutgoingMail) -> bool:
        return self.mails.setdefault(mail.message_id, mail) is mail


@dataclass
class Drawings:
    """Draws a 'PDF' naming each code it was given, or fails when told to."""

    fail: bool = False
    drawn: list[dict[UUID, str]] = field(default_factory=list)

    async def pdf(
        self,
        purchase: Purchase,
        vouchers: Sequence[Voucher],
        codes: Mapping[UUID, VoucherCode],
        programmes: Mapping[UUID, Programme],
    ) -> bytes:
        if self.fail:
            raise RuntimeError("the renderer broke")
        self.drawn.append({voucher_id: code.display for voucher_id, code in codes.items()})
        return b"%PDF " + ",".join(sorted(code.display for code in codes.values())).encode()


async def events_of(world: World, purchase_id: UUID) -> list[tuple[UUID, object]]:
    return [(stored.event_id, stored.event) for stored in await world.store.read(str(purchase_id))]


async def notify_all(world: World, purchase_id: UUID, outbox: Outbox, drawings: Drawings) -> list[OutgoingMail]:
    sent = []
    for event_id, event in await events_of(world, purchase_id):
        mail = await notify(
            event,  # type: ignore[arg-type]
            event_id,
            store=world.store,
            mail=outbox,
            seal=world.seal,
            documents=drawings,
            settings=NOTIFIER,
        )
        if mail is not None:
            sent.append(mail)
    return sent


async def bought(world: World, language: str = "de") -> tuple[UUID, str]:
    programme_id = await world.town_programme()
    wanted = (RequestedVoucher(programme_id, 2500), RequestedVoucher(programme_id, 1000, "Oma Grete"))
    started = await world.purchases.start_purchase(
        StartPurchase(wanted, buyer_email="anna@example.de", language=language)  # type: ignore[arg-type]
    )
    assert started.access_token is not None
    return started.purchase.purchase_id, started.access_token


async def test_a_purchase_sends_its_payment_instructions_then_its_vouchers_each_once(world: World) -> None:
    purchase_id, token = await bought(world, "en")
    outbox, drawings = Outbox(), Drawings()
    (instructions,) = await notify_all(world, purchase_id, outbox, drawings)
    assert instructions.about == "PurchaseStarted:buyer" and instructions.language == "en"
    assert "IBAN: DE89 3704 0044 0532 0130 00" in instructions.body and "Stadtgutschein: €25.00" in instructions.body

    purchase = await world.purchases.purchase_for_buyer(purchase_id, token)
    await world.purchases.confirm_payment(None, ConfirmPayment(purchase_id, "provider", "p-1", purchase.total_cents))
    await notify_all(world, purchase_id, outbox, drawings)  # every event again: a replay
    assert [mail.about for mail in outbox.mails.values()] == ["PurchaseStarted:buyer", "PurchasePaid:buyer"]
    paid = list(outbox.mails.values())[1]
    (attachment,) = paid.attachments
    codes = await world.purchases.codes_for_buyer(purchase_id, token)  # what the buyer's token opens
    assert attachment.content == b"%PDF " + ",".join(sorted(code.display for code in codes.values())).encode()
    assert "a gift for Oma Grete" in paid.body and "valid until" in paid.body


async def test_a_purchase_paid_before_its_start_was_read_gets_no_payment_instructions(world: World) -> None:
    purchase_id, _ = await bought(world)
    purchase = await world.purchases.purchase_for_buyer(purchase_id, _)
    await world.purchases.confirm_payment(None, ConfirmPayment(purchase_id, "provider", "p-2", purchase.total_cents))
    sent = await notify_all(world, purchase_id, Outbox(), Drawings())
    assert [mail.about for mail in sent] == ["PurchasePaid:buyer"]


async def test_a_pdf_that_cannot_be_drawn_does_not_hold_the_mail_back(world: World) -> None:
    purchase_id, token = await bought(world)
    purchase = await world.purchases.purchase_for_buyer(purchase_id, token)
    await world.purchases.confirm_payment(None, ConfirmPayment(purchase_id, "provider", "p-3", purchase.total_cents))
    sent = await notify_all(world, purchase_id, Outbox(), Drawings(fail=True))
    paid = next(mail for mail in sent if mail.about == "PurchasePaid:buyer")
    assert paid.attachments == () and "mit dem Link, den Sie beim Kauf erhalten haben" in paid.body


async def test_a_counter_sale_sends_no_mail(world: World) -> None:
    programme_id = await world.town_programme()
    shop = await world.member(programme_id)
    sold = await world.purchases.sell_at_counter(
        shop, StartPurchase((RequestedVoucher(programme_id, 2500),), buyer_email="kunde@example.de"), "Bon 17"
    )
    events = await events_of(world, sold.purchase.purchase_id)
    assert any(isinstance(event, PurchaseStarted) for _, event in events)
    assert any(isinstance(event, PurchasePaid) for _, event in events)
    assert await notify_all(world, sold.purchase.purchase_id, Outbox(), Drawings()) == []


async def test_the_association_finds_a_purchase_by_its_transfer_reference_and_nobody_else_does(world: World) -> None:
    purchase_id, _ = await bought(world)
    reference = purchase_reference(purchase_id)
    for written in (reference, reference.lower(), reference.replace("-", " "), f" {reference} "):
        (found,) = await world.purchases.with_reference(ASSOCIATION, written)
        assert found.purchase_id == purchase_id and found.transfer_reference == reference
    assert await world.purchases.with_reference(ASSOCIATION, "GS-00000000") == []
    for malformed in ("A1B2C3D4", "GS-A1B2C3", "GS-A1B2C3D4E", "GS-XYZ12345", "'; DROP TABLE"):
        with pytest.raises(InvalidChange, match="reference"):
            await world.purchases.with_reference(ASSOCIATION, malformed)
    shop = await world.member(await world.town_programme())
    with pytest.raises(NotPermitted):
        await world.purchases.with_reference(shop, reference)
