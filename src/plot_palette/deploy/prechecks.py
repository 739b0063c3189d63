"""What ``make deploy`` checks before it builds anything, said in one line when it fails.

A deploy that fails half-way costs minutes and can leave a stack to roll back, so the cheap
questions come first: are there credentials, does the region offer every service the stacks
use, and will Bedrock answer the models the registry names? Each answer is a ``Finding``;
``blocking`` ones stop the deploy, the others are printed and the deploy goes on (a model
without access only makes the jobs that name it fail with a clear error).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from plot_palette.models.registry import ModelRegistry

# The services the stacks create or call, by the endpoint name botocore knows them by, with the
# name a person knows them by.
SERVICES = {
    "bedrock-runtime": "Amazon Bedrock",
    "states": "AWS Step Functions",
    "ecs": "Amazon ECS (Fargate)",
    "pipes": "Amazon EventBridge Pipes",
    "amplify": "AWS Amplify Hosting",
    "cognito-idp": "Amazon Cognito",
    "sesv2": "Amazon SES",
    "codebuild": "AWS CodeBuild",
}


_DENIED = ("AccessDeniedException", "UnauthorizedException")


@dataclass(frozen=True)
class Finding:
    """One thing missing, and what to do about it."""

    what: str
    fix: str
    blocking: bool = True

    def __str__(self) -> str:
        return f"{self.what} ({self.fix})"


@dataclass
class Report:
    """The pre-checks' answer: where the deploy would go, and what stands in the way."""

    account: str | None = None
    region: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(finding.blocking for finding in self.findings)

    def line(self) -> str:
        """One line for the terminal."""
        where = f"account {self.account or '?'} in {self.region or '?'}"
        if not self.findings:
            return f"pre-checks passed: {where}"
        verdict = "cannot deploy to" if self.blocked else "deploying to"
        return f"{verdict} {where}: " + "; ".join(str(finding) for finding in self.findings)


def check_credentials(sts: Any) -> tuple[str | None, list[Finding]]:
    """The account the credentials belong to (``GetCallerIdentity`` needs no permission)."""
    try:
        return str(sts.get_caller_identity()["Account"]), []
    except NoCredentialsError:
        return None, [Finding("no AWS credentials", "run aws configure or set AWS_PROFILE")]
    except (ClientError, BotoCoreError) as error:
        return None, [Finding(f"the AWS credentials do not work: {error}", "check AWS_PROFILE")]


def check_services(region: str, regions_of: Callable[[str], Iterable[str]]) -> list[Finding]:
    """Services the stacks need that ``region`` does not offer (botocore's endpoint data)."""
    missing = [name for service, name in SERVICES.items() if region not in set(regions_of(service))]
    if not missing:
        return []
    return [
        Finding(
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not offered in {region}",
            "choose a region such as us-east-1, us-west-2 or eu-west-1",
        )
    ]


def _authorized(bedrock: Any, bedrock_id: str) -> bool:
    answer = bedrock.get_foundation_model_availability(modelId=bedrock_id)
    return bool(
        answer.get("authorizationStatus") == "AUTHORIZED"
        and answer.get("entitlementAvailability") == "AVAILABLE"
        and answer.get("regionAvailability") == "AVAILABLE"
    )


def check_models(bedrock: Any, registry: ModelRegistry) -> list[Finding]:
    """Registry models this account cannot call in the registry's region.

    Blocking only when no model at all answers: then no job could run.
    """
    offered = [model for model in registry.model_ids if registry.is_available(model)]
    refused: list[str] = []
    for model in offered:
        try:
            if not _authorized(bedrock, registry.spec(model).bedrock_id):
                refused.append(model)
        except ClientError as error:
            if error.response["Error"]["Code"] in (
                "AccessDeniedException",
                "UnauthorizedException",
            ):
                return [
                    Finding(
                        "these credentials may not read Bedrock model access",
                        "allow bedrock:GetFoundationModelAvailability, or check it in the console",
                        blocking=False,
                    )
                ]
            refused.append(model)
    if not refused:
        return []
    return [
        Finding(
            f"no Bedrock model access for {', '.join(refused)}",
            "enable them under Bedrock > Model access; jobs naming them fail until then",
            blocking=len(refused) == len(offered),
        )
    ]


def run_prechecks(session: Any) -> Report:
    """Every pre-check with one boto3 session (its credentials and region)."""
    report = Report(region=session.region_name)
    if not report.region:
        report.findings.append(Finding("no AWS region", "set AWS_REGION or aws configure"))
        return report
    report.account, findings = check_credentials(session.client("sts"))
    report.findings.extend(findings)
    if report.account is None:
        return report
    report.findings.extend(check_services(report.region, session.get_available_regions))
    registry = ModelRegistry.load(report.region)
    report.findings.extend(check_models(session.client("bedrock"), registry))
    return report
