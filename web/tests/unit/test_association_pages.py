# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's pages over services answering from a table: signing in checks the token,
each section draws what its service answers (and says when one does not), the charts are
inline SVG with their numbers in words, and a decision on a member needs its form token and,
for a suspension or a withdrawn approval, a reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from downtown_web.asgi import create_app
from downtown_web.routes.association import burn_down, campaign_chart, orders_chart, programme_charts
from downtown_web.services import ServiceProblem
from downtown_web.settings import WebSettings
from tests.support.fake_services import NOT_FOUND, FakeService, FakeServices

TOKEN = "association-testtown-" + "a" * 32
SHOP = "7d4c2a7e-0000-4000-8000-000000000001"
PROGRAMME = "9e1f0000-0000-4000-8000-000000000002"
CAMPAIGN = "c0ffee00-0000-4000-8000-000000000003"


FIGURES = {
    "orders": 7,
    "by_status": {"placed": 2, "fulfilled": 5},
    "goods_cents_confirmed": 12_500,
    "voucher_cents_confirmed": 2_000,
    "merchants_with_orders": 2,
    "since": None,
}
SHOP_ENTRY = {
    "merchant_id": SHOP,
    "name": "Imkerei Summsumm",
    "category": "Lebensmittel",
    "street": "Markt 1",
    "postal_code": "48624",
    "city": "Schöppingen",
    "phone": "02555 1234",
    "email": "imkerei@example.org",
    "approved": True,
    "suspended": False,
    "suspension_reason": None,
    "closed": False,
    "closed_note": "",
    "registered_at": "2026-11-02T10:00:00+00:00",
}
SUSPENDED = "7d4c2a7e-0000-4000-8000-000000000004"
SUSPENDED_ENTRY = {
    **SHOP_ENTRY,
    "merchant_id": SUSPENDED,
    "name": "Eisdiele Frost",
    "approved": False,
    "suspended": True,
    "suspension_reason": "Beschwerden von Kunden",
}
LISTED_CAMPAIGN = {
    "campaign_id": CAMPAIGN,
    "programme_id": PROGRAMME,
    "name": "Heimat shoppen",
    "bonus_percent": 20,
    "budget_cents": 100_000,
    "reserved_cents": 5_000,
    "granted_cents": 25_000,
    "remaining_cents": 70_000,
    "per_buyer_cap_cents": 2_000,
    "ends_at": "2027-01-31T23:00:00+00:00",
    "ended": False,
    "started_at": "2026-11-02T10:00:00+00:00",
    "state": "running",
}


def town(**overrides: FakeService) -> FakeServices:
    catalog = FakeService({("GET", "/members"): [SUSPENDED_ENTRY, SHOP_ENTRY]}, otherwise=NOT_FOUND)
    ordering = FakeService({("GET", "/figures"): FIGURES}, otherwise=NOT_FOUND)
    vouchers = FakeService(
        {
            ("GET", "/programmes"): [{"programme_id": PROGRAMME, "kind": "town", "name": "Stadtgutschein"}],
            ("GET", "/figures"): [],
            ("GET", "/settlements"): [
                {
                    "programme_id": PROGRAMME,
                    "programme_name": "Stadtgutschein",
                    "merchant_id": SHOP,
                    "merchant_name": "Imkerei Summsumm",
                    "redeemed_cents": 5_000,
                    "reversed_cents": 0,
                    "counter_cash_cents": 1_000,
                    "owed_cents": 4_000,
                }
            ],
            ("GET", "/campaigns"): [LISTED_CAMPAIGN],
            ("GET", f"/campaigns/{CAMPAIGN}"): {
                key: value for key, value in LISTED_CAMPAIGN.items() if key not in ("started_at", "state")
            },
        },
        otherwise=NOT_FOUND,
    )
    dispatch = FakeService(
        {("GET", "/board"): ServiceProblem(503, "Unavailable", "dispatch did not answer")}, otherwise=NOT_FOUND
    )
    return FakeServices(
        otherwise=NOT_FOUND,
        **{"catalog": catalog, "ordering": ordering, "vouchers": vouchers, "dispatch": dispatch, **overrides},
    )


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DOWNTOWN_ORDERING_URL", "http://127.0.0.1:9")
    with TestClient(create_app(WebSettings(town="testtown")), headers={"Accept-Language": "en"}) as test_client:
        yield test_client


def use(client: TestClient, services: FakeServices) -> FakeServices:
    client.app.state.services = services  # type: ignore[attr-defined]
    return services


def test_the_page_asks_to_sign_in_first_with_a_password_field(client: TestClient) -> None:
    answer = client.get("/association", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/association/sign-in"
    page = client.get("/association/sign-in")
    assert 'type="password"' in page.text and "DOWNTOWN_ASSOCIATION_TOKEN" in page.text


def test_signing_in_checks_the_token_at_ordering_and_keeps_it_for_these_pages_only(client: TestClient) -> None:
    services = use(client, town())
    csrf = client.get("/association/sign-in").cookies.get("csrf") or client.cookies["csrf"]
    misshapen = client.post("/association/sign-in", data={"csrf": csrf, "token": "short"})
    assert misshapen.status_code == 401 and "association=" not in misshapen.headers.get("set-cookie", "")
    services.ordering.answers[("GET", "/figures")] = ServiceProblem(403, "Forbidden", "association only")
    refused = client.post("/association/sign-in", data={"csrf": csrf, "token": "m" * 40})
    assert refused.status_code == 403 and "copy it again from the town" in refused.text
    services.ordering.answers[("GET", "/figures")] = FIGURES
    signed_in = client.post("/association/sign-in", data={"csrf": csrf, "token": TOKEN}, follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/association"
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith(f"association={TOKEN};") and "HttpOnly" in cookie and "Path=/association" in cookie
    assert services.ordering.calls[-1].headers == {"Authorization": f"Bearer {TOKEN}"}
    forged = client.post("/association/sign-in", data={"csrf": "x" * 40, "token": TOKEN})
    assert forged.status_code == 403


def test_each_section_draws_its_services_answer_and_says_which_did_not_answer(client: TestClient) -> None:
    use(client, town())
    client.cookies.set("association", TOKEN, path="/association")
    page = client.get("/association", params={"campaign": CAMPAIGN})
    assert page.status_code == 200
    text = page.text
    assert "Imkerei Summsumm" in text and f'action="/association/members/{SHOP}/suspension"' in text
    assert 'aria-label="Orders by status: waiting for the shop 2, confirmed 0' in text and "done 5" in text
    assert 'aria-label="Budget of €1,000.00: given out €250.00, promised €50.00, left €700.00"' in text
    assert "Stadtgutschein: sold a day" in text and "€40.00" in text  # owed, net of the counter cash
    assert "is not answering" in text  # dispatch: today's deliveries are not shown, the rest is
    assert text.count('role="img"') == 6  # orders, vouchers, the programme's two, the budget, its burn-down
    assert not re.search(r"\sstyle=", text)  # the CSP refuses style attributes: none is drawn


def test_the_members_show_their_standing_in_words_and_the_decisions_it_allows(client: TestClient) -> None:
    use(client, town())
    client.cookies.set("association", TOKEN, path="/association")
    text = client.get("/association").text
    frost, summsumm = (text[text.index(name) :] for name in ("Eisdiele Frost", "Imkerei Summsumm"))
    frost = frost[: frost.index("</li>")]
    summsumm = summsumm[: summsumm.index("</li>")]
    assert text.index("Eisdiele Frost") < text.index("Imkerei Summsumm")  # by name, the suspended among them
    assert "Suspended, not in the storefront: Beschwerden von Kunden" in frost and "Not approved" in frost
    assert f'action="/association/members/{SUSPENDED}/reinstatement"' in frost
    assert f'action="/association/members/{SUSPENDED}/approval"' in frost
    assert "/suspension" not in frost and "approval-withdrawal" not in frost
    assert "Approved: may act with money" in summsumm and "In the storefront." in summsumm
    assert f'action="/association/members/{SHOP}/suspension"' in summsumm and 'for="suspend-' in summsumm
    assert f'action="/association/members/{SHOP}/approval-withdrawal"' in summsumm
    assert "reinstatement" not in summsumm and f'/members/{SHOP}/approval"' not in summsumm
    assert "imkerei@example.org" in summsumm


def test_a_member_the_list_does_not_know_yet_is_offered_every_decision(client: TestClient) -> None:
    services = use(client, town())
    fresh = "7d4c2a7e-0000-4000-8000-000000000009"
    services.ordering.answers[("GET", f"/shops/{fresh}/checkout-options")] = {"name": "Neu", "taking_orders": True}
    client.cookies.set("association", TOKEN, path="/association")
    text = client.get("/association", params={"merchant": fresh}).text
    box = text[text.index('id="member"') : text.index("Every member of the town")]
    assert "Neu" in box and "Not in the catalog's member list yet" in box and "Taking orders." in box
    for action in ("suspension", "reinstatement", "approval", "approval-withdrawal"):
        assert f'action="/association/members/{fresh}/{action}"' in box
    assert f'id="member-suspend-{fresh}"' in box  # not the list's ids: each id once on the page


def test_the_campaigns_are_listed_newest_first_each_linking_to_its_burn_down(client: TestClient) -> None:
    services = use(client, town())
    older = {
        **LISTED_CAMPAIGN,
        "campaign_id": "c0ffee00-0000-4000-8000-000000000099",
        "name": "Sommer",
        "state": "ended",
    }
    services.vouchers.answers[("GET", "/campaigns")] = [LISTED_CAMPAIGN, older]
    client.cookies.set("association", TOKEN, path="/association")
    text = client.get("/association").text
    assert f'href="/association?campaign={CAMPAIGN}#campaign">Heimat shoppen</a> (Stadtgutschein): running' in text
    assert "budget €1,000.00, given out €250.00, promised €50.00, left €700.00" in text
    assert "Sommer</a> (Stadtgutschein): ended early" in text
    assert text.index("Heimat shoppen") < text.index("Sommer")
    services.vouchers.answers[("GET", "/campaigns")] = ServiceProblem(503, "Unavailable", "vouchers is down")
    assert "is not answering" in client.get("/association").text


def test_a_token_the_services_refuse_signs_the_association_out(client: TestClient) -> None:
    services = town()
    services.ordering.answers[("GET", "/figures")] = ServiceProblem(401, "Not authenticated", "unknown token")
    use(client, services)
    client.cookies.set("association", TOKEN, path="/association")
    answer = client.get("/association", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/association/sign-in"
    assert 'association=""' in answer.headers["set-cookie"] and "Path=/association" in answer.headers["set-cookie"]


def test_a_decision_on_a_member_needs_its_form_token_and_a_reason_where_the_shop_reads_one(
    client: TestClient,
) -> None:
    services = use(client, town())
    for method, path in (
        ("POST", "suspension"),
        ("DELETE", "suspension"),
        ("POST", "approval"),
        ("DELETE", "approval"),
    ):
        services.catalog.answers[(method, f"/merchants/{SHOP}/{path}")] = {"merchant_id": SHOP}
    client.cookies.set("association", TOKEN, path="/association")
    csrf = client.get("/association/sign-in").cookies.get("csrf") or client.cookies["csrf"]
    base = f"/association/members/{SHOP}"
    assert client.post(f"{base}/suspension", data={"csrf": "x" * 40, "reason": "Beschwerden"}).status_code == 403
    unexplained = client.post(f"{base}/suspension", data={"csrf": csrf, "reason": "  "})
    assert unexplained.status_code == 422 and services.catalog.sent == []
    for action, data in (
        ("suspension", {"reason": "Beschwerden"}),
        ("reinstatement", {}),
        ("approval", {}),
        ("approval-withdrawal", {"reason": "keine Steuernummer"}),
    ):
        done = client.post(f"{base}/{action}", data={"csrf": csrf, **data}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"/association?merchant={SHOP}#member"
    assert services.catalog.sent == [
        ("POST", f"/merchants/{SHOP}/suspension", {"reason": "Beschwerden"}),
        ("DELETE", f"/merchants/{SHOP}/suspension", None),
        ("POST", f"/merchants/{SHOP}/approval", None),
        ("DELETE", f"/merchants/{SHOP}/approval", {"reason": "keine Steuernummer"}),
    ]


def test_the_charts_numbers() -> None:
    orders = orders_chart(FIGURES, lambda text: text)
    assert [(bar.label, bar.value) for bar in orders.bars][:2] == [("waiting for the shop", 2), ("confirmed", 0)]
    burn = campaign_chart(
        {"budget_cents": 1000, "granted_cents": 500, "reserved_cents": 0, "remaining_cents": 500}, str
    )
    assert [bar.width for bar in burn.bars] == [160, 0, 160]
    (programme,) = programme_charts(
        [{"programme_id": PROGRAMME, "name": "Stadtgutschein"}],
        [
            {
                "bucket": "2026-12-05T00:00:00",
                "programme_id": PROGRAMME,
                "sold_paid_cents": 2500,
                "redeemed_cents": None,
            },
            {"bucket": "2026-12-06T00:00:00", "programme_id": "other", "sold_paid_cents": 9999},
        ],
        date(2026, 12, 5),
        date(2026, 12, 6),
    )
    assert [bar.value for bar in programme["sold"].bars] == [2500, 0]
    assert programme["sold_cents"] == 2500 and programme["redeemed_cents"] == 0


def test_a_campaigns_budget_burns_down_with_its_programmes_bonus_day_by_day() -> None:
    campaign = {"programme_id": PROGRAMME, "budget_cents": 10_000, "remaining_cents": 6_000, "reserved_cents": 1_000}
    rows = [
        {"bucket": "2026-12-04T00:00:00", "programme_id": PROGRAMME, "bonus_granted_cents": 2_000},
        {"bucket": "2026-12-06T00:00:00", "programme_id": PROGRAMME, "bonus_granted_cents": 1_000},
        {"bucket": "2026-12-06T00:00:00", "programme_id": "another", "bonus_granted_cents": 5_000},
    ]
    chart = burn_down(campaign, rows, date(2026, 12, 3), date(2026, 12, 6))
    assert [(bar.label, bar.value) for bar in chart.bars] == [
        ("2026-12-03", 10_000),
        ("2026-12-04", 8_000),
        ("2026-12-05", 8_000),
        ("2026-12-06", 7_000),  # today: what is left and what is promised
    ]
