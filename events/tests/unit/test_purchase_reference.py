# SPDX-License-Identifier: Apache-2.0
"""A voucher purchase is called by one short reference wherever a person reads or types it."""

from __future__ import annotations

from uuid import UUID

from downtown_events.references import order_reference, purchase_reference


def test_a_purchase_is_called_like_an_order_with_the_voucher_prefix() -> None:
    purchase_id = UUID("a1b2c3d4-0000-4000-8000-000000000001")
    assert purchase_reference(purchase_id) == "GS-A1B2C3D4" == f"GS-{order_reference(purchase_id)}"
