# SPDX-License-Identifier: Apache-2.0
"""The contract as integrators read it: JSON Schema per event version and an AsyncAPI document.

Generated from the models, so they cannot drift from the code. The published copies live in
``events/schemas/`` (one file per ``ce_type``) and ``events/asyncapi.json``; a test fails when
a model change would break a reader of a published version (see :func:`breaking_changes`),
and asks for ``make schemas`` when the published files are merely out of date.

    python -m downtown_events.schemas events/   # rewrite the published files
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from downtown_events import catalog, dispatch, ordering, vouchers  # noqa: F401 - registers the services' events
from downtown_events.contract import IntegrationEvent, registry

JsonSchema = dict[str, Any]

CLOUDEVENT_HEADERS: JsonSchema = {
    "type": "object",
    "required": [
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_specversion",
        "ce_subject",
        "ce_time",
        "ce_town",
        "ce_streamversion",
        "content-type",
    ],
    "properties": {
        "ce_id": {"type": "string", "description": "event id (UUID); duplicates carry the same id"},
        "ce_source": {"type": "string", "description": "/towns/<town>/<service>"},
        "ce_type": {"type": "string", "description": "downtown.<service>.<Name>.v<version>"},
        "ce_specversion": {"const": "1.0"},
        "ce_subject": {"type": "string", "description": "aggregate id, also the record key"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_town": {"type": "string"},
        "ce_streamversion": {
            "type": "string",
            "description": "position among the published events of the aggregate's stream, from 1, without gaps",
        },
        "content-type": {"const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context"},
        "tracestate": {"type": "string"},
    },
}


def event_schema(model: type[IntegrationEvent]) -> JsonSchema:
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:downtown:schema:{model.ce_type()}"
    schema["title"] = model.ce_type()
    return schema


def published_versions() -> list[type[IntegrationEvent]]:
    """What integrators can read: every version of every event that is published."""
    return [model for model in registry.all_versions() if model.published]


def event_schemas() -> dict[str, JsonSchema]:
    """Every known version of every event type, keyed by ``ce_type``."""
    return {model.ce_type(): event_schema(model) for model in published_versions()}


def asyncapi() -> JsonSchema:
    """An AsyncAPI 3.0 document: one channel per service topic (``{town}.<service>.events``),
    one message per event version, every schema under ``components/schemas`` (the models'
    ``$defs`` hoisted there, so every ``$ref`` resolves inside the document)."""
    schemas: dict[str, JsonSchema] = {}
    messages: dict[str, JsonSchema] = {}
    channels: dict[str, JsonSchema] = {}
    operations: dict[str, JsonSchema] = {}
    for model in published_versions():
        message_id = model.ce_type()
        schemas[message_id] = _hoisted(event_schema(model), schemas)
        messages[message_id] = {
            "name": message_id,
            "title": f"{model.event_name} (schema version {model.schema_version})",
            "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else "",
            "contentType": "application/json",
            "headers": CLOUDEVENT_HEADERS,
            "payload": {"$ref": f"#/components/schemas/{message_id}"},
            "bindings": {"kafka": {"key": {"type": "string", "description": "aggregate id"}}},
        }
        channel_id = f"{model.service}Events"
        channel = channels.setdefault(
            channel_id,
            {
                "address": f"{{town}}.{model.service}.events",
                "description": f"Every event of the {model.service} service of one town, in order per aggregate "
                "(CloudEvents 1.0 Kafka binding, binary mode). Retention is unlimited.",
                "parameters": {"town": {"description": "the town's id, e.g. schoeppingen"}},
                "messages": {},
            },
        )
        channel["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
        operation = operations.setdefault(
            f"publish{model.service.capitalize()}Events",
            {"action": "send", "channel": {"$ref": f"#/channels/{channel_id}"}, "messages": []},
        )
        operation["messages"].append({"$ref": f"#/channels/{channel_id}/messages/{message_id}"})
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Downtown events",
            "version": "1",
            "description": "What each town's services publish for integrators.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def _hoisted(schema: JsonSchema, components: dict[str, JsonSchema]) -> JsonSchema:
    """``schema`` with its ``$defs`` moved into ``components`` and refs pointing there."""
    definitions = schema.pop("$defs", {})
    for name, definition in definitions.items():
        rewritten = _rewrite_refs(definition)
        if components.setdefault(name, rewritten) != rewritten:
            raise ValueError(f"two events define {name!r} differently; give one of the models another name")
    return _rewrite_refs(schema)


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: value.replace("#/$defs/", "#/components/schemas/") if key == "$ref" else _rewrite_refs(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


def _properties(schema: JsonSchema) -> dict[str, Any]:
    return dict(schema.get("properties", {}))


def breaking_changes(published: JsonSchema, current: JsonSchema) -> list[str]:
    """Why readers of the published version would break on ``current``; empty if none.

    Within one schema version, old readers must keep finding every property they knew, of
    the same type, and new readers must still accept old data: so no property may vanish or
    change its type, and no property may become required, at any depth (nested objects are
    followed through their ``$ref`` into ``$defs``). Anything else needs a new version and
    an upcaster.
    """
    return _object_changes(published, current, published, current, "", set())


def _object_changes(
    old: JsonSchema, new: JsonSchema, old_doc: JsonSchema, new_doc: JsonSchema, path: str, seen: set[str]
) -> list[str]:
    old, new = _resolved(old, old_doc), _resolved(new, new_doc)
    problems = []
    old_properties, new_properties = _properties(old), _properties(new)
    for name, old_property in old_properties.items():
        where = f"{path}{name}"
        if name not in new_properties:
            problems.append(f"property {where!r} was removed")
        elif _shape(old_property) != _shape(new_properties[name]):
            problems.append(f"property {where!r} changed from {_shape(old_property)} to {_shape(new_properties[name])}")
        elif where not in seen:
            inner_old, inner_new = _inner(old_property), _inner(new_properties[name])
            if inner_old is not None and inner_new is not None:
                problems += _object_changes(inner_old, inner_new, old_doc, new_doc, f"{where}.", {*seen, where})
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        problems.append(f"property {f'{path}{name}'!r} became required")
    return problems


def _resolved(schema: JsonSchema, document: JsonSchema) -> JsonSchema:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return dict(document.get("$defs", {}).get(ref.rsplit("/", 1)[-1], {}))
    return schema


def _inner(schema: JsonSchema) -> JsonSchema | None:
    """The object schema a property holds (itself, its array items, its non-null option)."""
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if option.get("type") != "null"]
        return _inner(options[0]) if len(options) == 1 else None
    if schema.get("type") == "array":
        return _inner(schema.get("items", {}))
    return schema if "$ref" in schema or "properties" in schema else None


def _shape(schema: JsonSchema) -> str:
    """A property's type as a comparable string (``anyOf`` flattened, refs by name)."""
    if "anyOf" in schema:
        return "|".join(sorted(_shape(option) for option in schema["anyOf"]))
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array[{_shape(schema.get('items', {}))}]"
    return str(schema.get("type", schema.get("const", "any")))


def write(folder: Path) -> None:
    schemas = folder / "schemas"
    schemas.mkdir(parents=True, exist_ok=True)
    for ce_type, schema in event_schemas().items():
        (schemas / f"{ce_type}.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    (folder / "asyncapi.json").write_text(json.dumps(asyncapi(), indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "events"))
