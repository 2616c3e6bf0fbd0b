# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant signs in as a customer does: a one-time link mailed to the address its profile
names, exchanged once for a merchant token. Nobody pastes a token any more; the token itself
stays for machines (``POST /merchants/{id}/tokens`` by the association, ``/merchants/me/token``).

The link carries the merchant's id and a random token; only the token's SHA-256 is stored, as
a private event on the merchant's stream (the kit's rule, :mod:`downtown_events.sign_in_links`).
Whether an address belongs to a merchant is read from the town directory; the caller learns
nothing of it (the API answers alike), and a suspended merchant gets no link.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from catalog.domain import merchant as merchants
from catalog.domain.errors import DomainError, NotFound
from downtown_events.runtime.commands import execute, load
from downtown_events.runtime.mail import clean
from downtown_events.runtime.sign_in_mail import MailedLink, SignInMail
from downtown_events.runtime.store import EventStore
from downtown_events.sign_in_links import SignInRefused, new_token, token_hash


class MerchantAddresses(Protocol):
    """Which merchants an e-mail address belongs to (a read model: a moment behind)."""

    async def merchants_at(self, email: str) -> list[UUID]: ...


class MerchantSignIn:
    def __init__(
        self, store: EventStore, addresses: MerchantAddresses, *, now: Callable[[], datetime], link_minutes: int
    ) -> None:
        self._store = store
        self._addresses = addresses
        self._now = now
        self._lifetime = timedelta(minutes=link_minutes)

    async def request_links(self, email: str) -> list[MailedLink]:
        """A link for each merchant the address belongs to, recorded on its stream; none for an
        address no merchant has, nor for a suspended merchant or one with several links still
        open. Those refusals are kept from the caller: they would tell who trades here."""
        links = []
        for merchant_id in await self._addresses.merchants_at(email):
            link = await self._request_link(merchant_id)
            if link is not None:
                links.append(link)
        return links

    async def _request_link(self, merchant_id: UUID) -> MailedLink | None:
        merchant = await load(self._store, str(merchant_id), merchants.replay)
        if merchant is None:
            return None
        link = MailedLink(merchant_id, merchant.profile.email, clean(merchant.profile.name), new_token())
        now = self._now()
        try:
            await execute(
                self._store,
                str(merchant_id),
                merchants.replay,
                lambda state: merchants.request_sign_in_link(
                    state,
                    link_id=link.link_id,
                    token_hash=token_hash(link.token),
                    expires_at=now + self._lifetime,
                    now=now,
                ),
            )
        except DomainError:
            return None
        return link

    async def sign_in(self, merchant_id: UUID, token: str) -> UUID:
        """The merchant the link opens; the link cannot be used again, nor the older ones."""
        now = self._now()
        digest = token_hash(token)
        try:
            await execute(
                self._store,
                str(merchant_id),
                merchants.replay,
                lambda state: merchants.sign_in(state, token_hash=digest, now=now),
            )
        except NotFound:  # another aggregate's id (an offer's): refused like any link that never was
            raise SignInRefused("this sign-in link is not valid; request a new one") from None
        return merchant_id


sign_in_mail = SignInMail("merchant", name_as="shop", about="MerchantSignInLinkIssued")
"""The e-mail carrying a merchant's sign-in link: the only place its token ever goes. Its
words are the template ``mail/sign_in_link_merchant.txt``; the link opens the web front's
page, which exchanges it for a session (``POST /merchants/sessions``)."""
