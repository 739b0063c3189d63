"""Request and response bodies of ``/settings/notifications``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from plot_palette.notifications.preferences import EVENTS

Event = Literal["COMPLETED", "FAILED", "BUDGET_EXCEEDED", "CANCELLED"]


def _all_events() -> list[Event]:
    return ["COMPLETED", "FAILED", "BUDGET_EXCEEDED", "CANCELLED"]


class NotificationSettingsRequest(BaseModel):
    """What to be told about, and how. The webhook URL is checked after DNS resolution."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: bool = Field(default=False, description="Mail the account's verified address.")
    webhook_url: str | None = Field(
        default=None, max_length=2048, description="An https URL on a public address, or null."
    )
    events: list[Event] = Field(default_factory=lambda: _all_events(), max_length=len(EVENTS))


class NotificationSettings(BaseModel):
    """The saved preferences; ``webhook_secret`` only right after it was created or rotated."""

    email: bool
    webhook_url: str | None = None
    events: list[str]
    has_webhook_secret: bool
    updated_at: str | None = None
    webhook_secret: str | None = Field(
        default=None, description="Shown once: store it to verify X-Plot-Palette-Signature."
    )


class NotificationTestResult(BaseModel):
    """What happened to the test event on each channel the preferences name."""

    webhook: dict[str, Any] | None = None
    email: dict[str, Any] | None = None
