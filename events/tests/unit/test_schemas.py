# SPDX-License-Identifier: Apache-2.0
"""The published contract (events/schemas, events/asyncapi.json) against the models.

A change that would break a reader of a published version fails here; a compatible change
only asks for the published files to be regenerated (``make schemas``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from downtown_events.schemas import asyncapi, breaking_changes, event_schemas

EVENTS = Path(__file__).resolve().parents[2]
PUBLISHED = {path.stem: json.loads(path.read_text()) for path in (EVENTS / "schemas").glob("*.json")}


@pytest.mark.parametrize("ce_type", sorted(PUBLISHED))
def test_no_published_event_version_is_broken(ce_type: str) -> None:
    current = event_schemas()
    assert ce_type in current, f"{ce_type} was published; old versions must stay readable (keep the model)"
    assert breaking_changes(PUBLISHED[ce_type], current[ce_type]) == []


def test_the_published_files_are_up_to_date() -> None:
    stale = [ce_type for ce_type, schema in event_schemas().items() if PUBLISHED.get(ce_type) != schema]
    assert stale == [], f"run `make schemas` and commit: {stale}"
    assert json.loads((EVENTS / "asyncapi.json").read_text()) == asyncapi()


def test_breaking_changes_are_named() -> None:
    old = {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}
    new = {"properties": {"a": {"type": "integer"}, "c": {"type": "string"}}, "required": ["a", "c"]}
    assert breaking_changes(old, new) == [
        "property 'a' changed from string to integer",
        "property 'b' was removed",
        "property 'c' became required",
    ]
    widened = {"properties": {**old["properties"], "d": {"type": "string"}}, "required": ["a"]}
    assert breaking_changes(old, widened) == []


def test_asyncapi_lists_every_event_version_on_its_service_topic() -> None:
    document = asyncapi()
    on_channels = 0
    for service in ("catalog", "vouchers", "ordering", "dispatch"):
        channel = document["channels"][f"{service}Events"]
        assert channel["address"] == f"{{town}}.{service}.events"
        assert all(message.startswith(f"downtown.{service}.") for message in channel["messages"])
        assert document["operations"][f"publish{service.capitalize()}Events"]["action"] == "send"
        on_channels += len(channel["messages"])
    assert on_channels == len(event_schemas()) == len(document["components"]["messages"])
    assert "downtown.catalog.MerchantRegistered.v1" in document["components"]["messages"]
    assert "downtown.vouchers.VoucherRedeemed.v1" in document["components"]["messages"]


def test_every_ref_in_the_asyncapi_document_resolves_inside_it() -> None:
    document = asyncapi()

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for item in node for r in refs(item)]
        return []

    for ref in refs(document):
        target: object = document
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(target, dict) and part in target, f"{ref} does not resolve"
            target = target[part]


def test_changes_inside_nested_objects_are_found_through_their_definitions() -> None:
    """Removing Address.city from a published event must fail the gate (it once passed)."""
    published = event_schemas()["downtown.catalog.MerchantRegistered.v2"]
    address = published["$defs"]["Address"]
    without_city = {
        **published,
        "$defs": {
            **published["$defs"],
            "Address": {
                **address,
                "properties": {k: v for k, v in address["properties"].items() if k != "city"},
                "required": [name for name in address["required"] if name != "city"],
            },
        },
    }
    stricter_hours = json.loads(json.dumps(published))
    stricter_hours["$defs"]["TimeWindow"]["required"].append("note")
    assert breaking_changes(published, without_city) == ["property 'profile.address.city' was removed"]
    assert breaking_changes(published, stricter_hours) == ["property 'opening_hours.note' became required"]
    assert breaking_changes(published, published) == []
