"""The compose file and the Kubernetes manifests, validated offline against their
schemas (the compose specification bundled in check-jsonschema; Kubernetes' own
OpenAPI schemas bundled in kubernetes-validate), and consistent with the worker: the
probes and scrape ports are the ones it serves, its settings parse, the grace periods
outlast its shutdown grace, the disruption budget and the autoscaler point at it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import TypeAdapter

from identity.keyfiles import public_text
from tests.deploy.image import ROOT
from worker.config import Settings, load_settings

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
KUBERNETES_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
MANIFESTS = sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _kind(kind: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [
        d
        for p in MANIFESTS
        for d in _documents(p)
        if d["kind"] == kind and name in (None, d["metadata"].get("name"))
    ]
    return found


WORKER_CONFIG = "onboarding-worker-config"
SECRET_TEMPLATES = K8S / "secret-template"


def _container(deployment: str, name: str) -> dict[str, Any]:
    (found,) = [
        c
        for c in _kind("Deployment", deployment)["spec"]["template"]["spec"]["containers"]
        if c["name"] == name
    ]
    return found


def _secret_keys() -> dict[str, set[str]]:
    """Each Secret template's name -> the keys it holds."""
    found: dict[str, set[str]] = {}
    for path in SECRET_TEMPLATES.glob("*.yaml"):
        for doc in _documents(path):
            found[doc["metadata"]["name"]] = set(doc.get("stringData", {}))
    return found


def _port(address: str) -> int:
    return int(address.rpartition(":")[2])


def _seconds(iso: str) -> float:
    return TypeAdapter(timedelta).validate_python(iso).total_seconds()


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("path", MANIFESTS, ids=[str(p.relative_to(K8S)) for p in MANIFESTS])
def test_kubernetes_manifest_is_valid(path: Path, version: str) -> None:
    for document in _documents(path):
        if "generateName" in document["metadata"]:  # valid for `kubectl create`
            document["metadata"]["name"] = document["metadata"]["generateName"] + "x"
        kubernetes_validate.validate(document, version, strict=True)


def test_kustomization_applies_every_manifest_but_the_one_offs() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    applied = set(kustomization["resources"])
    assert applied == {p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml"}


def test_compose_file_is_valid() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(DEPLOY / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_worker_settings_in_the_config_map_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _kind("ConfigMap", WORKER_CONFIG)["data"].items():
        if "REPLACE_ME" in value:  # the operator's to fill in; the init container insists
            assert name == "ONBOARDING_APPROVALS_PUBLIC_KEYS", name
            value = json.dumps([public_text(Ed25519PrivateKey.generate())])
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ONBOARDING_PLATFORM_API_KEY", "from-the-secret")
    settings = load_settings(Settings)
    assert settings.deployment_name and settings.deployment_promote
    assert settings.metrics_address and settings.health_address


def test_kubernetes_probes_and_ports_are_what_the_worker_serves() -> None:
    config = _kind("ConfigMap", WORKER_CONFIG)["data"]
    deployment = _kind("Deployment", "onboarding-worker")
    pod = deployment["spec"]["template"]
    (worker,) = [c for c in pod["spec"]["containers"] if c["name"] == "worker"]
    ports = {p["name"]: p["containerPort"] for p in worker["ports"]}
    assert ports["health"] == _port(config["ONBOARDING_HEALTH_ADDRESS"])
    assert ports["metrics"] == _port(config["ONBOARDING_METRICS_ADDRESS"])
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(ports["metrics"])
    assert worker["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    assert worker["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "health"}
    assert worker["startupProbe"]["httpGet"]["port"] == "health"
    grace = _seconds(config["ONBOARDING_SHUTDOWN_GRACE"])
    assert pod["spec"]["terminationGracePeriodSeconds"] > grace


def test_the_worker_refuses_to_start_on_a_placeholder_anywhere() -> None:
    pod = _kind("Deployment", "onboarding-worker")["spec"]["template"]["spec"]
    (check,) = [c for c in pod["initContainers"] if c["name"] == "refuse-placeholders"]
    sources = {r.get("secretRef", r.get("configMapRef", {})).get("name") for r in check["envFrom"]}
    assert sources == {"onboarding-worker-secrets", WORKER_CONFIG}


def test_disruption_budget_and_autoscaler_keep_a_poller() -> None:
    deployment = _kind("Deployment", "onboarding-worker")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    budget = _kind("PodDisruptionBudget")["spec"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    scaler = _kind("HorizontalPodAutoscaler")["spec"]
    assert scaler["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert scaler["minReplicas"] >= 2 and scaler["maxReplicas"] > scaler["minReplicas"]
    assert budget["maxUnavailable"] < scaler["minReplicas"]
    strategy = deployment["spec"]["strategy"]["rollingUpdate"]
    assert strategy["maxUnavailable"] == 0


def test_compose_worker_is_probed_and_stops_after_its_grace() -> None:
    worker = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]["worker"]
    env = worker["environment"]
    health = _port(env["ONBOARDING_HEALTH_ADDRESS"])
    assert f"127.0.0.1:{health}/readyz" in " ".join(worker["healthcheck"]["test"])
    stop = int(str(worker["stop_grace_period"]).removesuffix("s"))
    assert stop > _seconds(env["ONBOARDING_SHUTDOWN_GRACE"])
    assert env["ONBOARDING_DEPLOYMENT_NAME"]


def test_every_variable_compose_requires_is_in_the_env_example() -> None:
    compose = (DEPLOY / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", compose))
    example = (DEPLOY / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert required, "the compose file requires no variable"
    assert required <= listed, f"missing from deploy/.env.example: {sorted(required - listed)}"


@pytest.mark.parametrize(
    ("deployment", "container", "needed"),
    [
        (
            "onboarding-worker",
            "worker",
            {
                "ONBOARDING_PLATFORM_API_KEY",
                "ONBOARDING_CODEC_KEYS",
                "ONBOARDING_DATABASE_URL",
                "ONBOARDING_RECORDS_KEY_FILE",
                "ONBOARDING_LINK_KEY_FILE",
                "ONBOARDING_APPROVALS_PUBLIC_KEYS",
            },
        ),
        (
            "onboarding-approvals",
            "approvals",
            {
                "ONBOARDING_CODEC_KEYS",
                "ONBOARDING_DATABASE_URL",
                "ONBOARDING_APPROVALS_KEY_FILE",
                "ONBOARDING_LINK_KEY_FILE",
                "ONBOARDING_PORTAL_URL",
            },
        ),
        (
            "onboarding-codec-server",
            "codec-server",
            {"ONBOARDING_CODEC_KEYS", "ONBOARDING_CODEC_TOKEN"},
        ),
    ],
)
def test_each_service_gets_the_keys_it_refuses_to_start_without(
    deployment: str, container: str, needed: set[str]
) -> None:
    spec = _container(deployment, container)
    given = {e["name"] for e in spec.get("env", [])}
    if any(r.get("configMapRef", {}).get("name") == WORKER_CONFIG for r in spec.get("envFrom", [])):
        given |= set(_kind("ConfigMap", WORKER_CONFIG)["data"])
    assert needed <= given, f"{deployment} lacks {sorted(needed - given)}"
    secrets = _secret_keys()
    for variable in spec.get("env", []):
        ref = variable.get("valueFrom", {}).get("secretKeyRef")
        if ref:  # every key a container takes from a Secret is in that Secret's template
            assert ref["key"] in secrets[ref["name"]], (deployment, ref)
    # Key files are read from a mounted folder, never from the image.
    mounts = [m["mountPath"] for m in spec.get("volumeMounts", [])]
    config = _kind("ConfigMap", WORKER_CONFIG)["data"]
    values = {e["name"]: e.get("value") for e in spec.get("env", [])} | config
    for name in needed:
        if name.endswith("_KEY_FILE"):
            assert any(str(values[name]).startswith(m + "/") for m in mounts), (deployment, name)


def test_compose_services_get_the_keys_they_refuse_to_start_without() -> None:
    services = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]
    needs = {
        "worker": {
            "ONBOARDING_CODEC_KEYS",
            "ONBOARDING_RECORDS_KEY_FILE",
            "ONBOARDING_LINK_KEY_FILE",
        },
        "approvals": {"ONBOARDING_CODEC_KEYS", "ONBOARDING_APPROVALS_KEY_FILE"},
        "codec-server": {"ONBOARDING_CODEC_KEYS", "ONBOARDING_CODEC_TOKEN"},
    }
    for name, needed in needs.items():
        env = services[name]["environment"]
        assert needed <= set(env), f"{name} lacks {sorted(needed - set(env))}"
