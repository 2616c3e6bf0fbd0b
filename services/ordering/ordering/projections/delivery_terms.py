# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering's replica of the town's delivery terms as dispatch last published them (the kit's
``downtown_events.runtime.delivery_terms``): checkout checks the door's zone, the slot and
the fee by them; until dispatch publishes any, the town's settings decide."""

from __future__ import annotations

from downtown_events.runtime.delivery_terms import delivery_terms_replica

DELIVERY_TERMS = delivery_terms_replica("ordering_delivery_terms")
