"""The codec server: Temporal's remote codec protocol (`/encode`, `/decode`) for the Web UI
and the `temporal` CLI.

Who may call it:

- a caller that presents the bearer token (the `temporal` CLI's `--codec-auth`);
- a browser on one of the Web UI's origins, checked through the ``Origin`` header the
  browser sets itself. When ``ui_without_token`` is on (the dev stack, whose UI has no login
  and so no access token to pass), such a request needs no token; otherwise it needs the
  token as well (the UI's "pass access token" setting).

Any other origin is refused, and gets no CORS headers, so a page elsewhere cannot use the
server as a decryption oracle. The ``X-Namespace`` header must name the configured
namespace.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from google.protobuf import json_format
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.api.common.v1 import Payload, Payloads

from codec.aesgcm import EncryptionCodec, PayloadDecryptionError

ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace"
MAX_PAYLOADS = 10_000


@dataclass(frozen=True)
class AccessPolicy:
    """Who may use the codec server."""

    token: str = field(repr=False)
    namespace: str
    ui_origins: frozenset[str] = frozenset()
    ui_without_token: bool = False
    max_body_bytes: int = 16 * 1024 * 1024

    def token_ok(self, authorization: str | None) -> bool:
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return False
        return hmac.compare_digest(presented.strip().encode(), self.token.encode())


def create_app(codec: EncryptionCodec, policy: AccessPolicy) -> Starlette:
    """The ASGI app serving ``/encode`` and ``/decode`` under ``policy``."""

    async def encode(request: Request) -> Response:
        return await _serve(request, policy, codec.encode)

    async def decode(request: Request) -> Response:
        return await _serve(request, policy, codec.decode)

    async def health(_request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/encode", encode, methods=["POST", "OPTIONS"]),
            Route("/decode", decode, methods=["POST", "OPTIONS"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


Convert = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


async def _serve(request: Request, policy: AccessPolicy, convert: Convert) -> Response:
    origin = request.headers.get("origin")
    cors: dict[str, str] = {}
    if origin is not None:
        if origin not in policy.ui_origins:
            return _refuse(403, f"origin {origin[:200]!r} is not the Web UI's", {})
        cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    if request.method == "OPTIONS":  # the browser's preflight: no credentials in it
        return Response(
            status_code=204,
            headers={
                **cors,
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": "600",
            },
        )
    from_ui = origin is not None and policy.ui_without_token
    if not from_ui and not policy.token_ok(request.headers.get("authorization")):
        return _refuse(
            401, "a valid bearer token is required", {**cors, "WWW-Authenticate": "Bearer"}
        )
    namespace = request.headers.get("x-namespace")
    if namespace != policy.namespace:
        shown = "no X-Namespace header" if namespace is None else f"namespace {namespace[:100]!r}"
        return _refuse(403, f"{shown}: this codec server serves {policy.namespace!r} only", cors)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_body_bytes:
        return _refuse(413, f"the request is larger than {policy.max_body_bytes} bytes", cors)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > policy.max_body_bytes:
            return _refuse(413, f"the request is larger than {policy.max_body_bytes} bytes", cors)
    payloads = Payloads()
    try:
        json_format.Parse(bytes(body) or b"{}", payloads)
    except (json_format.ParseError, ValueError, TypeError, RecursionError):
        return _refuse(400, 'the body is not {"payloads": [...]} in protobuf JSON', cors)
    if len(payloads.payloads) > MAX_PAYLOADS:
        return _refuse(413, f"more than {MAX_PAYLOADS} payloads in one request", cors)
    try:
        converted = await convert(list(payloads.payloads))
    except PayloadDecryptionError as err:
        return _refuse(422, str(err), cors)
    return Response(
        json_format.MessageToJson(Payloads(payloads=converted), indent=None),
        media_type="application/json",
        headers={**cors, "Cache-Control": "no-store"},
    )


def _refuse(status: int, reason: str, headers: dict[str, str]) -> Response:
    return JSONResponse(
        {"error": reason}, status_code=status, headers={**headers, "Cache-Control": "no-store"}
    )
