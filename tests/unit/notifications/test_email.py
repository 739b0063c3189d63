"""Who gets mail: only a confirmed user whose address Cognito marks verified."""

from __future__ import annotations

from typing import Any

import pytest

from plot_palette.notifications.email import EmailSender


class Pool:
    """admin_get_user answering one user with the given attributes and status."""

    def __init__(self, attributes: dict[str, str], status: str = "CONFIRMED") -> None:
        self.user = {
            "Username": "u-1",
            "UserStatus": status,
            "UserAttributes": [{"Name": key, "Value": value} for key, value in attributes.items()],
        }

    def admin_get_user(self, **kwargs: Any) -> dict[str, Any]:
        return self.user


class Ses:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(kwargs)
        return {"MessageId": "m-1"}


def sender(pool: Pool, ses: Ses) -> EmailSender:
    return EmailSender(ses=ses, cognito=pool, user_pool_id="pool", sender="noreply@example.com")


@pytest.mark.parametrize("verified", ["true", "True", "TRUE"])
def test_a_verified_address_is_mailed(verified: str) -> None:
    ses = Ses()
    pool = Pool({"email": "a@example.com", "email_verified": verified})
    assert sender(pool, ses).send("u-1", "subject", "text") == {"delivered": True, "error": None}
    assert [mail["Destination"]["ToAddresses"] for mail in ses.sent] == [["a@example.com"]]


@pytest.mark.parametrize(
    "attributes",
    [
        {"email": "a@example.com"},  # never verified: Cognito has no email_verified at all
        {"email": "a@example.com", "email_verified": "false"},
        {"email": "a@example.com", "email_verified": ""},
    ],
    ids=["absent", "false", "empty"],
)
def test_an_address_not_marked_verified_is_never_mailed(attributes: dict[str, str]) -> None:
    ses = Ses()
    result = sender(Pool(attributes), ses).send("u-1", "subject", "text")
    assert result == {"delivered": False, "error": "your account has no verified email address"}
    assert ses.sent == []


def test_an_unconfirmed_user_is_not_mailed_even_if_marked_verified() -> None:
    ses = Ses()
    pool = Pool({"email": "a@example.com", "email_verified": "true"}, status="UNCONFIRMED")
    assert sender(pool, ses).send("u-1", "subject", "text")["delivered"] is False
    assert ses.sent == []
