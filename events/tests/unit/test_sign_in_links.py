# SPDX-License-Identifier: Apache-2.0
"""The one-time sign-in link every service signs people in by: a random token kept only as its
hash, an expiry within the hour, one use that retires the older links still open, a few open
at once, a refusal that says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from downtown_events.refusals import AlreadyExists, InvalidChange, NotAllowed
from downtown_events.sign_in_links import (
    MAX_OPEN_LINKS,
    SignInLink,
    SignInRefused,
    check_new_link,
    issued,
    link_to_use,
    new_token,
    token_hash,
    used,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=15)


def _links(*tokens: str) -> dict[UUID, SignInLink]:
    links: dict[UUID, SignInLink] = {}
    for token in tokens:
        links = issued(links, SignInLink(uuid4(), token_hash(token), NOW, LATER))
    return links


def test_a_token_is_random_url_safe_and_only_its_hash_is_kept() -> None:
    first, second = new_token(), new_token()
    assert first != second and len(first) >= 43
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(token_hash(first)) == 64 and first not in token_hash(first)


def test_a_link_signs_in_once_and_retires_the_older_ones() -> None:
    links = _links("old", "new")
    link = link_to_use(links, token_hash=token_hash("new"), now=NOW)
    links = used(links, link.link_id, NOW)
    with pytest.raises(SignInRefused, match="used already"):
        link_to_use(links, token_hash=token_hash("new"), now=NOW)
    with pytest.raises(SignInRefused, match="newer sign-in link was used"):
        link_to_use(links, token_hash=token_hash("old"), now=NOW)


def test_an_expired_or_unknown_link_is_refused() -> None:
    links = _links("token")
    with pytest.raises(SignInRefused, match="expired"):
        link_to_use(links, token_hash=token_hash("token"), now=LATER)
    with pytest.raises(SignInRefused, match="not valid"):
        link_to_use(links, token_hash=token_hash("guess"), now=NOW)


def test_a_new_link_expires_within_the_hour_and_few_are_open_at_once() -> None:
    link_id = uuid4()
    assert check_new_link({}, link_id=link_id, token_hash=token_hash("t"), expires_at=LATER, now=NOW)
    with pytest.raises(InvalidChange, match="within the hour"):
        check_new_link({}, link_id=link_id, token_hash="h", expires_at=NOW + timedelta(hours=2), now=NOW)
    with pytest.raises(InvalidChange, match="within the hour"):
        check_new_link({}, link_id=link_id, token_hash="h", expires_at=NOW, now=NOW)
    full = _links(*(f"t{n}" for n in range(MAX_OPEN_LINKS)))
    with pytest.raises(NotAllowed, match="several sign-in links"):
        check_new_link(full, link_id=link_id, token_hash="h", expires_at=LATER, now=NOW)
    assert check_new_link(full, link_id=link_id, token_hash="h", expires_at=LATER + timedelta(minutes=15), now=LATER)


def test_the_same_link_again_decides_nothing_and_another_token_under_its_id_is_refused() -> None:
    links = _links("token")
    link_id = next(iter(links))
    assert not check_new_link(links, link_id=link_id, token_hash=token_hash("token"), expires_at=LATER, now=NOW)
    with pytest.raises(AlreadyExists):
        check_new_link(links, link_id=link_id, token_hash=token_hash("other"), expires_at=LATER, now=NOW)
