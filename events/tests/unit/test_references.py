# SPDX-License-Identifier: Apache-2.0
"""An order is called by one short reference wherever a person reads it."""

from __future__ import annotations

from uuid import UUID

from downtown_events.references import order_reference


def test_an_order_is_called_by_the_first_eight_hex_digits_of_its_id_in_capitals() -> None:
    assert order_reference(UUID("a1b2c3d4-0000-4000-8000-000000000001")) == "A1B2C3D4"
