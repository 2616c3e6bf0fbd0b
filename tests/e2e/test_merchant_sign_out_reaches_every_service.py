# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant signs out at the catalog, and every service of the town that takes merchant
tokens refuses the tokens it had: the catalog at once (it reads the merchant's stream), ordering
and vouchers as soon as their replica of the merchant hears the published
``MerchantTokensRevoked`` (seconds). On the session's ordering town (real processes, broker and
databases)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import httpx

from tests.support.local_stack import RunningTown
from tests.support.ordering_client import association, open_shop
from tests.support.polling import wait_until


def test_a_merchant_who_signs_out_is_refused_by_catalog_ordering_and_vouchers(ordering_town: RunningTown) -> None:
    catalog, ordering, vouchers = (ordering_town[name].api for name in ("catalog", "ordering", "vouchers"))
    shop = open_shop(ordering_town, "Töpferei am Wall", {})
    replaced = httpx.post(f"{catalog}/merchants/{shop.merchant_id}/tokens", headers=association(ordering_town))
    assert replaced.status_code == 201, replaced.text
    phone = {"Authorization": f"Bearer {replaced.json()['token']}"}  # the till keeps shop.auth: both end
    asks: dict[str, Callable[[dict[str, str]], httpx.Response]] = {
        "catalog": lambda auth: httpx.get(f"{catalog}/merchants/me", headers=auth),
        "ordering": lambda auth: httpx.get(f"{ordering}/merchants/me/invoices", headers=auth),
        "vouchers": lambda auth: httpx.get(f"{vouchers}/liability", headers=auth),
    }
    wait_until(
        lambda: all(ask(phone).status_code == 200 for ask in asks.values()), what="every service knowing the token"
    )

    signed_out = httpx.delete(f"{catalog}/merchants/sessions", headers=phone)
    assert signed_out.status_code == 204, signed_out.text
    began = time.monotonic()
    at_once = asks["catalog"](phone)
    assert at_once.status_code == 401 and "signed out" in at_once.json()["detail"], at_once.text

    def refused(ask: Callable[[dict[str, str]], httpx.Response]) -> bool:
        return ask(phone).status_code == 401 and ask(shop.auth).status_code == 401

    for name, ask in asks.items():
        wait_until(partial(refused, ask), what=f"{name} refusing the merchant's tokens")
    print(f"the sign-out reached ordering and vouchers in {time.monotonic() - began:.2f} s")
    assert httpx.delete(f"{catalog}/merchants/sessions", headers=phone).status_code == 401  # signed out once

    renewed = httpx.post(f"{catalog}/merchants/{shop.merchant_id}/tokens", headers=association(ordering_town))
    fresh = {"Authorization": f"Bearer {renewed.json()['token']}"}
    assert all(ask(fresh).status_code == 200 for ask in asks.values())  # a session opened afterwards works
