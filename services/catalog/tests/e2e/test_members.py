# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's list of members through the running catalog (API, worker, Kafka and
PostgreSQL between them): a suspended merchant stays on it, marked suspended with the reason,
an approved one is marked approved, and only the association's token reads it (a merchant's
gets 403, none 401). It reuses the session's ordering town: its catalog is a catalog."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.catalog_client import approve, register
from tests.support.local_stack import RunningTown
from tests.support.polling import wait_until

pytestmark = pytest.mark.e2e


def members(api: str, token: str) -> dict[str, dict[str, Any]]:
    """Every member by id, page after page as the `Link` header leads."""
    found: dict[str, dict[str, Any]] = {}
    url: str | None = f"{api}/members"
    while url:
        answer = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        found |= {member["merchant_id"]: member for member in answer.json()}
        url = answer.links.get("next", {}).get("url")
    return found


def test_the_association_lists_its_members_suspended_and_approved_alike(ordering_town: RunningTown) -> None:
    catalog, token = ordering_town["catalog"], ordering_town.association_token
    association = {"Authorization": f"Bearer {token}"}
    suffix = uuid.uuid4().hex[:6]
    suspended_id, merchant_auth = register(catalog, name=f"Eisdiele Frost {suffix}", email="frost@example.org")
    approved_id, _ = register(catalog, name=f"Buchladen Seite {suffix}")
    approve(catalog, token, approved_id)
    said = httpx.post(
        f"{catalog.api}/merchants/{suspended_id}/suspension", headers=association, json={"reason": "Prüfung"}
    )
    assert said.status_code == 200, said.text

    def standing() -> tuple[dict[str, Any], dict[str, Any]] | None:
        listed = members(catalog.api, token)
        frost, books = listed.get(suspended_id), listed.get(approved_id)
        return (frost, books) if frost and frost["suspended"] and books and books["approved"] else None

    frost, books = wait_until(standing, seconds=30, what="the suspension and the approval in the member list")
    assert (frost["approved"], frost["suspended"], frost["suspension_reason"]) == (False, True, "Prüfung")
    assert (frost["name"], frost["email"], frost["closed"]) == (f"Eisdiele Frost {suffix}", "frost@example.org", False)
    assert frost["registered_at"]
    assert (books["approved"], books["suspended"], books["suspension_reason"]) == (True, False, None)
    assert httpx.get(f"{catalog.api}/directory/{suspended_id}").status_code == 404  # the public still does not see it

    assert httpx.get(f"{catalog.api}/members").status_code == 401
    assert httpx.get(f"{catalog.api}/members", headers=merchant_auth).status_code == 403
    assert httpx.get(f"{catalog.api}/members", headers=association, params={"limit": 501}).status_code == 422
