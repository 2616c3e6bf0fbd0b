"""The Kubernetes manifests of every town, rendered offline by ``deploy/k8s/render.py``.

Custom resources (Strimzi, CloudNativePG) are validated against the JSON Schemas in
``../shared/k8s-schemas`` in strict mode (unknown fields fail, as with kubeconform -strict);
built-in kinds are checked for the rules below by hand. No cluster is needed.
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


def of_kind(town: str, kind: str) -> list[Manifest]:
    return [doc for doc in rendered(town) if doc["kind"] == kind]


def one(town: str, kind: str, name: str) -> Manifest:
    [doc] = [doc for doc in of_kind(town, kind) if doc["metadata"]["name"] == name]
    return doc


def config(town: str) -> dict[str, str]:
    return one(town, "ConfigMap", "catalog-config")["data"]


def containers(pod_spec: Manifest) -> Iterator[tuple[Manifest, bool]]:
    """Every container of a pod with whether it is an init container."""
    for container in pod_spec.get("initContainers", []):
        yield container, True
    for container in pod_spec["containers"]:
        yield container, False


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
    assert not of_kind(town, "Secret"), "secrets are made by hand or by the operators, never rendered"


@pytest.mark.parametrize("town", TOWNS)
def test_custom_resources_match_their_schemas(town: str) -> None:
    if not SCHEMAS.is_dir():
        pytest.skip(f"the custom resources' schemas are not at {SCHEMAS} (shared/ beside the repository)")
    custom = [doc for doc in rendered(town) if "." in doc["apiVersion"].split("/")[0]]
    custom = [doc for doc in custom if not doc["apiVersion"].split("/")[0].endswith(".k8s.io")]
    assert {doc["kind"] for doc in custom} == {"KafkaTopic", "KafkaUser", "Cluster"}
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


@pytest.mark.parametrize("town", TOWNS)
def test_every_container_is_probed_limited_and_unprivileged(town: str) -> None:
    settings = config(town)
    probe_ports = {
        "catalog-api": int(settings["DOWNTOWN_HTTP_PORT"]),
        "catalog-worker": int(settings["DOWNTOWN_WORKER_PORT"]),
    }
    workloads = [doc for doc in rendered(town) if doc["kind"] in WORKLOADS]
    assert {doc["metadata"]["name"] for doc in workloads} == set(probe_ports)
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod.get("automountServiceAccountToken") is False
        for container, is_init in containers(pod):
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert container["image"] == "ghcr.io/downtown/catalog:0.1.0", where
            resources = container.get("resources", {})
            assert {"cpu", "memory"} <= resources.get("requests", {}).keys(), where
            assert "memory" in resources.get("limits", {}), where
            security = container["securityContext"]
            assert security["runAsNonRoot"] is True, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            if is_init:
                assert container["command"] == ["catalog-admin", "provision", "--no-topics"], where
                continue
            ports = {port["name"]: port["containerPort"] for port in container["ports"]}
            for probe, path in (("livenessProbe", "/healthz/live"), ("readinessProbe", "/healthz/ready")):
                check = container[probe]["httpGet"]
                assert check["path"] == path, where
                assert ports.get(check["port"], check["port"]) == probe_ports[workload["metadata"]["name"]], where


@pytest.mark.parametrize("town", TOWNS)
def test_processes_get_the_towns_settings(town: str) -> None:
    [cluster] = of_kind(town, "Cluster")
    assert cluster["spec"]["bootstrap"]["initdb"] == {"database": "catalog", "owner": "catalog"}
    for workload in (one(town, "Deployment", "catalog-api"), one(town, "Deployment", "catalog-worker")):
        for container, _ in containers(workload["spec"]["template"]["spec"]):
            env = env_of(container, town)
            assert env["DOWNTOWN_TOWN"] == town
            assert env["DOWNTOWN_ENVIRONMENT"] == "production"
            assert env["DOWNTOWN_DATABASE_URL"] == {
                "secretKeyRef": {"name": f"{cluster['metadata']['name']}-app", "key": "uri"}
            }
            for name in ("DOWNTOWN_TOKEN_SIGNING_KEY", "DOWNTOWN_ASSOCIATION_TOKEN"):
                assert env[name]["secretKeyRef"]["name"] == "catalog-secrets"
            assert env["DOWNTOWN_KAFKA_BOOTSTRAP"]
            assert all(isinstance(value, str) for value in config(town).values()), "ConfigMap values are strings"


@pytest.mark.parametrize("town", TOWNS)
def test_api_stores_photos_on_a_shared_volume(town: str) -> None:
    claim = one(town, "PersistentVolumeClaim", "catalog-photos")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    pod = one(town, "Deployment", "catalog-api")["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    [api] = pod["containers"]
    mounts = {mount["mountPath"]: mount["name"] for mount in api["volumeMounts"]}
    photos = mounts[config(town)["DOWNTOWN_PHOTO_DIR"]]
    assert volumes[photos]["persistentVolumeClaim"]["claimName"] == "catalog-photos"
    assert one(town, "Service", "catalog-api")["spec"]["selector"] == pod_labels(town, "catalog-api")
    budget = one(town, "PodDisruptionBudget", "catalog-api")
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels(town, "catalog-api").items()


def pod_labels(town: str, deployment: str) -> dict[str, str]:
    workload = one(town, "Deployment", deployment)
    labels = workload["spec"]["template"]["metadata"]["labels"]
    assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items()
    return {key: value for key, value in labels.items() if key in workload["spec"]["selector"]["matchLabels"]}


@pytest.mark.parametrize("town", TOWNS)
def test_worker_has_a_writable_working_directory(town: str) -> None:
    pod = one(town, "Deployment", "catalog-worker")["spec"]["template"]["spec"]
    [worker] = pod["containers"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in worker["volumeMounts"]}
    assert "emptyDir" in volumes[mounts[worker["workingDir"]]]


@pytest.mark.parametrize("town", TOWNS)
def test_worker_replicas_within_partitions(town: str) -> None:
    worker = one(town, "Deployment", "catalog-worker")
    events = one(town, "KafkaTopic", f"{town}.catalog.events")
    assert 1 <= worker["spec"]["replicas"] <= events["spec"]["partitions"]
    assert events["spec"]["partitions"] == int(config(town)["DOWNTOWN_TOPIC_PARTITIONS"])


@pytest.mark.parametrize("town", TOWNS)
def test_kafka_names_and_acls_are_the_towns(town: str) -> None:
    topics = {doc["spec"]["topicName"]: doc for doc in of_kind(town, "KafkaTopic")}
    assert set(topics) == {f"{town}.catalog.events", f"{town}.catalog.dlq"}
    for name, topic in topics.items():
        assert topic["metadata"]["name"] == name
        assert topic["spec"]["partitions"] == 6
        assert topic["spec"]["config"]["retention.ms"] == -1
        assert topic["spec"]["config"]["cleanup.policy"] == "delete"
        assert topic["spec"]["config"]["min.insync.replicas"] <= topic["spec"]["replicas"]
    [user] = of_kind(town, "KafkaUser")
    assert user["metadata"]["name"].startswith(f"{town}-")
    assert user["spec"]["authentication"]["type"] in {"scram-sha-512", "tls"}
    acls = user["spec"]["authorization"]["acls"]
    assert {acl["resource"]["type"] for acl in acls} == {"topic", "group"}
    for acl in acls:
        assert acl.get("type", "allow") == "allow"
        assert acl["resource"]["patternType"] == "prefix"
        assert acl["resource"]["name"] == f"{town}."
        assert set(acl["operations"]) <= {"Read", "Write", "Describe"}
    # The worker's consumer group is its faust app id, <town>.catalog.worker: under the prefix.
    for doc in of_kind(town, "KafkaTopic") + of_kind(town, "KafkaUser"):
        assert doc["metadata"]["labels"]["downtown.town"] == town


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
        found |= {one(town, "Ingress", "catalog-api")["spec"]["rules"][0]["host"]}
        return found - {"kafka"}  # the Kafka cluster's namespace is shared on purpose

    for index, town in enumerate(TOWNS):
        for other in TOWNS[index + 1 :]:
            assert names(town) & names(other) == set(), f"{town} and {other}"
            for name in names(town):
                assert not name.startswith(f"{other}.") and not name.startswith(f"{other}-")


def test_render_cli_prints_a_yaml_stream(capsys: pytest.CaptureFixture[str]) -> None:
    assert renderer.main(["--town", TOWNS[0]]) == 0
    output = capsys.readouterr().out
    assert output.startswith("---\napiVersion: v1\nkind: Namespace\n")
    assert output.count("\n---\n") == len(rendered(TOWNS[0])) - 1


def test_render_refuses_unknown_towns_and_placeholders(capsys: pytest.CaptureFixture[str]) -> None:
    assert renderer.main(["--town", "atlantis"]) == 2
    assert "no overlay" in capsys.readouterr().err
    with pytest.raises(renderer.RenderError, match="has no value"):
        renderer.substitute("name: ${nowhere.key}", {"town": "x"})
    with pytest.raises(renderer.RenderError, match="does not substitute"):
        renderer.substitute("host: ${hostname}", {"hostname": "a: b"})
    with pytest.raises(renderer.RenderError, match="plain value"):
        renderer.substitute("class: ${photos.storage_class}", {"photos": {"storage_class": None}})
