"""Where the CLI points, and how it keeps and refreshes a session (no network)."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from plot_palette.client.session import AuthError, SessionStore
from plot_palette.client.target import Target, resolve_target
from plot_palette.errors import LocalCloudError


class FakeCognito:
    """Answers InitiateAuth like Cognito; counts the calls."""

    def __init__(self, error: str | None = None) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.error = error

    def initiate_auth(self, ClientId: str, AuthFlow: str, AuthParameters: dict[str, str]) -> Any:
        self.calls.append((AuthFlow, AuthParameters))
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "no"}}, "InitiateAuth")
        number = len(self.calls)
        result = {"AccessToken": f"access-{number}", "ExpiresIn": 3600}
        if AuthFlow == "USER_PASSWORD_AUTH":
            result["RefreshToken"] = "refresh"
        return {"AuthenticationResult": result}


class FakeTarget(Target):
    def __init__(self, cognito: FakeCognito, api_url: str = "https://api.example") -> None:
        super().__init__(api_url=api_url, client_id="cli", region="eu-west-1")
        object.__setattr__(self, "_fake", cognito)

    def cognito(self) -> Any:
        return self._fake  # type: ignore[attr-defined]


def test_a_deployment_is_named_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "PLOT_PALETTE_API_ENDPOINT", "https://abc.execute-api.eu-west-1.amazonaws.com/"
    )
    monkeypatch.setenv("PLOT_PALETTE_CLIENT_ID", "cli-client")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    target = resolve_target()
    assert target == Target(
        api_url="https://abc.execute-api.eu-west-1.amazonaws.com",
        client_id="cli-client",
        region="eu-west-1",
    )
    assert not target.is_local


@pytest.mark.parametrize(
    ("missing", "message"),
    [("PLOT_PALETTE_CLIENT_ID", "CliClientId"), ("AWS_REGION", "AWS_REGION")],
)
def test_a_half_named_deployment_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, missing: str, message: str
) -> None:
    monkeypatch.setenv("PLOT_PALETTE_API_ENDPOINT", "https://api.example")
    monkeypatch.setenv("PLOT_PALETTE_CLIENT_ID", "cli-client")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv(missing)
    with pytest.raises(LocalCloudError, match=message):
        resolve_target()


def test_a_session_is_saved_privately_and_refreshed_before_it_expires(tmp_path: Path) -> None:
    cognito = FakeCognito()
    store = SessionStore(FakeTarget(cognito), tmp_path)
    store.log_in("me@example.com", "pw")
    saved = tmp_path / "session.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert store.current().access_token == "access-1"  # fresh: no call

    data = json.loads(saved.read_text())
    data["expires_at"] = time.time() + 30  # inside the refresh margin
    saved.write_text(json.dumps(data))
    refreshed = store.current()
    assert refreshed.access_token == "access-2"
    assert refreshed.refresh_token == "refresh"  # Cognito does not send a new one on refresh
    assert cognito.calls[-1] == ("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": "refresh"})


def test_a_session_belongs_to_one_api(tmp_path: Path) -> None:
    SessionStore(FakeTarget(FakeCognito()), tmp_path).log_in("me@example.com", "pw")
    other = SessionStore(FakeTarget(FakeCognito(), api_url="https://other.example"), tmp_path)
    with pytest.raises(AuthError, match="sign in first"):
        other.current()


def test_cognito_errors_become_messages_for_people(tmp_path: Path) -> None:
    store = SessionStore(FakeTarget(FakeCognito(error="NotAuthorizedException")), tmp_path)
    with pytest.raises(AuthError, match="wrong email or password"):
        store.log_in("me@example.com", "bad")
    assert store.log_out() is False
