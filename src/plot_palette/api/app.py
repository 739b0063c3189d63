"""The api Lambda's resolver: routes, validation, and errors mapped to clear 4xx responses.

``build_resolver`` wires the routes to their services; the handler (``functions/api/app.py``)
only builds the services once per cold start and calls ``resolve``. Every error a user can cause
becomes a 4xx with one message in ``{"message": …}``; a 5xx is a bug.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from plot_palette.api.idempotency import (
    RETRY_AFTER_SECONDS,
    KeyReusedError,
    RequestInProgressError,
)
from plot_palette.api.identity import UnauthenticatedError
from plot_palette.api.routes import (
    analytics,
    batches,
    jobs,
    notifications,
    progress,
    quality,
    seed_data,
    seed_generation,
    templates,
    test_runs,
)
from plot_palette.api.services import ApiServices
from plot_palette.errors import (
    ConflictError,
    JobSpecError,
    NotFoundError,
    PlotPaletteError,
    SeedDataValidationError,
    TemplateValidationError,
    ThrottledError,
)
from plot_palette.jobs.quotas import QuotaExceededError
from plot_palette.templates.budget import request_render_budget

MAX_BODY_BYTES = 1024 * 1024
MAX_BODY_DEPTH = 64


def _error(
    status: HTTPStatus, message: str, headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status.value,
        content_type="application/json",
        body=json.dumps({"message": message}),
        headers=headers,
    )


def _validation_message(error: RequestValidationError) -> str:
    """``where: what`` of the first problem, e.g. ``body.records: Input should be greater…``."""
    problems = error.errors()
    if not problems:
        return "the request is not valid"
    first = problems[0]
    location = [
        str(part) for part in first.get("loc", ()) if part != "body" or len(first["loc"]) == 1
    ]
    where = ".".join(location) or "request"
    message = str(first.get("msg", "is not valid"))
    if first.get("type") == "json_invalid":
        return "the body is not valid JSON"
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return f"{where}: {message}{more}"


def body_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON text, read without parsing (so without
    recursion): brackets inside strings do not count."""
    if text.count("[") + text.count("{") <= MAX_BODY_DEPTH:
        return text.count("[") + text.count("{")  # cannot nest deeper than it has brackets
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


TOO_DEEP = f"the body nests lists and objects more than {MAX_BODY_DEPTH} levels deep"


def _limit_body(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Refuse bodies too large or too deeply nested. (Nesting deep enough to exhaust the
    interpreter's recursion limit fails in the request validator, before any middleware runs:
    ``build_resolver`` maps that ``RecursionError`` to the same 422.)"""
    body = app.current_event.body
    if body is not None and len(body) > MAX_BODY_BYTES:
        return _error(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"the body is {len(body):,} bytes; the limit is {MAX_BODY_BYTES:,} bytes "
            "(upload seed data through POST /seed-data)",
        )
    if body is not None and body_depth(body) > MAX_BODY_DEPTH:
        return _error(HTTPStatus.UNPROCESSABLE_ENTITY, TOO_DEEP)
    return next_middleware(app)


def _render_budget(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Every prompt a request renders shares one render budget (``templates/budget.py``): a
    test run of five records or an estimate of a hundred renders for 2 s at most in all."""
    with request_render_budget():
        return next_middleware(app)


def build_resolver(services: ApiServices) -> APIGatewayHttpResolver:
    """The resolver with every route, validation on, and our errors mapped to statuses."""
    app = APIGatewayHttpResolver(enable_validation=True)
    app.use(middlewares=[_limit_body, _render_budget])
    jobs.register(app, services)
    progress.register(app, services)
    templates.register(app, services)
    seed_data.register(app, services)
    batches.register(app, services)
    test_runs.register(app, services)
    seed_generation.register(app, services)
    notifications.register(app, services)
    quality.register(app, services)
    analytics.register(app, services)

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response[str]:
        return _error(HTTPStatus.UNPROCESSABLE_ENTITY, _validation_message(error))

    @app.exception_handler(RecursionError)
    def too_deep(error: RecursionError) -> Response[str]:
        body = app.current_event.body or ""
        if body_depth(body) > MAX_BODY_DEPTH:
            return _error(HTTPStatus.UNPROCESSABLE_ENTITY, TOO_DEEP)
        raise error  # not the caller's body: a bug, reported as one

    @app.exception_handler(NotFoundError)
    def not_found(error: NotFoundError) -> Response[str]:
        return _error(HTTPStatus.NOT_FOUND, str(error))

    @app.exception_handler(ConflictError)
    def conflict(error: ConflictError) -> Response[str]:
        return _error(HTTPStatus.CONFLICT, str(error))

    @app.exception_handler(RequestInProgressError)
    def in_progress(error: RequestInProgressError) -> Response[str]:
        # Retry-After tells a client this 409 is worth retrying (with the same key).
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return _error(HTTPStatus.CONFLICT, str(error), headers)

    @app.exception_handler(KeyReusedError)
    def key_reused(error: KeyReusedError) -> Response[str]:
        return _error(HTTPStatus.UNPROCESSABLE_ENTITY, str(error))

    @app.exception_handler(UnauthenticatedError)
    def unauthenticated(error: UnauthenticatedError) -> Response[str]:
        return _error(HTTPStatus.UNAUTHORIZED, str(error))

    @app.exception_handler(QuotaExceededError)
    def over_quota(error: QuotaExceededError) -> Response[str]:
        return _error(HTTPStatus.FORBIDDEN, str(error))

    @app.exception_handler(ThrottledError)
    def throttled(error: ThrottledError) -> Response[str]:
        return _error(HTTPStatus.TOO_MANY_REQUESTS, str(error))

    @app.exception_handler(
        [TemplateValidationError, SeedDataValidationError, JobSpecError, PlotPaletteError]
    )
    def refused(error: PlotPaletteError) -> Response[str]:
        return _error(HTTPStatus.BAD_REQUEST, str(error))

    @app.not_found
    def no_route(_: Exception) -> Response[str]:
        return _error(HTTPStatus.NOT_FOUND, "no such route")

    return app
