# SPDX-License-Identifier: AGPL-3.0-or-later
"""``POST /authorizations`` over HTTP against the running town: whoever holds a code authorises
a checkout's voucher part; replays answer the same authorisation; every refusal is an RFC 9457
problem; and tries count against the same budget as balance look-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.local_stack import RunningTown
from tests.support.vouchers_client import association, authorize, balance, key, paid_vouchers, town_programme, voucher
from vouchers.domain.codes import new_code


def test_a_code_holder_authorises_part_of_the_voucher_and_a_retry_gets_the_same_authorisation(
    vouchers_town: RunningTown,
) -> None:
    vouchers = vouchers_town["vouchers"]
    programme_id = town_programme(vouchers_town, name="Autorisierung")
    ((voucher_id, code),) = paid_vouchers(vouchers_town, programme_id, 2_500)
    headers = key()

    first = authorize(vouchers, code.lower().replace("-", " "), 2_000, **headers)
    again = authorize(vouchers, code, 2_000, **headers)
    other_content = authorize(vouchers, code, 1_000, **headers)
    without_key = authorize(vouchers, code, 2_000)

    assert first.status_code == 201, first.text
    body = first.json()
    assert set(body) == {
        "authorization_id",
        "amount_cents",
        "expires_at",
        "voucher_balance_cents",
        "voucher_expires_on",
    }
    assert (body["amount_cents"], body["voucher_balance_cents"]) == (2_000, 2_500)  # nothing redeemed yet
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert datetime.now(UTC) + timedelta(minutes=50) < expires_at <= datetime.now(UTC) + timedelta(minutes=61)
    assert again.status_code == 200 and again.json() == body
    assert other_content.status_code == 422 and other_content.headers["content-type"] == "application/problem+json"
    assert without_key.status_code == 201 and without_key.json()["authorization_id"] != body["authorization_id"]
    assert voucher(vouchers, association(vouchers_town), voucher_id)["balance_cents"] == 2_500


@pytest.mark.parametrize("cents", [0, -100, 10**9, 1.5, "100"])
def test_an_amount_that_is_not_a_positive_whole_number_of_cents_is_refused(
    vouchers_town: RunningTown, cents: object
) -> None:
    response = httpx.post(
        f"{vouchers_town['vouchers'].api}/authorizations", json={"code": new_code().display, "amount_cents": cents}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_mistyped_and_other_towns_codes_look_alike_and_too_much_is_refused(vouchers_town: RunningTown) -> None:
    vouchers = vouchers_town["vouchers"]
    programme_id = town_programme(vouchers_town, name="Autorisierung Grenzen")
    ((_, code),) = paid_vouchers(vouchers_town, programme_id, 1_000)
    # A well-formed code no voucher of this town has: another town's (its hash is keyed apart).
    elsewhere = new_code().display
    typo = code[:-1] + ("2" if code[-1] != "2" else "3")

    answers = [authorize(vouchers, text, 500) for text in (elsewhere, typo, "nonsense")]
    too_much = authorize(vouchers, code, 1_001)

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert len({answer.json()["detail"] for answer in answers}) == 1  # the same answer, whatever was wrong
    assert all(answer.headers["content-type"] == "application/problem+json" for answer in answers)
    assert too_much.status_code == 422 and "€10.00" in too_much.json()["detail"], too_much.text


def test_authorisations_and_balance_look_ups_of_one_code_share_the_throttle(vouchers_town: RunningTown) -> None:
    vouchers = vouchers_town["vouchers"]
    guessed = new_code().display
    limit = int(vouchers.env.get("DOWNTOWN_BALANCE_TRIES_PER_CODE", "10"))
    looked_up = [balance(vouchers, guessed).status_code for _ in range(limit // 2)]
    authorised = [authorize(vouchers, guessed, 100).status_code for _ in range(limit - limit // 2)]
    over = authorize(vouchers, guessed, 100)

    assert set(looked_up) == set(authorised) == {404}
    assert over.status_code == 429 and "Retry-After" in over.headers, over.text
