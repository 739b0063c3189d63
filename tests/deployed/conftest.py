"""Post-deploy tests against a stack in AWS (the layout of aws-samples' serverless-test-samples).

They read the stack named by ``AWS_SAM_STACK_NAME`` (``make deploy`` sets it and runs them
last) with the ambient AWS credentials, and are skipped, with the reason, when no stack is
named: ``make test`` runs on machines with no AWS account.

A throwaway user is created in the stack's user pool for the session (admin APIs, no email
sent) and deleted afterwards.
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

STACK_ENV = "AWS_SAM_STACK_NAME"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(STACK_ENV):
        return
    skip = pytest.mark.skip(reason=f"no deployed stack: set {STACK_ENV} (make deploy does)")
    for item in items:
        if "tests/deployed/" in item.nodeid:
            item.add_marker(skip)


@dataclass(frozen=True)
class Deployed:
    outputs: dict[str, str]
    call: Callable[..., requests.Response]

    def wait_for(self, job_id: str, done: Callable[[dict[str, Any]], bool], timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = self.call("GET", f"/jobs/{job_id}").json()
            if done(job) or time.monotonic() > deadline:
                return job
            time.sleep(10)


@pytest.fixture(scope="session")
def deployed() -> Iterator[Deployed]:
    import boto3

    stack = os.environ[STACK_ENV]
    cloudformation = boto3.client("cloudformation")
    found = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {item["OutputKey"]: item["OutputValue"] for item in found.get("Outputs", [])}
    cognito = boto3.client("cognito-idp")
    pool, client_id = outputs["UserPoolId"], outputs["CliClientId"]
    email = f"deployed-test-{uuid.uuid4().hex[:10]}@example.com"
    password = f"Pp-{secrets.token_urlsafe(18)}!7a"
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=email,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    try:
        cognito.admin_set_user_password(
            UserPoolId=pool, Username=email, Password=password, Permanent=True
        )
        token = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )["AuthenticationResult"]["AccessToken"]
        base = outputs["ApiEndpoint"].rstrip("/")

        def call(method: str, path: str, **kwargs: Any) -> requests.Response:
            headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
            return requests.request(method, base + path, headers=headers, timeout=60, **kwargs)

        yield Deployed(outputs=outputs, call=call)
    finally:
        cognito.admin_delete_user(UserPoolId=pool, Username=email)
