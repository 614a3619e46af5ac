"""`onboard export` and `onboard verify`: the audit trail, read from the records store.

They need only the records store (ONBOARDING_DATABASE_URL, or the SQLite file in
ONBOARDING_DATA_DIR) and the records keys' public halves, not Temporal: they work after
the workflow history is gone. While the onboarding is still in Temporal, `verify` also
holds the store against what the workflow knows it wrote.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from notify.outbound import OutboundSettings
from onboarding.contract import TENANT_ID_PATTERN
from onboarding.status import OutsideAction
from onboarding.text import escape_markdown, escape_terminal
from records.db import make_engine
from records.errors import UnknownTenant
from records.export import export_json, export_markdown
from records.signing import RecordsSigner, RecordsVerifier
from records.store import RecordsStore
from starter import closure
from starter.artifacts import (
    check_git_dir,
    check_webhook,
    commit_to_git,
    push_to_webhook,
    sha256,
)
from starter.errors import CliError, ExitCode
from starter.verify_inputs import Anchor, InputCheck, check_inputs, workflow_anchor
from worker.config import Settings, load_settings
from worker.keys import MissingKey, records_signer, records_verifier

out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)


class ExportFormat(StrEnum):
    MD = "md"
    JSON = "json"


def _tenant_id(tenant: str) -> str:
    """The tenant argument, refused unless it is a tenant id (it names files and paths)."""
    if not re.match(TENANT_ID_PATTERN, tenant):
        raise CliError(
            f"{tenant[:60]!r} is not a tenant id (3-40 characters of a-z, 0-9 and '-'); "
            "`onboard list` shows the onboardings"
        )
    return tenant


@contextmanager
def open_store(
    settings: Settings,
    signer: RecordsSigner | None = None,
    verifier: RecordsVerifier | None = None,
) -> Iterator[RecordsStore]:
    """The records store the settings name, for a command: a missing SQLite file or a
    database that does not answer is exit 3 with a sentence, never a traceback."""
    url = settings.records_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise CliError(
            f"no records store at {url}; set ONBOARDING_DATABASE_URL or ONBOARDING_DATA_DIR "
            "to where the worker keeps its records",
            ExitCode.UNAVAILABLE,
        )
    engine = make_engine(url)
    try:
        yield RecordsStore(engine, signer, verifier)
    except SQLAlchemyError as exc:
        raise CliError(
            f"the records store did not answer ({type(exc).__name__}): check "
            "ONBOARDING_DATABASE_URL",
            ExitCode.UNAVAILABLE,
        ) from None
    finally:
        engine.dispose()


def _no_records(tenant: str) -> CliError:
    return CliError(
        f"no records for {tenant}; `onboard list` shows the onboardings", ExitCode.NOT_FOUND
    )


def _outside(tenant: str) -> OutsideAction | None:
    """What Temporal (when it answers) says was done outside the process; a note on stderr
    when it could not be asked."""
    action, note = asyncio.run(closure.lookup(tenant))
    if note:
        err.print(
            f"note: {note}; the records alone cannot show an onboarding closed outside the process",
            highlight=False,
        )
    return action


def with_outside_notice(markdown: str, outside: OutsideAction | None) -> str:
    """The Markdown pack with a notice under its title when the run was closed outside."""
    if outside is None:
        return markdown
    title, _, rest = markdown.partition("\n")
    sentence = escape_markdown(outside.sentence())
    notice = (
        f"> **{sentence[0].upper()}{sentence[1:]}**. The checklist below is the record up to then."
    )
    return f"{title}\n\n{notice}\n{rest}"


def export(
    tenant: Annotated[str, typer.Argument(help="Tenant id.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="md or json.")] = ExportFormat.MD,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    webhook: Annotated[
        str | None,
        typer.Option(envvar="ONBOARDING_ARTIFACT_WEBHOOK", help="POST it to a ticketing webhook."),
    ] = None,
    git_dir: Annotated[
        Path | None,
        typer.Option(envvar="ONBOARDING_ARTIFACT_GIT_DIR", help="Commit it into a git repo."),
    ] = None,
    actor: Annotated[
        str, typer.Option("--as", envvar="ONBOARDING_ACTOR", help="Who exports (recorded).")
    ] = "onboard-cli",
) -> None:
    """Write the onboarding's evidence pack from the records store (works without Temporal).

    Each place it is stored (file, ticket, git) is recorded as an artifact of the
    onboarding when this machine holds the records key (the worker's host does).
    """
    tenant = _tenant_id(tenant)
    hosts = load_settings(OutboundSettings).outbound_hosts if webhook else []
    if webhook:
        check_webhook(webhook, hosts)  # refused before anything is written or sent
    if git_dir is not None:
        check_git_dir(git_dir)
    settings = load_settings(Settings)
    try:
        signer: RecordsSigner | None = records_signer(settings)
    except MissingKey:
        signer = None
    with open_store(settings, signer, records_verifier(settings)) as store:
        try:
            pack = export_json(store, tenant)  # an unknown tenant stops here, before Temporal
        except UnknownTenant:
            raise _no_records(tenant) from None
        outside = _outside(tenant)
        if fmt is ExportFormat.JSON:
            if outside is not None:
                pack["closed_outside"] = {
                    **outside.model_dump(mode="json"),
                    "summary": outside.sentence(),
                }
            text = json.dumps(pack, indent=2, sort_keys=True) + "\n"
        else:
            text = with_outside_notice(export_markdown(store, tenant), outside)
        locations: list[str] = []
        if output is not None:
            try:
                output.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CliError(f"cannot write {output}: {exc.strerror}") from None
            locations.append(str(output.resolve()))
        if webhook:
            locations.append(push_to_webhook(webhook, tenant, fmt.value, text, hosts))
        if git_dir is not None:
            locations.append(commit_to_git(git_dir, tenant, fmt.value, text))
        digest = sha256(text)
        if locations and signer is None:
            err.print(
                "note: not recorded as an artifact: this machine does not hold the records key "
                "(ONBOARDING_RECORDS_KEY_FILE); export on the worker's host to record it"
            )
        for location in locations if signer is not None else []:
            store.append(
                tenant,
                "artifact",
                None,
                actor,
                datetime.now(UTC),
                {"name": f"evidence.{fmt.value}", "location": location, "sha256": digest},
                f"artifact:{tenant}:{digest}:{location}",
            )
    if not locations:
        out.print(escape_terminal(text, multiline=True), end="")
    for location in locations:
        out.print(f"stored evidence.{fmt.value} ({digest[:12]}) at {escape_terminal(location)}")


def verify(
    tenant: Annotated[str, typer.Argument(help="Tenant id.")],
    head: Annotated[
        str | None,
        typer.Option(
            help="The head an evidence pack printed (SEQ:HASH): the store must still hold it."
        ),
    ] = None,
) -> None:
    """Check the record: hash chain, records-key signatures, the head against the workflow
    (or an export's), and every accepted input's own signature; exit 5 on tampering."""
    tenant = _tenant_id(tenant)
    settings = load_settings(Settings)
    verifier = records_verifier(settings)
    if verifier is None:
        raise CliError(
            "no records key to check signatures with: set ONBOARDING_RECORDS_PUBLIC_KEYS "
            "(the records keys' public halves) or ONBOARDING_RECORDS_KEY_FILE",
            ExitCode.USAGE,
        )
    anchors = [Anchor.parse(head, "the export's head")] if head else []
    workflow = asyncio.run(workflow_anchor(settings, tenant))
    if workflow.anchor is not None:
        anchors.append(workflow.anchor)
    with open_store(settings, verifier=verifier) as store:
        try:
            snapshot = store.snapshot(tenant)
        except UnknownTenant:
            if workflow.exists or anchors:
                raise CliError(
                    f"the record of {tenant} was altered: the records store has no onboarding "
                    f"{tenant}, but {workflow.note if workflow.exists else 'the export'} says it "
                    "was recorded (its rows were deleted)",
                    ExitCode.TAMPERED,
                ) from None
            raise _no_records(tenant) from None
    result = snapshot.verification
    outside = _outside(tenant)
    if outside is not None:
        out.print(f"{tenant}: {outside.sentence()}")
    if not result.ok:
        raise CliError(
            f"the record of {tenant} was altered: entry {result.first_bad_seq} is the first "
            f"bad one ({escape_terminal(result.reason)})",
            ExitCode.TAMPERED,
        )
    by_seq = {e.seq: e for e in snapshot.entries}
    for anchor in anchors:
        if (problem := anchor.problem(snapshot.onboarding.head_seq, by_seq)) is not None:
            raise CliError(f"the record of {tenant} was altered: {problem}", ExitCode.TAMPERED)
    checks = check_inputs(snapshot.entries, settings)
    bad = [c for c in checks if not c.valid]
    if bad:
        first = bad[0]
        raise CliError(
            f"the record of {tenant} was altered: the signature of input entry {first.seq} "
            f"({first.input} by {first.signer}) does not verify",
            ExitCode.TAMPERED,
        )
    out.print(
        f"record of {tenant} intact: {result.entries} entries, hash chain and records-key "
        "signatures verified"
    )
    for anchor in anchors:
        out.print(f"  head holds: {anchor.describe()}")
    if workflow.anchor is None:
        out.print(f"  not held against the workflow: {workflow.note}")
    _print_inputs(checks)


def _print_inputs(checks: list[InputCheck]) -> None:
    staff = sum(c.channel == "staff" for c in checks)
    out.print(
        f"  {len(checks)} signed inputs re-verified with their public keys ({staff} staff, "
        f"{len(checks) - staff} customer through the approvals service):"
    )
    for c in checks:
        roster = "" if c.key_known else "  (key no longer on the roster)"
        out.print(
            f"    entry {c.seq}: {c.input} by {c.signer}, key {c.fingerprint}, "
            f"signed {c.signed_at}: ok{roster}"
        )
