"""Notification settings through the local API, and the notifications a finished job sends.

The webhook receiver runs on 127.0.0.1 with a trustme certificate for ``receiver.test``. The
production policy refuses it (loopback): the tests run the api and notify functions with a policy
whose resolver maps ``receiver.test`` to 127.0.0.1 and which admits 127.0.0.1/32 - passed to the
constructors, exactly the seam the code offers, never a switch in the environment.
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import trustme
from moto.ses.models import ses_backends

from plot_palette.api import ApiServices, ApiSettings, build_resolver
from plot_palette.local.cloud import ACCOUNT_ID, LOCAL_NOTIFICATION_SENDER, REGION, LocalCloud
from plot_palette.notifications.setup import NotifySettings, build_notifier
from plot_palette.notifications.webhook import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    UrlPolicy,
    networks,
    static_resolver,
    verify_signature,
)
from tests.integration.api.conftest import User, sign_up_and_in
from tests.integration.api.test_endpoints import queue

pytestmark = pytest.mark.slow(seconds=60)

API_FUNCTION = "plot-palette-Api-ApiFunction"
NOTIFY_FUNCTION = "plot-palette-Notifications-NotifyFunction"
PUBLIC = "93.184.215.14"


@dataclasses.dataclass
class Receiver:
    url: str
    requests: list[dict[str, Any]]
    client_context: ssl.SSLContext

    def for_job(self, job_id: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["json"].get("job", {}).get("job_id") == job_id]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    authority = trustme.CA()
    certificate = authority.issue_cert("receiver.test")
    received: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"headers": dict(self.headers), "body": body, "json": json.loads(body)})
            # a receiver that keeps failing, for the retries
            self.send_response(503 if self.path.endswith("/fail") else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = ssl.create_default_context()
    authority.configure_trust(client)
    yield Receiver(f"https://receiver.test:{server.server_address[1]}/hook", received, client)
    server.shutdown()


@pytest.fixture
def local_receiver_allowed(cloud: LocalCloud, receiver: Receiver) -> Iterator[None]:
    """The api and notify functions, built with a policy that admits the local receiver."""
    policy = UrlPolicy(
        resolver=static_resolver({"receiver.test": ["127.0.0.1"], "hooks.example.com": [PUBLIC]}),
        allowed_networks=networks("127.0.0.1/32"),
    )
    session = boto3.session.Session()
    services = dataclasses.replace(
        ApiServices.build(ApiSettings.from_environment(), session),
        webhook_policy=policy,
        webhook_tls=receiver.client_context,
    )
    api = build_resolver(services)
    notifier = build_notifier(
        NotifySettings.from_environment(), session, policy=policy, context=receiver.client_context
    )
    notifier.webhooks.sleep = lambda _: None
    with (
        cloud.lambdas.override(API_FUNCTION, lambda event, context: api.resolve(event, context)),
        cloud.lambdas.override(
            NOTIFY_FUNCTION, lambda event, _: notifier.handle_execution_event(event)
        ),
    ):
        yield


def verified_user(cloud: LocalCloud) -> User:
    """A signed-up user: confirming the sign-up code marks the address verified, as in Cognito."""
    user = sign_up_and_in(cloud)
    assert attributes_of(cloud, user).get("email_verified") == "true"
    return user


def attributes_of(cloud: LocalCloud, user: User) -> dict[str, str]:
    attributes = cloud.client("cognito-idp").admin_get_user(
        UserPoolId=cloud.endpoints.user_pool_id, Username=user.sub
    )["UserAttributes"]
    return {attribute["Name"]: attribute["Value"] for attribute in attributes}


def set_email_verified(cloud: LocalCloud, user: User, value: str) -> None:
    cloud.client("cognito-idp").admin_update_user_attributes(
        UserPoolId=cloud.endpoints.user_pool_id,
        Username=user.sub,
        UserAttributes=[{"Name": "email_verified", "Value": value}],
    )


def sent_mails() -> list[Any]:
    return list(ses_backends[ACCOUNT_ID][REGION].sent_messages)


def mails_to(address: str, job_id: str) -> list[Any]:
    return [
        m for m in sent_mails() if address in m.destinations["ToAddresses"] and job_id in m.body
    ]


def wait_for(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)


def settle(cloud: LocalCloud, job_id: str) -> None:
    """The execution ended and the rule runner has delivered its end event to every target."""
    cloud.wait_for_execution(job_id)
    wait_for(
        lambda: any(
            event["detail"]["name"] == job_id and event["detail"]["status"] != "RUNNING"
            for rule, event in list(cloud.rules.delivered)
            if rule.endswith("JobExecutionEnded")
        )
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/hook", "https://"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://127.1/hook", "loopback"),
        ("https://2130706433/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://10.0.0.1/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://[::ffff:10.0.0.1]/hook", "IPv4-mapped"),
        ("https://localhost/hook", "loopback"),
        ("https://[64:ff9b::a9fe:a9fe]/hook", "NAT64 address of 169.254.169.254"),
    ],
)
def test_bad_webhook_urls_are_refused_and_nothing_is_saved(
    cloud: LocalCloud, url: str, message: str
) -> None:
    user = sign_up_and_in(cloud)
    response = user.call("PUT", "/settings/notifications", json={"email": True, "webhook_url": url})
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    assert response.json()["message"].startswith("webhook_url:")
    saved = user.call("GET", "/settings/notifications").json()
    assert saved == {
        "email": False,
        "webhook_url": None,
        "events": ["COMPLETED", "FAILED", "BUDGET_EXCEEDED", "CANCELLED"],
        "has_webhook_secret": False,
        "updated_at": None,
        "webhook_secret": None,
    }


def test_bad_events_and_fields_are_422(alice: User) -> None:
    unknown = alice.call("PUT", "/settings/notifications", json={"events": ["EXPLODED"]})
    assert unknown.status_code == 422
    extra = alice.call("PUT", "/settings/notifications", json={"webhook": "https://x"})
    assert extra.status_code == 422


def test_the_secret_is_shown_once_and_rotates(
    cloud: LocalCloud, local_receiver_allowed: None
) -> None:
    user = sign_up_and_in(cloud)
    first = user.call(
        "PUT",
        "/settings/notifications",
        json={"email": False, "webhook_url": "https://hooks.example.com/in", "events": ["FAILED"]},
    )
    assert first.status_code == 200, first.text
    secret = first.json()["webhook_secret"]
    assert secret.startswith("whsec_")
    again = user.call(
        "PUT", "/settings/notifications", json={"webhook_url": "https://hooks.example.com/2"}
    )
    assert again.json()["webhook_secret"] is None
    shown = user.call("GET", "/settings/notifications").json()
    assert shown["has_webhook_secret"] is True
    assert shown["webhook_secret"] is None
    assert shown["webhook_url"] == "https://hooks.example.com/2"
    rotated = user.call("POST", "/settings/notifications/rotate-secret").json()["webhook_secret"]
    assert rotated.startswith("whsec_")
    assert rotated != secret


def test_a_test_event_needs_a_channel_and_is_signed(
    cloud: LocalCloud, receiver: Receiver, local_receiver_allowed: None
) -> None:
    user = verified_user(cloud)
    nothing = user.call("POST", "/settings/notifications/test")
    assert nothing.status_code == 409
    secret = user.call(
        "PUT", "/settings/notifications", json={"email": True, "webhook_url": receiver.url}
    ).json()["webhook_secret"]
    result = user.call("POST", "/settings/notifications/test")
    assert result.status_code == 200, result.text
    assert result.json()["webhook"]["delivered"] is True
    assert result.json()["email"] == {"delivered": True, "error": None}
    test_event = receiver.requests[-1]
    assert test_event["json"]["type"] == "job.test"
    assert verify_signature(secret, test_event["headers"][SIGNATURE_HEADER], test_event["body"])
    assert any(user.email in m.destinations["ToAddresses"] for m in sent_mails())


def test_an_address_not_marked_verified_gets_no_mail(
    cloud: LocalCloud, local_receiver_allowed: None
) -> None:
    user = verified_user(cloud)
    # an account with no email_verified at all (e.g. one an administrator created)
    cloud.client("cognito-idp").admin_delete_user_attributes(
        UserPoolId=cloud.endpoints.user_pool_id,
        Username=user.sub,
        UserAttributeNames=["email_verified"],
    )
    assert "email_verified" not in attributes_of(cloud, user)
    user.call("PUT", "/settings/notifications", json={"email": True})
    unverified = {"delivered": False, "error": "your account has no verified email address"}
    absent = user.call("POST", "/settings/notifications/test")
    assert absent.status_code == 200, absent.text
    assert absent.json()["email"] == unverified
    set_email_verified(cloud, user, "false")
    assert user.call("POST", "/settings/notifications/test").json()["email"] == unverified
    assert not any(user.email in m.destinations["ToAddresses"] for m in sent_mails())
    # the same user, once verified, is mailed: the refusals above were about verification
    set_email_verified(cloud, user, "true")
    verified = user.call("POST", "/settings/notifications/test").json()["email"]
    assert verified == {"delivered": True, "error": None}
    assert any(user.email in m.destinations["ToAddresses"] for m in sent_mails())


def test_the_test_send_makes_one_attempt(
    cloud: LocalCloud, receiver: Receiver, local_receiver_allowed: None
) -> None:
    # One attempt with its 10 s deadline keeps the request within API Gateway's 29 s.
    user = sign_up_and_in(cloud)
    user.call("PUT", "/settings/notifications", json={"webhook_url": receiver.url + "/fail"})
    before = len(receiver.requests)
    result = user.call("POST", "/settings/notifications/test")
    assert result.status_code == 200, result.text
    assert result.json()["webhook"] == {
        "delivered": False,
        "status": 503,
        "attempts": 1,
        "error": "the receiver answered 503",
    }
    assert len(receiver.requests) == before + 1


def test_a_completed_job_sends_one_signed_webhook_and_one_mail(
    cloud: LocalCloud, receiver: Receiver, local_receiver_allowed: None
) -> None:
    user = verified_user(cloud)
    secret = user.call(
        "PUT", "/settings/notifications", json={"email": True, "webhook_url": receiver.url}
    ).json()["webhook_secret"]
    job_id = queue(user, records=3)["job"]["job_id"]
    settle(cloud, job_id)
    wait_for(lambda: receiver.for_job(job_id) and mails_to(user.email, job_id))
    [delivery] = receiver.for_job(job_id)
    assert delivery["json"]["type"] == "job.completed"
    assert delivery["json"]["job"]["status"] == "COMPLETED"
    assert delivery["json"]["job"]["records_generated"] == 3
    assert verify_signature(secret, delivery["headers"][SIGNATURE_HEADER], delivery["body"])
    assert delivery["headers"][EVENT_ID_HEADER] == delivery["json"]["id"]
    [mail] = mails_to(user.email, job_id)
    assert mail.source == LOCAL_NOTIFICATION_SENDER
    assert "COMPLETED" in mail.subject
    # The same end event delivered again (EventBridge retries) notifies nobody twice.
    event = next(
        event
        for rule, event in cloud.rules.delivered
        if rule.endswith("JobExecutionEnded") and event["detail"]["name"] == job_id
    )
    again = cloud.lambdas.invoke_arn(NOTIFY_FUNCTION, event)
    assert again == {"job_id": job_id, "notified": False, "reason": "already notified"}
    assert len(receiver.for_job(job_id)) == 1
    assert len(mails_to(user.email, job_id)) == 1


def test_a_cancelled_job_notifies_cancelled(
    cloud: LocalCloud, receiver: Receiver, local_receiver_allowed: None
) -> None:
    user = sign_up_and_in(cloud)
    user.call(
        "PUT",
        "/settings/notifications",
        json={"webhook_url": receiver.url, "events": ["CANCELLED"]},
    )
    job_id = queue(user, records=3000, budget_usd=50)["job"]["job_id"]
    assert user.call("DELETE", f"/jobs/{job_id}").status_code == 200
    settle(cloud, job_id)
    wait_for(lambda: receiver.for_job(job_id))
    [delivery] = receiver.for_job(job_id)
    assert delivery["json"]["type"] == "job.cancelled"
    assert delivery["json"]["job"]["status"] == "CANCELLED"


def test_a_job_over_budget_notifies_budget_exceeded_by_mail_only(
    cloud: LocalCloud, receiver: Receiver, local_receiver_allowed: None
) -> None:
    user = verified_user(cloud)
    user.call(
        "PUT",
        "/settings/notifications",
        json={"email": True, "events": ["BUDGET_EXCEEDED", "FAILED"]},
    )
    job_id = queue(user, records=2000, budget_usd=0.01)["job"]["job_id"]
    settle(cloud, job_id)
    wait_for(lambda: mails_to(user.email, job_id))
    [mail] = mails_to(user.email, job_id)
    assert "BUDGET_EXCEEDED" in mail.subject
    assert receiver.for_job(job_id) == []


def test_events_not_asked_for_send_nothing(
    cloud: LocalCloud, receiver: Receiver, local_receiver_allowed: None
) -> None:
    user = verified_user(cloud)
    user.call(
        "PUT",
        "/settings/notifications",
        json={"email": True, "webhook_url": receiver.url, "events": ["FAILED"]},
    )
    job_id = queue(user, records=2)["job"]["job_id"]
    settle(cloud, job_id)
    job = cloud.client("dynamodb").get_item(
        TableName=cloud.endpoints.jobs_table, Key={"job_id": {"S": job_id}}
    )["Item"]
    assert "notified_at" not in job
    assert receiver.for_job(job_id) == []
    assert mails_to(user.email, job_id) == []
