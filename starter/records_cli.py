"""`onboard export` and `onboard verify`: the audit trail, read from the records store.

They need only the records store (ONBOARDING_DATABASE_URL, or the SQLite file in
ONBOARDING_DATA_DIR), not Temporal: they work after the workflow history is gone.
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

from onboarding.status import OutsideAction
from records.db import make_engine
from records.errors import UnknownTenant
from records.export import export_json, export_markdown
from records.store import RecordsStore
from starter import closure
from starter.artifacts import commit_to_git, push_to_webhook, sha256
from starter.errors import CliError, ExitCode
from worker.config import Settings, load_settings

out = Console(soft_wrap=True, markup=False)
err = Console(stderr=True, soft_wrap=True, markup=False)


class ExportFormat(StrEnum):
    MD = "md"
    JSON = "json"


@contextmanager
def _store() -> Iterator[RecordsStore]:
    settings = load_settings(Settings)
    url = settings.records_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise CliError(
            f"no records store at {url}; set ONBOARDING_DATABASE_URL or ONBOARDING_DATA_DIR "
            "to where the worker keeps its records",
            ExitCode.UNAVAILABLE,
        )
    engine = make_engine(url)
    try:
        yield RecordsStore(engine)
    except UnknownTenant:
        raise CliError(
            "no records for that tenant; `onboard list` shows the onboardings", ExitCode.NOT_FOUND
        ) from None
    except SQLAlchemyError as exc:
        raise CliError(
            f"the records store did not answer ({type(exc).__name__}): check "
            "ONBOARDING_DATABASE_URL",
            ExitCode.UNAVAILABLE,
        ) from None
    finally:
        engine.dispose()


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
    sentence = _markdown_escaped(outside.sentence())
    notice = (
        f"> **{sentence[0].upper()}{sentence[1:]}**. The checklist below is the record up to then."
    )
    return f"{title}\n\n{notice}\n{rest}"


def _markdown_escaped(text: str) -> str:
    """Someone else's words (a terminate reason) as literal Markdown text."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~])", r"\\\1", text)


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

    Each place it is stored (file, ticket, git) is recorded as an artifact of the onboarding.
    """
    with _store() as store:
        pack = export_json(store, tenant)  # an unknown tenant stops here, before Temporal
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
            output.write_text(text, encoding="utf-8")
            locations.append(str(output.resolve()))
        if webhook:
            locations.append(push_to_webhook(webhook, tenant, fmt.value, text))
        if git_dir is not None:
            locations.append(commit_to_git(git_dir, tenant, fmt.value, text))
        digest = sha256(text)
        for location in locations:
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
        out.print(text, end="")
    for location in locations:
        out.print(f"stored evidence.{fmt.value} ({digest[:12]}) at {location}")


def verify(tenant: Annotated[str, typer.Argument(help="Tenant id.")]) -> None:
    """Re-compute the tamper-evident hash chain; exit 5 naming the first bad entry."""
    with _store() as store:
        result = store.verify(tenant)
    outside = _outside(tenant)
    if outside is not None:
        out.print(f"{tenant}: {outside.sentence()}")
    if not result.ok:
        raise CliError(
            f"the record of {tenant} was altered: entry {result.first_bad_seq} is the first "
            f"bad one ({result.reason})",
            ExitCode.TAMPERED,
        )
    out.print(f"record of {tenant} intact: {result.entries} entries, hash chain verified")
