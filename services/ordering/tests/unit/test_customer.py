# SPDX-License-Identifier: AGPL-3.0-or-later
"""Customer accounts: one per e-mail address, signed in by a one-time link (which retires the
older ones), no passwords; signed out one token at a time or everywhere."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.principal import InvalidToken, Principal, ensure_current
from downtown_events.sign_in_links import MAX_OPEN_LINKS
from ordering.domain import customer
from ordering.domain.customer import CustomerAccount
from ordering.domain.errors import AlreadyExists, InvalidChange, NotAllowed, NotFound, SignInRefused
from ordering.domain.private_events import (
    CustomerAccountOpened,
    CustomerSignedOut,
    CustomerSignedOutEverywhere,
    SignInLinkIssued,
    SignInLinkUsed,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = b"k" * 32
EMAIL = "Anna.Beispiel@Example.DE "
ACCOUNT = customer.account_id_for(EMAIL, key=KEY)


def hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def requested(state: CustomerAccount | None, token: str, now: datetime = NOW) -> list[IntegrationEvent]:
    return customer.request_link(
        state,
        account_id=ACCOUNT,
        email=EMAIL,
        link_id=uuid4(),
        token_hash=hashed(token),
        expires_at=now + timedelta(minutes=15),
        now=now,
    )


def account_with(*tokens: str) -> CustomerAccount:
    state = None
    for token in tokens:
        for event in requested(state, token):
            state = customer.evolve(state, event)
    assert state is not None
    return state


def test_the_first_link_opens_the_account_for_the_normalised_address() -> None:
    opened, issued = requested(None, "t1")
    assert opened == CustomerAccountOpened(account_id=ACCOUNT, email="anna.beispiel@example.de", opened_at=NOW)
    assert isinstance(issued, SignInLinkIssued) and issued.token_hash == hashed("t1")
    assert issued.expires_at == NOW + timedelta(minutes=15) and not issued.published
    state = customer.replay([opened, issued])
    assert state is not None and len(state.links) == 1
    assert "anna" not in repr(state) and hashed("t1") not in repr(state)
    (again,) = requested(state, "t2")  # the account exists: only the link
    assert isinstance(again, SignInLinkIssued)


def test_one_address_is_one_account_whatever_its_case_and_the_id_is_keyed() -> None:
    assert customer.account_id_for("anna.beispiel@example.de", key=KEY) == ACCOUNT
    assert customer.account_id_for("ANNA.BEISPIEL@EXAMPLE.DE", key=KEY) == ACCOUNT
    assert customer.account_id_for(EMAIL, key=b"another town's key") != ACCOUNT
    assert customer.account_id_for("bert@example.de", key=KEY) != ACCOUNT
    state = account_with("t1")
    with pytest.raises(InvalidChange, match="another e-mail address"):
        customer.request_link(
            state,
            account_id=ACCOUNT,
            email="bert@example.de",
            link_id=uuid4(),
            token_hash=hashed("t"),
            expires_at=NOW + timedelta(minutes=15),
            now=NOW,
        )


def test_a_link_signs_in_once() -> None:
    state = account_with("t1")
    (used,) = customer.sign_in(state, token_hash=hashed("t1"), now=NOW + timedelta(minutes=5))
    assert used == SignInLinkUsed(
        account_id=ACCOUNT, link_id=next(iter(state.links)), used_at=NOW + timedelta(minutes=5)
    )
    state = customer.evolve(state, used)
    with pytest.raises(SignInRefused, match="used already; request a new one"):
        customer.sign_in(state, token_hash=hashed("t1"), now=NOW + timedelta(minutes=6))


def test_an_expired_or_unknown_link_is_refused() -> None:
    state = account_with("t1")
    with pytest.raises(SignInRefused, match="expired; request a new one"):
        customer.sign_in(state, token_hash=hashed("t1"), now=NOW + timedelta(minutes=15))
    with pytest.raises(SignInRefused, match="not valid"):
        customer.sign_in(state, token_hash=hashed("guess"), now=NOW)
    with pytest.raises(SignInRefused, match="not valid"):
        customer.sign_in(None, token_hash=hashed("t1"), now=NOW)


def test_a_link_expires_within_the_hour_and_few_are_open_at_once() -> None:
    for expires_at in (NOW, NOW - timedelta(minutes=1), NOW + timedelta(hours=1, seconds=1)):
        with pytest.raises(InvalidChange, match="within the hour"):
            customer.request_link(
                None,
                account_id=ACCOUNT,
                email=EMAIL,
                link_id=uuid4(),
                token_hash=hashed("t"),
                expires_at=expires_at,
                now=NOW,
            )
    state = account_with(*(f"t{n}" for n in range(MAX_OPEN_LINKS)))
    with pytest.raises(NotAllowed, match="on their way already"):
        requested(state, "one too many")
    assert requested(state, "later", now=NOW + timedelta(minutes=15))  # the first ones expired


def test_the_same_request_again_issues_nothing_and_a_link_id_is_not_reused() -> None:
    state = account_with("t1")
    link = next(iter(state.links.values()))
    same = dict(account_id=ACCOUNT, email=EMAIL, link_id=link.link_id, expires_at=link.expires_at, now=NOW)
    assert customer.request_link(state, token_hash=hashed("t1"), **same) == []  # type: ignore[arg-type]
    with pytest.raises(AlreadyExists):
        customer.request_link(state, token_hash=hashed("other"), **same)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        customer.replay([SignInLinkUsed(account_id=ACCOUNT, link_id=link.link_id, used_at=NOW)])


@settings(max_examples=200, deadline=None)
@given(
    attempts=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30)), min_size=1, max_size=30),
)
def test_each_link_signs_in_at_most_once_and_only_before_it_expires(attempts: list[tuple[int, int]]) -> None:
    tokens = [secrets.token_urlsafe(16) for _ in range(3)]
    state = account_with(*tokens)
    uses: dict[str, int] = {}
    for pick, minutes in sorted(attempts, key=lambda attempt: attempt[1]):  # time goes forward
        token = tokens[pick] if pick < len(tokens) else "a guess"
        now = NOW + timedelta(minutes=minutes)
        try:
            events = customer.sign_in(state, token_hash=hashed(token), now=now)
        except SignInRefused:
            continue
        assert pick < len(tokens) and minutes < 15 and token not in uses
        uses[token] = minutes
        for event in events:
            state = customer.evolve(state, event)
    assert sum(link.used_at is not None for link in state.links.values()) == len(uses)


def test_signing_in_retires_every_older_link_still_open_and_no_newer_one() -> None:
    """Issue 14: an older link still worked after a newer one was used (up to five open)."""
    state = account_with("oldest", "older", "used", "newer")
    for event in customer.sign_in(state, token_hash=hashed("used"), now=NOW + timedelta(minutes=1)):
        state = customer.evolve(state, event)
    for token in ("oldest", "older"):
        with pytest.raises(SignInRefused, match="newer sign-in link was used since"):
            customer.sign_in(state, token_hash=hashed(token), now=NOW + timedelta(minutes=2))
    (used,) = customer.sign_in(state, token_hash=hashed("newer"), now=NOW + timedelta(minutes=2))
    assert isinstance(used, SignInLinkUsed)
    open_now = [link for link in state.links.values() if link.usable_at(NOW + timedelta(minutes=2))]
    assert len(open_now) == 1  # the retired ones no longer count against the links open at once
    assert len(requested(state, "another")) == 1


def principal_of(token_id: UUID, issued_at: datetime) -> Principal:
    return Principal(role="customer", subject=ACCOUNT, issued_at=issued_at, token_id=str(token_id))


def current(state: CustomerAccount, principal: Principal) -> Principal:
    """The check every request of a customer passes (the kit's, as the API calls it)."""
    revoked = {str(token_id) for token_id in state.signed_out_tokens}
    return ensure_current(principal, state.tokens_valid_after, revoked=revoked, reason="signed out")


def test_signing_out_refuses_that_token_and_no_other() -> None:
    state = account_with("t1")
    phone, laptop = uuid4(), uuid4()
    (signed_out,) = customer.sign_out(state, token_id=phone, issued_at=NOW, now=NOW + timedelta(hours=1))
    assert signed_out == CustomerSignedOut(
        account_id=ACCOUNT, token_id=phone, token_issued_at=NOW, signed_out_at=NOW + timedelta(hours=1)
    )
    assert not signed_out.published
    state = customer.evolve(state, signed_out)
    with pytest.raises(InvalidToken, match="signed out"):
        current(state, principal_of(phone, NOW))
    assert current(state, principal_of(laptop, NOW))
    assert customer.sign_out(state, token_id=phone, issued_at=NOW, now=NOW + timedelta(hours=2)) == []
    assert str(phone) not in repr(state)


def test_signing_out_everywhere_refuses_every_token_issued_until_then() -> None:
    state = account_with("t1")
    phone, laptop, later = uuid4(), uuid4(), uuid4()
    state = customer.evolve(state, customer.sign_out(state, token_id=phone, issued_at=NOW, now=NOW)[0])
    at = NOW + timedelta(days=1)
    (everywhere,) = customer.sign_out_everywhere(state, now=at)
    assert everywhere == CustomerSignedOutEverywhere(account_id=ACCOUNT, signed_out_at=at)
    state = customer.evolve(state, everywhere)
    for token_id, issued_at in ((phone, NOW), (laptop, NOW + timedelta(hours=5)), (later, at)):
        with pytest.raises(InvalidToken, match="signed out"):
            current(state, principal_of(token_id, issued_at))
    assert current(state, principal_of(later, at + timedelta(microseconds=1)))  # the next sign-in's token
    assert state.signed_out_tokens == {}  # covered by the time now: not kept one by one
    earlier = customer.evolve(state, customer.sign_out_everywhere(state, now=NOW)[0])
    assert earlier.tokens_valid_after == at  # an earlier "everywhere" read later never moves it back
    with pytest.raises(NotFound):
        customer.sign_out_everywhere(None, now=at)
