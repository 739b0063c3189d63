"""Building the notifier from the notify function's environment (the stack's variables)."""

from __future__ import annotations

import os
import ssl
from typing import Any

from pydantic import BaseModel, ConfigDict

from plot_palette.notifications.email import EmailSender
from plot_palette.notifications.notifier import Notifier
from plot_palette.notifications.preferences import PreferencesStore
from plot_palette.notifications.webhook import UrlPolicy, WebhookSender


class NotifySettings(BaseModel):
    """Names match the variables ``stacks/notifications.yaml`` sets."""

    model_config = ConfigDict(frozen=True)

    jobs_table_name: str
    notification_preferences_table_name: str
    user_pool_id: str
    notification_sender: str = ""

    @classmethod
    def from_environment(cls) -> NotifySettings:
        """Read the variables; a missing one fails the cold start with its name."""
        values = {name: os.environ.get(name.upper()) for name in cls.model_fields}
        return cls.model_validate(
            {key: value for key, value in values.items() if value is not None}
        )


def build_notifier(
    settings: NotifySettings,
    session: Any,
    *,
    policy: UrlPolicy | None = None,
    context: ssl.SSLContext | None = None,
) -> Notifier:
    """The notifier with real clients; ``policy``/``context`` only differ in local tests."""
    dynamodb = session.client("dynamodb")
    sender = WebhookSender(policy=policy or UrlPolicy())
    if context is not None:
        sender.context = context
    return Notifier(
        dynamodb=dynamodb,
        jobs_table=settings.jobs_table_name,
        preferences=PreferencesStore(dynamodb, settings.notification_preferences_table_name),
        webhooks=sender,
        email=EmailSender(
            ses=session.client("ses"),
            cognito=session.client("cognito-idp"),
            user_pool_id=settings.user_pool_id,
            sender=settings.notification_sender,
        ),
    )
