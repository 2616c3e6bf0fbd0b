"""A closed shop still sells and takes vouchers (that is the point); a suspended one does not."""

from __future__ import annotations

from uuid import uuid4

import pytest

from vouchers.domain.errors import NotAllowed, NotYetKnown
from vouchers.domain.merchant_standing import MerchantStanding, ensure_may_redeem, ensure_may_sell


@pytest.mark.parametrize("status", ["active", "closed"])
def test_an_open_or_temporarily_closed_shop_may_sell_and_redeem(status: str) -> None:
    standing = MerchantStanding(uuid4(), "Buchhandlung Lesezeichen", status)  # type: ignore[arg-type]
    assert ensure_may_sell(standing) is standing
    assert ensure_may_redeem(standing) is standing


def test_a_suspended_merchant_may_neither_sell_nor_redeem() -> None:
    standing = MerchantStanding(uuid4(), "Buchhandlung Lesezeichen", "suspended")
    with pytest.raises(NotAllowed, match="association has suspended Buchhandlung Lesezeichen; it may not sell"):
        ensure_may_sell(standing)
    with pytest.raises(NotAllowed, match="may not accept vouchers"):
        ensure_may_redeem(standing)


def test_a_merchant_not_yet_seen_is_refused_for_now() -> None:
    standing = MerchantStanding.unknown(uuid4())
    assert standing.status == "unknown"
    for rule in (ensure_may_sell, ensure_may_redeem):
        with pytest.raises(NotYetKnown, match="try again in a moment"):
            rule(standing)
