# SPDX-License-Identifier: AGPL-3.0-or-later
"""Dispatch's latest delivery terms, as the catalog keeps them: the directory says from them
who the town's couriers deliver for, at what fee and from when (the kit's replica)."""

from __future__ import annotations

from downtown_events.runtime.delivery_terms import DeliveryTermsReader, delivery_terms_replica

DELIVERY_TERMS = delivery_terms_replica("catalog_delivery_terms")
"""The projection ``delivery_terms`` (``make rebuild PROJECTION=delivery_terms``)."""
TERMS = DeliveryTermsReader(DELIVERY_TERMS.table)
