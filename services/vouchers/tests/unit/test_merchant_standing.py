# SPDX-License-Identifier: AGPL-3.0-or-later
"""Only a merchant the association approved acts with money; a closed shop still sells and
takes vouchers (that is the point); a suspended one does not; a registration alone, or an
approval withdrawn, allows nothing."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest

from vouchers.domain.errors import NotAllowed, NotYetKnown
from vouchers.domain.merchant_standing import (
    Approval,
    MerchantStanding,
    MerchantStatus,
    ensure_may_give_back,
    ensure_may_redeem,
    ensure_may_sell,
    ensure_may_set_terms,
)

RULES: list[Callable[[MerchantStanding], MerchantStanding]] = [
    ensure_may_sell,
    ensure_may_redeem,
    ensure_may_give_back,
    ensure_may_set_terms,
]


@pytest.mark.parametrize("status", ["active", "closed"])
def test_an_approved_open_or_temporarily_closed_shop_may_act_with_money(status: MerchantStatus) -> None:
    standing = MerchantStanding(uuid4(), "Buchhandlung Lesezeichen", status, "approved")
    for rule in RULES:
        assert rule(standing) is standing
    assert standing.approved


def test_a_suspended_merchant_may_neither_sell_nor_redeem_even_if_approved() -> None:
    standing = MerchantStanding(uuid4(), "Buchhandlung Lesezeichen", "suspended", "approved")
    with pytest.raises(NotAllowed, match="association has suspended Buchhandlung Lesezeichen; it may not sell"):
        ensure_may_sell(standing)
    with pytest.raises(NotAllowed, match="may not accept vouchers"):
        ensure_may_redeem(standing)
    with pytest.raises(NotAllowed, match="may not credit vouchers back"):
        ensure_may_give_back(standing)
    with pytest.raises(NotAllowed, match="may not change its programmes' terms"):
        ensure_may_set_terms(standing)


@pytest.mark.parametrize(
    ("approval", "reason"),
    [
        ("none", "has not approved Kiosk Neu yet; it may not sell vouchers until the association approves it"),
        ("withdrawn", "withdrew its approval of Kiosk Neu; it may not sell vouchers until approved again"),
    ],
)
def test_a_merchant_the_association_does_not_vouch_for_acts_with_no_money(approval: Approval, reason: str) -> None:
    """Registering is open to anyone: a merchant registered a minute ago sold itself town
    vouchers at its counter, redeemed them, and the settlement owed it the money."""
    for status in ("active", "closed"):
        standing = MerchantStanding(uuid4(), "Kiosk Neu", status, approval)  # type: ignore[arg-type]
        assert not standing.approved
        with pytest.raises(NotAllowed, match=reason):
            ensure_may_sell(standing)
        for rule in RULES:
            with pytest.raises(NotAllowed):
                rule(standing)


def test_the_default_is_no_approval() -> None:
    with pytest.raises(NotAllowed, match="not approved"):
        ensure_may_redeem(MerchantStanding(uuid4(), "Kiosk Neu", "active"))


def test_a_merchant_not_yet_seen_is_refused_for_now() -> None:
    standing = MerchantStanding.unknown(uuid4())
    assert standing.status == "unknown"
    for rule in RULES:
        with pytest.raises(NotYetKnown, match="try again in a moment"):
            rule(standing)
