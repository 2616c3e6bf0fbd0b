# SPDX-License-Identifier: Apache-2.0
"""The e-mail that carries a sign-in link, written once for whoever signs in by one at the
web front (the catalog's merchants, dispatch's couriers); the link's rule is
:mod:`downtown_events.sign_in_links`, the routes' steps :mod:`downtown_events.runtime.http.sign_in`.

The mail is the only place a link's token ever goes. The link opens the web front's page for
the kind of account (``<web>/<kind>/sign-in?<kind>=<id>&token=<token>``), which exchanges it
for a session; the words are the service's template ``mail/sign_in_link_<kind>.txt``. Each
mail has a message id drawn from its link's id, so queueing it twice sends it once.

A port (pure: the kit's mail and texts): a service's ``app/`` composes its mail with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from downtown_events.runtime.mail import OutgoingMail
from downtown_events.runtime.texts import Texts

Language = Literal["de", "en"]
"""The languages a sign-in mail is written in."""


@dataclass(frozen=True)
class MailedLink:
    """A link just recorded, on its way to its account's address."""

    account_id: UUID
    email: str
    """The address the account has, where the link goes (not the spelling the caller typed)."""
    name: str
    token: str = field(repr=False)
    link_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True)
class SignInMail:
    """How one kind of account's sign-in mail is written: ``kind`` names the web page, the
    query's id and the template; the template calls the addressee ``name_as``; ``about`` is
    the event the mail tells of."""

    kind: str
    name_as: str
    about: str

    def __call__(
        self, link: MailedLink, *, language: Language, web_url: str, minutes: int, texts: Texts
    ) -> OutgoingMail:
        url = f"{web_url.rstrip('/')}/{self.kind}/sign-in?{self.kind}={link.account_id}&token={link.token}"
        text = texts.mail(
            f"mail/sign_in_link_{self.kind}.txt", language, url=url, minutes=minutes, **{self.name_as: link.name}
        )
        return OutgoingMail(
            message_id=str(uuid5(NAMESPACE_URL, f"downtown:{self.kind}-sign-in:{link.link_id}")),
            to_address=link.email,
            to_name=link.name,
            subject=text.subject,
            body=text.body,
            language=language,
            about=self.about,
        )
