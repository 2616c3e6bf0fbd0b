# SPDX-License-Identifier: AGPL-3.0-or-later
"""The drop-off of a courier order sealed for dispatch with the town's delivery hand-off key
(the kit's AES-256-GCM sealing, a key per order derived for the drop-off's purpose)."""

from __future__ import annotations

from uuid import UUID

from downtown_events.ordering import DROP_OFF_SEAL_PURPOSE, DeliveryDropOff
from downtown_events.runtime.sealing import seal, sealing_key


class HandoffSealer:
    """The :class:`~ordering.app.ports.DropOffSealer` under the key ordering and dispatch share."""

    def __init__(self, handoff_key: str) -> None:
        self._secret = handoff_key.encode()

    def seal(self, order_id: UUID, drop_off: DeliveryDropOff) -> str:
        key = sealing_key(self._secret, order_id, DROP_OFF_SEAL_PURPOSE)
        return seal(key, order_id, drop_off.model_dump_json().encode())
