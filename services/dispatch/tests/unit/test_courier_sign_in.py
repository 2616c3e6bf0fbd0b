# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier signs in by a one-time link mailed to the address the association gave: the
address stays out of the published event, the link is kept as its token's hash on the courier
service's stream, works once and within its minutes, and a removed courier gets neither a link
nor a session. The mail says so in the courier's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from dispatch.app.setup import AddCourier
from dispatch.app.sign_in import CourierSignIn, sign_in_mail
from dispatch.domain import courier_service as services
from dispatch.domain.errors import InvalidChange
from dispatch.domain.private_events import CourierEmailRecorded, CourierSignInLinkIssued, CourierSignInLinkUsed
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import CourierAdded
from downtown_events.runtime.idempotency import fingerprint
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.principal import Role
from downtown_events.runtime.sign_in_mail import MailedLink
from downtown_events.runtime.store import ConcurrencyConflict
from downtown_events.runtime.texts import Texts
from downtown_events.sign_in_links import SignInRefused, token_hash

NOW = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)
SOON = NOW + timedelta(minutes=15)
SERVICE, ANNA, BEN = uuid4(), uuid4(), uuid4()


def with_couriers() -> list[IntegrationEvent]:
    history = list(services.register(None, courier_service_id=SERVICE, name="Radkurier Dülmen", phone="02594 1"))
    history += services.add_courier(
        services.replay(history),
        courier_id=ANNA,
        display_name="Anna",
        vehicle="cargo_bike",
        capacity=8,
        email="Anna.Rad@example.de",
    )
    history += services.add_courier(
        services.replay(history), courier_id=BEN, display_name="Ben", vehicle="car", capacity=20
    )
    return history


def with_link(history: list[IntegrationEvent], token: str, link_id: UUID | None = None) -> list[IntegrationEvent]:
    decided = services.request_sign_in_link(
        services.replay(history),
        courier_id=ANNA,
        link_id=link_id or uuid4(),
        token_hash=token_hash(token),
        expires_at=SOON,
        now=NOW,
    )
    return [*history, *decided]


def test_the_address_is_a_private_event_beside_the_public_one() -> None:
    history = with_couriers()
    added = [event for event in history if isinstance(event, CourierAdded)]
    assert len(added) == 2 and all("example.de" not in event.model_dump_json() for event in added)
    (recorded,) = (event for event in history if isinstance(event, CourierEmailRecorded))
    assert (recorded.courier_id, recorded.email) == (ANNA, "Anna.Rad@example.de")
    state = services.replay(history)
    assert state is not None and state.couriers[ANNA].email == "Anna.Rad@example.de" and not state.couriers[BEN].email


def test_an_address_that_is_none_is_refused() -> None:
    history = with_couriers()
    with pytest.raises(InvalidChange):
        services.add_courier(
            services.replay(history), courier_id=uuid4(), display_name="C", vehicle="car", capacity=1, email="x\ny"
        )


def test_a_link_is_recorded_as_its_hash_and_signs_in_once() -> None:
    history = with_link(with_couriers(), "the-token")
    issued = history[-1]
    assert isinstance(issued, CourierSignInLinkIssued) and "the-token" not in issued.model_dump_json()
    (used,) = services.sign_in(services.replay(history), courier_id=ANNA, token_hash=token_hash("the-token"), now=NOW)
    assert isinstance(used, CourierSignInLinkUsed) and used.link_id == issued.link_id
    with pytest.raises(SignInRefused, match="used already"):
        services.sign_in(
            services.replay([*history, used]), courier_id=ANNA, token_hash=token_hash("the-token"), now=NOW
        )


def test_a_wrong_expired_or_anothers_token_gives_no_session() -> None:
    state = services.replay(with_link(with_couriers(), "the-token"))
    with pytest.raises(SignInRefused, match="not valid"):
        services.sign_in(state, courier_id=ANNA, token_hash=token_hash("a-guess"), now=NOW)
    with pytest.raises(SignInRefused, match="expired"):
        services.sign_in(state, courier_id=ANNA, token_hash=token_hash("the-token"), now=SOON)
    with pytest.raises(SignInRefused, match="not valid"):  # Anna's link does not open Ben's day
        services.sign_in(state, courier_id=BEN, token_hash=token_hash("the-token"), now=NOW)
    with pytest.raises(SignInRefused, match="not valid"):
        services.sign_in(state, courier_id=uuid4(), token_hash=token_hash("the-token"), now=NOW)


def test_a_removed_courier_or_one_without_an_address_gets_neither_link_nor_session() -> None:
    history = with_link(with_couriers(), "the-token")
    history += services.remove_courier(services.replay(history), courier_id=ANNA)
    with pytest.raises(SignInRefused, match="no longer rides"):
        services.sign_in(services.replay(history), courier_id=ANNA, token_hash=token_hash("the-token"), now=NOW)
    with pytest.raises(InvalidChange, match="removed"):
        with_link(history, "another")
    with pytest.raises(InvalidChange, match="no e-mail address"):
        services.request_sign_in_link(
            services.replay(history),
            courier_id=BEN,
            link_id=uuid4(),
            token_hash=token_hash("t"),
            expires_at=SOON,
            now=NOW,
        )


def test_the_same_link_request_again_decides_nothing() -> None:
    link_id = uuid4()
    history = with_link(with_couriers(), "the-token", link_id)
    assert with_link(history, "the-token", link_id) == history


class Roster:
    def __init__(self, service_id: UUID) -> None:
        self.courier_service_id = service_id

    async def service_ids(self) -> list[UUID]:
        return [self.courier_service_id]

    async def courier(self, courier_id: UUID) -> Roster | None:
        return self if courier_id in (ANNA, BEN) else None


class Minter:
    def issue(self, subject: UUID, *, role: Role, lifetime_seconds: int) -> str:
        return f"{role}:{subject}:{lifetime_seconds}"


async def handlers() -> tuple[InMemoryEventStore, CourierSignIn]:
    store = InMemoryEventStore()
    await store.append(str(SERVICE), 0, with_couriers())
    roster = Roster(SERVICE)
    sign_in = CourierSignIn(store, roster, roster, Minter(), now=lambda: NOW, link_minutes=15, token_days=30)
    return store, sign_in


async def test_a_link_goes_to_the_given_address_however_it_is_spelt_and_a_race_lets_one_through() -> None:
    store, sign_in = await handlers()
    assert await sign_in.request_links("nobody@example.de") == []
    (link,) = await sign_in.request_links("anna.rad+phone@EXAMPLE.de")
    assert (link.account_id, link.email, link.name) == (ANNA, "Anna.Rad@example.de", "Anna")
    state = services.replay(event.event for event in await store.read(str(SERVICE)))
    assert state is not None
    first, second = (
        services.sign_in(state, courier_id=ANNA, token_hash=token_hash(link.token), now=NOW) for _ in range(2)
    )
    version = len(await store.read(str(SERVICE)))
    await store.append(str(SERVICE), version, first)
    with pytest.raises(ConcurrencyConflict):
        await store.append(str(SERVICE), version, second)
    with pytest.raises(SignInRefused, match="used already"):  # the loser, deciding again
        await sign_in.sign_in(ANNA, link.token)


async def test_the_handler_gives_the_couriers_token_once() -> None:
    _, sign_in = await handlers()
    (link,) = await sign_in.request_links("anna.rad@example.de")
    session = await sign_in.sign_in(ANNA, link.token)
    assert (session.token, session.courier_id) == (f"courier:{ANNA}:{30 * 86400}", ANNA)
    with pytest.raises(SignInRefused, match="used already"):
        await sign_in.sign_in(ANNA, link.token)
    with pytest.raises(SignInRefused, match="not valid"):
        await sign_in.sign_in(uuid4(), link.token)


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        ("en", "Your sign-in link for today's tours", "within 15 minutes"),
        ("de", "Ihr Anmeldelink für die Touren des Tages", "15 Minuten"),
    ],
)
def test_the_mail_carries_the_link_to_the_web_front_in_the_couriers_language(
    language: str, subject: str, words: str
) -> None:
    link = MailedLink(ANNA, "anna@example.de", "Anna", "T0ken_-" * 6)
    mail = sign_in_mail(
        link,
        language=language,  # type: ignore[arg-type]
        web_url="https://web.example/",
        minutes=15,
        texts=Texts("dispatch"),
    )
    assert mail.subject == subject and words in mail.body
    assert f"https://web.example/courier/sign-in?courier={ANNA}&token={link.token}" in mail.body
    assert mail.to_address == "anna@example.de" and mail.language == language


def test_a_courier_added_without_an_address_prints_as_before_the_address_existed() -> None:
    command = AddCourier(SERVICE, "Ben", "car", 20, "key-1")
    assert fingerprint(command) == fingerprint(
        {"courier_service_id": SERVICE, "display_name": "Ben", "vehicle": "car", "capacity": 20}
    )
    assert fingerprint(AddCourier(SERVICE, "Ben", "car", 20, "key-1", email="ben@example.de")) != fingerprint(command)
