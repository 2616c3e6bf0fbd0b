# SPDX-License-Identifier: Apache-2.0
"""The short references people read and say instead of a UUID, derived one way for everyone.

An order's id is a UUID; a customer, a merchant or an accountant reads ``A1B2C3D4`` (its
first eight hex digits, upper case) in ordering's mails and on the statements vouchers
draws up, and an integrator showing an order should show the same. It is a name for people,
not a key: within one town and a few years two orders sharing it are unlikely but possible,
so machines keep using the UUID.

Pure (the standard library only), like the contracts, so a service's domain and an
integrator who installs the contracts alone may use it.
"""

from __future__ import annotations

from uuid import UUID

ORDER_REFERENCE_LENGTH = 8


def order_reference(order_id: UUID) -> str:
    """``A1B2C3D4``: what ordering's mails call the order (its ``order_id``'s first hex digits)."""
    return order_id.hex[:ORDER_REFERENCE_LENGTH].upper()


PURCHASE_PREFIX = "GS"
"""``Gutschein``: a voucher purchase's reference tells itself apart from an order's on the
association's bank statement."""


def purchase_reference(purchase_id: UUID) -> str:
    """``GS-A1B2C3D4``: what a voucher buyer writes on a bank transfer (the vouchers' payment
    instructions) and what the association looks the purchase up by: the same short form as
    an order's, prefixed."""
    return f"{PURCHASE_PREFIX}-{order_reference(purchase_id)}"
