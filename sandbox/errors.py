"""Errors as ``{"detail": "<readable sentence>"}``, with 400 (not 422) for bad input."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

_SOURCES = {"body", "query", "path", "header"}
logger = logging.getLogger("sandbox.errors")


def _describe(error: dict[str, object]) -> str:
    location = error.get("loc", ())
    parts = [str(p) for p in location if p not in _SOURCES] if isinstance(location, tuple) else []
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"{'.'.join(parts)}: {message}" if parts else message


async def _bad_input(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(_describe(dict(e)) for e in exc.errors())
    return JSONResponse(status_code=400, content={"detail": f"The request is invalid: {problems}."})


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        status_code=500,
        content={"detail": "The platform failed unexpectedly; see the sandbox's log."},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Answer validation failures with 400, and crashes with 500, in one readable sentence."""
    app.add_exception_handler(RequestValidationError, _bad_input)
    app.add_exception_handler(Exception, _unexpected)
