"""The approvals service's HTTP face: the link page, its form, and the API the CLI uses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from approvals.redeem import Outcome, Redeemed, Redeemer
from approvals.summary import approval_lines
from records.times import as_utc
from starter import ops
from starter.errors import CliError

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
STATUS_CODES = {
    Outcome.ACCEPTED: 200,
    Outcome.ALREADY_RECORDED: 200,
    Outcome.REFUSED: 403,
    Outcome.UNAVAILABLE: 503,
}
WHAT = {"sign_off": "go-live sign-off", "give_feedback": "post-onboarding review feedback"}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


class RedeemRequest(BaseModel):
    """A redemption through the API (`onboard sign-off ... --token`)."""

    token: str = Field(min_length=1, max_length=2000)
    """The link as it arrived, or the token alone."""
    as_email: str = Field(alias="as", min_length=3, max_length=254)
    tenant: str | None = Field(default=None, max_length=64)
    """The tenant the redeemer means; a link for another tenant is refused."""
    note: str | None = Field(default=None, max_length=2000)
    text: str | None = Field(default=None, max_length=10_000)


def create_app(redeemer: Redeemer) -> FastAPI:
    """The service over a redeemer (its link table, keys and Temporal client)."""
    app = FastAPI(title="LocalizeVideos approvals", docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/l/{token}", response_class=HTMLResponse)
    async def link_page(request: Request, token: str) -> HTMLResponse:
        found = await redeemer.find(token)
        if isinstance(found, Redeemed):
            return _result(request, found)
        if (problem := redeemer.problem(found, datetime.now(UTC))) is not None:
            return _result(request, problem)
        try:
            status = await ops.get_status(redeemer.client, found.tenant_id)
        except CliError as err:
            return _result(request, Redeemed(Outcome.UNAVAILABLE, err.message))
        return TEMPLATES.TemplateResponse(
            request,
            "link.html",
            {
                "title": WHAT.get(found.input, found.input).capitalize(),
                "what": WHAT.get(found.input, found.input),
                "admin": found.admin,
                "tenant_name": status.tenant_name,
                "lines": approval_lines(status, found.gate),
                "expires_at": as_utc(found.expires_at).strftime("%Y-%m-%d %H:%M UTC"),
                "input": found.input,
                "action": f"/l/{token}",
            },
        )

    @app.post("/l/{token}", response_class=HTMLResponse)
    async def link_form(
        request: Request,
        token: str,
        as_email: Annotated[str, Form(max_length=254)],
        note: Annotated[str | None, Form(max_length=2000)] = None,
        text: Annotated[str | None, Form(max_length=10_000)] = None,
    ) -> HTMLResponse:
        done = await redeemer.redeem(token, as_email, {"note": note, "text": text})
        return _result(request, done)

    @app.post("/api/redeem")
    async def api_redeem(body: RedeemRequest) -> JSONResponse:
        done = await redeemer.redeem(
            body.token, body.as_email, {"note": body.note, "text": body.text}, body.tenant
        )
        return JSONResponse(
            {"outcome": done.outcome.value, "message": done.message, "receipt": done.receipt},
            status_code=STATUS_CODES[done.outcome],
        )

    return app


def _result(request: Request, done: Redeemed) -> HTMLResponse:
    titles = {
        Outcome.ACCEPTED: "Thank you",
        Outcome.ALREADY_RECORDED: "Already recorded",
        Outcome.REFUSED: "This link cannot be used",
        Outcome.UNAVAILABLE: "Please try again shortly",
    }
    return TEMPLATES.TemplateResponse(
        request,
        "result.html",
        {
            "title": titles[done.outcome],
            "message": done.message,
            "css": "refused" if done.outcome is Outcome.REFUSED else "done",
        },
        status_code=STATUS_CODES[done.outcome],
    )
