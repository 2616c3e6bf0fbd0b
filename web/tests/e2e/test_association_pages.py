# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's page over a running town, as a browser without JavaScript uses it: it
signs in with the town's token, sees a member not yet approved and approves it (the list says
so), suspends it (the storefront drops it a moment later, the list keeps it as suspended, with
the reason) and lifts the suspension (it is back), and reads the town's figures, a voucher
programme and, from the list of campaigns, a campaign's budget as charts that say their numbers."""

from __future__ import annotations

import html
import re
import uuid

import httpx
import pytest

from tests.support.local_stack import RunningTown
from tests.support.ordering_client import open_shop
from tests.support.polling import wait_until
from tests.support.vouchers_client import buy, campaign, provider_pays, town_programme
from tests.support.web_front import WebFront

pytestmark = pytest.mark.e2e


def form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form that posts to ``action``, as a browser sends them."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert form, page[:3000]
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))
    }


def listed_as(page: str, name: str) -> str:
    """The association's list item of the member called ``name`` (empty when not listed)."""
    item = re.search(rf'<li class="shop">(?:(?!</li>).)*?{re.escape(html.escape(name))}.*?</li>', page, re.S)
    return item.group(0) if item else ""


def test_the_association_suspends_a_member_and_reads_the_towns_figures(
    ordering_town: RunningTown, front: WebFront
) -> None:
    name = f"Imkerei Summsumm {uuid.uuid4().hex[:6]}"
    shop = open_shop(ordering_town, name, {"Honig": ("6,00", 5)}, approved=False)
    programme_name = f"Stadtgutschein {uuid.uuid4().hex[:6]}"
    programme_id = town_programme(ordering_town, name=programme_name)
    started = campaign(ordering_town, programme_id, percent=20, budget=50_000, cap=2_000)
    bought = buy(ordering_town, programme_id, 2_500)  # €25.00 and a bonus of 20 %: €5.00 of the budget
    assert provider_pays(ordering_town["vouchers"], bought["purchase"]).status_code == 200

    with httpx.Client(base_url=front.url, headers={"Accept-Language": "en"}, timeout=30) as office:
        assert office.get("/association", follow_redirects=False).headers["location"] == "/association/sign-in"
        asking = office.get("/association/sign-in")
        assert 'type="password"' in asking.text and "DOWNTOWN_ASSOCIATION_TOKEN" in asking.text
        fields = form_fields(asking.text, "/association/sign-in")
        wrong = office.post("/association/sign-in", data={**fields, "token": "not-the-towns-token-at-all"})
        assert wrong.status_code == 401 and "association=" not in " ".join(wrong.headers.get_list("set-cookie"))
        signed_in = office.post("/association/sign-in", data={**fields, "token": ordering_town.association_token})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/association", signed_in.text
        cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("association="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/association" in cookie

        board = wait_until(
            lambda: name in (page := office.get("/association")).text and programme_name in page.text and page.text,
            seconds=30,
            what="the member and the programme on the association's page",
        )
        assert "Orders by status" in board and 'role="img"' in board
        assert f"{programme_name}: sold a day" in board  # the programme's chart, its numbers in a table
        assert "Not approved: may not act with money." in listed_as(board, name)
        approve = f"/association/members/{shop.merchant_id}/approval"
        approved = office.post(approve, data=form_fields(board, approve))
        assert approved.status_code == 303, approved.text
        board = wait_until(
            lambda: "Approved: may act with money" in listed_as(page := office.get("/association").text, name) and page,
            seconds=30,
            what="the approval on the association's list",
        )
        suspend = f"/association/members/{shop.merchant_id}/suspension"
        suspended = office.post(suspend, data={**form_fields(board, suspend), "reason": "Beschwerden von Kunden"})
        assert suspended.status_code == 303, suspended.text
        assert suspended.headers["location"] == f"/association?merchant={shop.merchant_id}#member"
        wait_until(
            lambda: name not in httpx.get(f"{front.url}/").text, seconds=30, what="the shop leaving the storefront"
        )
        board = wait_until(
            lambda: (
                "Suspended, not in the storefront" in listed_as(page := office.get("/association").text, name) and page
            ),
            seconds=30,
            what="the suspended shop still on the association's list",
        )
        assert "Suspended, not in the storefront: Beschwerden von Kunden" in listed_as(board, name)
        assert f'action="/association/members/{shop.merchant_id}/reinstatement"' in listed_as(board, name)

        member = office.get(f"/association?merchant={shop.merchant_id}")
        lift = f"/association/members/{shop.merchant_id}/reinstatement"
        assert f'action="{lift}"' in member.text and name in member.text, member.text
        assert office.post(lift, data=form_fields(member.text, lift)).status_code == 303
        wait_until(lambda: name in httpx.get(f"{front.url}/").text, seconds=30, what="the shop back in the storefront")

        link = f'href="/association?campaign={started["campaign_id"]}#campaign"'
        board = wait_until(
            lambda: "sold: €25.00" in (page := office.get("/association").text) and page,
            seconds=30,
            what="the voucher sale in vouchers' figures",
        )
        assert link in board, "the campaign is listed: no need to type its number"
        budget = office.get(html.unescape(link.split('"')[1]))
        assert "Budget of €500.00" in budget.text and "given out: €5.00" in budget.text, budget.text
        assert "20 % bonus until" in budget.text
        assert "left: €495.00" in budget.text
        assert "Budget not yet given out at the end of each day" in budget.text  # its burn-down

        out = office.post("/association/sign-out", data=form_fields(budget.text, "/association/sign-out"))
        assert out.status_code == 303
        assert office.get("/association", follow_redirects=False).headers["location"] == "/association/sign-in"
