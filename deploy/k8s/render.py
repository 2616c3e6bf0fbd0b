# SPDX-License-Identifier: AGPL-3.0-or-later
"""Render one town's Kubernetes manifests: ``python deploy/k8s/render.py --town schoeppingen``.

The manifests are the YAML files in ``base/`` with placeholders ``${dotted.key}``; a town is
``towns/<town>/town.yaml``. Rendering is deliberately small and explicit:

1. values = ``base/values.yaml`` merged key by key with ``towns/<town>/town.yaml``; the key
   ``town`` must equal the folder's name and be a town id (``^[a-z][a-z0-9-]{1,39}$``).
2. ``base/town/*.yaml`` is rendered once with the values. Then for every service under
   ``services`` (in that order; a town sets one to ``null`` to leave it out) its own values
   are the top-level values with its entry merged over them, plus ``service`` (its name), and
   ``base/*.yaml`` and ``base/<service>/*.yaml`` are rendered with them.
3. Rendering a file replaces each ``${dotted.key}``, as text, by that value before YAML
   parsing (so ``replicas: ${api.replicas}`` becomes a number and ``"${kafka.partitions}"``
   stays a string). A missing key, a null value, or a value with characters outside
   ``[A-Za-z0-9._:/@,=+-]`` is an error.
4. Four additions per service, from its values (the lists and maps text cannot express):
   ``env`` (its placeholders filled in as in step 3) goes into the ConfigMap
   ``<service>-config``; every container of its Deployments
   gets each of ``town_secrets`` from the Secret ``town-secrets`` and each of ``secrets`` from
   ``<service>-secrets`` (key: the name without ``DOWNTOWN_``, lower case, ``_`` → ``-``);
   ``api.claims`` (claim: path) are mounted into the API container; and its KafkaUser
   ``<town>-<service>`` may Read/Describe ``<town>.<other>.events`` for each of ``reads`` (and of
   ``reads_if_running`` that the town runs: a town without couriers leaves dispatch out).
5. The web front (``web``, unless a town sets it to ``null``) is not a service: no database,
   no topic, no secret. Its values are the top-level values with ``web`` merged over them;
   ``base/web/*.yaml`` is rendered once with them, and its ``env`` (placeholders filled in)
   goes into the ConfigMap ``web-config``. It calls the APIs of ``WEB_CALLS``, so the town
   must run those, and of ``WEB_CALLS_IF_RUNNING`` that the town runs: for each such service
   ``base/web/calls/*.yaml`` is rendered with ``service`` its name (the front may reach that
   API's pods and they admit it), and ``web-config`` gets ``DOWNTOWN_<SERVICE>_URL``, the
   API's in-cluster Service (which ``web.env`` may not set itself).

Two services (or a service and the web front) may not share a hostname. The output is one
multi-document YAML stream (Namespace first) for ``kubectl apply -f -``. Needs Python 3.11+
and PyYAML.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
BASE = HERE / "base"
TOWNS = HERE / "towns"
VALUES_FILE = "values.yaml"
TOWN_SECRET = "town-secrets"
WEB = "web"
WEB_CALLS = ("catalog", "ordering", "vouchers")  # the services whose APIs the web front calls (base/web/calls/)
WEB_CALLS_IF_RUNNING = ("dispatch",)  # and those it calls where the town runs them (the couriers' pages)

TOWN_ID = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9]{1,19}$")
VARIABLE = re.compile(r"^DOWNTOWN_[A-Z0-9_]+$")
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


def service_values(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each service's own values (step 2), in the order ``services`` lists them."""
    top = {key: value for key, value in values.items() if key != "services"}
    own: dict[str, dict[str, Any]] = {}
    for name, entry in (values.get("services") or {}).items():
        if entry is None:
            continue
        if not SERVICE_NAME.match(name) or name == WEB or not isinstance(entry, dict):
            raise RenderError(f"services.{name}: a service is a lowercase name (not {WEB!r}) with a map of values")
        own[name] = merge(top, entry) | {"service": name}
    return own


def web_values(values: dict[str, Any]) -> dict[str, Any] | None:
    """The web front's own values (step 5), or None where the town leaves it out."""
    entry = values.get(WEB)
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise RenderError(f"{WEB}: the web front's values are a map (or null to leave it out)")
    return merge({key: value for key, value in values.items() if key != "services"}, entry)


def lookup(values: dict[str, Any], key: str) -> str:
    value: Any = values
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise RenderError(f"placeholder ${{{key}}} has no value")
        value = value[part]
    if value is None or isinstance(value, dict | list):
        raise RenderError(f"placeholder ${{{key}}} needs a plain value, got {value!r}")
    return plain(key, value)


def plain(key: str, value: Any) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if not SAFE_VALUE.match(text):
        raise RenderError(f"value of ${{{key}}} has characters render.py does not substitute: {text!r}")
    return text


def substitute(text: str, values: dict[str, Any]) -> str:
    return PLACEHOLDER.sub(lambda match: lookup(values, match.group(1)), text)


def render_files(paths: list[Path], values: dict[str, Any]) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in paths:
        try:
            documents += [doc for doc in yaml.safe_load_all(substitute(path.read_text(), values)) if doc]
        except RenderError as error:
            where = f" for {values['service']}" if "service" in values else ""
            raise RenderError(f"{path.relative_to(HERE)}{where}: {error}") from None
    return documents


def secret_env(names: list[str], secret: str) -> list[dict[str, Any]]:
    for name in names:
        if not VARIABLE.match(name):
            raise RenderError(f"secret variable {name!r} must match {VARIABLE.pattern}")
    return [
        {
            "name": name,
            "valueFrom": {
                "secretKeyRef": {"name": secret, "key": name.removeprefix("DOWNTOWN_").lower().replace("_", "-")}
            },
        }
        for name in names
    ]


def config_env(own: dict[str, Any], who: str) -> dict[str, str]:
    """``env`` of a service's (or the web front's) values, for its ConfigMap."""
    try:  # an env value may name other values (${hostname}), filled in as in the manifests
        return {str(key): substitute(str(value), own) for key, value in (own.get("env") or {}).items()}
    except RenderError as error:
        raise RenderError(f"env of {who}: {error}") from None


def add_service_parts(docs: list[dict[str, Any]], own: dict[str, Any], services: list[str]) -> None:
    """Step 4 for one service's documents."""
    service, town = own["service"], own["town"]
    env = config_env(own, service)
    secrets = secret_env(own.get("town_secrets") or [], TOWN_SECRET)
    secrets += secret_env(own.get("secrets") or [], f"{service}-secrets")
    claims = {
        plain("api.claims", name): plain("api.claims", path) for name, path in own["api"].get("claims", {}).items()
    }
    reads = own.get("reads") or []
    for source in reads:
        if source not in services:
            raise RenderError(f"{service} reads {source!r}, which the town does not run ({', '.join(services)})")
    reads += [source for source in own.get("reads_if_running") or [] if source in services]
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "ConfigMap" and name == f"{service}-config":
            doc["data"].update(env)
        elif kind == "Deployment":
            pod = doc["spec"]["template"]["spec"]
            for container in pod.get("initContainers", []) + pod["containers"]:
                container.setdefault("env", []).extend(copy.deepcopy(secrets))  # copies: no YAML aliases
            if name == f"{service}-api":
                pod["volumes"] += [{"name": claim, "persistentVolumeClaim": {"claimName": claim}} for claim in claims]
                for container in pod["containers"]:
                    container["volumeMounts"] += [{"name": claim, "mountPath": path} for claim, path in claims.items()]
        elif kind == "KafkaUser" and name == f"{town}-{service}":
            doc["spec"]["authorization"]["acls"] += [
                {
                    "resource": {"type": "topic", "name": f"{town}.{source}.events", "patternType": "literal"},
                    "operations": ["Read", "Describe"],
                    "host": "*",
                }
                for source in reads
            ]


def render_web(web: dict[str, Any], services: list[str]) -> list[dict[str, Any]]:
    """Step 5: the web front's documents, wired to the APIs of the services it calls."""
    for service in WEB_CALLS:
        if service not in services:
            raise RenderError(f"the web front calls {service!r}, which the town does not run (or set `web: null`)")
    calls = [service for service in services if service in WEB_CALLS + WEB_CALLS_IF_RUNNING]
    env = config_env(web, "the web front")
    for service in WEB_CALLS + WEB_CALLS_IF_RUNNING:
        if (name := f"DOWNTOWN_{service.upper()}_URL") in env:
            raise RenderError(f"web.env sets {name}: render.py sets it where the town runs {service}")
    urls = {f"DOWNTOWN_{service.upper()}_URL": f"http://{service}-api.downtown-{web['town']}.svc" for service in calls}
    docs = render_files(sorted((BASE / WEB).glob("*.yaml")), web)
    for service in calls:
        docs += render_files(sorted((BASE / WEB / "calls").glob("*.yaml")), web | {"service": service})
    for doc in docs:
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == f"{WEB}-config":
            doc["data"].update(urls | env)
    return docs


def render(town: str) -> list[dict[str, Any]]:
    """The town's manifests, in apply order."""
    values = load_values(town)
    documents = render_files(sorted((BASE / "town").glob("*.yaml")), values)
    services = service_values(values)
    hosts: dict[str, str] = {}
    for service, own in services.items():
        paths = [path for path in sorted(BASE.glob("*.yaml")) if path.name != VALUES_FILE]
        docs = render_files(paths + sorted((BASE / service).glob("*.yaml")), own)
        add_service_parts(docs, own, list(services))
        host = lookup(own, "hostname")
        if host in hosts:
            raise RenderError(f"{service} and {hosts[host]} share the hostname {host}; each service needs its own")
        hosts[host] = service
        documents += docs
    web = web_values(values)
    if web is not None:
        docs = render_web(web, list(services))
        host = lookup(web, "hostname")
        if host in hosts:
            raise RenderError(f"the web front and {hosts[host]} share the hostname {host}; each needs its own")
        documents += docs
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
