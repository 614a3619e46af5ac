"""Where evidence packs go besides a local file: a ticketing webhook or a git repository.

Both are doors out of the records store, so both are checked before anything moves:

- the webhook must be https to an allow-listed host, or plain http to this machine
  (`notify.outbound.check_outbound`, `ONBOARDING_OUTBOUND_HOSTS`); redirects are not
  followed and at most 64 KiB of the reply is read. Where the pack landed is what the
  *sender* can vouch for: the reply's ``url`` only when it is an https link on the
  webhook's own host or an allow-listed one, else the reply's id, else the webhook's
  scheme and host (never its path, which often holds a token);
- the git directory must be the top of a git work tree, not a symlink, with no symlink
  on the way to the file written; the commit runs with the repository's hooks off.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterable
from pathlib import Path

import httpx

from notify.outbound import (
    REPLY_MAX_BYTES,
    OutboundRefused,
    check_outbound,
    reply_reference,
    where,
)
from onboarding.links import evidence_link
from starter.errors import CliError, ExitCode

WEBHOOK_SETTING = "--webhook (ONBOARDING_ARTIFACT_WEBHOOK)"
REPLY_URL_MAX = 500


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _post(url: str, body: dict[str, str]) -> tuple[int, bytes, httpx.Headers]:
    with (
        httpx.Client(timeout=15.0, follow_redirects=False) as client,
        client.stream("POST", url, json=body) as reply,
    ):
        data = bytearray()
        for chunk in reply.iter_bytes():
            data += chunk[: REPLY_MAX_BYTES - len(data)]
            if len(data) >= REPLY_MAX_BYTES:
                break
        return reply.status_code, bytes(data), reply.headers


def _landed_at(body: bytes, target: httpx.URL, hosts: Iterable[str]) -> str | None:
    """The reply's ``url``, if it is an https link the outbound rules would allow."""
    try:
        answer = json.loads(body) if body else None
    except ValueError:
        return None
    found = answer.get("url") if isinstance(answer, dict) else None
    if not isinstance(found, str) or len(found) > REPLY_URL_MAX:
        return None
    try:
        link = evidence_link(found)
        check_outbound(link, [*hosts, target.host], what="the reply's url", setting="reply")
    except ValueError:
        return None
    return link


def check_webhook(url: str, hosts: Iterable[str]) -> httpx.URL:
    """Return the webhook's URL if the outbound rules allow it.

    Raises:
        CliError: Exit 2, naming the rule (and never the URL's path).
    """
    try:
        return check_outbound(url, hosts, what="the ticketing webhook", setting=WEBHOOK_SETTING)
    except OutboundRefused as refused:
        raise CliError(f"{refused}; nothing was sent", ExitCode.USAGE) from None


def push_to_webhook(url: str, tenant_id: str, fmt: str, text: str, hosts: Iterable[str]) -> str:
    """POST the pack to a ticketing system; return where it landed, validated.

    Raises:
        CliError: The URL is not allowed (exit 2), or the webhook did not take the pack
            (exit 3); nothing is recorded then.
    """
    allowed = list(hosts)
    target = check_webhook(url, allowed)
    body = {
        "tenant_id": tenant_id,
        "title": f"PHASE-33 onboarding evidence: {tenant_id}",
        "format": fmt,
        "sha256": sha256(text),
        "content": text,
    }
    try:
        status, reply, headers = _post(str(target), body)
    except httpx.HTTPError as exc:
        raise CliError(
            f"the ticketing webhook at {where(target)} did not answer ({type(exc).__name__}); "
            "nothing was recorded as delivered",
            ExitCode.UNAVAILABLE,
        ) from None
    if not 200 <= status < 300:
        raise CliError(
            f"the ticketing webhook at {where(target)} refused the pack with HTTP {status}; "
            "nothing was recorded as delivered",
            ExitCode.UNAVAILABLE,
        )
    landed = _landed_at(reply, target, allowed)
    if landed is not None:
        return landed
    reference = reply_reference(reply, headers)
    return f"{where(target)} #{reference}" if reference else where(target)


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [
        "git",
        "-C",
        str(repo),
        "-c",
        "user.name=onboard",
        "-c",
        "user.email=onboard@localizevideos.example",
        "-c",
        "core.hooksPath=/dev/null",  # the repository's hooks never run our commit
        "-c",
        "commit.gpgSign=false",
        *args,
    ]
    return subprocess.run(command, check=check, capture_output=True, text=True)


def check_git_dir(repo: Path) -> Path:
    """Return the git work tree to commit into, refusing anything else.

    Raises:
        CliError: Missing, a symlink, not a directory, not a git work tree, or not its top.
    """
    if repo.is_symlink():
        raise CliError(f"--git-dir {repo} is a symbolic link; give the repository's own path")
    if not repo.is_dir():
        raise CliError(f"--git-dir {repo} is not a git repository (no such directory)")
    resolved = repo.resolve()
    try:
        top = _git(resolved, "rev-parse", "--show-toplevel", check=False)
    except OSError:
        raise CliError("git is not installed; it is needed for --git-dir") from None
    if top.returncode != 0:
        raise CliError(f"--git-dir {repo} is not a git repository; run `git init` there first")
    if Path(top.stdout.strip()).resolve() != resolved:
        raise CliError(
            f"--git-dir {repo} is inside the git repository {top.stdout.strip()}, not its "
            "top; give the repository's top folder"
        )
    return resolved


def _safe_target(repo: Path, relative: Path) -> Path:
    """The file to write, refusing a symlink anywhere between the repository and it."""
    current = repo
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise CliError(
                f"{current} is a symbolic link; the evidence is written only inside the "
                "repository itself"
            )
    if not current.resolve().is_relative_to(repo):
        raise CliError(f"{current} is outside the repository {repo}")
    return current


def commit_to_git(repo: Path, tenant_id: str, fmt: str, text: str) -> str:
    """Write the pack into `repo/onboarding-evidence/<tenant>/` and commit it there.

    Raises:
        CliError: The directory is refused (`check_git_dir`), or git failed.
    """
    try:
        return _commit(repo, tenant_id, fmt, text)
    except subprocess.CalledProcessError as failed:
        reason = (failed.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise CliError(f"git failed in {repo}: {reason[0][:200]}") from None


def _commit(repo: Path, tenant_id: str, fmt: str, text: str) -> str:
    root = check_git_dir(repo)
    relative = Path("onboarding-evidence") / tenant_id / f"evidence.{fmt}"
    target = _safe_target(root, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    target = _safe_target(root, relative)  # again: nothing swapped in while creating
    target.write_text(text, encoding="utf-8")
    _git(root, "add", "--", str(relative))
    staged = _git(root, "diff", "--cached", "--quiet", check=False)
    if staged.returncode != 0:  # something changed: commit it
        _git(
            root,
            "commit",
            "-q",
            "-m",
            f"Onboarding evidence for {tenant_id} ({sha256(text)[:12]})",
            "--",
            str(relative),
        )
    return f"git:{root}/{relative}"
