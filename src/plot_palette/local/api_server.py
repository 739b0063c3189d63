"""The local HTTP API: what API Gateway does in front of the api Lambda, on a loopback port.

Requests under ``/api`` (the base path, like a custom domain's mapping) are checked by the JWT
authorizer the template declares (``local.jwt_authorizer``), answered for CORS preflight as the
HTTP API's ``CorsConfiguration`` says, matched against the routes the template's ``HttpApi``
events declare, turned into API Gateway HTTP API v2 events (payload format 2.0) and given to the
function through the local Lambda runner. The function's response is returned as API Gateway
returns it; a function that crashes is a 500 ``Internal Server Error``, as on AWS. A body over
API Gateway's 10 MB payload limit is a 413 before any function runs, and no request body is
kept once its function has answered.

API Gateway cannot stream, so live progress on AWS is polling; locally the server also offers
``GET /api/jobs/{id}/events``, a server-sent-event stream of the job's dashboard, produced by
invoking the same api Lambda route (``GET /dashboard/{id}``) with the caller's own token, so it
checks ownership exactly as the route does (``progress_stream``).

The same server serves the published dashboard at ``/`` (a copy of ``frontend/dist`` with the
``config.json`` that ``plot_palette.dashboard_config`` writes, as for Amplify: a plain file, no
special route), and, because the local user pool sends no email, the verification codes it
would have sent at ``/local/mailbox/{email}``.
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from plot_palette.local import cognito_mail
from plot_palette.local.jwt_authorizer import JwtAuthorizer, UnauthorizedError
from plot_palette.local.progress_stream import EVENTS_PATH, ProgressStream

if TYPE_CHECKING:
    from plot_palette.local.lambda_runner import LambdaRunner
    from plot_palette.local.provision import HttpApiSpec, HttpRoute

LOGGER = logging.getLogger(__name__)
API_BASE = "/api"
# API Gateway's payload limit for HTTP APIs: a larger request is refused before any function.
MAX_BODY_BYTES = 10 * 1024 * 1024
COGNITO_PATH = "/cognito"
# What a browser may ask the user pool (Cognito's public, unsigned operations); never Admin*.
COGNITO_PUBLIC_OPERATIONS = frozenset(
    {
        "SignUp",
        "ConfirmSignUp",
        "ResendConfirmationCode",
        "InitiateAuth",
        "RespondToAuthChallenge",
        "GetUser",
        "GlobalSignOut",
        "RevokeToken",
        "ForgotPassword",
        "ConfirmForgotPassword",
        "ChangePassword",
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "SetUserMFAPreference",
    }
)
_TEXT_TYPES = ("application/json", "text/", "application/javascript", "application/xml")


def _route_pattern(path: str) -> re.Pattern[str]:
    """``/jobs/{id}`` -> a regex with named groups; ``{proxy+}`` matches the rest greedily."""
    parts = []
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("+}"):
            parts.append(f"(?P<{segment[1:-2]}>.+)")
        elif segment.startswith("{") and segment.endswith("}"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$")


class LocalApiServer:
    """Serves one HTTP API of the template (and the dashboard) until ``stop``."""

    def __init__(
        self,
        *,
        api: HttpApiSpec,
        lambdas: LambdaRunner,
        authorizer: JwtAuthorizer,
        dashboard_dir: Path | None = None,
        cognito_upstream: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        content_security_policy: str | None = None,
    ) -> None:
        self._api = api
        self._page_headers = (
            {"Content-Security-Policy": content_security_policy} if content_security_policy else {}
        )
        self._lambdas = lambdas
        self._authorizer = authorizer
        self._dashboard_dir = dashboard_dir
        self._cognito_upstream = cognito_upstream
        # API Gateway selects the most specific route: no greedy path variable before one,
        # fewer path variables first, a route's own method before ANY.
        ordered = sorted(
            api.routes,
            key=lambda route: ("+}" in route.path, route.path.count("{"), route.method == "ANY"),
        )
        self._routes = [(route, _route_pattern(route.path)) for route in ordered]
        self._server = make_server(host, port, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._closing = threading.Event()

    @property
    def url(self) -> str:
        """The server's base URL (the dashboard); the API is at ``url + /api``."""
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def api_url(self) -> str:
        return self.url + API_BASE

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._closing.set()  # ends open event streams at their next tick
        self._server.shutdown()
        self._server.server_close()

    # -- WSGI ----------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._respond(request)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        path = request.path
        if path == API_BASE or path.startswith(API_BASE + "/"):
            return self._api_request(request, path[len(API_BASE) :] or "/")
        if path.startswith("/local/mailbox/"):
            code = cognito_mail.latest_code(path.rsplit("/", 1)[-1])
            if code is None:
                return _json(404, {"message": "no code was sent to this address"})
            return _json(200, {"code": code})
        if path == COGNITO_PATH and self._cognito_upstream:
            return self._cognito(request)
        return self._static(path)

    def _cognito(self, request: Request) -> Response:
        """The local user pool's endpoint for the dashboard (Cognito's JSON protocol), same
        origin as the page, limited to the operations a signed-out or signed-in user may call."""
        target = request.headers.get("X-Amz-Target", "")
        operation = target.rsplit(".", 1)[-1]
        if request.method != "POST" or operation not in COGNITO_PUBLIC_OPERATIONS:
            return _json(400, {"__type": "InvalidParameterException", "message": "not allowed"})
        upstream = requests.post(
            f"{self._cognito_upstream}/",
            data=request.get_data(),
            headers={
                "X-Amz-Target": target,
                "Content-Type": request.headers.get("Content-Type", "application/x-amz-json-1.1"),
            },
            timeout=30,
        )
        return Response(
            upstream.content,
            status=upstream.status_code,
            content_type=upstream.headers.get("Content-Type", "application/x-amz-json-1.1"),
        )

    def _cors_headers(self, origin: str | None) -> dict[str, str]:
        """What API Gateway adds to every answer for an allowed origin (none for the rest)."""
        if origin and (origin in self._api.cors_origins or "*" in self._api.cors_origins):
            headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
            exposed = self._api.cors.get("ExposeHeaders") or []
            if exposed:
                headers["Access-Control-Expose-Headers"] = ",".join(map(str, exposed)).lower()
            return headers
        return {}

    def _preflight_headers(self, cors: dict[str, str]) -> dict[str, str]:
        """API Gateway's own answer to a preflight, from the API's ``CorsConfiguration``.

        It answers before any route or authorizer (so a JWT-protected ``ANY /{proxy+}`` route
        never sees an ``OPTIONS``); an origin the configuration does not allow gets no CORS
        headers at all, and the browser refuses the request.
        """
        if not cors:
            return {}
        config = self._api.cors
        headers = {
            **cors,
            "Access-Control-Allow-Methods": ",".join(map(str, config.get("AllowMethods") or [])),
            "Access-Control-Allow-Headers": ",".join(
                map(str, config.get("AllowHeaders") or [])
            ).lower(),
        }
        if "MaxAge" in config:
            headers["Access-Control-Max-Age"] = str(config["MaxAge"])
        return headers

    def _api_request(self, request: Request, path: str) -> Response:
        origin = request.headers.get("Origin")
        cors = self._cors_headers(origin)
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            # API Gateway answers preflight itself when CORS is configured; no authorizer runs.
            return Response(status=204, headers=self._preflight_headers(cors))
        events = EVENTS_PATH.match(path)
        if events and request.method == "GET":
            return self._progress_events(request, events["job_id"], cors)
        route, parameters = self._match(request.method, path)
        if route is None:
            return _json(404, {"message": "Not Found"}, cors)
        request.max_content_length = MAX_BODY_BYTES  # reading more raises RequestEntityTooLarge
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _json(413, {"message": "Request Entity Too Large"}, cors)
        try:
            claims = self._authorizer.verify(request.headers.get("Authorization"))
        except UnauthorizedError:
            return _json(
                401,
                {"message": "Unauthorized"},
                {**cors, "www-authenticate": 'Bearer error="invalid_token"'},
            )
        try:
            event = self._event(request, path, route, parameters, claims)
        except RequestEntityTooLarge:  # a body sent without Content-Length, past the limit
            return _json(413, {"message": "Request Entity Too Large"}, cors)
        payload, errored, _ = self._lambdas.invoke(route.function_arn, event)
        if errored:  # the caller learns nothing more; the function's error goes to the log
            LOGGER.error("%s %s: the function failed: %s", request.method, path, payload)
            return _json(500, {"message": "Internal Server Error"}, cors)
        return _lambda_response(json.loads(payload), cors)

    def _progress_events(self, request: Request, job_id: str, cors: dict[str, str]) -> Response:
        """The job's dashboard as server-sent events; errors before the stream are plain JSON."""
        try:
            claims = self._authorizer.verify(request.headers.get("Authorization"))
        except UnauthorizedError:
            return _json(401, {"message": "Unauthorized"}, cors)
        path = f"/dashboard/{job_id}"
        route, parameters = self._match("GET", path)
        if route is None:
            return _json(404, {"message": "Not Found"}, cors)

        def dashboard() -> tuple[int, str]:
            event = self._event(request, path, route, parameters, claims)
            event["rawQueryString"], event["queryStringParameters"] = "", None
            event["requestContext"]["http"]["method"] = "GET"
            payload, errored, _ = self._lambdas.invoke(route.function_arn, event)
            if errored:
                return 500, json.dumps({"message": "Internal Server Error"})
            result = json.loads(payload)
            return int(result.get("statusCode", 200)), str(result.get("body") or "")

        stream = ProgressStream(dashboard, closing=self._closing)
        status, body = stream.first()
        if status != 200:
            return Response(body, status=status, content_type="application/json", headers=cors)
        headers = {**cors, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return Response(
            stream.events(body),
            status=200,
            content_type="text/event-stream",
            headers=headers,
            direct_passthrough=True,
        )

    def _match(self, method: str, path: str) -> tuple[HttpRoute | None, dict[str, str]]:
        for route, pattern in self._routes:
            if route.method not in ("ANY", method):
                continue
            found = pattern.match(path)
            if found:
                return route, found.groupdict()
        return None, {}

    def _event(
        self,
        request: Request,
        path: str,
        route: HttpRoute,
        parameters: dict[str, str],
        claims: dict[str, Any],
    ) -> dict[str, Any]:
        """An API Gateway HTTP API payload-format-2.0 event, as the function receives it."""
        raw = request.get_data()
        text_body = _is_text(request.content_type or "")
        now = datetime.now(UTC)
        query = request.args
        route_key = f"{route.method} {route.path}"
        return {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": request.query_string.decode("latin-1"),
            "cookies": [f"{key}={value}" for key, value in request.cookies.items()] or None,
            "headers": {key.lower(): value for key, value in request.headers.items()},
            "queryStringParameters": (
                {key: ",".join(query.getlist(key)) for key in query} if query else None
            ),
            "pathParameters": parameters or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": self._api.api_id,
                "authorizer": {"jwt": {"claims": claims, "scopes": None}},
                "domainName": request.host,
                "domainPrefix": self._api.api_id,
                "http": {
                    "method": request.method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": request.remote_addr or "127.0.0.1",
                    "userAgent": request.headers.get("User-Agent", ""),
                },
                "requestId": uuid.uuid4().hex,
                "routeKey": route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(time.time() * 1000),
            },
            "body": (
                (raw.decode("utf-8", errors="replace") if text_body else _b64(raw)) if raw else None
            ),
            "isBase64Encoded": bool(raw) and not text_body,
        }

    def _static(self, path: str) -> Response:
        root = self._dashboard_dir
        if root is None or not (root / "index.html").exists():
            return _json(404, {"message": "the dashboard is not built (make frontend)"})
        relative = path.lstrip("/") or "index.html"
        target = (root / relative).resolve()
        if not target.is_relative_to(root.resolve()) or not target.is_file():
            # Client-side routes (/jobs/abc) are the single-page app's.
            target = root / "index.html"
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        headers = {"X-Content-Type-Options": "nosniff", **self._page_headers}
        return Response(target.read_bytes(), status=200, content_type=kind, headers=headers)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _is_text(content_type: str) -> bool:
    return not content_type or content_type.startswith(_TEXT_TYPES)


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, content_type="application/json", headers=headers or {}
    )


def _lambda_response(result: Any, cors: dict[str, str]) -> Response:
    """Payload format 2.0: a dict with ``statusCode`` is a response; anything else is a JSON
    200 body, as API Gateway infers it."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return _json(200, result if isinstance(result, dict) else {"value": result}, cors)
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    headers = {**(result.get("headers") or {}), **cors}
    response = Response(data, status=int(result["statusCode"]), headers=headers)
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response
