# SPDX-License-Identifier: Apache-2.0
"""The mail that carries a sign-in link: the link to the web front's page for the kind of
account, the words from the kind's template, and one message id per link."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from downtown_events.runtime.sign_in_mail import MailedLink, SignInMail
from downtown_events.runtime.texts import RenderedMail, Texts

ANNA = UUID("0b6a1f4e-2c55-4d3a-9a57-5d1c0f0e7a11")


class Templates:
    def __init__(self) -> None:
        self.rendered: list[tuple[str, str, dict[str, object]]] = []

    def mail(self, name: str, language: str, /, **data: object) -> RenderedMail:
        self.rendered.append((name, language, data))
        return RenderedMail(subject="Sign in", body=f"Open {data['url']}")


def test_the_mail_leads_to_the_kinds_page_with_the_template_it_names() -> None:
    templates = Templates()
    link = MailedLink(ANNA, "Anna.Rad@example.de", "Anna", "T0ken_-" * 6)
    courier = SignInMail("courier", name_as="name", about="CourierSignInLinkIssued")

    mail = courier(link, language="en", web_url="https://web.example/", minutes=15, texts=cast(Texts, templates))

    url = f"https://web.example/courier/sign-in?courier={ANNA}&token={link.token}"
    assert templates.rendered == [("mail/sign_in_link_courier.txt", "en", {"url": url, "minutes": 15, "name": "Anna"})]
    assert (mail.to_address, mail.to_name, mail.subject, mail.body) == (
        "Anna.Rad@example.de",
        "Anna",
        "Sign in",
        f"Open {url}",
    )
    assert (mail.language, mail.about) == ("en", "CourierSignInLinkIssued")


def test_one_link_is_one_message_whichever_time_it_is_queued() -> None:
    merchant = SignInMail("merchant", name_as="shop", about="MerchantSignInLinkIssued")
    link = MailedLink(ANNA, "laden@example.de", "Bäckerei Kröger", "T0ken_-" * 6)
    twice = [
        merchant(link, language="de", web_url="https://web.example", minutes=15, texts=cast(Texts, Templates()))
        for _ in range(2)
    ]
    other = merchant(
        MailedLink(ANNA, "laden@example.de", "Bäckerei Kröger", "T0ken_-" * 6),
        language="de",
        web_url="https://web.example",
        minutes=15,
        texts=cast(Texts, Templates()),
    )
    assert twice[0].message_id == twice[1].message_id != other.message_id
    assert link.token not in repr(link)  # the token is kept out of logs
