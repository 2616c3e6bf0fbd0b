# SPDX-License-Identifier: Apache-2.0
"""The e-mail a service sends, as its use cases write it: the port of the kit's mail outbox.

A service decides *what* it sends (its templates, its recipients, in ``app/``) and hands the
result, an :class:`OutgoingMail`, to a :class:`MailQueue`. The kit's adapter
(:mod:`downtown_events.runtime.mail_outbox`) keeps it in the service's own database, in the
caller's transaction, and a scheduled job of the worker sends it over SMTP at least once.

Every mail carries a **deterministic message id** (:func:`mail_id`), made of what caused it
(an event's id) and who it is for (a role, not an address: an address corrected between two
deliveries of one event must not make a second mail). The outbox keys its rows by it, so an
event delivered twice, or replayed, queues one mail per recipient.

Pure: the standard library only, so a service's ``app/`` may import it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID, uuid5

_MAIL_IDS = UUID("0b6f3f0e-5d1c-4c52-9a55-6f1d0e8a7c31")
"""The namespace of every mail id (ordering's since issue 5: its queued ids stay the same)."""
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
NAME_LIMIT = 120


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class OutgoingMail:
    """One plain-text mail to one recipient. ``message_id`` is stable for what caused it and
    its recipient (:func:`mail_id`); ``about`` tells an operator what it is
    (``OrderPlaced:merchant``); ``language`` the body's (``Content-Language``)."""

    message_id: str
    to_address: str
    to_name: str
    subject: str
    body: str
    language: str
    about: str
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()


class MailQueue(Protocol):
    """The mail outbox. ``queue`` commits with the caller's transaction; False if a mail of
    that id was queued before (nothing is added then)."""

    async def queue(self, mail: OutgoingMail) -> bool: ...


ReplyToDropped = Callable[[str, str, str], str]
"""``(body, language, address) -> body``: what a mail says when its ``Reply-To`` (``address``)
cannot go with it (a server without SMTPUTF8 and an address beyond ASCII before the @). The
service that wrote the body knows what it promised a reply reaches; without one, the body
goes as written."""


def mail_id(cause: str | UUID, recipient: str) -> str:
    """The id of the mail ``cause`` (an event's id) sends to ``recipient`` (a role: ``customer``,
    ``buyer``): the same for every delivery of the event."""
    return str(uuid5(_MAIL_IDS, f"{cause}/{recipient}"))


def clean(text: str, limit: int = NAME_LIMIT) -> str:
    """Typed text as one printable line: NFC, no control or invisible characters, cut to
    ``limit``, so it can neither break a header nor smuggle invisible characters into a mail."""
    kept = "".join(c for c in unicodedata.normalize("NFC", text) if unicodedata.category(c) not in _UNPRINTABLE)
    kept = " ".join(kept.split())
    return kept if len(kept) <= limit else kept[: limit - 1].rstrip() + "…"
