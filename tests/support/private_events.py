# SPDX-License-Identifier: AGPL-3.0-or-later
"""A private event of a made-up service, for the runtime's tests of store feeds and logs."""

from __future__ import annotations

from typing import ClassVar

from downtown_events.contract import PrivateEvent, registry

SERVICE = "testing"


@registry.register
class SecretNoted(PrivateEvent):
    service: ClassVar[str] = SERVICE
    event_name: ClassVar[str] = "SecretNoted"
    schema_version: ClassVar[int] = 1
    holder_id: str
    secret_hash: str
