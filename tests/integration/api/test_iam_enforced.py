"""IAM is enforced in the local cloud: take a permission from a role and its call is denied.

Every other test runs with enforcement on too, so a permission missing from a role in
``stacks/`` fails the test that needs it; these prove the enforcement is there at all, for each
kind of principal: a Lambda function, the state machine and the worker.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from plot_palette.jobs.spec import load_job_spec, parse_job_spec
from plot_palette.jobs.submit import queue_job
from plot_palette.local.cloud import LocalCloud
from tests.integration.api.conftest import User
from tests.integration.orchestration.helpers import ROOT, stores

pytestmark = pytest.mark.slow(seconds=60)


def submit(cloud: LocalCloud, records: int = 5) -> str:
    spec, template, seeds = load_job_spec(ROOT / "examples" / "poetry-job.yaml")
    spec = parse_job_spec({**spec.model_dump(), "records": records})
    return str(queue_job(spec, template, seeds, user_id="iam", stores=stores(cloud)).job["job_id"])


def job_item(cloud: LocalCloud, job_id: str) -> dict[str, Any]:
    item = cloud.client("dynamodb").get_item(
        TableName=cloud.endpoints.jobs_table, Key={"job_id": {"S": job_id}}
    )["Item"]
    return {key: next(iter(value.values())) for key, value in item.items()}


def api_role(cloud: LocalCloud) -> str:
    spec = next(s for s in cloud.lambdas.functions() if s.name.endswith("ApiFunction"))
    return spec.role_arn


def state_machine_role(cloud: LocalCloud) -> str:
    described = cloud.client("stepfunctions").describe_state_machine(
        stateMachineArn=cloud.endpoints.state_machine_arn
    )
    return str(described["roleArn"])


def worker_role(cloud: LocalCloud) -> str:
    return next(
        roles[0] for family, roles in cloud.iam.task_roles.items() if family.endswith("-worker")
    )


def test_every_function_the_state_machine_and_the_worker_act_as_a_role_of_the_templates(
    cloud: LocalCloud,
) -> None:
    roles = cloud.iam.roles
    for spec in cloud.lambdas.functions():
        assert spec.role_arn in roles, spec.name
        assert roles[spec.role_arn].statements, spec.name
    assert roles[state_machine_role(cloud)].statements
    assert roles[worker_role(cloud)].statements


def test_a_function_is_denied_a_call_its_role_no_longer_allows(
    cloud: LocalCloud, alice: User
) -> None:
    assert alice.call("GET", "/jobs").status_code == 200
    with cloud.iam.without(api_role(cloud), "dynamodb:Query"):
        denied = alice.call("GET", "/jobs")
    assert denied.status_code == 500
    assert alice.call("GET", "/jobs").status_code == 200


def test_the_state_machine_is_denied_a_call_its_role_no_longer_allows(cloud: LocalCloud) -> None:
    with cloud.iam.without(state_machine_role(cloud), "ecs:RunTask"):
        job_id = submit(cloud)
        execution = cloud.wait_for_execution(job_id, timeout=300)
    assert execution["status"] == "FAILED"
    job = job_item(cloud, job_id)
    assert job["status"] == "FAILED"
    assert job["error_code"] == "ECS.AccessDeniedException"
    assert "not authorized to perform: ecs:RunTask" in job["error_message"]


def test_the_worker_is_denied_a_call_its_role_no_longer_allows(cloud: LocalCloud) -> None:
    with cloud.iam.without(worker_role(cloud), "s3:PutObject"):
        job_id = submit(cloud)
        execution = cloud.wait_for_execution(job_id, timeout=300)
    assert execution["status"] == "FAILED"
    job = job_item(cloud, job_id)
    assert job["status"] == "FAILED"
    assert "not authorized to perform: s3:PutObject" in job["error_message"]


def test_with_every_permission_back_the_same_job_completes(cloud: LocalCloud) -> None:
    job_id = submit(cloud)
    assert cloud.wait_for_execution(job_id, timeout=300)["status"] == "SUCCEEDED"
    assert job_item(cloud, job_id)["status"] == "COMPLETED"


def test_the_queue_pipe_needs_its_role_to_read_the_stream_and_invoke_the_target(
    cloud: LocalCloud,
) -> None:
    (pipe,) = cloud.pending_pipes
    cloud.pipes.check_role(pipe)
    for action in ("dynamodb:GetRecords", "lambda:InvokeFunction"):
        with cloud.iam.without(pipe.role_arn, action), pytest.raises(ClientError, match=action):
            cloud.pipes.check_role(pipe)
