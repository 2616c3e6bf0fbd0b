# SPDX-License-Identifier: AGPL-3.0-or-later
"""The Kubernetes manifests of every town, rendered offline by ``deploy/k8s/render.py``.

Custom resources (Strimzi, CloudNativePG) are validated against the JSON Schemas in
``../shared/k8s-schemas`` in strict mode (unknown fields fail, as with kubeconform -strict);
built-in kinds are checked for the rules below by hand. Every service a town's values list
is checked the same way; what each service alone may hold (its secrets, the catalog's photo
volume) is spelled out here. The web front (``web``: no database, no topic, no secret) is
checked as a component of its own. No cluster is needed.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT.parent / "shared" / "k8s-schemas"
RENDER = ROOT / "deploy" / "k8s" / "render.py"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
CLUSTER_SCOPED = {"Namespace"}
EXPECTED_SERVICES = ["catalog", "vouchers", "ordering", "dispatch"]
WEB = "web"
WEB_CALLS = {"catalog", "ordering", "vouchers"}  # APIs the web front calls: every town that has it runs them
WEB_CALLS_IF_RUNNING = {"dispatch"}  # and where the town runs couriers, dispatch's (the couriers' pages)
# Secrets only that service's pods may hold (from <service>-secrets); every service gets the town's.
OWN_SECRETS = {
    # Merchants' tokens, and its own login at the mail provider (merchants' sign-in links; same
    # names as ordering's, its own Secret).
    "catalog": {"DOWNTOWN_TOKEN_SIGNING_KEY", "DOWNTOWN_SMTP_USER", "DOWNTOWN_SMTP_PASSWORD"},
    # The buyers' e-mails: the delivery key, and its own login at the mail provider (same names as
    # ordering's, its own Secret).
    "vouchers": {
        "DOWNTOWN_CODE_HASH_KEY",
        "DOWNTOWN_PAYMENT_WEBHOOK_SECRET",
        "DOWNTOWN_CODE_DELIVERY_KEY",
        "DOWNTOWN_SMTP_USER",
        "DOWNTOWN_SMTP_PASSWORD",
    },
    # Its own signing key (customer tokens, guest links), not the catalog's: same name, its own Secret.
    "ordering": {
        "DOWNTOWN_TOKEN_SIGNING_KEY",
        "DOWNTOWN_DELIVERY_HANDOFF_KEY",
        "DOWNTOWN_SMTP_USER",
        "DOWNTOWN_SMTP_PASSWORD",
    },
    # Couriers' tokens, the key that opens ordering's sealed drop-offs (ordering holds the same),
    # and its own login at the mail provider (couriers' sign-in links; same names, its own Secret).
    "dispatch": {
        "DOWNTOWN_TOKEN_SIGNING_KEY",
        "DOWNTOWN_DELIVERY_HANDOFF_KEY",
        "DOWNTOWN_SMTP_USER",
        "DOWNTOWN_SMTP_PASSWORD",
    },
}
TOWN_SECRETS = {"DOWNTOWN_ASSOCIATION_TOKEN", "DOWNTOWN_TRUSTED_TOKEN_KEYS"}
# What each service's processes must be given (besides DOWNTOWN_TOWN and DOWNTOWN_DATABASE_URL).
REQUIRED_ENV = {
    "catalog": {
        "DOWNTOWN_PHOTO_DIR",
        "DOWNTOWN_SMTP_HOST",
        "DOWNTOWN_SMTP_PORT",
        "DOWNTOWN_MAIL_FROM",
        "DOWNTOWN_PUBLIC_URL",
    },
    "vouchers": {"DOWNTOWN_KAFKA_BOOTSTRAP", "DOWNTOWN_HTTP_PORT", "DOWNTOWN_WORKER_PORT"},
    "ordering": {
        "DOWNTOWN_SMTP_HOST",
        "DOWNTOWN_SMTP_PORT",
        "DOWNTOWN_MAIL_FROM",
        "DOWNTOWN_PUBLIC_URL",
        "DOWNTOWN_JITSI_BASE_URL",
        "DOWNTOWN_DELIVERY_ZONES",
    },
    "dispatch": {"DOWNTOWN_SMTP_HOST", "DOWNTOWN_SMTP_PORT", "DOWNTOWN_MAIL_FROM", "DOWNTOWN_WEB_URL"},
}


def load_renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("downtown_k8s_render", RENDER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


renderer = load_renderer()
TOWNS = renderer.towns()

Manifest = dict[str, Any]


@cache
def rendered(town: str) -> tuple[Manifest, ...]:
    return tuple(renderer.render(town))


@cache
def values_of(town: str) -> dict[str, dict[str, Any]]:
    """Each service's own values, as render.py computes them."""
    return renderer.service_values(renderer.load_values(town))


@cache
def web_values(town: str) -> dict[str, Any]:
    """The web front's own values, as render.py computes them."""
    values = renderer.web_values(renderer.load_values(town))
    assert values is not None, f"{town} runs no web front"
    return values


def services_of(town: str) -> list[str]:
    return list(values_of(town))


def web_calls(town: str) -> set[str]:
    """The services whose APIs the town's web front calls: those of its settings the town runs."""
    return WEB_CALLS | (WEB_CALLS_IF_RUNNING & set(services_of(town)))


TOWN_SERVICES = [(town, service) for town in TOWNS for service in services_of(town)]


def of_kind(town: str, kind: str) -> list[Manifest]:
    return [doc for doc in rendered(town) if doc["kind"] == kind]


def one(town: str, kind: str, name: str) -> Manifest:
    [doc] = [doc for doc in of_kind(town, kind) if doc["metadata"]["name"] == name]
    return doc


def config(town: str, service: str) -> dict[str, str]:
    return one(town, "ConfigMap", f"{service}-config")["data"]


def workloads_of(town: str, service: str) -> list[Manifest]:
    return [one(town, "Deployment", f"{service}-api"), one(town, "Deployment", f"{service}-worker")]


def containers(pod_spec: Manifest) -> Iterator[tuple[Manifest, bool]]:
    """Every container of a pod with whether it is an init container."""
    for container in pod_spec.get("initContainers", []):
        yield container, True
    for container in pod_spec["containers"]:
        yield container, False


def service_containers(town: str, service: str) -> Iterator[tuple[str, Manifest]]:
    for workload in workloads_of(town, service):
        for container, _ in containers(workload["spec"]["template"]["spec"]):
            yield f"{workload['metadata']['name']}/{container['name']}", container


def env_of(container: Manifest, town: str) -> dict[str, Any]:
    """The container's variables: its ConfigMaps' data, then its own ``env`` entries."""
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        env.update(one(town, "ConfigMap", source["configMapRef"]["name"])["data"])
    for entry in container.get("env", []):
        env[entry["name"]] = entry.get("value", entry.get("valueFrom"))
    return env


def strict(schema: Any) -> Any:
    """The schema with ``additionalProperties: false`` wherever it lists properties."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


@cache
def schema_for(api_version: str, kind: str) -> Any:
    group, version = api_version.split("/")
    path = SCHEMAS / group / f"{kind.lower()}_{version}.json"
    assert path.is_file(), f"no schema for {kind} {api_version} at {path}"
    return strict(json.loads(path.read_text()))


def test_there_are_towns() -> None:
    assert {"schoeppingen", "muenster"} <= set(TOWNS)


@pytest.mark.parametrize("town", TOWNS)
def test_every_town_runs_every_service_in_order(town: str) -> None:
    assert services_of(town) == EXPECTED_SERVICES
    for service in services_of(town):
        assert one(town, "Deployment", f"{service}-api")
        assert one(town, "Deployment", f"{service}-worker")


@pytest.mark.parametrize("town", TOWNS)
def test_town_renders_completely(town: str) -> None:
    docs = rendered(town)
    assert docs[0]["kind"] == "Namespace"
    assert docs[0]["metadata"]["name"] == f"downtown-{town}"
    text = json.dumps(docs)
    assert "${" not in text, "a placeholder was left"
    names = [(doc["kind"], doc["metadata"].get("namespace"), doc["metadata"]["name"]) for doc in docs]
    assert len(names) == len(set(names)), "two resources share kind, namespace and name"
    for doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= doc.keys()
        if doc["kind"] not in CLUSTER_SCOPED:
            assert doc["metadata"].get("namespace"), f"{doc['kind']} {doc['metadata']['name']} has no namespace"
        assert doc["metadata"]["labels"]["downtown.town"] == town, f"{doc['kind']} {doc['metadata']['name']}"
    assert not of_kind(town, "Secret"), "secrets are made by hand or by the operators, never rendered"


def live_figure_changelogs(town: str, service: str) -> set[str]:
    """The changelog topics the service's worker needs for its live figures, as the code names them."""
    if service != "vouchers":
        return set()
    from downtown_events.runtime.live_figures import changelog_topic
    from downtown_events.runtime.service import worker_app_id
    from vouchers.bootstrap import LIVE_FIGURES

    return {changelog_topic(worker_app_id(town, service), figure) for figure in LIVE_FIGURES}


@pytest.mark.parametrize(("town", "service"), TOWN_SERVICES)
def test_each_service_has_its_own_named_and_labelled_objects(town: str, service: str) -> None:
    expected = {
        ("Deployment", f"{service}-api"),
        ("Service", f"{service}-api"),
        ("PodDisruptionBudget", f"{service}-api"),
        ("Ingress", f"{service}-api"),
        ("Deployment", f"{service}-worker"),
        ("ConfigMap", f"{service}-config"),
        ("Cluster", f"{town}-{service}-db"),
        ("KafkaTopic", f"{town}.{service}.events"),
        ("KafkaTopic", f"{town}.{service}.dlq"),
        ("KafkaUser", f"{town}-{service}"),
        ("NetworkPolicy", f"{service}-database"),
        ("NetworkPolicy", f"{service}-api-from-ingress-controller"),
    }
    if service == "catalog":
        expected.add(("PersistentVolumeClaim", "catalog-photos"))
    if service == "ordering":
        expected.add(("NetworkPolicy", "ordering-egress"))
    expected |= {("KafkaTopic", name.replace("_", "-")) for name in live_figure_changelogs(town, service)}
    labelled = {
        (doc["kind"], doc["metadata"]["name"])
        for doc in rendered(town)
        if doc["metadata"]["labels"].get("downtown.service") == service
    }
    assert labelled == expected
    for workload in workloads_of(town, service):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert labels["downtown.service"] == service
        assert labels["downtown.town"] == town
        assert labels["app.kubernetes.io/name"] == workload["metadata"]["name"]


@pytest.mark.parametrize("town", TOWNS)
def test_custom_resources_match_their_schemas(town: str) -> None:
    if not SCHEMAS.is_dir():
        pytest.skip(f"the custom resources' schemas are not at {SCHEMAS} (shared/ beside the repository)")
    custom = [doc for doc in rendered(town) if "." in doc["apiVersion"].split("/")[0]]
    custom = [doc for doc in custom if not doc["apiVersion"].split("/")[0].endswith(".k8s.io")]
    assert {doc["kind"] for doc in custom} == {"KafkaTopic", "KafkaUser", "Cluster"}
    changelogs = sum(len(live_figure_changelogs(town, service)) for service in services_of(town))
    assert len(custom) == 4 * len(services_of(town)) + changelogs, "two topics, a user, a database per service"
    for doc in custom:
        errors = [
            f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
            for error in jsonschema.Draft7Validator(schema_for(doc["apiVersion"], doc["kind"])).iter_errors(doc)
        ]
        assert errors == [], f"{doc['kind']} {doc['metadata']['name']}"


def test_strict_schemas_reject_unknown_fields() -> None:
    if not SCHEMAS.is_dir():
        pytest.skip(f"the custom resources' schemas are not at {SCHEMAS}")
    topic = copy.deepcopy(one(TOWNS[0], "KafkaTopic", f"{TOWNS[0]}.catalog.events"))
    topic["spec"]["partition"] = 6
    assert not jsonschema.Draft7Validator(schema_for(topic["apiVersion"], "KafkaTopic")).is_valid(topic)


@pytest.mark.parametrize(("town", "service"), TOWN_SERVICES)
def test_every_container_is_probed_limited_and_unprivileged(town: str, service: str) -> None:
    settings = config(town, service)
    probe_ports = {
        f"{service}-api": int(settings["DOWNTOWN_HTTP_PORT"]),
        f"{service}-worker": int(settings["DOWNTOWN_WORKER_PORT"]),
    }
    image = values_of(town)[service]["image"]
    assert image.startswith(f"ghcr.io/downtown/{service}:")
    for workload in workloads_of(town, service):
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod.get("automountServiceAccountToken") is False
        for container, is_init in containers(pod):
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert container["image"] == image, where
            resources = container.get("resources", {})
            assert {"cpu", "memory"} <= resources.get("requests", {}).keys(), where
            assert "memory" in resources.get("limits", {}), where
            security = container["securityContext"]
            assert security["runAsNonRoot"] is True, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            if is_init:
                assert container["command"] == [f"{service}-admin", "provision", "--no-topics"], where
                continue
            assert container["command"] == [workload["metadata"]["name"]], where
            ports = {port["name"]: port["containerPort"] for port in container["ports"]}
            for probe, path in (("livenessProbe", "/healthz/live"), ("readinessProbe", "/healthz/ready")):
                check = container[probe]["httpGet"]
                assert check["path"] == path, where
                assert ports.get(check["port"], check["port"]) == probe_ports[workload["metadata"]["name"]], where
    assert {doc["metadata"]["name"] for doc in rendered(town) if doc["kind"] in WORKLOADS} == {
        f"{name}-{process}" for name in services_of(town) for process in ("api", "worker")
    } | {WEB}


@pytest.mark.parametrize(("town", "service"), TOWN_SERVICES)
def test_processes_get_the_towns_settings(town: str, service: str) -> None:
    cluster = one(town, "Cluster", f"{town}-{service}-db")
    assert cluster["spec"]["bootstrap"]["initdb"] == {"database": service, "owner": service}
    for where, container in service_containers(town, service):
        env = env_of(container, town)
        assert env["DOWNTOWN_TOWN"] == town, where
        assert env["DOWNTOWN_ENVIRONMENT"] == "production", where
        assert env["DOWNTOWN_DATABASE_URL"] == {"secretKeyRef": {"name": f"{town}-{service}-db-app", "key": "uri"}}
        assert env["DOWNTOWN_KAFKA_BOOTSTRAP"], where
        assert REQUIRED_ENV.get(service, set()) <= env.keys(), where
        for name in TOWN_SECRETS:
            assert env[name]["secretKeyRef"]["name"] == "town-secrets", where
        for name in OWN_SECRETS.get(service, set()):
            assert env[name]["secretKeyRef"]["name"] == f"{service}-secrets", where
    assert all(isinstance(value, str) for value in config(town, service).values()), "ConfigMap values are strings"


@pytest.mark.parametrize(("town", "service"), TOWN_SERVICES)
def test_secrets_reach_only_their_service(town: str, service: str) -> None:
    allowed = {"town-secrets", f"{service}-secrets", f"{town}-{service}-db-app"}
    # A name another service also uses (ordering's and the catalog's DOWNTOWN_TOKEN_SIGNING_KEY) is
    # told apart by its Secret, checked above.
    others = {name for other, names in OWN_SECRETS.items() if other != service for name in names}
    others -= OWN_SECRETS.get(service, set())
    for where, container in service_containers(town, service):
        assert all("secretRef" not in source for source in container.get("envFrom", [])), where
        referenced = {
            entry["valueFrom"]["secretKeyRef"]["name"]
            for entry in container.get("env", [])
            if "secretKeyRef" in entry.get("valueFrom", {})
        }
        assert referenced <= allowed, where
        assert not others & env_of(container, town).keys(), f"{where} holds another service's secret"
    for name in config(town, service):
        assert not any(word in name for word in ("KEY", "TOKEN", "SECRET", "PASSWORD")), f"{name} in a ConfigMap"


def signing_keys(town: str) -> dict[str, Any]:
    """Where each container's DOWNTOWN_TOKEN_SIGNING_KEY comes from, for those that have one."""
    return {
        where: env_of(container, town)["DOWNTOWN_TOKEN_SIGNING_KEY"]
        for service in services_of(town)
        for where, container in service_containers(town, service)
        if "DOWNTOWN_TOKEN_SIGNING_KEY" in env_of(container, town)
    }


@pytest.mark.parametrize("town", TOWNS)
def test_no_catalog_signing_key_outside_the_catalog(town: str) -> None:
    holders = {
        where
        for service in services_of(town)
        for where, container in service_containers(town, service)
        if any(
            entry.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == "catalog-secrets"
            for entry in container.get("env", [])
        )
    }
    assert holders == {
        "catalog-api/provision",
        "catalog-api/api",
        "catalog-worker/provision",
        "catalog-worker/worker",
    }
    catalog_key = {"secretKeyRef": {"name": "catalog-secrets", "key": "token-signing-key"}}
    assert {where for where, source in signing_keys(town).items() if source == catalog_key} == holders
    for service in services_of(town):
        if service != "catalog":
            others = {where for where, _ in service_containers(town, service)}
            assert others and not others & holders, f"{service} holds the catalog's signing key"


@pytest.mark.parametrize("town", TOWNS)
def test_ordering_api_and_worker_sign_with_one_key_of_their_own(town: str) -> None:
    """Guest links are made by the API (checkout) and mailed by the worker: one key for both."""
    own_key = {"secretKeyRef": {"name": "ordering-secrets", "key": "token-signing-key"}}
    holders = {where for where, source in signing_keys(town).items() if source == own_key}
    assert holders == {where for where, _ in service_containers(town, "ordering")}
    assert {"ordering-api/api", "ordering-worker/worker"} <= holders


@pytest.mark.parametrize("town", TOWNS)
def test_ordering_mails_through_the_towns_smtp_server_with_links_to_the_web_front(town: str) -> None:
    """The mails' links (/orders/{id}?token=…, /sign-in?…) are the web front's pages, on the town's host."""
    own = values_of(town)["ordering"]
    settings = config(town, "ordering")
    assert settings["DOWNTOWN_PUBLIC_URL"] == f"https://{web_values(town)['hostname']}"
    assert settings["DOWNTOWN_SMTP_HOST"] == own["smtp"]["host"] and "." in settings["DOWNTOWN_SMTP_HOST"]
    assert int(settings["DOWNTOWN_SMTP_PORT"]) in (587, 25)
    assert settings["DOWNTOWN_SMTP_STARTTLS"] == "true"
    assert settings["DOWNTOWN_JITSI_BASE_URL"].startswith("https://")
    assert "@" in settings["DOWNTOWN_MAIL_FROM"]
    zones = json.loads(settings["DOWNTOWN_DELIVERY_ZONES"])
    assert zones and all(code.strip() and isinstance(fee, int) and fee >= 0 for code, fee in zones.items())
    for where, container in service_containers(town, "ordering"):
        env = env_of(container, town)
        for name in ("DOWNTOWN_SMTP_USER", "DOWNTOWN_SMTP_PASSWORD"):
            assert env[name]["secretKeyRef"]["name"] == "ordering-secrets", where


@pytest.mark.parametrize("town", TOWNS)
def test_only_the_catalog_stores_photos_on_a_shared_volume(town: str) -> None:
    claim = one(town, "PersistentVolumeClaim", "catalog-photos")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert [doc["metadata"]["name"] for doc in of_kind(town, "PersistentVolumeClaim")] == ["catalog-photos"]
    pod = one(town, "Deployment", "catalog-api")["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    [api] = pod["containers"]
    mounts = {mount["mountPath"]: mount["name"] for mount in api["volumeMounts"]}
    photos = mounts[config(town, "catalog")["DOWNTOWN_PHOTO_DIR"]]
    assert volumes[photos]["persistentVolumeClaim"]["claimName"] == "catalog-photos"
    for service in services_of(town):
        if service != "catalog":
            assert "DOWNTOWN_PHOTO_DIR" not in config(town, service)
            for workload in workloads_of(town, service):
                assert all("persistentVolumeClaim" not in v for v in workload["spec"]["template"]["spec"]["volumes"])


@pytest.mark.parametrize(("town", "service"), TOWN_SERVICES)
def test_api_is_served_and_budgeted(town: str, service: str) -> None:
    name = f"{service}-api"
    assert one(town, "Service", name)["spec"]["selector"] == pod_labels(town, name)
    budget = one(town, "PodDisruptionBudget", name)
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels(town, name).items()
    ingress = one(town, "Ingress", name)
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == values_of(town)[service]["hostname"]
    assert ingress["spec"]["tls"] == [{"hosts": [rule["host"]], "secretName": f"{service}-tls"}]
    [path] = rule["http"]["paths"]
    assert path["path"] == "/" and path["backend"]["service"]["name"] == name


@pytest.mark.parametrize("town", TOWNS)
def test_each_service_has_its_own_host(town: str) -> None:
    hosts = [rule["host"] for ingress in of_kind(town, "Ingress") for rule in ingress["spec"]["rules"]]
    assert len(hosts) == len(services_of(town)) + 1 == len(set(hosts)), "a host per service and the web front's"
    assert one(town, "Ingress", WEB)["spec"]["rules"][0]["host"] == f"{town}.downtown.example", "the town's host"
    assert one(town, "Ingress", "catalog-api")["spec"]["rules"][0]["host"] == f"catalog.{town}.downtown.example"


def pod_labels(town: str, deployment: str) -> dict[str, str]:
    workload = one(town, "Deployment", deployment)
    labels = workload["spec"]["template"]["metadata"]["labels"]
    assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items()
    return {key: value for key, value in labels.items() if key in workload["spec"]["selector"]["matchLabels"]}


@pytest.mark.parametrize(("town", "service"), TOWN_SERVICES)
def test_worker_has_a_writable_working_directory(town: str, service: str) -> None:
    pod = one(town, "Deployment", f"{service}-worker")["spec"]["template"]["spec"]
    [worker] = pod["containers"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in worker["volumeMounts"]}
    assert "emptyDir" in volumes[mounts[worker["workingDir"]]]


@pytest.mark.parametrize(("town", "service"), TOWN_SERVICES)
def test_worker_replicas_within_partitions(town: str, service: str) -> None:
    worker = one(town, "Deployment", f"{service}-worker")
    events = one(town, "KafkaTopic", f"{town}.{service}.events")
    assert 1 <= worker["spec"]["replicas"] <= events["spec"]["partitions"]
    assert events["spec"]["partitions"] == int(config(town, service)["DOWNTOWN_TOPIC_PARTITIONS"])


@pytest.mark.parametrize("town", TOWNS)
def test_kafka_names_and_acls_are_the_towns_and_the_services(town: str) -> None:
    every_topic = {doc["spec"]["topicName"]: doc for doc in of_kind(town, "KafkaTopic")}
    changelogs = {name for service in services_of(town) for name in live_figure_changelogs(town, service)}
    topics = {name: topic for name, topic in every_topic.items() if name not in changelogs}
    assert set(topics) == {f"{town}.{service}.{kind}" for service in services_of(town) for kind in ("events", "dlq")}
    assert changelogs <= set(every_topic), "every live figure's changelog topic is a KafkaTopic"
    for name in changelogs:
        assert (
            every_topic[name]["spec"]["partitions"] == 6
            and "compact" in every_topic[name]["spec"]["config"]["cleanup.policy"]
        )
    for name, topic in topics.items():
        assert topic["metadata"]["name"] == name
        assert topic["spec"]["partitions"] == 6
        assert topic["spec"]["config"]["retention.ms"] == -1
        assert topic["spec"]["config"]["retention.bytes"] == -1
        assert topic["spec"]["config"]["cleanup.policy"] == "delete"
        assert topic["spec"]["config"]["min.insync.replicas"] <= topic["spec"]["replicas"]
    users = {doc["metadata"]["name"]: doc for doc in of_kind(town, "KafkaUser")}
    assert set(users) == {f"{town}-{service}" for service in services_of(town)}
    for service in services_of(town):
        user = users[f"{town}-{service}"]
        assert user["spec"]["authentication"]["type"] in {"scram-sha-512", "tls"}
        acls = user["spec"]["authorization"]["acls"]
        assert {acl["resource"]["type"] for acl in acls} == {"topic", "group"}
        own_prefix = f"{town}.{service}."  # the faust app id (consumer group) is <town>.<service>.worker
        reads = set()
        for acl in acls:
            assert acl.get("type", "allow") == "allow"
            assert set(acl["operations"]) <= {"Read", "Write", "Describe"}
            if acl["resource"]["patternType"] == "prefix":
                assert acl["resource"]["name"] == own_prefix
            else:  # another service's events: read, never write
                assert acl["resource"]["patternType"] == "literal" and acl["resource"]["type"] == "topic"
                assert set(acl["operations"]) <= {"Read", "Describe"}
                reads.add(acl["resource"]["name"])
        own = values_of(town)[service]
        sources = [*own["reads"], *own.get("reads_if_running", [])]
        assert reads == {f"{town}.{source}.events" for source in sources if source in services_of(town)}
        assert reads <= set(topics)
    assert f"{town}.catalog.events" in {
        acl["resource"]["name"] for acl in users[f"{town}-vouchers"]["spec"]["authorization"]["acls"]
    }, "vouchers reads the catalog's merchants"
    ordering_reads = {acl["resource"]["name"] for acl in users[f"{town}-ordering"]["spec"]["authorization"]["acls"]}
    assert {f"{town}.catalog.events", f"{town}.vouchers.events"} <= ordering_reads, "the order saga's answers"


# --- network policies, evaluated as Kubernetes does (matchLabels only) ----------------------


def selects(selector: Manifest, labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are evaluated here"
    return selector.get("matchLabels", {}).items() <= labels.items()


def admits(town: str, target: dict[str, str], source: dict[str, str], source_namespace: str, port: int) -> bool:
    """Whether a pod labelled ``source`` in ``source_namespace`` may connect to ``port`` of a pod
    labelled ``target`` in the town's namespace."""
    namespace = f"downtown-{town}"
    policies = [
        policy
        for policy in of_kind(town, "NetworkPolicy")
        if "Ingress" in policy["spec"]["policyTypes"] and selects(policy["spec"]["podSelector"], target)
    ]
    if not policies:
        return True  # a pod no policy selects is not isolated
    for policy in policies:
        for rule in policy["spec"].get("ingress", []):
            if rule.get("ports") and port not in {entry["port"] for entry in rule["ports"]}:
                continue
            for peer in rule.get("from", [{"namespaceSelector": {}}]):
                if "namespaceSelector" in peer:
                    if not selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": source_namespace}):
                        continue
                elif source_namespace != namespace:
                    continue  # a podSelector alone selects pods of the policy's namespace only
                if selects(peer.get("podSelector", {}), source):
                    return True
    return False


def pods_of(town: str) -> dict[str, dict[str, str]]:
    """Every kind of pod in the town's namespace: the Deployments' and the database instances."""
    pods = {
        doc["metadata"]["name"]: doc["spec"]["template"]["metadata"]["labels"] for doc in of_kind(town, "Deployment")
    }
    for cluster in of_kind(town, "Cluster"):
        name = cluster["metadata"]["name"]
        pods[name] = {"cnpg.io/cluster": name, "cnpg.io/podRole": "instance"}
    return pods


@pytest.mark.parametrize(("town", "service"), TOWN_SERVICES)
def test_network_policies_isolate_each_database(town: str, service: str) -> None:
    namespace = f"downtown-{town}"
    database = f"{town}-{service}-db"
    target = pods_of(town)[database]
    for name, labels in pods_of(town).items():
        own = name == database or labels.get("downtown.service") == service
        assert admits(town, target, labels, namespace, 5432) == own, f"{name} -> {database}"
        # The same labels in another namespace (another town) get nowhere.
        for elsewhere in ("downtown-elsewhere", "kafka", "ingress-nginx"):
            assert not admits(town, target, labels, elsewhere, 5432), f"{elsewhere}/{name} -> {database}"
    operator = values_of(town)[service]["database"]["operator_namespace"]
    assert admits(town, target, {}, operator, 8000), "the CloudNativePG operator reaches the instances"


@pytest.mark.parametrize("town", TOWNS)
def test_no_service_reaches_another_services_pods(town: str) -> None:
    namespace = f"downtown-{town}"
    pods = pods_of(town)

    def service_of(labels: dict[str, str]) -> str:
        return labels.get("downtown.service") or labels["cnpg.io/cluster"].removeprefix(f"{town}-").removesuffix("-db")

    called = {f"{service}-api" for service in web_calls(town)}  # the web front calls these APIs, nothing else
    for target_name, target in pods.items():
        for source_name, source in pods.items():
            if service_of(target) != service_of(source):
                for port in (8000, 6066, 5432):
                    expected = source_name == WEB and target_name in called and port == 8000
                    assert admits(town, target, source, namespace, port) == expected, (
                        f"{source_name} -> {target_name}:{port}"
                    )
    for service in services_of(town):
        api = pods[f"{service}-api"]
        assert admits(town, api, {}, values_of(town)[service]["ingress"]["controller_namespace"], 8000)
        assert not admits(town, api, {}, "downtown-elsewhere", 8000)
        assert not admits(town, pods[f"{service}-worker"], {}, "ingress-nginx", 6066)


@pytest.mark.parametrize("town", TOWNS)
def test_network_policy_keeps_other_towns_out(town: str) -> None:
    policies = of_kind(town, "NetworkPolicy")
    namespace = f"downtown-{town}"
    assert all(policy["metadata"]["namespace"] == namespace for policy in policies)
    assert any(
        policy["spec"]["podSelector"] == {}
        and policy["spec"]["policyTypes"] == ["Ingress"]
        and not policy["spec"].get("ingress")
        for policy in policies
    ), "a default-deny ingress policy for every pod"
    for policy in policies:
        for rule in policy["spec"].get("ingress", []):
            for peer in rule["from"]:
                selector = peer.get("namespaceSelector")
                if selector is None:
                    assert "ipBlock" not in peer
                    continue  # a podSelector alone selects pods of this namespace only
                allowed = selector.get("matchLabels", {}).get("kubernetes.io/metadata.name")
                assert allowed, "namespaces are selected by name only"
                assert not allowed.startswith("downtown-"), f"{policy['metadata']['name']} admits {allowed}"


def admits_egress(
    town: str, source: dict[str, str], target: dict[str, str] | None, namespace: str | None, port: int, protocol: str
) -> bool:
    """Whether a pod labelled ``source`` in the town's namespace may connect to ``port`` of a pod
    labelled ``target`` in ``namespace`` (``None`` for both: an address outside the cluster)."""
    own_namespace = f"downtown-{town}"
    policies = [
        policy
        for policy in of_kind(town, "NetworkPolicy")
        if "Egress" in policy["spec"]["policyTypes"] and selects(policy["spec"]["podSelector"], source)
    ]
    if not policies:
        return True  # a pod no egress policy selects may connect anywhere
    for policy in policies:
        for rule in policy["spec"].get("egress", []):
            ports = {(entry["port"], entry.get("protocol", "TCP")) for entry in rule.get("ports", [])}
            if ports and (port, protocol) not in ports:
                continue
            if "to" not in rule:
                return True  # any destination, inside the cluster or out
            for peer in rule["to"]:
                assert "ipBlock" not in peer, "evaluate ipBlock peers here before using them"
                if target is None or namespace is None:
                    continue  # pod and namespace selectors select pods only
                if "namespaceSelector" in peer:
                    if not selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": namespace}):
                        continue
                elif namespace != own_namespace:
                    continue
                if selects(peer.get("podSelector", {}), target):
                    return True
    return False


@pytest.mark.parametrize(("town", "service"), TOWN_SERVICES)
def test_every_service_reaches_dns_kafka_and_its_database(town: str, service: str) -> None:
    own = values_of(town)[service]
    dns = ({"k8s-app": own["dns"]["k8s_app"]}, own["dns"]["namespace"])
    broker = ({"strimzi.io/cluster": own["kafka"]["cluster"], "strimzi.io/kind": "Kafka"}, own["kafka"]["namespace"])
    database = pods_of(town)[f"{town}-{service}-db"]
    for process in ("api", "worker"):
        pod = pods_of(town)[f"{service}-{process}"]
        assert admits_egress(town, pod, *dns, 53, "UDP") and admits_egress(town, pod, *dns, 53, "TCP")
        assert admits_egress(town, pod, *broker, 9092, "TCP"), f"{service}-{process} -> Kafka"
        assert admits_egress(town, pod, database, f"downtown-{town}", 5432, "TCP"), f"{service}-{process} -> its db"


@pytest.mark.parametrize("town", TOWNS)
def test_ordering_reaches_out_only_to_smtp_and_what_it_needs(town: str) -> None:
    pods = pods_of(town)
    namespace = f"downtown-{town}"
    smtp_port = int(config(town, "ordering")["DOWNTOWN_SMTP_PORT"])
    for process in ("api", "worker"):
        pod = pods[f"ordering-{process}"]
        for port in {smtp_port, 587, 25}:
            assert admits_egress(town, pod, None, None, port, "TCP"), f"ordering-{process} -> SMTP :{port}"
        assert admits_egress(town, pod, None, None, 4318, "TCP"), "OTLP to the collector"
        for port in (80, 443, 5432, 9092, 22):
            assert not admits_egress(town, pod, None, None, port, "TCP"), f"ordering-{process} -> the internet :{port}"
        for name, target in pods.items():
            if not name.startswith(f"{town}-ordering-") and target.get("downtown.service") != "ordering":
                for port in (5432, 8000, 6066):
                    assert not admits_egress(town, pod, target, namespace, port, "TCP"), f"ordering -> {name}:{port}"
        assert not admits_egress(town, pod, {"app": "anything"}, "downtown-elsewhere", 5432, "TCP")
    others = [name for name in pods if name.startswith(("catalog-", "vouchers-"))]
    assert others and all(admits_egress(town, pods[name], None, None, 443, "TCP") for name in others), (
        "only ordering's egress is limited so far"
    )


def test_render_fills_in_env_placeholders_and_refuses_unknown_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    town = TOWNS[0]
    assert config(town, "catalog")["DOWNTOWN_PUBLIC_URL"] == f"https://{values_of(town)['catalog']['hostname']}"
    assert config(town, "ordering")["DOWNTOWN_PUBLIC_URL"] == f"https://{web_values(town)['hostname']}"
    overridden(monkeypatch, town, {"services": {"ordering": {"env": {"DOWNTOWN_X": "${nowhere}"}}}})
    with pytest.raises(renderer.RenderError, match=r"env of ordering: placeholder \$\{nowhere\} has no value"):
        renderer.render(town)
    overridden(monkeypatch, town, {"services": {"ordering": {"smtp": {"host": None}}}})
    with pytest.raises(renderer.RenderError, match=r"smtp.host"):
        renderer.render(town)


def test_towns_share_no_names() -> None:
    def names(town: str) -> set[str]:
        docs = rendered(town)
        found = {doc["metadata"]["namespace"] for doc in docs if doc["metadata"].get("namespace")}
        found |= {doc["metadata"]["name"] for doc in docs if doc["kind"] in {"Namespace", "Cluster", "KafkaUser"}}
        found |= {doc["spec"]["topicName"] for doc in of_kind(town, "KafkaTopic")}
        found |= {
            acl["resource"]["name"]
            for user in of_kind(town, "KafkaUser")
            for acl in user["spec"]["authorization"]["acls"]
        }
        found |= {rule["host"] for ingress in of_kind(town, "Ingress") for rule in ingress["spec"]["rules"]}
        return found - {"kafka"}  # the Kafka cluster's namespace is shared on purpose

    for index, town in enumerate(TOWNS):
        for other in TOWNS[index + 1 :]:
            assert names(town) & names(other) == set(), f"{town} and {other}"
            for name in names(town):
                assert not name.startswith(f"{other}.") and not name.startswith(f"{other}-")
                assert f".{other}." not in name


def test_render_cli_prints_a_yaml_stream(capsys: pytest.CaptureFixture[str]) -> None:
    assert renderer.main(["--town", TOWNS[0]]) == 0
    output = capsys.readouterr().out
    assert output.startswith("---\napiVersion: v1\nkind: Namespace\n")
    assert output.count("\n---\n") == len(rendered(TOWNS[0])) - 1
    assert "&id" not in output and "*id" not in output, "no YAML anchors or aliases"


def test_render_refuses_unknown_towns_and_placeholders(capsys: pytest.CaptureFixture[str]) -> None:
    assert renderer.main(["--town", "atlantis"]) == 2
    assert "no overlay" in capsys.readouterr().err
    with pytest.raises(renderer.RenderError, match="has no value"):
        renderer.substitute("name: ${nowhere.key}", {"town": "x"})
    with pytest.raises(renderer.RenderError, match="does not substitute"):
        renderer.substitute("host: ${hostname}", {"hostname": "a: b"})
    with pytest.raises(renderer.RenderError, match="plain value"):
        renderer.substitute("class: ${photos.storage_class}", {"photos": {"storage_class": None}})


LOAD_VALUES = renderer.load_values


def overridden(monkeypatch: pytest.MonkeyPatch, town: str, override: dict[str, Any]) -> None:
    """Render ``town`` as if its town.yaml also said ``override``."""
    values = renderer.merge(LOAD_VALUES(town), override)
    monkeypatch.setattr(renderer, "load_values", lambda _: values)


def test_render_needs_a_host_per_service(monkeypatch: pytest.MonkeyPatch) -> None:
    overridden(monkeypatch, TOWNS[0], {"services": {"vouchers": {"hostname": None}}})
    with pytest.raises(renderer.RenderError, match=r"api.yaml for vouchers: placeholder \$\{hostname\}"):
        renderer.render(TOWNS[0])
    catalog_host = values_of(TOWNS[0])["catalog"]["hostname"]
    overridden(monkeypatch, TOWNS[0], {"services": {"vouchers": {"hostname": catalog_host}}})
    with pytest.raises(renderer.RenderError, match="share the hostname"):
        renderer.render(TOWNS[0])
    overridden(monkeypatch, TOWNS[0], {WEB: {"hostname": catalog_host}})
    with pytest.raises(renderer.RenderError, match="the web front and catalog share the hostname"):
        renderer.render(TOWNS[0])
    overridden(monkeypatch, TOWNS[0], {WEB: {"hostname": None}})
    with pytest.raises(renderer.RenderError, match=r"placeholder \$\{web.hostname\}"):
        renderer.render(TOWNS[0])


def test_a_town_may_leave_a_service_out_unless_another_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # A town without couriers leaves dispatch out: the catalog and ordering read it only where it runs.
    overridden(monkeypatch, TOWNS[0], {"services": {"dispatch": None}})
    docs = renderer.render(TOWNS[0])
    assert not [doc for doc in docs if doc["metadata"].get("labels", {}).get("downtown.service") == "dispatch"]
    acls = [doc["spec"]["authorization"]["acls"] for doc in docs if doc["kind"] == "KafkaUser"]
    assert not [acl for user in acls for acl in user if ".dispatch." in acl["resource"]["name"]]
    # Dispatch reads ordering (the orders to deliver): ordering goes only with it.
    overridden(monkeypatch, TOWNS[0], {"services": {"ordering": None}})
    with pytest.raises(renderer.RenderError, match="dispatch reads 'ordering'"):
        renderer.render(TOWNS[0])
    # The web front calls ordering: a town without ordering leaves the front out too, and then says
    # itself where the catalog's sign-in links lead.
    overridden(monkeypatch, TOWNS[0], {"services": {"ordering": None, "dispatch": None}})
    with pytest.raises(renderer.RenderError, match="the web front calls 'ordering'"):
        renderer.render(TOWNS[0])
    overridden(monkeypatch, TOWNS[0], {WEB: None, "services": {"ordering": None, "dispatch": None}})
    with pytest.raises(renderer.RenderError, match=r"env of catalog: placeholder \$\{web.hostname\}"):
        renderer.render(TOWNS[0])
    catalog_links = {"env": {"DOWNTOWN_WEB_URL": "https://${hostname}"}}
    without_ordering = {"ordering": None, "dispatch": None, "catalog": catalog_links}
    overridden(monkeypatch, TOWNS[0], {WEB: None, "services": without_ordering})
    docs = renderer.render(TOWNS[0])
    assert not [doc for doc in docs if doc["metadata"].get("labels", {}).get("downtown.service") == WEB]
    assert not [doc for doc in docs if doc["metadata"].get("labels", {}).get("downtown.service") == "ordering"]
    assert any(doc["metadata"]["name"] == "vouchers-api" for doc in docs)
    overridden(monkeypatch, TOWNS[0], {WEB: None, "services": {"vouchers": None, **without_ordering}})
    docs = renderer.render(TOWNS[0])
    assert not [doc for doc in docs if doc["metadata"].get("labels", {}).get("downtown.service") == "vouchers"]
    assert any(doc["metadata"]["name"] == "catalog-api" for doc in docs)
    overridden(monkeypatch, TOWNS[0], {"services": {"vouchers": None}})
    with pytest.raises(renderer.RenderError, match="ordering reads 'vouchers'"):
        renderer.render(TOWNS[0])
    overridden(monkeypatch, TOWNS[0], {"services": {"catalog": None}})
    with pytest.raises(renderer.RenderError, match="vouchers reads 'catalog'"):
        renderer.render(TOWNS[0])


def test_a_town_without_a_web_front_says_where_the_couriers_links_lead(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog_links = {"env": {"DOWNTOWN_WEB_URL": "https://${hostname}"}}
    ordering_links = {"env": {"DOWNTOWN_PUBLIC_URL": "https://${hostname}"}}
    without_front = {WEB: None, "services": {"catalog": catalog_links, "ordering": ordering_links}}
    overridden(monkeypatch, TOWNS[0], without_front)
    with pytest.raises(renderer.RenderError, match=r"env of dispatch: placeholder \$\{web.hostname\}"):
        renderer.render(TOWNS[0])
    couriers_page = "https://kurier.example/"
    overridden(
        monkeypatch,
        TOWNS[0],
        renderer.merge(without_front, {"services": {"dispatch": {"env": {"DOWNTOWN_WEB_URL": couriers_page}}}}),
    )
    [settings] = [doc for doc in renderer.render(TOWNS[0]) if doc["metadata"]["name"] == "dispatch-config"]
    assert settings["data"]["DOWNTOWN_WEB_URL"] == couriers_page


def test_render_refuses_odd_secret_names(monkeypatch: pytest.MonkeyPatch) -> None:
    overridden(monkeypatch, TOWNS[0], {"services": {"vouchers": {"secrets": ["code-hash-key"]}}})
    with pytest.raises(renderer.RenderError, match="must match"):
        renderer.render(TOWNS[0])


@pytest.mark.parametrize(("town", "service"), TOWN_SERVICES)
def test_the_api_counts_clients_by_the_address_the_ingress_controller_appended(town: str, service: str) -> None:
    """One proxy (the ingress controller) appends to X-Forwarded-For: its entry is the client.
    uvicorn's own proxy settings would mean nothing (the kit turns them off): none is left."""
    for where, container in service_containers(town, service):
        env = env_of(container, town)
        assert env["DOWNTOWN_TRUSTED_PROXY_HOPS"] == "1", where
        assert int(env["DOWNTOWN_HTTP_KEEP_ALIVE_SECONDS"]) > 60, where  # ingress-nginx keeps idle upstreams 60 s
        assert "FORWARDED_ALLOW_IPS" not in env, where


# --- the web front: its own process, no database, no topic, no secret -----------------------


def web_pod(town: str) -> Manifest:
    return one(town, "Deployment", WEB)["spec"]["template"]["spec"]


@pytest.mark.parametrize("town", TOWNS)
def test_web_front_has_its_own_named_and_labelled_objects_and_nothing_stateful(town: str) -> None:
    labelled = {
        (doc["kind"], doc["metadata"]["name"])
        for doc in rendered(town)
        if doc["metadata"]["labels"].get("downtown.service") == WEB
    }
    assert labelled == {
        ("ConfigMap", "web-config"),
        ("Deployment", WEB),
        ("Service", WEB),
        ("PodDisruptionBudget", WEB),
        ("Ingress", WEB),
        ("NetworkPolicy", "web-from-ingress-controller"),
        ("NetworkPolicy", "web-egress"),
        *{("NetworkPolicy", f"{service}-api-from-web") for service in web_calls(town)},
        *{("NetworkPolicy", f"web-to-{service}-api") for service in web_calls(town)},
    }, "no database, no topic, no Kafka user, no volume claim"
    deployment = one(town, "Deployment", WEB)
    assert deployment["spec"]["replicas"] == web_values(town)["replicas"] >= 2, "stateless: more than one copy"
    assert one(town, "Service", WEB)["spec"]["selector"] == pod_labels(town, WEB)
    budget = one(town, "PodDisruptionBudget", WEB)
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels(town, WEB).items()
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels["downtown.service"] == WEB and labels["downtown.town"] == town


@pytest.mark.parametrize("town", TOWNS)
def test_web_front_is_probed_limited_unprivileged_and_holds_no_secret(town: str) -> None:
    pod = web_pod(town)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod.get("automountServiceAccountToken") is False
    assert not pod.get("initContainers"), "nothing to provision"
    assert all(set(volume) == {"name", "emptyDir"} for volume in pod["volumes"]), "no volume but scratch space"
    [web] = pod["containers"]
    assert web["image"] == web_values(town)["image"] and web["image"].startswith("ghcr.io/downtown/web:")
    assert web["command"] == ["downtown-web"]
    security = web["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert {"cpu", "memory"} <= web["resources"]["requests"].keys() and "memory" in web["resources"]["limits"]
    ports = {port["name"]: port["containerPort"] for port in web["ports"]}
    for probe, path in (("livenessProbe", "/healthz/live"), ("readinessProbe", "/healthz/ready")):
        check = web[probe]["httpGet"]
        assert check["path"] == path
        assert ports.get(check["port"], check["port"]) == int(config(town, WEB)["DOWNTOWN_HTTP_PORT"])
    assert "env" not in web, "every setting from web-config: no secretKeyRef, no database URL"
    assert [source["configMapRef"]["name"] for source in web["envFrom"]] == ["web-config"]
    assert "secretKeyRef" not in json.dumps(one(town, "Deployment", WEB))
    for name in config(town, WEB):
        assert not any(word in name for word in ("KEY", "TOKEN", "SECRET", "PASSWORD", "DATABASE")), name


def in_cluster_service(town: str, url: str) -> Manifest:
    """The Service an in-cluster URL (``http://<service>.<namespace>.svc``) names, on its port 80."""
    scheme, _, host = url.partition("://")
    assert scheme == "http" and "/" not in host and ":" not in host, url
    name, namespace, svc = host.split(".")
    assert namespace == f"downtown-{town}" and svc == "svc", url
    service = one(town, "Service", name)
    assert 80 in {port["port"] for port in service["spec"]["ports"]}, url
    return service


@pytest.mark.parametrize("town", TOWNS)
def test_web_front_is_told_the_town_its_services_and_its_public_https_url(town: str) -> None:
    from downtown_web.settings import WebSettings

    settings = config(town, WEB)
    assert all(isinstance(value, str) for value in settings.values()), "ConfigMap values are strings"
    host = web_values(town)["hostname"]
    assert settings["DOWNTOWN_PUBLIC_URL"] == f"https://{host}", "https: its cookies are Secure"
    urls = {name for name in settings if name.endswith("_URL") and name != "DOWNTOWN_PUBLIC_URL"}
    assert urls == {f"DOWNTOWN_{service.upper()}_URL" for service in web_calls(town)}, "the APIs the town runs"
    for service in web_calls(town):
        api = in_cluster_service(town, settings[f"DOWNTOWN_{service.upper()}_URL"])
        assert api["spec"]["selector"] == pod_labels(town, f"{service}-api")
    known = {f"DOWNTOWN_{name.upper()}" for name in WebSettings.model_fields}
    assert {name for name in settings if not name.startswith("OTEL_")} <= known, "no setting the front ignores"
    web = WebSettings.model_validate(
        {name.removeprefix("DOWNTOWN_").lower(): value for name, value in settings.items() if name in known}
    )
    assert web.town == town and web.environment == "production"
    assert web.display_name == values_of(town)["catalog"]["env"]["DOWNTOWN_TOWN_NAME"] != town
    assert web.secure_cookies


@pytest.mark.parametrize("town", TOWNS)
def test_the_towns_host_is_the_storefront_and_the_services_keep_theirs(town: str) -> None:
    ingress = one(town, "Ingress", WEB)
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == web_values(town)["hostname"]
    assert ingress["spec"]["tls"] == [{"hosts": [rule["host"]], "secretName": "web-tls"}]
    [path] = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/", "Prefix")
    assert path["backend"]["service"] == {"name": WEB, "port": {"name": "http"}}
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "16m", "offer photos"
    for service in services_of(town):
        [api_rule] = one(town, "Ingress", f"{service}-api")["spec"]["rules"]
        assert api_rule["host"] == values_of(town)[service]["hostname"] != rule["host"]


@pytest.mark.parametrize("town", TOWNS)
def test_mailed_links_open_the_web_fronts_pages(town: str) -> None:
    """Ordering's links (/orders/{id}?token=…, /sign-in?…), the catalog's merchant sign-in links
    (<web>/merchant/sign-in?…) and dispatch's courier sign-in links (<web>/courier/sign-in?…)
    lead to the pages the web front serves."""
    storefront = config(town, WEB)["DOWNTOWN_PUBLIC_URL"]
    assert config(town, "ordering")["DOWNTOWN_PUBLIC_URL"] == storefront
    assert config(town, "catalog")["DOWNTOWN_WEB_URL"] == storefront
    if "dispatch" in services_of(town):
        assert config(town, "dispatch")["DOWNTOWN_WEB_URL"] == storefront


@pytest.mark.parametrize("town", TOWNS)
def test_web_front_takes_connections_only_from_the_ingress_controller(town: str) -> None:
    namespace = f"downtown-{town}"
    pods = pods_of(town)
    web = pods[WEB]
    controller = web_values(town)["ingress"]["controller_namespace"]
    assert admits(town, web, {}, controller, 8000)
    assert not admits(town, web, {}, controller, 6066)
    for elsewhere in ("downtown-elsewhere", "kafka", web_values(town)["dns"]["namespace"]):
        assert not admits(town, web, {}, elsewhere, 8000), elsewhere
    for name, labels in pods.items():
        if name != WEB:
            assert not admits(town, web, labels, namespace, 8000), f"{name} -> web"


def test_the_web_fronts_api_urls_are_the_ones_render_sets() -> None:
    """Every service the front has a URL setting for is one render.py wires it to, and back."""
    from pydantic import HttpUrl

    from downtown_web.settings import WebSettings

    urls = {
        name.removesuffix("_url")
        for name, field in WebSettings.model_fields.items()
        if field.annotation is HttpUrl and name != "public_url"
    }
    assert urls == WEB_CALLS | WEB_CALLS_IF_RUNNING
    assert set(renderer.WEB_CALLS) == WEB_CALLS and set(renderer.WEB_CALLS_IF_RUNNING) == WEB_CALLS_IF_RUNNING


def assert_web_reaches_only_its_apis_dns_and_otlp(town: str, calls: set[str]) -> None:
    """The web front's egress: DNS, OTLP, and port 8000 of exactly the API pods of ``calls``,
    which admit it; no other pod (not even a service's the town leaves out), nothing outside."""
    namespace = f"downtown-{town}"
    pods = pods_of(town)
    web = pods[WEB]
    own = web_values(town)
    dns = ({"k8s-app": own["dns"]["k8s_app"]}, own["dns"]["namespace"])
    assert admits_egress(town, web, *dns, 53, "UDP") and admits_egress(town, web, *dns, 53, "TCP")
    for name, target in pods.items():
        for port in (8000, 6066, 5432):
            expected = name in {f"{service}-api" for service in calls} and port == 8000
            assert admits_egress(town, web, target, namespace, port, "TCP") == expected, f"web -> {name}:{port}"
            if expected:  # and the API lets it in
                assert admits(town, target, web, namespace, port), f"{name} admits web"
    for service in set(EXPECTED_SERVICES) - calls:  # its pods' labels, were they there
        absent = {"app.kubernetes.io/name": f"{service}-api", "downtown.service": service}
        assert not admits_egress(town, web, absent, namespace, 8000, "TCP"), f"web -> {service}-api"
    broker = ({"strimzi.io/cluster": own["kafka"]["cluster"], "strimzi.io/kind": "Kafka"}, own["kafka"]["namespace"])
    assert not admits_egress(town, web, *broker, 9092, "TCP"), "no Kafka"
    assert not admits_egress(town, web, {"app.kubernetes.io/name": "catalog-api"}, "downtown-elsewhere", 8000, "TCP")
    for port in (80, 443, 25, 587, 5432, 9092, 22):
        assert not admits_egress(town, web, None, None, port, "TCP"), f"web -> the internet :{port}"
    assert admits_egress(town, web, None, None, 4318, "TCP"), "OTLP to the collector, as ordering's"
    assert admits_egress(town, web, None, None, 4317, "TCP"), "OTLP over gRPC"


@pytest.mark.parametrize("town", TOWNS)
def test_web_front_reaches_only_the_apis_the_town_runs_and_dns(town: str) -> None:
    assert web_calls(town) == set(EXPECTED_SERVICES), "every town here runs couriers"
    assert_web_reaches_only_its_apis_dns_and_otlp(town, web_calls(town))


def test_a_town_without_couriers_wires_its_web_front_to_three_apis(monkeypatch: pytest.MonkeyPatch) -> None:
    town = TOWNS[0]
    overridden(monkeypatch, town, {"services": {"dispatch": None}})
    rendered.cache_clear()
    values_of.cache_clear()
    try:
        assert web_calls(town) == WEB_CALLS
        settings = config(town, WEB)
        assert "DOWNTOWN_DISPATCH_URL" not in settings
        assert {f"DOWNTOWN_{service.upper()}_URL" for service in WEB_CALLS} <= settings.keys()
        names = {doc["metadata"]["name"] for doc in of_kind(town, "NetworkPolicy")}
        assert not {"dispatch-api-from-web", "web-to-dispatch-api"} & names
        assert {"vouchers-api-from-web", "web-to-vouchers-api"} <= names
        assert_web_reaches_only_its_apis_dns_and_otlp(town, WEB_CALLS)
    finally:
        rendered.cache_clear()
        values_of.cache_clear()


def test_render_sets_the_web_fronts_api_urls_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL in web.env would send the front where its egress does not lead."""
    for service in ("dispatch", "vouchers"):
        overridden(monkeypatch, TOWNS[0], {WEB: {"env": {f"DOWNTOWN_{service.upper()}_URL": "http://x.example"}}})
        with pytest.raises(renderer.RenderError, match=rf"web\.env sets DOWNTOWN_{service.upper()}_URL"):
            renderer.render(TOWNS[0])
    overridden(
        monkeypatch,
        TOWNS[0],
        {WEB: {"env": {"DOWNTOWN_DISPATCH_URL": "http://x.example"}}, "services": {"dispatch": None}},
    )
    with pytest.raises(renderer.RenderError, match=r"web\.env sets DOWNTOWN_DISPATCH_URL"):
        renderer.render(TOWNS[0])
