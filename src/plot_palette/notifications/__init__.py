"""Job notifications: per-user preferences, signed webhooks behind an SSRF policy, SES email."""

from plot_palette.notifications.email import EmailSender
from plot_palette.notifications.notifier import Notifier
from plot_palette.notifications.preferences import EVENTS, Preferences, PreferencesStore
from plot_palette.notifications.webhook import (
    UrlPolicy,
    WebhookRefusedError,
    WebhookSender,
    verify_signature,
)

__all__ = [
    "EVENTS",
    "EmailSender",
    "Notifier",
    "Preferences",
    "PreferencesStore",
    "UrlPolicy",
    "WebhookRefusedError",
    "WebhookSender",
    "verify_signature",
]
