"""A user's notification preferences and webhook signing secret (one item per user).

The secret is generated here, never chosen by the user, and returned only when it is created or
rotated: reads show whether one exists, never its value.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from plot_palette.jobs.dynamo import from_item, to_item
from plot_palette.jobs.store import utc_now

EVENTS = ("COMPLETED", "FAILED", "BUDGET_EXCEEDED", "CANCELLED")
SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret


def new_secret() -> str:
    """A fresh signing secret (256 random bits)."""
    return SECRET_PREFIX + secrets.token_hex(32)


@dataclass
class Preferences:
    """What a user wants to hear about, and how."""

    user_id: str
    email: bool = False
    webhook_url: str | None = None
    events: list[str] = field(default_factory=lambda: list(EVENTS))
    webhook_secret: str | None = None
    updated_at: str | None = None

    def wants(self, status: str) -> bool:
        return status in self.events

    def public(self, *, secret: str | None = None) -> dict[str, Any]:
        """As the API shows it: the secret only when ``secret`` is given (created, rotated)."""
        shown: dict[str, Any] = {
            "email": self.email,
            "webhook_url": self.webhook_url,
            "events": [event for event in EVENTS if event in self.events],
            "has_webhook_secret": self.webhook_secret is not None,
            "updated_at": self.updated_at,
        }
        if secret is not None:
            shown["webhook_secret"] = secret
        return shown


class PreferencesStore:
    """The NotificationPreferences table (partition key ``user_id``)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, user_id: str) -> Preferences:
        """The user's preferences, or the defaults (nothing sent) when none were saved."""
        item = self._client.get_item(
            TableName=self._table, Key={"user_id": {"S": user_id}}, ConsistentRead=True
        ).get("Item")
        if item is None:
            return Preferences(user_id=user_id)
        data = from_item(item)
        return Preferences(
            user_id=user_id,
            email=bool(data.get("email", False)),
            webhook_url=data.get("webhook_url"),
            events=list(data.get("events", [])),
            webhook_secret=data.get("webhook_secret"),
            updated_at=data.get("updated_at"),
        )

    def save(
        self, user_id: str, *, email: bool, webhook_url: str | None, events: list[str]
    ) -> tuple[Preferences, str | None]:
        """Save the preferences; a secret is created the first time (returned once, else None)."""
        current = self.get(user_id)
        created = None if current.webhook_secret else new_secret()
        preferences = Preferences(
            user_id=user_id,
            email=email,
            webhook_url=webhook_url,
            events=[event for event in EVENTS if event in events],
            webhook_secret=current.webhook_secret or created,
            updated_at=utc_now(),
        )
        self._put(preferences)
        return preferences, created

    def rotate_secret(self, user_id: str) -> tuple[Preferences, str]:
        """Replace the signing secret (the old one stops working at once)."""
        preferences = self.get(user_id)
        preferences.webhook_secret = new_secret()
        preferences.updated_at = utc_now()
        self._put(preferences)
        return preferences, preferences.webhook_secret

    def _put(self, preferences: Preferences) -> None:
        item = {
            "user_id": preferences.user_id,
            "email": preferences.email,
            "events": preferences.events,
            "webhook_secret": preferences.webhook_secret,
            "updated_at": preferences.updated_at,
        }
        if preferences.webhook_url:
            item["webhook_url"] = preferences.webhook_url
        self._client.put_item(TableName=self._table, Item=to_item(item))
