"""make deploy's pre-checks, against AWS answers recorded with botocore's Stubber."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from plot_palette.deploy.prechecks import (
    SERVICES,
    Report,
    check_credentials,
    check_models,
    check_services,
    run_prechecks,
)
from plot_palette.models.registry import ModelRegistry

REGION = "us-east-1"


def stubbed(service: str) -> tuple[Any, Stubber]:
    client = boto3.client(
        service, region_name=REGION, aws_access_key_id="k", aws_secret_access_key="s"
    )
    return client, Stubber(client)


def available(model_id: str, *, authorized: bool = True) -> dict[str, Any]:
    return {
        "modelId": model_id,
        "agreementAvailability": {"status": "AVAILABLE"},
        "authorizationStatus": "AUTHORIZED" if authorized else "NOT_AUTHORIZED",
        "entitlementAvailability": "AVAILABLE",
        "regionAvailability": "AVAILABLE",
    }


def offered(registry: ModelRegistry) -> list[str]:
    return [m for m in registry.model_ids if registry.is_available(m)]


def test_the_account_comes_from_the_credentials() -> None:
    sts, stub = stubbed("sts")
    stub.add_response(
        "get_caller_identity", {"Account": "123456789012", "Arn": "arn:aws:iam::1:user/x"}
    )
    with stub:
        assert check_credentials(sts) == ("123456789012", [])


def test_credentials_that_do_not_work_block_the_deploy() -> None:
    sts, stub = stubbed("sts")
    stub.add_client_error("get_caller_identity", "InvalidClientTokenId", "bad token")
    with stub:
        account, findings = check_credentials(sts)
    assert account is None
    assert findings[0].blocking
    assert "do not work" in findings[0].what


def test_a_region_without_a_service_is_named_in_one_finding() -> None:
    def regions_of(service: str) -> list[str]:
        return [] if service in ("pipes", "amplify") else [REGION]

    (finding,) = check_services(REGION, regions_of)
    assert finding.blocking
    assert finding.what == (
        f"{SERVICES['pipes']}, {SERVICES['amplify']} are not offered in {REGION}"
    )
    assert check_services(REGION, lambda service: [REGION]) == []


def test_models_without_access_are_listed_but_do_not_block() -> None:
    registry = ModelRegistry.load(REGION)
    bedrock, stub = stubbed("bedrock")
    models = offered(registry)
    for index, model in enumerate(models):
        spec = registry.spec(model)
        answer = available(spec.bedrock_id, authorized=index != 0)
        stub.add_response("get_foundation_model_availability", answer, {"modelId": spec.bedrock_id})
    with stub:
        (finding,) = check_models(bedrock, registry)
    stub.assert_no_pending_responses()
    assert finding.what == f"no Bedrock model access for {models[0]}"
    assert not finding.blocking


def test_no_model_at_all_blocks_the_deploy() -> None:
    registry = ModelRegistry.load(REGION)
    bedrock, stub = stubbed("bedrock")
    for model in offered(registry):
        spec = registry.spec(model)
        answer = available(spec.bedrock_id, authorized=False)
        stub.add_response("get_foundation_model_availability", answer, {"modelId": spec.bedrock_id})
    with stub:
        (finding,) = check_models(bedrock, registry)
    assert finding.blocking


def test_credentials_that_may_not_read_model_access_only_warn() -> None:
    registry = ModelRegistry.load(REGION)
    bedrock, stub = stubbed("bedrock")
    stub.add_client_error("get_foundation_model_availability", "AccessDeniedException")
    with stub:
        (finding,) = check_models(bedrock, registry)
    assert not finding.blocking


class Session:
    """A boto3 session whose clients are stubbed."""

    def __init__(self, region: str | None, clients: dict[str, Any]) -> None:
        self.region_name = region
        self._clients = clients

    def client(self, service: str) -> Any:
        return self._clients[service]

    def get_available_regions(self, service: str) -> list[str]:
        return [REGION]


def test_the_report_is_one_line() -> None:
    sts, sts_stub = stubbed("sts")
    sts_stub.add_client_error("get_caller_identity", "ExpiredToken", "expired")
    with sts_stub:
        report = run_prechecks(Session(REGION, {"sts": sts}))
    assert report.blocked
    line = report.line()
    assert "\n" not in line
    assert line.startswith(f"cannot deploy to account ? in {REGION}: the AWS credentials")


def test_no_region_is_said_before_any_call() -> None:
    report = run_prechecks(Session(None, {}))
    assert report.blocked
    assert "no AWS region" in report.line()


@pytest.mark.parametrize("blocking", [True, False])
def test_the_line_says_whether_the_deploy_goes_on(blocking: bool) -> None:
    from plot_palette.deploy.prechecks import Finding

    report = Report(account="1", region=REGION, findings=[Finding("x", "y", blocking)])
    assert report.line().startswith("cannot deploy" if blocking else "deploying")
    assert Report(account="1", region=REGION).line() == f"pre-checks passed: account 1 in {REGION}"
