"""`onboard export` (a real subprocess, records store only): its doors out are checked.

The webhook: https to an allow-listed host or http to loopback, nothing sent otherwise,
and the receiver's reply validated before anything is recorded. The git folder: the top
of a real work tree, no symlink on the way, the repository's hooks never run. Bad
settings and arguments are exit codes with a sentence, never a traceback.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from identity.keyfiles import create_private_key
from records.db import default_url, make_engine, migrate
from records.signing import RecordsSigner
from records.store import RecordsStore
from tests.conftest import ROOT
from tests.records.builders import Recorder

TENANT = "t-doors"
RECORDS_KEY_FILES: dict[str, Path] = {}
"""Each test's records store URL -> the key file its entries are signed with."""


@pytest.fixture
def records(tmp_path: Path) -> str:
    url = default_url(tmp_path / "data")
    migrate(url)
    engine = make_engine(url)
    # The records key the worker signs with; export records its artifacts with it too.
    key = create_private_key(tmp_path / "records.key", "test records key")
    RECORDS_KEY_FILES[url] = tmp_path / "records.key"
    try:
        Recorder(RecordsStore(engine, RecordsSigner(key)), TENANT).open()
    finally:
        engine.dispose()
    return url


def export(records: str, *args: str | Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "ONBOARDING_"))}
    done = subprocess.run(
        [sys.executable, "-m", "starter", "export", *map(str, args)],
        cwd=ROOT,
        env={
            **env,
            "ONBOARDING_DATABASE_URL": records,
            "ONBOARDING_RECORDS_KEY_FILE": str(RECORDS_KEY_FILES.get(records, "/nonexistent")),
            "NO_COLOR": "1",
            **variables,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def artifacts(records: str) -> list[str]:
    pack = json.loads(export(records, TENANT, "--format", "json").stdout)
    return [a["location"] for a in pack["artifacts"]]


@contextmanager
def receiver(reply: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Tickets(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            body = json.dumps(reply).encode()
            self.send_response(201)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Tickets)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ the webhook


@pytest.mark.parametrize(
    "reply",
    [
        {"url": "https://evil.example/T-1"},
        {"url": "http://127.0.0.1:1/T-1"},
        {"url": "https://tickets.example/\u001b[31mplatform sign-off recorded"},
        {"url": "javascript:alert(1)"},
        {"url": ["x"], "id": "https://evil.example/T-1"},
    ],
)
def test_a_receivers_url_is_not_recorded_unless_the_rules_allow_it(
    records: str, reply: dict[str, Any]
) -> None:
    with receiver(reply) as (url, received):
        done = export(records, TENANT, "--webhook", f"{url}/hooks/S3CR3T")
    assert done.returncode == 0, done.stderr
    assert received and received[0]["tenant_id"] == TENANT
    assert [a for a in artifacts(records) if "evil" in a or "sign-off" in a] == []
    assert artifacts(records) == [url]  # scheme, host and port: never the path's token
    assert "S3CR3T" not in done.stdout


def test_a_receivers_url_on_an_allowed_host_and_its_id_are_recorded(records: str) -> None:
    with receiver({"url": "https://tickets.example/T-42"}) as (url, _):
        done = export(
            records, TENANT, "--webhook", url, ONBOARDING_OUTBOUND_HOSTS="tickets.example"
        )
    assert done.returncode == 0 and "https://tickets.example/T-42" in done.stdout
    with receiver({"id": "T-43"}) as (url, _):
        assert export(records, TENANT, "--webhook", url).returncode == 0
    assert artifacts(records) == ["https://tickets.example/T-42", f"{url} #T-43"]


@pytest.mark.parametrize(
    ("hook", "hosts", "words"),
    [
        ("http://tickets.example/hooks/S3CR3T", "tickets.example", "must use https://"),
        ("https://tickets.example/hooks/S3CR3T", "", "not on the outbound allow-list"),
        ("https://tickets.example/hooks/S3CR3T", "other.example", "ONBOARDING_OUTBOUND_HOSTS"),
        ("file:///etc/passwd", "", "absolute https:// URL"),
    ],
)
def test_a_webhook_the_rules_refuse_gets_nothing(
    records: str, tmp_path: Path, hook: str, hosts: str, words: str
) -> None:
    pack = tmp_path / "pack.md"
    done = export(records, TENANT, "-o", pack, "--webhook", hook, ONBOARDING_OUTBOUND_HOSTS=hosts)
    assert done.returncode == 2
    assert words in done.stderr and "nothing was sent" in done.stderr
    assert "S3CR3T" not in done.stderr
    assert not pack.exists() and artifacts(records) == []


# ------------------------------------------------------------------ the git folder


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "evidence-repo"
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    return folder


def test_the_pack_is_committed_with_the_repositorys_hooks_off(
    records: str, repo: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "hook-ran"
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)

    done = export(records, TENANT, "--git-dir", repo)

    assert done.returncode == 0, done.stderr
    assert (repo / "onboarding-evidence" / TENANT / "evidence.md").read_text().startswith("#")
    assert TENANT in git(repo, "log", "--oneline")
    assert not marker.exists()


def test_a_symlinked_git_dir_is_refused(records: str, repo: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(repo)
    done = export(records, TENANT, "--git-dir", link)
    assert done.returncode == 1 and "symbolic link" in done.stderr
    assert artifacts(records) == []


def test_a_folder_inside_a_repository_is_refused(records: str, repo: Path) -> None:
    inner = repo / "docs"
    inner.mkdir()
    done = export(records, TENANT, "--git-dir", inner)
    assert done.returncode == 1 and "not its top" in done.stderr


@pytest.mark.parametrize("kind", ["missing", "plain folder"])
def test_no_git_work_tree_is_refused(records: str, tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "plain"
    if kind == "plain folder":
        folder.mkdir()
    done = export(records, TENANT, "--git-dir", folder)
    assert done.returncode == 1 and "not a git repository" in done.stderr


def test_a_symlink_inside_the_repository_cannot_redirect_the_write(
    records: str, repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "onboarding-evidence").symlink_to(outside)
    done = export(records, TENANT, "--git-dir", repo)
    assert done.returncode == 1 and "symbolic link" in done.stderr
    assert list(outside.iterdir()) == []


# ------------------------------------------------------------------ arguments and settings


@pytest.mark.parametrize("tenant", ["../../etc", "T-DOORS", "x", "a/b"])
def test_only_a_tenant_id_is_taken(records: str, tenant: str) -> None:
    done = export(records, tenant)
    assert done.returncode == 1 and "is not a tenant id" in done.stderr


@pytest.mark.parametrize(
    "url", ["mysql://root@db/records", "oracle://x", "sqlite+aiosqlite:///x.db", "nonsense"]
)
def test_an_unsupported_database_url_is_exit_2_naming_the_variable(url: str) -> None:
    done = export(url, TENANT)
    assert done.returncode == 2
    assert "ONBOARDING_DATABASE_URL: " in done.stderr
    assert "sqlite:///PATH or postgresql+psycopg://" in done.stderr
