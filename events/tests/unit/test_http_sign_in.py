# SPDX-License-Identifier: Apache-2.0
"""What every sign-in-by-link route shares: its limits, counted per client and per mailbox
(however the address is spelt, by its hash), and the links recorded and mailed only after
the answer, so a known address answers no slower than an unknown one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import cast

from fastapi import BackgroundTasks

from downtown_events.runtime.http.sign_in import MailLanguage, SignInLimits, address_key, mail_after_answer
from downtown_events.runtime.throttle import Limit, Throttle


class CountingThrottle:
    def __init__(self) -> None:
        self.checked: list[list[tuple[Limit, str]]] = []

    async def check(self, checks: Sequence[tuple[Limit, str]]) -> None:
        self.checked.append(list(checks))


def test_the_limits_are_the_towns_with_buckets_named_per_kind_of_account() -> None:
    assert SignInLimits.named() == SignInLimits(
        Limit("sign-in:client", 20, 3600), Limit("sign-in:address", 5, 3600), Limit("session:client", 30, 600)
    )
    courier = SignInLimits.named("courier-")
    kinds = [courier.per_client.kind, courier.per_address.kind, courier.sessions_per_client.kind]
    assert kinds == ["courier-sign-in:client", "courier-sign-in:address", "courier-session:client"]


def test_a_request_counts_for_the_client_and_the_mailbox_however_it_is_spelt() -> None:
    throttle = CountingThrottle()
    limits = SignInLimits.named("merchant-")
    for spelling in ("Anna@Example.de", "a.n.n.a+shop@example.de"):
        asyncio.run(limits.check_link_request(cast(Throttle, throttle), "203.0.113.7", spelling))
    asyncio.run(limits.check_session(cast(Throttle, throttle), "203.0.113.7"))

    key = address_key("anna@example.de")
    assert throttle.checked == [
        [(limits.per_client, "203.0.113.7"), (limits.per_address, key)],
        [(limits.per_client, "203.0.113.7"), (limits.per_address, key)],
        [(limits.sessions_per_client, "203.0.113.7")],
    ]
    assert "anna" not in key and len(key) == 64  # the throttle's table holds no address


def test_links_are_recorded_and_mailed_only_after_the_answer() -> None:
    done: list[str] = []

    async def request_links(email: str) -> list[str]:
        done.append(f"recorded for {email}")
        return ["link 1", "link 2"]

    async def mail(link: str, language: MailLanguage) -> None:
        done.append(f"mailed {link} in {language}")

    background = BackgroundTasks()
    mail_after_answer(background, request_links, mail, "anna@example.de", "en")
    assert done == []  # nothing before the answer is sent

    asyncio.run(background())
    assert done == ["recorded for anna@example.de", "mailed link 1 in en", "mailed link 2 in en"]
