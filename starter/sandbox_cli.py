"""``onboard sandbox``: run the sandbox platform, switch its faults on and off, and play a
customer user opening an enablement item.

The other commands talk to a running sandbox over HTTP at ``ONBOARDING_PLATFORM_URL`` with the
admin key ``ONBOARDING_PLATFORM_API_KEY``, exactly as the onboarding worker does.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Any, NoReturn
from urllib.parse import quote

import httpx
import typer
from pydantic import ValidationError

from onboarding.text import escape_terminal
from sandbox.keys import KeyFileError, admin_key_path, read_admin_key

DEFAULT_PLATFORM_URL = "http://127.0.0.1:8400"
TIMEOUT_S = 10.0

sandbox_app = typer.Typer(
    name="sandbox",
    help="Run the LocalizeVideos sandbox platform, or inject faults into the running one.",
    add_completion=False,
    no_args_is_help=False,
)


def _fail(sentence: str, code: int = 1) -> NoReturn:
    # The sentence may quote the platform's answer: printed inert (escape_terminal).
    typer.echo(escape_terminal(sentence), err=True)
    raise typer.Exit(code)


def _platform_url() -> str:
    return os.environ.get("ONBOARDING_PLATFORM_URL", DEFAULT_PLATFORM_URL).rstrip("/")


def _send(method: str, path: str, body: dict[str, Any] | None, token: str | None) -> httpx.Response:
    """One call to the sandbox; a connection failure ends the command with one clear sentence."""
    url = _platform_url()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=TIMEOUT_S) as client:
            return client.request(method, path, json=body)
    except (httpx.ConnectError, httpx.ConnectTimeout):
        _fail(
            f"The sandbox is not running at {url}; start it with `onboard sandbox` "
            "(or set ONBOARDING_PLATFORM_URL to where it runs)."
        )
    except httpx.HTTPError as exc:
        _fail(f"Could not talk to the sandbox at {url} ({exc}); check that it is running.")


def _answer(response: httpx.Response) -> Any:
    """The JSON body of a success; a refusal ends the command with the platform's sentence."""
    if response.status_code == 204:
        return None
    try:
        data = response.json()
    except ValueError:
        _fail(
            f"The service at {_platform_url()} is not the sandbox platform (it did not answer "
            "JSON)."
        )
    if response.status_code >= 400:
        detail = data.get("detail") if isinstance(data, dict) else None
        _fail(str(detail or f"The sandbox answered {response.status_code}."))
    return data


def _admin_key() -> str:
    """ONBOARDING_PLATFORM_API_KEY, else the key `onboard dev` generated in its data dir."""
    key = os.environ.get("ONBOARDING_PLATFORM_API_KEY", "").strip()
    if key:
        return key
    data_dir = Path(os.environ.get("ONBOARDING_DATA_DIR", ".onboarding")) / "sandbox"
    try:
        found = read_admin_key(data_dir)
    except KeyFileError as exc:
        _fail(f"{exc}; or set ONBOARDING_PLATFORM_API_KEY to the sandbox's admin key.", code=2)
    if found is None:
        _fail(
            f"No admin key: set ONBOARDING_PLATFORM_API_KEY to the sandbox's admin key (kept in "
            f"{admin_key_path(data_dir)} by `onboard dev`, or in the --data-dir of "
            "`onboard sandbox`), or ONBOARDING_DATA_DIR to the stack's data directory.",
            code=2,
        )
    return found


def _request(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the sandbox admin API; any failure ends the command with one clear sentence."""
    response = _send(method, path, body, _admin_key())
    if response.status_code == 401:
        _fail(
            f"The sandbox at {_platform_url()} refused the API key; set "
            "ONBOARDING_PLATFORM_API_KEY to the sandbox's admin key (SANDBOX_ADMIN_KEY)."
        )
    return _answer(response)


def _tenant_request(
    method: str,
    tenant: str,
    path: str,
    body: dict[str, Any] | None = None,
    token: str | None = None,
) -> Any:
    """Call the tenant API of ``tenant`` as the session ``token`` (None: no session)."""
    return _answer(_send(method, f"/v1/t/{quote(tenant, safe='')}{path}", body, token))


def _print_faults(data: dict[str, Any]) -> None:
    scopes: dict[str, list[str]] = {}
    for item in data.get("active", []):
        tenant = item.get("tenant_id")
        scopes.setdefault(item["name"], []).append(f"tenant {tenant}" if tenant else "all tenants")
    typer.echo("Faults (* = active):")
    for item in data.get("available", []):
        name = item["name"]
        mark = "*" if name in scopes else " "
        where = f"  ({', '.join(scopes[name])})" if name in scopes else ""
        typer.echo(f"{mark} {name:<28} breaks {item['breaks']}{where}")


@sandbox_app.callback(invoke_without_command=True)
def run_sandbox(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the sandbox keeps its databases.")
    ] = None,
) -> None:
    """Run the sandbox platform until Ctrl+C (or manage its faults with `fault`)."""
    if ctx.invoked_subcommand is not None:
        return
    # Imported here: the fault commands should not pay for FastAPI and uvicorn.
    from sandbox.server import serve
    from sandbox.settings import SandboxSettings

    given: dict[str, Any] = {"host": host, "port": port, "data_dir": data_dir}
    try:
        settings = SandboxSettings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        _fail(
            f"The sandbox settings are invalid ({problems}); fix the option or SANDBOX_* value.",
            code=2,
        )
    address = f"http://{settings.host}:{settings.port}"
    typer.echo(
        f"Sandbox platform on {address} (data in {settings.resolved_data_dir}); Ctrl+C stops it."
    )
    if settings.password_hashing == "cheap":
        typer.echo("Password hashing is cheap (a dev or test stack); the default is strong.")
    if settings.admin_key is None:
        try:
            settings.resolved_admin_key()
        except KeyFileError as exc:
            _fail(str(exc), code=2)
        where = admin_key_path(settings.resolved_data_dir)
        typer.echo(f"Admin key in {where} (give it to the worker as ONBOARDING_PLATFORM_API_KEY).")
    try:
        serve(settings)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            _fail(
                f"The sandbox could not start on {settings.host}:{settings.port}; "
                "if the port is in use, choose another with --port."
            )


@sandbox_app.command("fault")
def fault(
    name: Annotated[str | None, typer.Argument(help="The fault to switch on.")] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Break only this tenant (default: all).")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Switch every fault off.")] = False,
    list_: Annotated[
        bool, typer.Option("--list", help="List the faults, active ones marked *.")
    ] = False,
) -> None:
    """Switch a fault on in the running sandbox, list the faults, or clear them all."""
    chosen = sum([name is not None, clear, list_])
    if chosen != 1:
        _fail("Give exactly one of: a fault name, --list or --clear.", code=2)
    if tenant is not None and name is None:
        _fail("--tenant only goes with a fault name.", code=2)
    if list_:
        _print_faults(_request("GET", "/v1/admin/faults"))
    elif clear:
        _request("DELETE", "/v1/admin/faults")
        typer.echo("All faults cleared.")
    else:
        data = _request("POST", "/v1/admin/faults", {"name": name, "tenant_id": tenant})
        breaks = next(
            (f["breaks"] for f in data.get("available", []) if f["name"] == name), "a check"
        )
        scope = f"tenant {tenant}" if tenant else "all tenants"
        typer.echo(
            f"Fault {name} is on for {scope}; it breaks the {breaks} check. "
            "Clear it with `onboard sandbox fault --clear`."
        )


@sandbox_app.command("open-item")
def open_item(
    tenant: Annotated[str, typer.Argument(help="The tenant id.")],
    item: Annotated[
        str, typer.Argument(help="The enablement item, such as walkthrough or admin-guide.")
    ],
    user: Annotated[
        str, typer.Option("--user", help="E-mail of the tenant's (non-probe) user who opens it.")
    ],
) -> None:
    """Play a customer user opening a published enablement item (sandbox demos only).

    The user is given a fresh random password to log in with (never shown), so the open
    also counts as that user's login in the tenant's usage.
    """
    email = user.strip().lower()
    admin_path = f"/v1/tenants/{quote(tenant, safe='')}"
    # Checked first, so an unknown or unpublished item changes nothing.
    _request("GET", f"{admin_path}/enablement/{quote(item, safe='')}")
    users = _request("GET", f"{admin_path}/users")
    found = next((u for u in users if u.get("email") == email), None)
    if found is None:
        _fail(f"Tenant {tenant} has no user {email}; check the e-mail or add the user first.")
    if found.get("probe"):
        _fail(
            f"{email} is one of the onboarding's probe users, whose opens never count as "
            "customer usage; name a customer user."
        )
    password = secrets.token_urlsafe(24)
    _request(
        "PUT",
        f"{admin_path}/users/{quote(email, safe='@')}",
        {"name": found["name"], "roles": found["roles"], "probe": False, "password": password},
    )
    login = _tenant_request("POST", tenant, "/login", {"email": email, "password": password})
    token = str(login["token"])
    opened = _tenant_request("GET", tenant, f"/enablement/{quote(item, safe='')}", token=token)
    _tenant_request("POST", tenant, "/logout", token=token)
    typer.echo(
        f"{email} opened '{opened['title']}' ({item}) of tenant {tenant}, first at "
        f"{opened['first_opened_at']}; the tenant's usage lists it under enablement_opened."
    )
