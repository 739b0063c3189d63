"""Verification codes for the local user pool: a mailbox instead of email.

moto 5.2.1 confirms any sign-up whatever code is given, so a sign-up flow tested locally would
prove nothing. Here, a sign-up through the local cloud "sends" a fresh six-digit code to the
local mailbox (what Cognito would email), and ``ConfirmSignUp`` with any other code fails with
``CodeMismatchException``, as Cognito does. A confirmed sign-up marks the address
``email_verified``, as Cognito does and moto does not (notifications mail verified addresses
only). Tests, the CLI and the dashboard's browser tests read the code from the mailbox
(``GET /local/mailbox/{email}`` on the local API server).

A forgotten password works the same way. moto hands its reset code to whoever asked, in a
response header, and ``ConfirmForgotPassword`` accepts any code that does not start with its
own prefix, so anyone could set anyone's password. Here ``ForgotPassword`` mails a fresh code
and answers without it, and ``ConfirmForgotPassword`` with any other code fails with
``CodeMismatchException``; a code works once.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

_lock = threading.Lock()
_installed = False
_codes: dict[str, str] = {}  # the last code mailed to each address (what its inbox shows)
_pending: dict[tuple[str, str], str] = {}  # (purpose, address) -> the code that confirms it
_MOTO_CODE_HEADER = "x-moto-forgot-password-confirmation-code"


def latest_code(username: str) -> str | None:
    """The last code sent to ``username`` (an email address), if any."""
    with _lock:
        return _codes.get(username.strip().lower())


def clear() -> None:
    """Forget every code (a new local cloud starts with an empty mailbox)."""
    with _lock:
        _codes.clear()
        _pending.clear()


def _send(purpose: str, username: str) -> None:
    code = f"{secrets.randbelow(1_000_000):06d}"
    with _lock:
        _codes[username] = code
        _pending[(purpose, username)] = code


def _redeem(purpose: str, username: str, given: str) -> None:
    from moto.cognitoidp.exceptions import CodeMismatchException

    with _lock:
        expected = _pending.get((purpose, username))
        if expected is None or not secrets.compare_digest(given, expected):
            raise CodeMismatchException("Invalid verification code provided, please try again.")
        del _pending[(purpose, username)]


def install() -> None:
    """Patch moto's SignUp, ConfirmSignUp, ForgotPassword and ConfirmForgotPassword once per
    process."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    from moto.cognitoidp.responses import CognitoIdpResponse

    original_sign_up = CognitoIdpResponse.sign_up
    original_confirm = CognitoIdpResponse.confirm_sign_up
    original_forgot = CognitoIdpResponse.forgot_password
    original_confirm_forgot = CognitoIdpResponse.confirm_forgot_password

    def sign_up(self: Any) -> Any:
        result = original_sign_up(self)
        _send("sign-up", str(self._get_param("Username")).strip().lower())
        return result

    def confirm_sign_up(self: Any) -> Any:
        username = str(self._get_param("Username")).strip().lower()
        _redeem("sign-up", username, str(self._get_param("ConfirmationCode") or ""))
        result = original_confirm(self)
        _mark_email_verified(self)
        return result

    def forgot_password(self: Any) -> Any:
        result = original_forgot(self)
        self.response_headers.pop(_MOTO_CODE_HEADER, None)  # the code goes to the mailbox only
        _send("reset", str(self._get_param("Username")).strip().lower())
        return result

    def confirm_forgot_password(self: Any) -> Any:
        username = str(self._get_param("Username")).strip().lower()
        _redeem("reset", username, str(self._get_param("ConfirmationCode") or ""))
        return original_confirm_forgot(self)

    CognitoIdpResponse.sign_up = sign_up  # type: ignore[method-assign]
    CognitoIdpResponse.confirm_sign_up = confirm_sign_up  # type: ignore[method-assign]
    CognitoIdpResponse.forgot_password = forgot_password  # type: ignore[method-assign]
    CognitoIdpResponse.confirm_forgot_password = confirm_forgot_password  # type: ignore[method-assign]


def _mark_email_verified(response: Any) -> None:
    """Set ``email_verified`` on the user a ``ConfirmSignUp`` request just confirmed."""
    client_id = response._get_param("ClientId")
    backend = response._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
    pool = next(pool for pool in backend.user_pools.values() if client_id in pool.clients)
    backend.admin_update_user_attributes(
        pool.id, response._get_param("Username"), [{"Name": "email_verified", "Value": "true"}]
    )
