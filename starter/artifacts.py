"""Where evidence packs go besides a local file: a ticketing webhook or a git repository."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import httpx

from starter.errors import CliError, ExitCode


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def push_to_webhook(url: str, tenant_id: str, fmt: str, text: str) -> str:
    """POST the pack to a ticketing system; return where it landed (its reply's url/id)."""
    body = {
        "tenant_id": tenant_id,
        "title": f"PHASE-33 onboarding evidence: {tenant_id}",
        "format": fmt,
        "sha256": sha256(text),
        "content": text,
    }
    try:
        reply = httpx.post(url, json=body, timeout=15.0)
    except httpx.HTTPError as exc:
        raise CliError(
            f"the ticketing webhook did not answer ({type(exc).__name__}); "
            "nothing was recorded as delivered",
            ExitCode.UNAVAILABLE,
        ) from None
    if reply.status_code >= 300:
        raise CliError(
            f"the ticketing webhook refused the pack with HTTP {reply.status_code}; "
            "nothing was recorded as delivered",
            ExitCode.UNAVAILABLE,
        )
    try:
        answer = reply.json()
    except ValueError:
        answer = {}
    found = answer.get("url") or answer.get("id") if isinstance(answer, dict) else None
    return str(found or url)


def commit_to_git(repo: Path, tenant_id: str, fmt: str, text: str) -> str:
    """Write the pack into `repo/onboarding-evidence/<tenant>/` and commit it there."""
    if not (repo / ".git").exists():
        raise CliError(f"{repo} is not a git repository (no .git); run `git init` there first")
    relative = Path("onboarding-evidence") / tenant_id / f"evidence.{fmt}"
    target = repo / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    git = [
        "git",
        "-C",
        str(repo),
        "-c",
        "user.name=onboard",
        "-c",
        "user.email=onboard@localizevideos.example",
    ]
    subprocess.run([*git, "add", str(relative)], check=True, capture_output=True)
    staged = subprocess.run([*git, "diff", "--cached", "--quiet"], check=False)
    if staged.returncode != 0:  # something changed: commit it
        subprocess.run(
            [
                *git,
                "commit",
                "-q",
                "-m",
                f"Onboarding evidence for {tenant_id} ({sha256(text)[:12]})",
            ],
            check=True,
            capture_output=True,
        )
    return f"git:{repo}/{relative}"
