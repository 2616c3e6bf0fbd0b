# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier signs in as a merchant or a customer does: a one-time link mailed to the address
the association gave, exchanged once for a courier token. Nobody pastes a token on a phone;
the token the association mints (``POST /couriers/{id}/token``) stays for machines.

The link carries the courier's id and a random token; only the token's SHA-256 is stored, as
a private event on the courier service's stream (the kit's rule,
:mod:`downtown_events.sign_in_links`). Which couriers an address belongs to is read from the
services' own streams, not a read model: a town has a handful of courier services, and an
address never leaves dispatch's private events. The caller learns nothing of it (the API
answers alike), and a removed courier gets no link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from dispatch.app.setup import CourierLookup, TokenMinter
from dispatch.domain import courier_service as services
from dispatch.domain.errors import DomainError
from downtown_events.runtime.addresses import canonical_email
from downtown_events.runtime.commands import execute, load
from downtown_events.runtime.mail import clean
from downtown_events.runtime.sign_in_mail import MailedLink, SignInMail
from downtown_events.runtime.store import EventStore
from downtown_events.sign_in_links import SignInRefused, new_token, token_hash

MAX_COURIERS_PER_ADDRESS = 5
"""One person may ride for several services under one address; a link goes to each, up to these."""


class CourierServices(Protocol):
    """The town's courier services (the roster: one registered a moment ago may be missing)."""

    async def service_ids(self) -> list[UUID]: ...


@dataclass(frozen=True)
class CourierSession:
    token: str
    courier_id: UUID
    expires_in_seconds: int


class CourierSignIn:
    def __init__(
        self,
        store: EventStore,
        services_of_town: CourierServices,
        couriers: CourierLookup,
        tokens: TokenMinter,
        *,
        now: Callable[[], datetime],
        link_minutes: int,
        token_days: int,
    ) -> None:
        self._store = store
        self._services = services_of_town
        self._couriers = couriers
        self._tokens = tokens
        self._now = now
        self._lifetime = timedelta(minutes=link_minutes)
        self._token_lifetime = timedelta(days=token_days)

    async def request_links(self, email: str) -> list[MailedLink]:
        """A link for each active courier the address belongs to, recorded on their service's
        stream; none for an address no courier has, nor for a removed courier or one with
        several links still open. Those refusals are kept from the caller: they would tell
        who rides here."""
        wanted = canonical_email(email)
        links: list[MailedLink] = []
        for service_id in await self._services.service_ids():
            service = await load(self._store, str(service_id), services.replay)
            if service is None:
                continue
            for courier in service.couriers.values():
                if len(links) >= MAX_COURIERS_PER_ADDRESS:
                    return links
                if courier.removed or not courier.email or canonical_email(courier.email) != wanted:
                    continue
                link = MailedLink(courier.courier_id, courier.email, clean(courier.display_name), new_token())
                if await self._record(service_id, link):
                    links.append(link)
        return links

    async def _record(self, service_id: UUID, link: MailedLink) -> bool:
        now = self._now()
        try:
            await execute(
                self._store,
                str(service_id),
                services.replay,
                lambda state: services.request_sign_in_link(
                    state,
                    courier_id=link.account_id,
                    link_id=link.link_id,
                    token_hash=token_hash(link.token),
                    expires_at=now + self._lifetime,
                    now=now,
                ),
            )
        except DomainError:
            return False
        return True

    async def sign_in(self, courier_id: UUID, token: str) -> CourierSession:
        """The courier's token, once per link: the link cannot be used again, nor the older ones."""
        rostered = await self._couriers.courier(courier_id)
        if rostered is None:  # never added (or not known yet): like any link that never was
            raise SignInRefused("this sign-in link is not valid; request a new one")
        now = self._now()
        digest = token_hash(token)
        await execute(
            self._store,
            str(rostered.courier_service_id),
            services.replay,
            lambda state: services.sign_in(state, courier_id=courier_id, token_hash=digest, now=now),
        )
        seconds = int(self._token_lifetime.total_seconds())
        token = self._tokens.issue(courier_id, role="courier", lifetime_seconds=seconds)
        return CourierSession(token, courier_id, seconds)

    async def sign_out(self, courier_service_id: UUID, courier_id: UUID, at: datetime) -> None:
        """Every courier token of the courier issued until ``at`` (the one they sent too) is
        refused once the roster hears of it. ``at`` is the real time the tokens are stamped
        with, not the town's clock (which a test may move)."""
        await execute(
            self._store,
            str(courier_service_id),
            services.replay,
            lambda state: services.revoke_tokens(state, courier_id=courier_id, at=at),
        )


sign_in_mail = SignInMail("courier", name_as="name", about="CourierSignInLinkIssued")
"""The e-mail carrying a courier's sign-in link: the only place its token ever goes. Its
words are the template ``mail/sign_in_link_courier.txt``; the link opens the web front's
courier page, which exchanges it for a session (``POST /couriers/sessions``)."""
