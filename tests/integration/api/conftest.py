"""One local cloud per module, users signed in through its user pool, and their API sessions."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from plot_palette.local.cloud import LocalCloud
from tests.integration.orchestration.helpers import local_cloud

PASSWORD = "Plenty-Strong-Pass-1!"
_numbers = itertools.count(1)


@dataclass
class User:
    """A signed-in user of the local API."""

    email: str
    sub: str
    access_token: str
    id_token: str
    api_url: str

    def session(self, token: str | None = None) -> requests.Session:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token or self.access_token}"
        return http

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session().request(method, self.api_url + path, timeout=60, **kwargs)


def sign_up_and_in(cloud: LocalCloud, email: str | None = None) -> User:
    """Sign up, confirm with the mailed code, sign in with the CLI client: real tokens."""
    from plot_palette.local import cognito_mail

    email = email or f"user{next(_numbers)}@example.com"
    idp = cloud.client("cognito-idp")
    client_id = cloud.endpoints.cli_client_id
    signed = idp.sign_up(
        ClientId=client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    code = cognito_mail.latest_code(email)
    assert code is not None
    idp.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)
    tokens = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return User(
        email=email,
        sub=signed["UserSub"],
        access_token=tokens["AccessToken"],
        id_token=tokens["IdToken"],
        api_url=cloud.endpoints.api_url,
    )


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    home: Path = tmp_path_factory.mktemp("home")
    with local_cloud(home, model_latency_ms=5) as running:
        yield running


@pytest.fixture(scope="module")
def alice(cloud: LocalCloud) -> User:
    return sign_up_and_in(cloud, "alice@example.com")


@pytest.fixture(scope="module")
def bob(cloud: LocalCloud) -> User:
    return sign_up_and_in(cloud, "bob@example.com")
