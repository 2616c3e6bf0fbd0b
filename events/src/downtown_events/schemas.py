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

from downtown_events import catalog  # noqa: F401 - registers the catalog events
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
        "ce_streamversion": {"type": "string", "description": "position in the aggregate's stream, from 1"},
        "content-type": {"const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context"},
        "tracestate": {"type": "string"},
    },
}


def event_schema(model: type[IntegrationEvent]) -> JsonSchema:
    schema = model.model_json_schema()
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
    """One channel per service topic (``{town}.<service>.events``), one message per event version."""
    messages: dict[str, JsonSchema] = {}
    channels: dict[str, JsonSchema] = {}
    for model in published_versions():
        name = model.ce_type()
        messages[name] = {
            "name": name,
            "title": f"{model.event_name} (schema version {model.schema_version})",
            "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else "",
            "contentType": "application/json",
            "headers": CLOUDEVENT_HEADERS,
            "payload": event_schema(model),
            "bindings": {"kafka": {"key": {"type": "string", "description": "aggregate id"}}},
        }
        channel = channels.setdefault(
            f"{{town}}.{model.service}.events",
            {
                "description": f"Every event of the {model.service} service of one town, in order per aggregate "
                "(CloudEvents 1.0 Kafka binding, binary mode). Retention is unlimited.",
                "parameters": {"town": {"description": "the town's id, e.g. schoeppingen"}},
                "subscribe": {"message": {"oneOf": []}},
            },
        )
        channel["subscribe"]["message"]["oneOf"].append({"$ref": f"#/components/messages/{name}"})
    return {
        "asyncapi": "2.6.0",
        "info": {
            "title": "Downtown events",
            "version": "1",
            "description": "What each town's services publish for integrators.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"messages": messages},
    }


def _properties(schema: JsonSchema) -> dict[str, Any]:
    return dict(schema.get("properties", {}))


def breaking_changes(published: JsonSchema, current: JsonSchema) -> list[str]:
    """Why readers of the published version would break on ``current``; empty if none.

    Within one schema version, old readers must keep finding every property they knew, of
    the same type, and new readers must still accept old data: so no property may vanish or
    change its type, and no property may become required. Anything else needs a new version
    and an upcaster.
    """
    problems = []
    old, new = _properties(published), _properties(current)
    for name, old_property in old.items():
        if name not in new:
            problems.append(f"property {name!r} was removed")
        elif _shape(old_property) != _shape(new[name]):
            problems.append(f"property {name!r} changed from {_shape(old_property)} to {_shape(new[name])}")
    for name in sorted(set(current.get("required", [])) - set(published.get("required", []))):
        problems.append(f"property {name!r} became required")
    return problems


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
