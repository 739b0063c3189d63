"""Every route needs a valid token of this pool; another user's resource is a 404, not a 403."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.cognitoidp import models as cognito_models
from moto.utilities.utils import load_resource

from plot_palette.local import cognito_keys
from plot_palette.local.cloud import LocalCloud
from tests.integration.api.conftest import PASSWORD, User
from tests.integration.api.test_endpoints import TEMPLATE, queue, upload

pytestmark = pytest.mark.slow(seconds=60)

ROUTES = [
    ("POST", "/jobs"),
    ("POST", "/jobs/estimate"),
    ("GET", "/jobs"),
    ("GET", "/jobs/{job}"),
    ("DELETE", "/jobs/{job}"),
    ("GET", "/dashboard/{job}"),
    ("POST", "/jobs/{job}/snapshot"),
    ("GET", "/jobs/{job}/snapshot"),
    ("GET", "/jobs/{job}/quality"),
    ("GET", "/jobs/{job}/events"),
    ("POST", "/templates"),
    ("GET", "/templates"),
    ("GET", "/templates/{template}"),
    ("PUT", "/templates/{template}"),
    ("GET", "/templates/{template}/versions"),
    ("POST", "/seed-data"),
    ("POST", "/seed-data/validate"),
    ("GET", "/sample-datasets"),
    ("GET", "/settings/notifications"),
    ("PUT", "/settings/notifications"),
    ("POST", "/settings/notifications/rotate-secret"),
    ("POST", "/settings/notifications/test"),
    ("GET", "/templates/{template}/export"),
    ("POST", "/templates/import"),
    ("GET", "/templates/{template}/diff?from=1&to=1"),
    ("POST", "/templates/{template}/versions/1/restore"),
    ("POST", "/templates/{template}/publish"),
    ("GET", "/gallery"),
    ("GET", "/gallery/gal-00000000000000000000"),
    ("DELETE", "/gallery/gal-00000000000000000000"),
    ("POST", "/gallery/gal-00000000000000000000/fork"),
    ("POST", "/templates/test-run"),
    ("POST", "/seed-data/generate"),
    ("POST", "/batches"),
    ("POST", "/batches/estimate"),
    ("GET", "/batches"),
    ("GET", "/batches/{batch}"),
    ("DELETE", "/batches/{batch}"),
    ("GET", "/analytics/costs?days=7"),
]


@pytest.fixture(scope="module")
def owned(cloud: LocalCloud, alice: User) -> dict[str, str]:
    """A job, a template and a seed file of Alice's."""
    job_id = queue(alice, records=2)["job"]["job_id"]
    template_id = alice.call("POST", "/templates", json={"document": TEMPLATE}).json()[
        "template_id"
    ]
    key = upload(alice, b'{"poem": {"title": "t"}, "author": {"name": "a"}}\n')
    batch = alice.call(
        "POST",
        "/batches",
        json={
            "name": "alice's sweep",
            "job": {
                "name": "b",
                "template_id": "poem-questions",
                "sample_dataset": "poetry",
                "records": 1,
                "budget_usd": 1,
            },
            "sweep": {"records": [1, 2]},
        },
    ).json()
    cloud.wait_for_execution(job_id)
    for batch_job in batch["jobs"]:
        cloud.wait_for_execution(batch_job["job_id"])
    return {
        "job": job_id,
        "template": template_id,
        "seed": key,
        "batch": batch["batch"]["batch_id"],
    }


def _forge(claims: dict[str, Any]) -> str:
    """A token signed with the key this local cloud's user pool signs with."""
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, cognito_keys.signing_key())


def _moto_signed(claims: dict[str, Any]) -> str:
    """A token signed with the private key moto ships (anyone can download it)."""
    key = RSAKey.import_key(load_resource(cognito_models.__name__, "resources/jwks-private.json"))
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, key)


def _claims(alice: User) -> dict[str, Any]:
    payload = alice.access_token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def _other_pool_token(cloud: LocalCloud) -> str:
    idp = cloud.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="somebody-elses-pool", UsernameAttributes=["email"])
    pool_id = pool["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool_id, Username="mallory@example.com")
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username="mallory@example.com", Password=PASSWORD, Permanent=True
    )
    result = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "mallory@example.com", "PASSWORD": PASSWORD},
    )
    return str(result["AuthenticationResult"]["AccessToken"])


def _bad_tokens(cloud: LocalCloud, alice: User) -> dict[str, str | None]:
    header, _payload, signature = alice.access_token.split(".")
    claims = _claims(alice)
    tampered_claims = {**claims, "sub": "someone-else"}
    tampered_payload = (
        base64.urlsafe_b64encode(json.dumps(tampered_claims).encode()).decode().rstrip("=")
    )
    now = int(time.time())
    return {
        "none": None,
        "garbage": "Bearer not.a.jwt",
        "tampered": f"Bearer {header}.{tampered_payload}.{signature}",
        "expired": "Bearer " + _forge({**claims, "iat": now - 7200, "exp": now - 3600}),
        "wrong audience": "Bearer " + _forge({**claims, "client_id": "another-app"}),
        "other pool": "Bearer " + _other_pool_token(cloud),
        "moto's public key": "Bearer " + _moto_signed(claims),
    }


def test_every_route_refuses_a_missing_or_bad_token(
    cloud: LocalCloud, alice: User, owned: dict[str, str]
) -> None:
    tokens = _bad_tokens(cloud, alice)
    # The forged-but-valid token proves the forging works: only its defects are refused.
    good = requests.get(
        alice.api_url + "/jobs",
        headers={"Authorization": "Bearer " + _forge(_claims(alice))},
        timeout=30,
    )
    assert good.status_code == 200
    for method, template in ROUTES:
        path = template.format(**owned)
        for name, token in tokens.items():
            headers = {"Authorization": token} if token else {}
            response = requests.request(
                method, alice.api_url + path, headers=headers, json={}, timeout=30
            )
            assert response.status_code == 401, (method, path, name, response.text)
            assert response.json() == {"message": "Unauthorized"}


def test_another_users_resources_are_404(alice: User, bob: User, owned: dict[str, str]) -> None:
    job, template, seed = owned["job"], owned["template"], owned["seed"]
    attempts = [
        ("GET", f"/jobs/{job}", None),
        ("DELETE", f"/jobs/{job}", None),
        ("GET", f"/dashboard/{job}", None),
        ("POST", f"/jobs/{job}/snapshot", None),
        ("GET", f"/jobs/{job}/snapshot", None),
        ("GET", f"/jobs/{job}/quality", None),
        ("GET", f"/jobs/{job}/events", None),
        ("GET", f"/templates/{template}", None),
        ("GET", f"/templates/{template}/versions", None),
        ("PUT", f"/templates/{template}", {"document": TEMPLATE}),
        ("GET", f"/templates/{template}/export", None),
        ("GET", f"/templates/{template}/diff?from=1&to=1", None),
        ("POST", f"/templates/{template}/versions/1/restore", None),
        ("POST", f"/templates/{template}/publish", {"version": 1, "description": "theft"}),
        ("GET", f"/gallery/{template}", None),
        ("POST", f"/gallery/{template}/fork", None),
        ("POST", "/seed-data/validate", {"seed_data_key": seed, "template_id": "poem-questions"}),
        (
            "POST",
            "/jobs",
            {
                "name": "theft",
                "template_id": template,
                "sample_dataset": "poetry",
                "records": 1,
                "budget_usd": 1,
            },
        ),
        (
            "POST",
            "/jobs",
            {
                "name": "theft",
                "template_id": "poem-questions",
                "seed_data_key": seed,
                "records": 1,
                "budget_usd": 1,
            },
        ),
        ("POST", "/templates/test-run", {"template_id": template, "seeds": [{}]}),
        (
            "POST",
            "/templates/test-run",
            {"template_id": "poem-questions", "seed_data_key": seed, "count": 1},
        ),
        ("POST", "/seed-data/generate", {"template_id": template, "count": 1}),
        ("GET", f"/batches/{owned['batch']}", None),
        ("DELETE", f"/batches/{owned['batch']}", None),
        (
            "POST",
            "/batches",
            {
                "name": "theft",
                "job": {
                    "name": "t",
                    "template_id": template,
                    "sample_dataset": "poetry",
                    "records": 1,
                    "budget_usd": 1,
                },
                "sweep": {"records": [1, 2]},
            },
        ),
        (
            "POST",
            "/batches/estimate",
            {
                "name": "theft",
                "job": {
                    "name": "t",
                    "template_id": "poem-questions",
                    "sample_dataset": "poetry",
                    "records": 1,
                    "budget_usd": 1,
                },
                "sweep": {"seed_data_key": [seed]},
            },
        ),
    ]
    for method, path, body in attempts:
        response = bob.call(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert "not found" in response.json()["message"]
    # Bob's lists hold nothing of Alice's, and Alice's job was not touched.
    assert all(j["job_id"] != job for j in bob.call("GET", "/jobs").json()["jobs"])
    assert bob.call("GET", "/batches").json()["batches"] == []
    templates = {t["template_id"] for t in bob.call("GET", "/templates").json()["templates"]}
    assert template not in templates
    assert alice.call("GET", f"/jobs/{job}").json()["status"] == "COMPLETED"
    assert alice.call("GET", f"/templates/{template}").json()["version"] == 1


def test_a_missing_resource_looks_exactly_like_anothers(
    alice: User, bob: User, owned: dict[str, str]
) -> None:
    theirs = bob.call("GET", f"/jobs/{owned['job']}")
    missing = bob.call("GET", "/jobs/00000000-0000-0000-0000-000000000000")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["message"].replace(owned["job"], "ID") == missing.json()[
        "message"
    ].replace("00000000-0000-0000-0000-000000000000", "ID")


def test_a_password_reset_needs_the_code_mailed_to_the_user(cloud: LocalCloud) -> None:
    from botocore.exceptions import ClientError

    from plot_palette.local import cognito_mail
    from tests.integration.api.conftest import sign_up_and_in

    user = sign_up_and_in(cloud)
    idp = cloud.client("cognito-idp")
    client_id = cloud.endpoints.cli_client_id
    asked = idp.forgot_password(ClientId=client_id, Username=user.email)
    headers = asked["ResponseMetadata"]["HTTPHeaders"]
    assert not any("confirmation-code" in name for name in headers)  # the code is mailed only
    code = cognito_mail.latest_code(user.email)
    assert code is not None
    new_password = PASSWORD + "-new"
    for wrong in ("000000" if code != "000000" else "111111", "moto-confirmation-code:1"):
        with pytest.raises(ClientError, match="CodeMismatchException"):
            idp.confirm_forgot_password(
                ClientId=client_id,
                Username=user.email,
                ConfirmationCode=wrong,
                Password=new_password,
            )
    idp.confirm_forgot_password(
        ClientId=client_id, Username=user.email, ConfirmationCode=code, Password=new_password
    )
    signed_in = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user.email, "PASSWORD": new_password},
    )
    assert signed_in["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError, match="CodeMismatchException"):  # a code works once
        idp.confirm_forgot_password(
            ClientId=client_id, Username=user.email, ConfirmationCode=code, Password=PASSWORD
        )


def test_bodies_over_the_payload_limit_are_refused_and_none_is_kept(
    cloud: LocalCloud, alice: User
) -> None:
    import gc
    import tracemalloc

    from plot_palette.local.api_server import MAX_BODY_BYTES

    too_big = b"x" * (MAX_BODY_BYTES + 1)
    refused = alice.session().post(alice.api_url + "/jobs", data=too_big, timeout=120)
    assert refused.status_code == 413
    assert refused.json() == {"message": "Request Entity Too Large"}

    # Bodies under the limit reach the function (which refuses them) and are not kept: the
    # last request's event may still be referenced (powertools keeps the current event), so
    # memory is measured after two requests and again after five more, and must not grow.
    body = b'{"name": "' + b"x" * (8 * 1024 * 1024) + b'"}'

    def send(times: int) -> int:
        for _ in range(times):
            answer = alice.session().post(alice.api_url + "/jobs", data=body, timeout=120)
            assert answer.status_code in (400, 422), answer.text[:200]
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        warm = send(2)
        later = send(5)
    finally:
        tracemalloc.stop()
    assert later - warm < len(body), f"{(later - warm) / 2**20:.0f} MiB more after 5 requests"


def test_the_dashboard_client_takes_no_plain_password(cloud: LocalCloud, alice: User) -> None:
    from botocore.exceptions import ClientError

    idp = cloud.client("cognito-idp")
    with pytest.raises(ClientError, match="Auth flow not enabled for this client"):
        idp.initiate_auth(
            ClientId=cloud.endpoints.dashboard_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": alice.email, "PASSWORD": PASSWORD},
        )
    # Locally the dashboard signs in as the CLI does (moto cannot check an SRP proof).
    config = requests.get(cloud.endpoints.dashboard_url + "/config.json", timeout=30).json()
    assert config["COGNITO_CLIENT_ID"] == cloud.endpoints.cli_client_id
    assert config["COGNITO_AUTH_FLOW"] == "USER_PASSWORD_AUTH"
