"""Signing in with Cognito and keeping the tokens between commands (``~/.plot-palette``).

Tokens are stored in ``session.json`` readable by the user only, per API, and refreshed with
the refresh token when the access token is about to expire (Cognito: 1 hour / 30 days).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from plot_palette.errors import PlotPaletteError

if TYPE_CHECKING:
    from plot_palette.client.target import Target

REFRESH_MARGIN_SECONDS = 60


class AuthError(PlotPaletteError):
    """Signing up, confirming or signing in failed; the message says why."""


_MESSAGES = {
    "NotAuthorizedException": "wrong email or password",
    "UserNotConfirmedException": "confirm your email first: plot-palette confirm --email …",
    "UsernameExistsException": "an account with this email already exists",
    "InvalidPasswordException": (
        "the password needs at least 12 characters with upper and lower case letters, a number "
        "and a symbol"
    ),
    "CodeMismatchException": "that verification code is not the one we sent",
    "ExpiredCodeException": "that verification code has expired; sign up again for a new one",
    "UserNotFoundException": "wrong email or password",
}


def _auth_error(error: ClientError) -> AuthError:
    code = error.response["Error"]["Code"]
    message = _MESSAGES.get(code) or error.response["Error"].get("Message") or code
    return AuthError(message)


@dataclass(frozen=True)
class Session:
    """A signed-in user of one API."""

    api_url: str
    email: str
    access_token: str
    refresh_token: str
    expires_at: float


class SessionStore:
    """Sign-up, confirmation, sign-in and the saved session of ``target``."""

    def __init__(self, target: Target, home: Path) -> None:
        self._target = target
        self._path = home / "session.json"

    def sign_up(self, email: str, password: str) -> None:
        try:
            self._target.cognito().sign_up(
                ClientId=self._target.client_id,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}],
            )
        except ClientError as error:
            raise _auth_error(error) from None

    def confirm(self, email: str, code: str) -> None:
        try:
            self._target.cognito().confirm_sign_up(
                ClientId=self._target.client_id, Username=email, ConfirmationCode=code
            )
        except ClientError as error:
            raise _auth_error(error) from None

    def log_in(self, email: str, password: str) -> Session:
        """Sign in and save the session."""
        result = self._initiate("USER_PASSWORD_AUTH", {"USERNAME": email, "PASSWORD": password})
        session = Session(
            api_url=self._target.api_url,
            email=email,
            access_token=result["AccessToken"],
            refresh_token=result["RefreshToken"],
            expires_at=time.time() + int(result.get("ExpiresIn", 3600)),
        )
        self._save(session)
        return session

    def log_out(self) -> bool:
        """Forget the saved session; True if there was one."""
        try:
            self._path.unlink()
        except FileNotFoundError:
            return False
        return True

    def current(self) -> Session:
        """The saved session for this API, refreshed if it is about to expire."""
        session = self._load()
        if session is None:
            raise AuthError("sign in first: plot-palette login --email you@example.com")
        if session.expires_at - REFRESH_MARGIN_SECONDS > time.time():
            return session
        result = self._initiate("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": session.refresh_token})
        refreshed = Session(
            api_url=session.api_url,
            email=session.email,
            access_token=result["AccessToken"],
            refresh_token=result.get("RefreshToken", session.refresh_token),
            expires_at=time.time() + int(result.get("ExpiresIn", 3600)),
        )
        self._save(refreshed)
        return refreshed

    def _initiate(self, flow: str, parameters: dict[str, str]) -> dict[str, Any]:
        try:
            response = self._target.cognito().initiate_auth(
                ClientId=self._target.client_id, AuthFlow=flow, AuthParameters=parameters
            )
        except ClientError as error:
            raise _auth_error(error) from None
        if "AuthenticationResult" not in response:
            raise AuthError(
                f"sign-in needs a further step ({response.get('ChallengeName')}); use the "
                "dashboard for accounts with MFA"
            )
        result: dict[str, Any] = response["AuthenticationResult"]
        return result

    def _load(self) -> Session | None:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
            session = Session(**data)
        except (OSError, ValueError, TypeError):
            return None
        return session if session.api_url == self._target.api_url else None

    def _save(self, session: Session) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(session), handle)
