"""`onboard`: start onboardings, give sign-offs, watch progress, run the embedded stack.

Exit codes: 0 done, 1 refused (bad input, not allowed, not open yet), 2 usage or invalid settings,
3 Temporal / worker / platform unreachable, 4 unknown tenant.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer
from pydantic import BaseModel, TypeAdapter, ValidationError
from rich.console import Console
from rich.text import Text
from temporalio.client import Client

from codec.aesgcm import PayloadDecryptionError, UnknownKeyError
from onboarding.inputs import (
    ApproveDeviation,
    AssignOwner,
    Feedback,
    InputName,
    MoveDeadline,
    RecordEnablement,
    RejectDeviation,
    RequestDeviation,
    RetryStep,
    SignOff,
)
from onboarding.problems import InputFileError, load_contract, problems_from
from onboarding.steps import EnablementItem, OnboardingState, SignOffGate, StepKey
from onboarding.text import escape_terminal
from starter import codec_cli, keys_cli, ops, records_cli, render, report_cli
from starter.approvals_client import redeem_link
from starter.errors import CliError, ExitCode
from starter.sandbox_cli import sandbox_app
from starter.signing import print_signal, sign_input, staff_signer
from worker.client import TemporalUnreachable, connect
from worker.config import InvalidSettings, Settings, load_settings
from worker.keys import MissingKey

T = TypeVar("T")

app = typer.Typer(
    name="onboard",
    help="PHASE-33 enterprise onboarding for LocalizeVideos, on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(sandbox_app, name="sandbox")
app.command()(records_cli.export)
app.command()(records_cli.verify)
app.command()(keys_cli.keygen)
app.command()(report_cli.report)
app.command("codec-server")(codec_cli.codec_server)
deviation_app = typer.Typer(
    help="Deviations: pass over a blocked check, approved by a second person."
)
app.add_typer(deviation_app, name="deviation")

out = Console(soft_wrap=True, markup=False, emoji=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False)

Actor = Annotated[
    str,
    typer.Option(
        "--as",
        envvar="ONBOARDING_ACTOR",
        help="Your e-mail: who is acting (checked).",
        show_envvar=True,
    ),
]
Tenant = Annotated[str, typer.Argument(help="Tenant id, e.g. northwind-studios.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
PrintSignal = Annotated[
    bool,
    typer.Option(
        "--print-signal",
        help="Print the signed input for the Web UI's Send a Signal instead of sending it.",
    ),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        help="A customer admin's personal link (the whole link as it arrived, or its token).",
    ),
]


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def _client() -> tuple[Client, Settings]:
    settings = load_settings(Settings)
    try:
        client = await connect(settings.temporal)
    except RuntimeError as exc:
        raise CliError(
            f"cannot reach Temporal at {settings.temporal.address} ({exc}). "
            "Start the stack with `onboard dev`, or set TEMPORAL_ADDRESS.",
            ExitCode.UNAVAILABLE,
        ) from None
    return client, settings


def _model(model: type[BaseModel], **fields: Any) -> Any:
    """Build an input model, turning validation errors into a listed refusal."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems = problems_from(exc)
        raise CliError("refused: invalid input", details=[str(p) for p in problems]) from None


def _receipt(
    tenant: str,
    name: InputName,
    payload: Any,
    as_json: bool,
    signal: bool = False,
) -> None:
    """Sign an input with the key of its `--as`, then send it (or print it for the Web UI)."""
    settings = load_settings(Settings)
    envelope = sign_input(staff_signer(settings, payload.by), tenant, name, payload)
    if signal:
        print_signal(out, envelope)
        return

    async def send() -> None:
        client, _ = await _client()
        receipt = await ops.send_input(client, tenant, envelope)
        if as_json:
            out.print_json(receipt.model_dump_json(), ensure_ascii=True)
        else:
            prefix = "already recorded: " if receipt.already_recorded else "accepted: "
            out.print(prefix + escape_terminal(receipt.message))

    _run(send())


# --------------------------------------------------------------------- commands


@app.command()
def start(
    contract_file: Annotated[Path, typer.Argument(help="The contract YAML.", metavar="CONTRACT")],
    actor: Actor,
    as_json: JsonFlag = False,
) -> None:
    """Validate a contract and start its onboarding (refused with every problem listed)."""
    try:
        contract = load_contract(contract_file)
    except InputFileError as exc:
        raise CliError(
            f"{exc.source} is refused, nothing was started. Fix these and run again:",
            details=[str(p) for p in exc.problems],
        ) from None
    by = _model(AssignOwner, by=actor, owner=actor).by  # normalise / validate the e-mail
    signer = staff_signer(load_settings(Settings), by)

    async def go() -> None:
        client, settings = await _client()
        handle = await ops.start_onboarding(client, contract, signer, settings.task_queue)
        link = f"{settings.ui_url}/namespaces/{settings.temporal.namespace}/workflows/{handle.id}"
        if as_json:
            out.print_json(json.dumps({"workflow_id": handle.id, "web_ui": link}))
        else:
            out.print(f"started {handle.id} for {escape_terminal(contract.tenant.name)}")
            out.print(f"watch: onboard status {contract.tenant.id}   web: {link}")

    _run(go())


@app.command()
def status(
    tenant: Tenant,
    as_json: JsonFlag = False,
    watch: Annotated[bool, typer.Option("--watch", help="Keep it live until Ctrl-C.")] = False,
) -> None:
    """Show an onboarding's checklist: steps, times, actors, checks, sign-offs, refusals."""

    async def go() -> None:
        client, _ = await _client()
        current = await ops.get_status(client, tenant)
        if as_json:
            out.print_json(current.model_dump_json(), ensure_ascii=True)
        elif watch:
            await render.watch_status(out, current, lambda: ops.get_status(client, tenant))
        else:
            render.print_status(out, current)

    try:
        _run(go())
    except KeyboardInterrupt:
        if not watch:
            raise
        # Ctrl-C is how a watch ends: a normal exit, not an abort.


@app.command("list")
def list_(
    state: Annotated[OnboardingState | None, typer.Option(help="Only this state.")] = None,
    step: Annotated[StepKey | None, typer.Option(help="Only at this step.")] = None,
    blocked: Annotated[bool, typer.Option("--blocked", help="Only blocked ones.")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="A gate past its due time.")] = False,
    owner: Annotated[str | None, typer.Option(help="Only this owner's.")] = None,
    region: Annotated[str | None, typer.Option(help="Only this residency region.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List onboardings with their state and current step, filtered like the Web UI."""
    query = ops.list_filter(
        state=state.value if state else None,
        step=step.value if step else None,
        blocked=blocked,
        overdue=overdue,
        owner=owner,
        region=region,
    )

    async def go() -> None:
        client, _ = await _client()
        rows = await ops.list_onboardings(client, query)
        if as_json:
            out.print_json(json.dumps([r.model_dump() for r in rows]), ensure_ascii=True)
        else:
            render.print_list(out, rows)

    _run(go())


@app.command("assign-owner")
def assign_owner(
    tenant: Tenant,
    owner: Annotated[str, typer.Option(help="E-mail of the owner (role onboarding_owner).")],
    actor: Actor,
    as_json: JsonFlag = False,
    signal: PrintSignal = False,
) -> None:
    """Assign the onboarding owner (Step 1)."""
    payload = _model(AssignOwner, by=actor, owner=owner)
    _receipt(tenant, InputName.ASSIGN_OWNER, payload, as_json, signal)


@app.command()
def enablement(
    tenant: Tenant,
    item: Annotated[EnablementItem, typer.Argument(help="The enablement item delivered.")],
    evidence: Annotated[str, typer.Option(help="Link to the recording, doc or ticket.")],
    actor: Actor,
    as_json: JsonFlag = False,
    signal: PrintSignal = False,
) -> None:
    """Record a customer-enablement item with its evidence (Step 6)."""
    payload = _model(RecordEnablement, by=actor, item=item, evidence=evidence)
    _receipt(tenant, InputName.RECORD_ENABLEMENT, payload, as_json, signal)


@app.command("sign-off")
def sign_off(
    tenant: Tenant,
    gate: Annotated[SignOffGate, typer.Argument(help="Which sign-off.")],
    actor: Actor,
    note: Annotated[str | None, typer.Option(help="Optional note kept with it.")] = None,
    token: Token = None,
    as_json: JsonFlag = False,
    signal: PrintSignal = False,
) -> None:
    """Give a go-live sign-off (Step 7): platform or support with your key; customer
    through the admin's personal link (`--token`)."""
    payload = _model(SignOff, by=actor, gate=gate, note=note)
    if gate is SignOffGate.CUSTOMER:
        _customer_input(tenant, token, actor, {"note": note}, as_json, "sign-off")
        return
    if token is not None:
        raise CliError("refused: --token is for the customer sign-off; staff sign with their key")
    _receipt(tenant, InputName.SIGN_OFF, payload, as_json, signal)


@app.command()
def feedback(
    tenant: Tenant,
    actor: Actor,
    text: Annotated[str, typer.Option(help="The customer's feedback.")],
    token: Token = None,
    as_json: JsonFlag = False,
    signal: PrintSignal = False,
) -> None:
    """Capture post-onboarding review feedback: a customer admin with their personal link
    (`--token`), the owner or a csm with their key."""
    payload = _model(Feedback, by=actor, text=text)
    if token is not None:
        _customer_input(tenant, token, actor, {"text": text}, as_json, "feedback")
        return
    _receipt(tenant, InputName.GIVE_FEEDBACK, payload, as_json, signal)


@app.command()
def retry(
    tenant: Tenant,
    step: Annotated[StepKey, typer.Argument(help="The blocked step.")],
    actor: Actor,
    as_json: JsonFlag = False,
    signal: PrintSignal = False,
) -> None:
    """Run a blocked step again once its cause is fixed."""
    _receipt(tenant, InputName.RETRY_STEP, _model(RetryStep, by=actor, step=step), as_json, signal)


@app.command()
def deadline(
    tenant: Tenant,
    gate: Annotated[
        str,
        typer.Argument(
            help="The open gate, as `onboard status` lists it: owner-assignment, "
            "enablement:ITEM, sign-off:customer|platform|support or review-feedback."
        ),
    ],
    due: Annotated[
        str,
        typer.Option(
            help="The new deadline: an ISO 8601 time (UTC unless it has an offset), e.g. "
            "2026-12-04T17:00+01:00, or +DURATION from now, e.g. +P2D or +PT4H."
        ),
    ],
    actor: Actor,
    reason: Annotated[str | None, typer.Option(help="Why, kept on record.")] = None,
    as_json: JsonFlag = False,
    signal: PrintSignal = False,
) -> None:
    """Move an open gate's deadline (the owner only); its reminders and escalations follow."""
    payload = _model(MoveDeadline, by=actor, gate=gate, due=parse_due(due), reason=reason)
    _receipt(tenant, InputName.MOVE_DEADLINE, payload, as_json, signal)


def _customer_input(
    tenant: str,
    token: str | None,
    actor: str,
    fields: dict[str, Any],
    as_json: bool,
    what: str,
) -> None:
    """A customer admin's input: redeemed through the approvals service with their link."""
    if token is None:
        raise CliError(
            f"refused: the customer {what} is given by a named admin through the personal "
            f"link sent to them: add --token LINK (a staff key never signs for the customer)"
        )
    settings = load_settings(Settings)
    answer = _run(redeem_link(settings.portal_url, tenant, token, actor, fields))
    if as_json:
        out.print_json(json.dumps(answer.as_json()))
    else:
        out.print(answer.message)


def parse_due(text: str) -> datetime:
    """An aware deadline from the command line: ISO 8601 (naive means UTC) or +DURATION."""
    text = text.strip()
    try:
        if text.startswith("+"):
            return datetime.now(UTC) + TypeAdapter(timedelta).validate_python(text[1:])
        moment = datetime.fromisoformat(text)
    except (ValueError, ValidationError, OverflowError):
        raise CliError(
            f"refused: --due {text[:80]!r} is not a time within reach; write it as "
            "2026-12-04T17:00+01:00 (UTC if no offset) or as +P2D / +PT4H from now, at most "
            "a year ahead"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@deviation_app.command("request")
def deviation_request(
    tenant: Tenant,
    step: Annotated[StepKey, typer.Option(help="The blocked step.")],
    check: Annotated[str, typer.Option(help="The failed check to pass over.")],
    reason: Annotated[str, typer.Option(help="Why passing it over is acceptable.")],
    actor: Actor,
    as_json: JsonFlag = False,
    signal: PrintSignal = False,
) -> None:
    """Request a deviation for one failed check (anyone on the roster)."""
    payload = _model(RequestDeviation, by=actor, step=step, check=check, reason=reason)
    _receipt(tenant, InputName.REQUEST_DEVIATION, payload, as_json, signal)


@deviation_app.command("approve")
def deviation_approve(
    tenant: Tenant,
    deviation_id: Annotated[str, typer.Argument(help="e.g. DEV-1")],
    actor: Actor,
    note: Annotated[str | None, typer.Option(help="Kept with the decision.")] = None,
    as_json: JsonFlag = False,
    signal: PrintSignal = False,
) -> None:
    """Approve a deviation (a platform_approver who did not request it)."""
    payload = _model(ApproveDeviation, by=actor, deviation_id=deviation_id, note=note)
    _receipt(tenant, InputName.APPROVE_DEVIATION, payload, as_json, signal)


@deviation_app.command("reject")
def deviation_reject(
    tenant: Tenant,
    deviation_id: Annotated[str, typer.Argument(help="e.g. DEV-1")],
    actor: Actor,
    note: Annotated[str | None, typer.Option(help="Kept with the decision.")] = None,
    as_json: JsonFlag = False,
    signal: PrintSignal = False,
) -> None:
    """Reject a deviation; the step stays blocked until fixed and retried."""
    payload = _model(RejectDeviation, by=actor, deviation_id=deviation_id, note=note)
    _receipt(tenant, InputName.REJECT_DEVIATION, payload, as_json, signal)


@app.command()
def worker() -> None:
    """Run a worker alone (settings from ONBOARDING_* and TEMPORAL_* variables)."""
    from worker.main import run_worker

    _run(run_worker(load_settings(Settings)))


@app.command()
def dev(
    data_dir: Annotated[Path, typer.Option(help="Where the stack keeps its files.")] = Path(
        ".onboarding"
    ),
    roster: Annotated[Path | None, typer.Option(help="Roster YAML for the worker.")] = None,
    port: Annotated[int, typer.Option(help="Temporal gRPC port.")] = 7233,
    ui_port: Annotated[int, typer.Option(help="Temporal Web UI port.")] = 8233,
    platform_port: Annotated[int, typer.Option(help="Sandbox platform port.")] = 8400,
    portal_port: Annotated[int, typer.Option(help="Approvals service port.")] = 8500,
    codec_port: Annotated[int, typer.Option(help="Codec server port (the UI decodes).")] = 8234,
) -> None:
    """Run the embedded stack in the foreground: dev server, sandbox platform, worker, the
    approvals service and the codec server its Web UI decodes payloads through."""
    from starter.devstack import DevStack, Ports, StackError, run_until_stopped

    roster_file = (roster or load_settings(Settings).roster_file).resolve()
    stack = DevStack(
        data_dir=data_dir.resolve(),
        roster=roster_file,
        ports=Ports(
            temporal=port, ui=ui_port, sandbox=platform_port, portal=portal_port, codec=codec_port
        ),
        demo_keys=roster is None,  # the example roster gets labelled demo keys
    )

    def started() -> None:
        out.print(f"Temporal   {stack.temporal_address}  (SQLite: {data_dir / 'temporal.db'})")
        out.print(f"Web UI     {stack.ui_url}")
        out.print(
            f"Platform   {stack.platform_url}  (sandbox; {stack.password_hashing} password "
            "hashing, for a local stack only)"
        )
        out.print(f"Approvals  {stack.portal_url}  (customers' links)")
        out.print(f"Worker     roster {stack.keys.roster}")
        out.print(f"Mailbox    {stack.mailbox}  (notifications, customers' links included)")
        if stack.keys.staff_key_dir is not None:
            out.print(
                f"Demo keys  {stack.keys.staff_key_dir}  (example roster only; "
                f"export ONBOARDING_KEY_DIR={stack.keys.staff_key_dir} to act as its people)"
            )
        keys = stack.secrets
        out.print(f"Codec      {stack.codec_url}  (keys {keys.key_file}, token {keys.token_file})")
        out.print(
            f"           temporal workflow show -w ID --codec-endpoint {stack.codec_url} "
            f'--codec-auth "Bearer $(cat {keys.token_file})"'
        )
        out.print(f"Logs       {data_dir / 'logs'}")
        if stack.leftovers:
            pids = ", ".join(str(p.pid) for p in stack.leftovers)
            out.print(f"Ended      what a killed stack had left running here (pid {pids})")
        out.print("Ctrl-C stops everything; run again to resume from the same files.")

    try:
        crashed = run_until_stopped(stack, started)
    except StackError as exc:
        raise CliError(str(exc), ExitCode.UNAVAILABLE) from None
    if crashed is not None:
        raise CliError(f"stopped because {crashed}", ExitCode.UNAVAILABLE)
    out.print("stopped (all parts shut down cleanly)")


@app.command()
def approvals(
    host: Annotated[
        str | None,
        typer.Option(
            help="Interface (default: ONBOARDING_PORTAL_URL's host; 0.0.0.0 in a container)."
        ),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default: ONBOARDING_PORTAL_URL's).")
    ] = None,
) -> None:
    """Run the approvals service: customers' one-time links and their page."""
    from approvals.server import serve

    _run(serve(load_settings(Settings), host=host, port=port))


@app.command()
def bench(
    rounds: Annotated[int, typer.Option(min=1, max=20, help="Onboardings per stack.")] = 3,
) -> None:
    """Measure one onboarding end to end: SQLite WAL (default) against plain pragmas."""
    from starter.bench import run_bench

    _run(run_bench(out, rounds))


@app.command()
def demo() -> None:
    """Run one complete onboarding of the example contract, start to go-live."""
    from starter.demo import run_demo

    _run(run_demo(out))


# ------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and leave with its own exit code, whatever the interpreter does at exit."""
    code = run(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    # The Temporal client's runtime can abort a short-lived process at interpreter
    # exit (sdk-python issue 300); leaving here keeps the exit code ours.
    os._exit(code)


def run_failed(exc: CliError) -> int:
    """Print a user-facing failure (a sentence and its details) and return its exit code."""
    # markup=False / Text: messages carry file names and user input, never rich markup;
    # escape_terminal: nor an escape sequence or bidi override that would act on the terminal
    message = escape_terminal(exc.message)
    err.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False)
    for line in exc.details:
        err.print(f"  - {escape_terminal(line)}", highlight=False, markup=False)
    return int(exc.code)


def _show_usage_error(exc: Any) -> None:
    """Print click's own usage error (it quotes the arguments given) with escapes made inert."""
    shown = io.StringIO()
    show = getattr(exc, "show", None)
    if callable(show):
        show(file=shown)
    else:
        shown.write(f"Error: {exc.format_message()}\n")
    sys.stderr.write(escape_terminal(shown.getvalue(), multiline=True))


def run(argv: list[str] | None = None) -> int:
    try:
        result = app(args=argv, standalone_mode=False)
    except InvalidSettings as exc:
        return run_failed(
            CliError(
                "the settings are invalid; fix these environment variables and run again:",
                ExitCode.USAGE,
                details=exc.problems,
            )
        )
    except MissingKey as exc:
        return run_failed(CliError(f"a key is missing: {exc}", ExitCode.USAGE))
    except TemporalUnreachable as exc:  # a service that waited for Temporal in vain
        return run_failed(CliError(str(exc), ExitCode.UNAVAILABLE))
    except CliError as exc:
        return run_failed(exc)
    except PayloadDecryptionError as exc:  # a payload this key ring cannot open
        code = ExitCode.USAGE if isinstance(exc, UnknownKeyError) else ExitCode.TAMPERED
        return run_failed(CliError(str(exc), code))
    except (typer.Exit, click.exceptions.Exit) as exc:
        return int(exc.exit_code)
    except (typer.Abort, click.exceptions.Abort):
        err.print("aborted")
        return 130
    except click.ClickException as exc:  # typer < 0.26 raises click's own exceptions
        _show_usage_error(exc)
        return int(exc.exit_code)
    except typer.TyperException as exc:  # typer >= 0.26 raises those of its vendored click
        _show_usage_error(exc)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return 130
    # click returns the code of a typer.Exit instead of raising it in this mode
    return result if isinstance(result, int) else 0
