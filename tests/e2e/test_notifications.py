"""Notification settings in the browser: a webhook on a private address is refused beside its
field and nothing is saved; email-only settings save, persist, and a finished job is mailed.

The local cloud's SES is moto's, in this process: the mails it accepted are read from its
backend, as the integration tests do.
"""

from __future__ import annotations

import re
from typing import Any

from moto.ses.models import ses_backends
from playwright.sync_api import Page, expect

from plot_palette.local.cloud import ACCOUNT_ID, REGION, LocalCloud
from tests.e2e.test_dashboard import FINAL, launch, sign_up_and_sign_in
from tests.integration.orchestration.helpers import wait_until

EMAIL = "notified@example.com"
EVENTS = ("Completed", "Failed", "Budget exceeded", "Cancelled")


def mails_to(address: str, text: str) -> list[Any]:
    """Mails SES accepted for ``address`` whose subject or body mentions ``text``."""
    return [
        mail
        for mail in ses_backends[ACCOUNT_ID][REGION].sent_messages
        if address in mail.destinations["ToAddresses"]
        and (text in mail.body or text in mail.subject)
    ]


def expect_settings(page: Page, *, email: bool, webhook: str, events: tuple[str, ...]) -> None:
    """The form shows these saved settings."""
    email_box = page.get_by_role("checkbox", name=re.compile("^Email me"))
    expect(email_box).to_be_checked(checked=email)
    expect(page.get_by_label("Webhook URL")).to_have_value(webhook)
    for name in EVENTS:
        expect(page.get_by_role("checkbox", name=name, exact=True)).to_be_checked(
            checked=name in events
        )


def test_a_private_webhook_is_refused_and_email_settings_persist_and_mail_a_finished_job(
    page: Page, cloud: LocalCloud, expected_console: list[str]
) -> None:
    sign_up_and_sign_in(page, cloud, EMAIL)
    page.get_by_role("link", name="Notifications").click()
    page.wait_for_url("**/settings/notifications")
    # nothing saved yet: no email, no webhook, every event
    expect_settings(page, email=False, webhook="", events=EVENTS)
    expect(page.get_by_test_id("notifications-updated")).to_have_count(0)

    # The browser logs the API's 400 refusals as failed resource loads: expected here.
    expected_console.append("400")
    page.get_by_role("checkbox", name=re.compile("^Email me")).check()
    page.get_by_role("checkbox", name="Cancelled", exact=True).uncheck()
    webhook = page.get_by_label("Webhook URL")
    refusal = page.locator("#webhook-url-error")
    for url, reason in (
        ("https://127.0.0.1/hook", "resolves to 127.0.0.1, which is a loopback address"),
        ("https://169.254.169.254/", "resolves to 169.254.169.254, which is a cloud metadata"),
    ):
        webhook.fill(url)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(refusal).to_contain_text(reason)
        expect(refusal).to_contain_text("webhooks go to public addresses only")
        expect(webhook).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_test_id("notifications-saved")).to_have_count(0)
    page.shots("refused")  # type: ignore[attr-defined]

    # nothing of the refused request was saved: not the URL, nor the email or events beside it
    page.reload()
    expect_settings(page, email=False, webhook="", events=EVENTS)
    expect(page.get_by_test_id("notifications-updated")).to_have_count(0)

    # email only, for completed jobs
    page.get_by_role("checkbox", name=re.compile("^Email me")).check()
    for name in ("Failed", "Budget exceeded", "Cancelled"):
        page.get_by_role("checkbox", name=name, exact=True).uncheck()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("notifications-saved")).to_be_visible()
    expect(refusal).to_have_count(0)
    # the first save creates the webhook signing secret and shows it this once
    expect(page.get_by_test_id("webhook-secret-value")).to_have_text(
        re.compile(r"^\s*whsec_[0-9a-f]{64}\s*$")
    )
    page.shots("saved")  # type: ignore[attr-defined]

    page.reload()
    expect_settings(page, email=True, webhook="", events=("Completed",))
    expect(page.get_by_test_id("notifications-updated")).to_contain_text("Last saved")
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
    expect(page.get_by_test_id("secret-state")).to_contain_text("shown once")

    # a test event goes to the verified address now
    page.get_by_role("button", name="Send a test event").click()
    expect(page.get_by_test_id("test-result-email")).to_have_text("Sent.")
    expect(page.get_by_test_id("test-result-webhook")).to_have_count(0)
    wait_until(lambda: mails_to(EMAIL, "test notification"), timeout=30, what="the test mail")
    page.shots("test-sent")  # type: ignore[attr-defined]

    # a job that completes is mailed once, as COMPLETED
    job_id = launch(page, "mailed job", records=2, budget="1")
    expect(page.get_by_test_id("job-status")).to_have_text("COMPLETED", timeout=FINAL)
    wait_until(lambda: mails_to(EMAIL, job_id), timeout=120, what="the COMPLETED mail")
    [mail] = mails_to(EMAIL, job_id)
    assert mail.subject == "Plot Palette: job mailed job COMPLETED", mail.subject
    assert f"Your job mailed job ({job_id}) ended COMPLETED." in mail.body
    assert "Records: 2 of 2" in mail.body
