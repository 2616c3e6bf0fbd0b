# SPDX-License-Identifier: Apache-2.0
"""The one-time sign-in link, written once for whoever signs in by e-mail (ordering's
customers, the catalog's merchants).

There are no passwords to leak. The app draws a link's token at random (:func:`new_token`),
mails it, and gives the domain only its SHA-256 (:func:`token_hash`) and the link's expiry;
the domain keeps the links of one stream in the order they were issued and folds them with
:func:`issued` and :func:`used`. Signing in with a token uses its link up, and with it every
older link still open: a link lying in a mailbox is a way in for whoever reads that mailbox
later, and once its owner signed in with a newer one nobody needs it. A used, replaced or
expired link, or one that never was, is refused (:class:`SignInRefused`) with a reason that
says to ask for a new one.

Which link was used is an event the domain appends on the stream at the version it read, so
of two requests racing with one token the event store lets one through; the other decides
again on the stream that now holds the use, and is refused.

Pure (the standard library and the kit's refusals) like :mod:`downtown_events.refusals`: a
service's ``domain/`` imports it (``.importlinter``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from uuid import UUID

from downtown_events.refusals import AlreadyExists, InvalidChange, NotAllowed

MAX_LINK_LIFETIME = timedelta(hours=1)
MAX_OPEN_LINKS = 5
"""Links still usable at once: enough for a slow mailbox, too few to flood it."""

Links = Mapping[UUID, "SignInLink"]
"""A stream's links by id, in the order they were issued (a fold keeps the stream's order)."""


class SignInRefused(NotAllowed):
    """A sign-in link that is unknown, used, replaced or expired: the reason says which, so
    its owner knows to ask for a new one."""


@dataclass(frozen=True)
class SignInLink:
    link_id: UUID
    token_hash: str = field(repr=False)
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    replaced: bool = False
    """A newer link was used before this one: it opens nothing any more."""

    def usable_at(self, now: datetime) -> bool:
        return self.used_at is None and not self.replaced and now < self.expires_at


def new_token() -> str:
    """A link's token: 256 random bits, URL-safe (it travels in the link's query)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, hex. A random token needs no slow hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_new_link(links: Links, *, link_id: UUID, token_hash: str, expires_at: datetime, now: datetime) -> bool:
    """Whether a new link may be issued: False for the same request again (same id and
    token: nothing to decide); refused for an id issued before with another token, a
    lifetime beyond :data:`MAX_LINK_LIFETIME`, or :data:`MAX_OPEN_LINKS` links still open."""
    if link_id in links:
        if hmac.compare_digest(links[link_id].token_hash.encode(), token_hash.encode()):
            return False
        raise AlreadyExists("a sign-in link with this id was issued before")
    if not now < expires_at <= now + MAX_LINK_LIFETIME:
        raise InvalidChange("a sign-in link must expire within the hour, and not before it is sent")
    if sum(link.usable_at(now) for link in links.values()) >= MAX_OPEN_LINKS:
        raise NotAllowed("several sign-in links are on their way already; use the latest e-mail or try again later")
    return True


def link_to_use(links: Links, *, token_hash: str, now: datetime) -> SignInLink:
    """The link whose token hashes to ``token_hash``, if it may sign in now; else refused
    with the reason."""
    given = token_hash.encode()
    link = next((link for link in links.values() if hmac.compare_digest(link.token_hash.encode(), given)), None)
    if link is None:
        raise SignInRefused("this sign-in link is not valid; request a new one")
    if link.used_at is not None:
        raise SignInRefused("this sign-in link was used already; request a new one")
    if link.replaced:
        raise SignInRefused("a newer sign-in link was used since, so this one no longer works; request a new one")
    if now >= link.expires_at:
        raise SignInRefused("this sign-in link has expired; request a new one")
    return link


def issued(links: Links, link: SignInLink) -> dict[UUID, SignInLink]:
    """The links with one more, issued last."""
    return {**links, link.link_id: link}


def used(links: Links, link_id: UUID, used_at: datetime) -> dict[UUID, SignInLink]:
    """The link used, and every link issued before it still open replaced. By the order of
    issue, not the issue times (two links may share a moment)."""
    updated = {}
    older = True
    for key, link in links.items():
        if key == link_id:
            updated[key] = replace(link, used_at=used_at)
            older = False
        elif older and link.used_at is None:
            updated[key] = replace(link, replaced=True)
        else:
            updated[key] = link
    return updated
