# SPDX-License-Identifier: Apache-2.0
"""Sign-in by an e-mailed one-time link over HTTP, written once for whoever signs in so
(ordering's customers, the catalog's merchants, dispatch's couriers); the link's rule is
:mod:`downtown_events.sign_in_links`.

Asking for a link is throttled per client and per mailbox (:func:`address_key`: the hash of
the kit's ``canonical_email``, so a respelt address buys no more tries and the throttle's
table holds no address), exchanging one per client. Where the answer must not tell who has
an account (a merchant, a courier), the link is recorded and mailed after the answer
(:func:`mail_after_answer`): a known address must take no longer than an unknown one.

Each service keeps its routes' paths, words and models; these are the limits, the field
types and the steps they share.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import BackgroundTasks
from pydantic import Field

from downtown_events.runtime.addresses import canonical_email
from downtown_events.runtime.sign_in_mail import Language
from downtown_events.runtime.throttle import Limit, Throttle

HOUR = 3600
Link = TypeVar("Link")

MailLanguage = Language
"""The languages a sign-in mail is written in (:mod:`downtown_events.runtime.sign_in_mail`'s)."""

LinkToken = Annotated[str, Field(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
"""A link's token as it comes back (the kit's ``new_token``: URL-safe base64); anything else
is refused before a hash is taken."""


def address_key(email: str) -> str:
    """The throttle's key of an e-mail address: one per mailbox, however it is spelt."""
    return hashlib.sha256(canonical_email(email).encode()).hexdigest()


@dataclass(frozen=True)
class SignInLimits:
    """How often a client may ask for links (each one a mail) and for one mailbox, and how
    often a client may try a link's token."""

    per_client: Limit
    per_address: Limit
    sessions_per_client: Limit

    @classmethod
    def named(cls, prefix: str = "") -> SignInLimits:
        """The town's limits, their throttle buckets named apart per kind of account
        (``merchant-`` gives ``merchant-sign-in:client`` …)."""
        return cls(
            Limit(f"{prefix}sign-in:client", 20, HOUR),
            Limit(f"{prefix}sign-in:address", 5, HOUR),
            Limit(f"{prefix}session:client", 30, 600),
        )

    async def check_link_request(self, throttle: Throttle, client: str, email: str) -> None:
        """Counts a request for a link; too many raise the throttle's 429."""
        await throttle.check([(self.per_client, client), (self.per_address, address_key(email))])

    async def check_session(self, throttle: Throttle, client: str) -> None:
        """Counts a try at a link's token; too many raise the throttle's 429."""
        await throttle.check([(self.sessions_per_client, client)])


def mail_after_answer(
    background: BackgroundTasks,
    request_links: Callable[[str], Awaitable[Sequence[Link]]],
    mail: Callable[[Link, MailLanguage], Awaitable[None]],
    email: str,
    language: MailLanguage,
) -> None:
    """Records the address's links (``request_links``) and queues each one's mail, after
    the answer is sent: a known address (links recorded, mails queued) must take no longer
    to answer than an unknown one, or the time would tell who has an account."""

    async def send() -> None:
        for link in await request_links(email):
            await mail(link, language)

    background.add_task(send)
