"""``/settings/notifications``: the caller's notification preferences, secret and a test send."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from plot_palette.api.identity import caller_id
from plot_palette.api.models_notifications import (
    NotificationSettings,
    NotificationSettingsRequest,
    NotificationTestResult,
)
from plot_palette.errors import ConflictError
from plot_palette.notifications.webhook import WebhookRefusedError

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from plot_palette.api.services import ApiServices

TAGS = ["notifications"]


def register(app: APIGatewayHttpResolver, services: ApiServices) -> None:
    """Add the notification settings routes."""

    @app.get("/settings/notifications", tags=TAGS, summary="The caller's notification settings")
    def get_settings() -> NotificationSettings:
        preferences = services.notification_preferences.get(caller_id(app))
        return NotificationSettings.model_validate(preferences.public())

    @app.put(
        "/settings/notifications",
        tags=TAGS,
        summary="Save notification settings (the webhook secret is shown once, when created)",
    )
    def put_settings(
        request: Annotated[NotificationSettingsRequest, Body()],
    ) -> NotificationSettings:
        user_id = caller_id(app)
        url = request.webhook_url or None
        if url is not None:
            try:
                services.webhook_policy.check(url)
            except WebhookRefusedError as refused:
                raise WebhookRefusedError(f"webhook_url: {refused}") from None
        preferences, created = services.notification_preferences.save(
            user_id, email=request.email, webhook_url=url, events=list(request.events)
        )
        return NotificationSettings.model_validate(preferences.public(secret=created))

    @app.post(
        "/settings/notifications/rotate-secret",
        tags=TAGS,
        summary="Replace the webhook signing secret (shown once)",
    )
    def rotate_secret() -> NotificationSettings:
        preferences, secret = services.notification_preferences.rotate_secret(caller_id(app))
        return NotificationSettings.model_validate(preferences.public(secret=secret))

    @app.post(
        "/settings/notifications/test",
        tags=TAGS,
        summary="Send a TEST event to the caller's webhook and/or email now",
    )
    def send_test() -> NotificationTestResult:
        user_id = caller_id(app)
        preferences = services.notification_preferences.get(user_id)
        if not preferences.webhook_url and not preferences.email:
            raise ConflictError("nothing to send to: turn on email or save a webhook URL first")
        return NotificationTestResult.model_validate(services.notifier.send_test(user_id))
