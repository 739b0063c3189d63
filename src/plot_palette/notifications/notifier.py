"""Tell a job's owner that it ended: one event per job, by email and/or webhook.

The notify function receives the state machine's "Execution Status Change" events for every end
of an execution (SUCCEEDED, FAILED, ABORTED, TIMED_OUT). Every path through the state machine,
including a cancellation, ends the execution, so every job is seen. The job item says how the
job ended; an execution that died outside its own error handling may not have written it yet,
and is reported FAILED (what the admission function marks it).

At most once per job: before sending, a conditional write sets ``notified_at`` (and
``notified_status``) on the job item; a second event for the same job (EventBridge retrying a
delivery, or a second end event) loses that race and sends nothing. The claim comes first on
purpose: a duplicate mail cannot be taken back, and a claim written after sending would let two
concurrent invocations both send. The price: an invocation that dies between the claim and the
sends (a timeout, a crash) loses that job's notification, and a channel that fails after its
retries is not tried again (the results are logged, not stored). Within one send a webhook may
still arrive twice (an attempt the receiver processed but answered too late is retried), always
with the same ``X-Plot-Palette-Event-Id`` so the receiver can drop the second.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.errors import NotFoundError
from plot_palette.jobs.status import FINAL_STATUSES, JobStatus
from plot_palette.jobs.store import JobsStore, utc_now
from plot_palette.notifications.email import EmailSender
from plot_palette.notifications.preferences import Preferences, PreferencesStore
from plot_palette.notifications.webhook import WebhookSender

LOGGER = logging.getLogger(__name__)
ABNORMAL_ENDS = frozenset({"FAILED", "ABORTED", "TIMED_OUT"})
EVENT_NAMESPACE = uuid.UUID("6f1e4c1a-7d53-4f7e-9a57-2a1f0a8b3c11")
TEST_EVENT = "TEST"


def event_id(job_id: str, status: str) -> str:
    """The same id for every delivery of a job's final event, so receivers can dedupe."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{job_id}:{status}"))


def job_event(job: dict[str, Any], status: str, *, sent_at: str) -> dict[str, Any]:
    """The webhook body: what a receiver needs to act, nothing internal."""
    return {
        "id": event_id(job["job_id"], status),
        "type": f"job.{status.lower()}",
        "created_at": sent_at,
        "job": {
            "job_id": job["job_id"],
            "name": job.get("name"),
            "status": status,
            "records_generated": job.get("records_generated", 0),
            "record_count": job.get("record_count"),
            "cost_usd": job.get("cost_usd", 0.0),
            "budget_usd": job.get("budget_usd"),
            "finished_at": job.get("finished_at"),
        },
    }


def email_text(event: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of the mail for an event."""
    job = event["job"]
    subject = f"Plot Palette: job {job['name'] or job['job_id']} {job['status']}"
    body = (
        f"Your job {job['name']} ({job['job_id']}) ended {job['status']}.\n"
        f"Records: {job['records_generated']} of {job['record_count']}\n"
        f"Cost: ${float(job['cost_usd'] or 0):.4f} of ${float(job['budget_usd'] or 0):.2f}\n"
    )
    return subject, body


@dataclass
class Notifier:
    """Sends the events a user asked for, through the channels they chose."""

    dynamodb: Any
    jobs_table: str
    preferences: PreferencesStore
    webhooks: WebhookSender
    email: EmailSender

    @property
    def jobs(self) -> JobsStore:
        return JobsStore(self.dynamodb, self.jobs_table)

    def handle_execution_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Notify for one execution status change; returns what was done (for the logs)."""
        detail = event.get("detail", {})
        job_id = str(detail.get("name", ""))
        try:
            job = self.jobs.get(job_id)
        except NotFoundError:
            return {"job_id": job_id, "notified": False, "reason": "no such job"}
        status = final_status(job, str(detail.get("status", "")))
        if status is None:
            return {"job_id": job_id, "notified": False, "reason": "the job has not ended"}
        preferences = self.preferences.get(job["user_id"])
        if not preferences.wants(status) or not (preferences.email or preferences.webhook_url):
            return {"job_id": job_id, "notified": False, "reason": "not asked for"}
        if not self._claim(job_id, status):
            return {"job_id": job_id, "notified": False, "reason": "already notified"}
        sent = self.send({**job, "status": status}, status, preferences)
        return {"job_id": job_id, "notified": True, "status": status, **sent}

    def send(self, job: dict[str, Any], status: str, preferences: Preferences) -> dict[str, Any]:
        """Send an event to every channel the preferences name; report each result."""
        event = job_event(job, status, sent_at=utc_now())
        results: dict[str, Any] = {}
        if preferences.webhook_url and preferences.webhook_secret:
            body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
            delivery = self.webhooks.send(
                preferences.webhook_url, preferences.webhook_secret, event["id"], body
            )
            results["webhook"] = delivery.as_dict()
        if preferences.email:
            subject, text = email_text(event)
            results["email"] = self.email.send(preferences.user_id, subject, text)
        return results

    def send_test(self, user_id: str) -> dict[str, Any]:
        """A TEST event to the user's channels (``POST /settings/notifications/test``)."""
        preferences = self.preferences.get(user_id)
        job = {
            "job_id": "test",
            "name": "test notification",
            "records_generated": 0,
            "record_count": 0,
            "cost_usd": 0.0,
            "budget_usd": 0.0,
        }
        return self.send(job, TEST_EVENT, preferences)

    def _claim(self, job_id: str, status: str) -> bool:
        """Mark the job notified; False if an earlier event already did."""
        try:
            self.dynamodb.update_item(
                TableName=self.jobs_table,
                Key={"job_id": {"S": job_id}},
                UpdateExpression="SET notified_at = :now, notified_status = :status",
                ConditionExpression=(
                    "attribute_exists(job_id) AND attribute_not_exists(notified_at)"
                ),
                ExpressionAttributeValues={":now": {"S": utc_now()}, ":status": {"S": status}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def final_status(job: dict[str, Any], execution_status: str) -> str | None:
    """How the job ended, from its item; an execution that died abnormally before recording it
    counts as FAILED. ``None`` while the job is still going (not an end event)."""
    finals = {status.value for status in FINAL_STATUSES}
    status = str(job.get("status", ""))
    if status in finals:
        return status
    if execution_status in ABNORMAL_ENDS:
        return JobStatus.FAILED.value
    return None
