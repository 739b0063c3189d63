"""CORS as API Gateway answers it for the template's HTTP API, before any authorizer runs."""

from __future__ import annotations

import requests

from plot_palette.local.cfn import load_template
from plot_palette.local.cloud import LocalCloud
from tests.integration.api.conftest import User
from tests.integration.orchestration.helpers import ROOT

ORIGIN = "http://localhost:5173"  # the template's default DashboardOrigin


def cors_configuration() -> dict[str, object]:
    api = load_template(ROOT / "stacks" / "api.yaml")["Resources"]["HttpApi"]["Properties"]
    return dict(api["CorsConfiguration"])


def test_a_preflight_of_a_protected_route_is_answered_without_a_token(cloud: LocalCloud) -> None:
    # GIVEN the dashboard on another origin about to POST a job with an idempotency key
    response = requests.options(
        f"{cloud.endpoints.api_url}/jobs",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
        timeout=30,
    )
    # THEN API Gateway answers it (no 401 from the JWT authorizer) with the configured CORS
    config = cors_configuration()
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    allowed = response.headers["Access-Control-Allow-Headers"].split(",")
    assert allowed == [str(name).lower() for name in config["AllowHeaders"]]  # type: ignore[attr-defined]
    assert "idempotency-key" in allowed
    methods = response.headers["Access-Control-Allow-Methods"].split(",")
    assert "POST" in methods and methods == list(config["AllowMethods"])  # type: ignore[call-overload]
    assert response.headers["Access-Control-Max-Age"] == str(config["MaxAge"])


def test_a_preflight_from_another_origin_gets_no_cors_headers(cloud: LocalCloud) -> None:
    response = requests.options(
        f"{cloud.endpoints.api_url}/jobs",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Headers" not in response.headers


def test_answers_expose_the_headers_the_configuration_names(cloud: LocalCloud, alice: User) -> None:
    response = requests.get(
        f"{cloud.endpoints.api_url}/jobs",
        headers={"Origin": ORIGIN, "Authorization": f"Bearer {alice.access_token}"},
        timeout=30,
    )
    assert response.status_code == 200
    exposed = response.headers["Access-Control-Expose-Headers"].split(",")
    assert "retry-after" in exposed and "idempotent-replayed" in exposed
