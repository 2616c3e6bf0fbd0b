"""Render one town's Kubernetes manifests: ``python deploy/k8s/render.py --town schoeppingen``.

The manifests are the YAML files in ``base/`` with placeholders ``${dotted.key}``; a town is
``towns/<town>/town.yaml``. Rendering is deliberately small and explicit:

1. values = ``base/values.yaml`` merged key by key with ``towns/<town>/town.yaml``; the key
   ``town`` must equal the folder's name and be a town id (``^[a-z][a-z0-9-]{1,39}$``).
2. In every other ``base/*.yaml`` each ``${dotted.key}`` is replaced, as text, by that value
   before YAML parsing (so ``replicas: ${api.replicas}`` becomes a number and
   ``"${kafka.partitions}"`` stays a string). A missing key, a null value, or a value with
   characters outside ``[A-Za-z0-9._:/@,=+-]`` is an error.
3. The town's ``env:`` entries are added to the ConfigMap ``catalog-config``.

The output is one multi-document YAML stream (Namespace first) for ``kubectl apply -f -``.
Needs Python 3.11+ and PyYAML.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
BASE = HERE / "base"
TOWNS = HERE / "towns"
VALUES_FILE = "values.yaml"
CONFIG_MAP = "catalog-config"

TOWN_ID = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")
SAFE_VALUE = re.compile(r"^[A-Za-z0-9._:/@,=+-]+$")
KIND_ORDER = ["Namespace", "KafkaTopic", "KafkaUser", "Cluster", "ConfigMap", "PersistentVolumeClaim"]


class RenderError(ValueError):
    """The town's values or the base files are not usable."""


def towns() -> list[str]:
    """Every town that has an overlay (``towns/<town>/town.yaml``)."""
    return sorted(path.parent.name for path in TOWNS.glob("*/town.yaml"))


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_values(town: str) -> dict[str, Any]:
    path = TOWNS / town / "town.yaml"
    if not path.is_file():
        raise RenderError(f"no overlay for town {town!r} ({path} is missing); towns: {', '.join(towns())}")
    values = merge(yaml.safe_load((BASE / VALUES_FILE).read_text()), yaml.safe_load(path.read_text()) or {})
    if values.get("town") != town or not TOWN_ID.match(town):
        raise RenderError(f"{path}: `town` must be the folder's name and a town id, got {values.get('town')!r}")
    return values


def lookup(values: dict[str, Any], key: str) -> str:
    value: Any = values
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise RenderError(f"placeholder ${{{key}}} has no value")
        value = value[part]
    if value is None or isinstance(value, dict | list):
        raise RenderError(f"placeholder ${{{key}}} needs a plain value, got {value!r}")
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if not SAFE_VALUE.match(text):
        raise RenderError(f"value of ${{{key}}} has characters render.py does not substitute: {text!r}")
    return text


def substitute(text: str, values: dict[str, Any]) -> str:
    return PLACEHOLDER.sub(lambda match: lookup(values, match.group(1)), text)


def render(town: str) -> list[dict[str, Any]]:
    """The town's manifests, in apply order."""
    values = load_values(town)
    documents: list[dict[str, Any]] = []
    for path in sorted(BASE.glob("*.yaml")):
        if path.name == VALUES_FILE:
            continue
        documents += [doc for doc in yaml.safe_load_all(substitute(path.read_text(), values)) if doc]
    env = values.get("env") or {}
    for doc in documents:
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == CONFIG_MAP:
            doc["data"].update({str(name): str(value) for name, value in env.items()})
    rank = {kind: index for index, kind in enumerate(KIND_ORDER)}
    return sorted(documents, key=lambda doc: rank.get(doc["kind"], len(KIND_ORDER)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--town", required=True, help=f"one of: {', '.join(towns())}")
    args = parser.parse_args(argv)
    try:
        documents = render(args.town)
    except RenderError as error:
        print(f"render.py: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(yaml.safe_dump_all(documents, sort_keys=False, explicit_start=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
