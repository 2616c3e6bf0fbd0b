# SPDX-License-Identifier: AGPL-3.0-or-later
"""Customer accounts: one per e-mail address, signed in by an e-mailed one-time link.

There are no passwords to leak. The link's rule — a random token of which only the hash is
kept, an expiry, a single use that retires the older links still open, a refusal that says
why — is the kit's (:mod:`downtown_events.sign_in_links`), which the catalog's merchants
sign in by too; this module keeps the account the links belong to.

Signing in gives a customer token (the kit's, see ``runtime/principal``). The customer may
sign out — that token is refused from then on — or sign out everywhere: every token issued
until then is refused, as the catalog refuses a merchant's tokens issued before
``MerchantTokensRevoked``. The account's stream says which, and the API checks each request
against it with the kit's ``ensure_current``.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from downtown_events import sign_in_links
from downtown_events.contract import IntegrationEvent
from downtown_events.sign_in_links import SignInLink
from ordering.domain.errors import InvalidChange, NotFound, SignInRefused, checked
from ordering.domain.private_events import (
    CustomerAccountOpened,
    CustomerSignedOut,
    CustomerSignedOutEverywhere,
    SignInLinkIssued,
    SignInLinkUsed,
)


@dataclass(frozen=True)
class CustomerAccount:
    account_id: UUID
    email: str = field(repr=False)
    opened_at: datetime
    # Read-only by convention: a fold copies it once.
    links: Mapping[UUID, SignInLink] = field(default_factory=dict, repr=False)
    """In the order they were issued (the fold keeps the stream's order)."""
    tokens_valid_after: datetime | None = None
    """Customer tokens issued until then are refused (signed out everywhere)."""
    signed_out_tokens: Mapping[UUID, datetime] = field(default_factory=dict, repr=False)
    """Tokens signed out one by one since, by id, with when each was issued."""
    version: int = 0


def normalise_email(email: str) -> str:
    """Trimmed, in NFC and lower-case. The domain part is case-blind by RFC 5321; the local
    part strictly is not, but no mailbox a customer uses tells ``Anna@`` from ``anna@``, and
    two accounts for one person (one holding half their orders) would be worse."""
    return unicodedata.normalize("NFC", email.strip()).lower()


def account_id_for(email: str, *, key: bytes) -> UUID:
    """The account (and its stream) for an e-mail address: the same address always finds the
    same account, so two sign-ups at once meet the event store's concurrency check. Keyed
    (HMAC-SHA256 under the service's secret) because the id travels in tokens and links: an
    unkeyed hash would let whoever holds an id test guesses of the address."""
    digest = hmac.new(key, normalise_email(email).encode(), hashlib.sha256).digest()
    return UUID(bytes=digest[:16], version=4)


def evolve(state: CustomerAccount | None, event: IntegrationEvent) -> CustomerAccount:
    return _fold(state, [event])


def replay(events: Iterable[IntegrationEvent]) -> CustomerAccount | None:
    history = list(events)
    if history and not isinstance(history[0], CustomerAccountOpened):
        raise NotFound("no such customer account")
    return _fold(None, history) if history else None


def _fold(state: CustomerAccount | None, events: Sequence[IntegrationEvent]) -> CustomerAccount:
    if state is None:
        first, *events = events
        if not isinstance(first, CustomerAccountOpened):
            raise ValueError(f"{type(first).__name__} before CustomerAccountOpened")
        state = CustomerAccount(first.account_id, first.email, first.opened_at, version=1)
    links = dict(state.links)
    valid_after, signed_out = state.tokens_valid_after, dict(state.signed_out_tokens)
    for event in events:
        match event:
            case SignInLinkIssued():
                links = sign_in_links.issued(
                    links, SignInLink(event.link_id, event.token_hash, event.issued_at, event.expires_at)
                )
            case SignInLinkUsed():
                links = sign_in_links.used(links, event.link_id, event.used_at)
            case CustomerSignedOut():
                signed_out[event.token_id] = event.token_issued_at
            case CustomerSignedOutEverywhere():
                valid_after = max(valid_after, event.signed_out_at) if valid_after else event.signed_out_at
                signed_out = {token: issued for token, issued in signed_out.items() if issued > valid_after}
            case CustomerAccountOpened():
                raise ValueError("an account is opened once")
    return replace(
        state,
        links=links,
        tokens_valid_after=valid_after,
        signed_out_tokens=signed_out,
        version=state.version + len(events),
    )


def ensure_exists(state: CustomerAccount | None) -> CustomerAccount:
    if state is None:
        raise NotFound("no such customer account")
    return state


def request_link(
    state: CustomerAccount | None,
    *,
    account_id: UUID,
    email: str,
    link_id: UUID,
    token_hash: str,
    expires_at: datetime,
    now: datetime,
) -> list[IntegrationEvent]:
    """A sign-in link for the address, opening its account the first time. The same request
    again (same link id and token) decides nothing."""
    address = normalise_email(email)
    events: list[IntegrationEvent] = []
    if state is None:
        events.append(checked(CustomerAccountOpened, account_id=account_id, email=address, opened_at=now))
        links: Mapping[UUID, SignInLink] = {}
    else:
        if state.account_id != account_id or state.email != address:
            raise InvalidChange("this account belongs to another e-mail address")
        links = state.links
    if not sign_in_links.check_new_link(links, link_id=link_id, token_hash=token_hash, expires_at=expires_at, now=now):
        return []
    issued = checked(
        SignInLinkIssued,
        account_id=account_id,
        link_id=link_id,
        token_hash=token_hash,
        issued_at=now,
        expires_at=expires_at,
    )
    return [*events, issued]


def sign_in(state: CustomerAccount | None, *, token_hash: str, now: datetime) -> list[IntegrationEvent]:
    """The link whose token hashes to ``token_hash`` signs the customer in, once."""
    if state is None:
        raise SignInRefused("this sign-in link is not valid; request a new one")
    link = sign_in_links.link_to_use(state.links, token_hash=token_hash, now=now)
    return [SignInLinkUsed(account_id=state.account_id, link_id=link.link_id, used_at=now)]


def sign_out(
    state: CustomerAccount | None, *, token_id: UUID, issued_at: datetime, now: datetime
) -> list[IntegrationEvent]:
    """The customer token ``token_id`` (issued at ``issued_at``) is refused from now on.
    Signing out a token that is signed out already decides nothing. (Whether the token may
    still be used at all is the kit's ``ensure_current``, asked before this is.)"""
    account = ensure_exists(state)
    if token_id in account.signed_out_tokens:
        return []
    return [
        CustomerSignedOut(
            account_id=account.account_id, token_id=token_id, token_issued_at=issued_at, signed_out_at=now
        )
    ]


def sign_out_everywhere(state: CustomerAccount | None, *, now: datetime) -> list[IntegrationEvent]:
    """Every customer token issued until ``now`` is refused; the next sign-in gives a new one."""
    account = ensure_exists(state)
    return [CustomerSignedOutEverywhere(account_id=account.account_id, signed_out_at=now)]
