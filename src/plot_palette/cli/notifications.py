"""``plot-palette notifications``: the settings a ``set`` sends, and what ``show``/``test`` print.

``PUT /settings/notifications`` replaces all the settings, so ``set`` starts from the saved ones
and changes only what its options name (``set --email`` keeps the webhook). Kept apart from the
commands so the merging and the wording are tested without a terminal or an API.
"""

from __future__ import annotations

from typing import Any

from plot_palette.errors import PlotPaletteError
from plot_palette.notifications.preferences import EVENTS

SIGNATURE_HINT = (
    "verify each delivery: X-Plot-Palette-Signature is t=<unix seconds>,v1=<hex HMAC-SHA256 of "
    '"<t>." + raw body keyed with this secret>; refuse timestamps older than 5 minutes'
)


class NotificationOptionsError(PlotPaletteError):
    """The options of ``notifications set`` contradict each other or name an unknown event."""


def settings_request(
    current: dict[str, Any],
    *,
    email: bool | None = None,
    webhook: str | None = None,
    no_webhook: bool = False,
    events: list[str] | None = None,
) -> dict[str, Any]:
    """The whole settings to save: ``current`` with the options that were given applied.

    >>> settings_request({"email": False, "webhook_url": "https://h.example/x",
    ...                   "events": ["FAILED"]}, email=True)
    {'email': True, 'webhook_url': 'https://h.example/x', 'events': ['FAILED']}
    """
    if webhook is not None and no_webhook:
        raise NotificationOptionsError("give --webhook URL or --no-webhook, not both")
    chosen = list(current.get("events", EVENTS)) if events is None else _events(events)
    url = current.get("webhook_url") or None
    if no_webhook:
        url = None
    elif webhook is not None:
        url = webhook.strip() or None
    return {
        "email": bool(current.get("email", False)) if email is None else email,
        "webhook_url": url,
        "events": chosen,
    }


def _events(names: list[str]) -> list[str]:
    """Upper-cased, known, in the API's order, each once (``--events completed,failed`` too)."""
    wanted = {part.strip().upper() for name in names for part in name.split(",") if part.strip()}
    unknown = sorted(wanted - set(EVENTS))
    if unknown:
        raise NotificationOptionsError(
            f"unknown event {', '.join(unknown)}: choose from {', '.join(EVENTS)}"
        )
    return [event for event in EVENTS if event in wanted]


def settings_lines(settings: dict[str, Any]) -> list[str]:
    """The settings as ``show`` and ``set`` print them; a new secret with how to verify it."""
    events = settings.get("events") or []
    lines = [
        f"email:   {'on (your verified address)' if settings.get('email') else 'off'}",
        f"webhook: {settings.get('webhook_url') or 'none'}",
        f"events:  {', '.join(events) if events else 'none (nothing is sent)'}",
        "secret:  "
        + (
            "set (shown only when created or rotated)"
            if settings.get("has_webhook_secret")
            else "none yet"
        ),
    ]
    if settings.get("updated_at"):
        lines.append(f"saved:   {settings['updated_at']}")
    if settings.get("webhook_secret"):
        lines += [
            "",
            f"new signing secret (shown once, store it now): {settings['webhook_secret']}",
            SIGNATURE_HINT,
        ]
    return lines


def delivery_lines(result: dict[str, Any]) -> tuple[list[str], bool]:
    """What the TEST event did on each channel, and whether every channel delivered it."""
    lines: list[str] = []
    delivered = True
    webhook = result.get("webhook")
    if webhook is not None:
        attempts = webhook.get("attempts", 0)
        tries = f"{attempts} attempt{'' if attempts == 1 else 's'}"
        if webhook.get("delivered"):
            lines.append(f"webhook: delivered (HTTP {webhook.get('status')}) after {tries}")
        else:
            delivered = False
            lines.append(f"webhook: not delivered after {tries}: {webhook.get('error')}")
    email = result.get("email")
    if email is not None:
        if email.get("delivered"):
            lines.append("email:   sent")
        else:
            delivered = False
            lines.append(f"email:   not sent: {email.get('error')}")
    if not lines:
        lines.append("nothing was sent: no channel is set up")
        delivered = False
    return lines, delivered
