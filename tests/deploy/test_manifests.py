"""The compose file and the Kubernetes manifests, validated offline against their
schemas (the compose specification bundled in check-jsonschema; Kubernetes' own
OpenAPI schemas bundled in kubernetes-validate), and consistent with the worker: the
probes and scrape ports are the ones it serves, its settings parse, the grace periods
outlast its shutdown grace, the disruption budget and the autoscaler point at it."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import TypeAdapter

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
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ONBOARDING_PLATFORM_API_KEY", "from-the-secret")
    settings = load_settings(Settings)
    assert settings.deployment_name and settings.deployment_promote
    assert settings.metrics_address and settings.health_address


def test_kubernetes_probes_and_ports_are_what_the_worker_serves() -> None:
    config = _kind("ConfigMap", WORKER_CONFIG)["data"]
    deployment = _kind("Deployment")
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


def test_disruption_budget_and_autoscaler_keep_a_poller() -> None:
    deployment = _kind("Deployment")
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
