# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant signs in by a one-time link mailed to its profile's address: the link is kept as
its token's hash on the merchant's stream, works once and within its minutes, and a suspended
merchant gets neither a link nor a session. The mail says so in the merchant's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from catalog.app.sign_in import MerchantSignIn, sign_in_mail
from catalog.domain import merchant
from catalog.domain.errors import NotAllowed
from catalog.domain.private_events import MerchantSignInLinkIssued, MerchantSignInLinkUsed
from downtown_events.catalog import Address, MerchantProfile, MerchantSuspended
from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.sign_in_mail import MailedLink
from downtown_events.runtime.store import ConcurrencyConflict
from downtown_events.runtime.texts import Texts
from downtown_events.sign_in_links import SignInRefused, token_hash

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SOON = NOW + timedelta(minutes=15)
PROFILE = MerchantProfile(
    name="Bäckerei Kröger",
    category="Bäckerei",
    phone="02555 77",
    email="Backstube@kroeger.example",
    address=Address(street="Markt 3", postal_code="48624", city="Schöppingen"),
)


def registered(merchant_id: UUID) -> list[IntegrationEvent]:
    return merchant.register(None, merchant_id, PROFILE, [])


def with_link(history: list[IntegrationEvent], token: str, link_id: UUID | None = None) -> list[IntegrationEvent]:
    state = merchant.replay(history)
    decided = merchant.request_sign_in_link(
        state, link_id=link_id or uuid4(), token_hash=token_hash(token), expires_at=SOON, now=NOW
    )
    return [*history, *decided]


def test_a_link_is_recorded_as_its_hash_and_signs_in_once() -> None:
    merchant_id = uuid4()
    history = with_link(registered(merchant_id), "the-token")
    issued = history[-1]
    assert isinstance(issued, MerchantSignInLinkIssued) and "the-token" not in issued.model_dump_json()
    (used,) = merchant.sign_in(merchant.replay(history), token_hash=token_hash("the-token"), now=NOW)
    assert isinstance(used, MerchantSignInLinkUsed) and used.link_id == issued.link_id
    with pytest.raises(SignInRefused, match="used already"):
        merchant.sign_in(merchant.replay([*history, used]), token_hash=token_hash("the-token"), now=NOW)


def test_a_wrong_or_expired_token_or_an_unknown_merchant_gives_no_session() -> None:
    history = with_link(registered(uuid4()), "the-token")
    with pytest.raises(SignInRefused, match="not valid"):
        merchant.sign_in(merchant.replay(history), token_hash=token_hash("a-guess"), now=NOW)
    with pytest.raises(SignInRefused, match="expired"):
        merchant.sign_in(merchant.replay(history), token_hash=token_hash("the-token"), now=SOON)
    with pytest.raises(SignInRefused, match="not valid"):
        merchant.sign_in(None, token_hash=token_hash("the-token"), now=NOW)


def test_a_suspended_merchant_gets_neither_a_link_nor_a_session() -> None:
    merchant_id = uuid4()
    history = with_link(registered(merchant_id), "the-token")
    history.append(MerchantSuspended(merchant_id=merchant_id, reason="unpaid dues"))
    with pytest.raises(NotAllowed, match="suspended"):
        merchant.sign_in(merchant.replay(history), token_hash=token_hash("the-token"), now=NOW)
    with pytest.raises(NotAllowed, match="suspended"):
        with_link(history, "another")


def test_the_same_link_request_again_decides_nothing() -> None:
    link_id = uuid4()
    history = with_link(registered(uuid4()), "the-token", link_id)
    assert with_link(history, "the-token", link_id) == history


class Addresses:
    def __init__(self, by_address: dict[str, list[UUID]]) -> None:
        self._by_address = by_address

    async def merchants_at(self, email: str) -> list[UUID]:
        return self._by_address.get(email.lower(), [])


async def test_a_link_goes_to_the_profiles_address_and_a_race_of_one_token_lets_one_through() -> None:
    store = InMemoryEventStore()
    merchant_id = uuid4()
    await store.append(str(merchant_id), 0, registered(merchant_id))
    sign_in = MerchantSignIn(
        store, Addresses({"backstube@kroeger.example": [merchant_id]}), now=lambda: NOW, link_minutes=15
    )
    assert await sign_in.request_links("nobody@kroeger.example") == []
    (link,) = await sign_in.request_links("backstube@kroeger.example")
    assert (link.account_id, link.email, link.name) == (merchant_id, "Backstube@kroeger.example", "Bäckerei Kröger")
    # Two requests with the token decided on the same version: the store takes one use only.
    state = merchant.replay(event.event for event in await store.read(str(merchant_id)))
    assert state is not None
    first, second = (merchant.sign_in(state, token_hash=token_hash(link.token), now=NOW) for _ in range(2))
    await store.append(str(merchant_id), state.version, first)
    with pytest.raises(ConcurrencyConflict):
        await store.append(str(merchant_id), state.version, second)
    with pytest.raises(SignInRefused, match="used already"):  # the loser, deciding again
        await sign_in.sign_in(merchant_id, link.token)


async def test_the_handler_signs_in_once() -> None:
    store = InMemoryEventStore()
    merchant_id = uuid4()
    await store.append(str(merchant_id), 0, registered(merchant_id))
    sign_in = MerchantSignIn(store, Addresses({"a@b.example": [merchant_id]}), now=lambda: NOW, link_minutes=15)
    (link,) = await sign_in.request_links("A@b.example")
    store.conflicts_to_simulate = 1  # a concurrent change of the merchant: decided again, still one use
    assert await sign_in.sign_in(merchant_id, link.token) == merchant_id
    with pytest.raises(SignInRefused, match="used already"):
        await sign_in.sign_in(merchant_id, link.token)


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [("en", "Sign in to Bäckerei Kröger", "within 15 minutes"), ("de", "Anmelden bei Bäckerei Kröger", "15 Minuten")],
)
def test_the_mail_carries_the_link_to_the_web_front_in_the_merchants_language(
    language: str, subject: str, words: str
) -> None:
    link = MailedLink(uuid4(), "backstube@kroeger.example", "Bäckerei Kröger", "T0ken_-" * 6)
    mail = sign_in_mail(
        link,
        language=language,
        web_url="https://web.example/",
        minutes=15,
        texts=Texts("catalog"),  # type: ignore[arg-type]
    )
    assert mail.subject == subject and words in mail.body
    assert f"https://web.example/merchant/sign-in?merchant={link.account_id}&token={link.token}" in mail.body
    assert mail.to_address == "backstube@kroeger.example" and mail.language == language


async def test_another_aggregates_id_is_refused_like_a_link_that_never_was() -> None:
    store = InMemoryEventStore()
    other = uuid4()
    await store.append(str(other), 0, [MerchantSuspended(merchant_id=other, reason="not a merchant's stream")])
    sign_in = MerchantSignIn(store, Addresses({}), now=lambda: NOW, link_minutes=15)
    with pytest.raises(SignInRefused, match="not valid"):
        await sign_in.sign_in(other, "x" * 43)
    with pytest.raises(SignInRefused, match="not valid"):
        await sign_in.sign_in(uuid4(), "x" * 43)
