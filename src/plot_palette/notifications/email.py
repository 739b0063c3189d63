"""Email notifications through SES, to the address the user verified with Cognito.

The address is read from the user pool when the mail is sent (never stored with the
preferences), so a changed or unverified address is never mailed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailSender:
    """Looks the user's verified address up in the pool and sends through SES."""

    ses: Any
    cognito: Any
    user_pool_id: str
    sender: str

    def verified_address(self, user_id: str) -> str | None:
        """The user's email if Cognito has it verified (a confirmed user whose
        ``email_verified`` is ``"true"``), else ``None``.

        A missing ``email_verified`` counts as unverified: Cognito sets it when the user proves
        the address (the sign-up code) and drops it to false when the address changes, so an
        address without it was never proven and may be someone else's.
        """
        try:
            user = self.cognito.admin_get_user(UserPoolId=self.user_pool_id, Username=user_id)
        except ClientError as error:
            LOGGER.warning("user lookup failed", extra={"code": error.response["Error"]["Code"]})
            return None
        attributes = {item["Name"]: item["Value"] for item in user.get("UserAttributes", [])}
        if attributes.get("email_verified", "false").lower() != "true":
            return None
        if user.get("UserStatus") not in (None, "CONFIRMED"):
            return None
        return attributes.get("email")

    def send(self, user_id: str, subject: str, text: str) -> dict[str, Any]:
        """Send one mail; reports what happened instead of raising (a mail is best effort)."""
        if not self.sender:
            return {"delivered": False, "error": "email notifications are not set up (no sender)"}
        address = self.verified_address(user_id)
        if address is None:
            return {"delivered": False, "error": "your account has no verified email address"}
        try:
            self.ses.send_email(
                Source=self.sender,
                Destination={"ToAddresses": [address]},
                Message={
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
                },
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            LOGGER.warning("email not sent", extra={"code": code})
            return {"delivered": False, "error": f"SES refused the mail ({code})"}
        return {"delivered": True, "error": None}
