# SPDX-License-Identifier: Apache-2.0
"""The delivery hand-off key mixed into a service's settings: every field still read with the
``DOWNTOWN_`` prefix (a bare BaseSettings mixed in after the service's class once won the
configuration's merge, and the service read ``TOWN``, ``DATABASE_URL``... unprefixed)."""

from __future__ import annotations

import pytest

from downtown_events.runtime.settings import DeliveryHandoffSettings, ServiceSettings


class CourierTownSettings(ServiceSettings, DeliveryHandoffSettings):
    pass


def test_a_service_mixing_in_the_handoff_key_reads_every_setting_prefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOWNTOWN_TOWN", "schoeppingen")
    monkeypatch.setenv("DOWNTOWN_DATABASE_URL", "postgresql://localhost/schoeppingen")
    monkeypatch.setenv("DOWNTOWN_DELIVERY_HANDOFF_KEY", "the town's own hand-off key, shared by two services")
    settings = CourierTownSettings()  # type: ignore[call-arg]
    assert (settings.town, settings.delivery_handoff_key) == (
        "schoeppingen",
        "the town's own hand-off key, shared by two services",
    )
