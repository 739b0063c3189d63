"""make deploy's steps after sam deploy, against AWS answers recorded with botocore's Stubber."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from plot_palette.deploy.plan import deploy_parameters, needs_origin_pass, overrides, refusal
from plot_palette.deploy.steps import (
    SOURCE_KEY,
    DeployError,
    build_worker_image,
    publish_to_amplify,
    sync_sample_datasets,
    wait_for,
    zipped,
)

ROOT = Path(__file__).resolve().parents[3]


def stubbed(service: str) -> tuple[Any, Stubber]:
    client = boto3.client(
        service, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    return client, Stubber(client)


def test_the_worker_sources_are_what_the_dockerfile_copies() -> None:
    names = zipfile.ZipFile(io.BytesIO(zipped(ROOT))).namelist()
    assert {"pyproject.toml", "README.md", "worker/Dockerfile"} <= set(names)
    assert "src/plot_palette/worker/__main__.py" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert not [name for name in names if name.startswith(("tests/", "frontend/"))]


def test_a_missing_source_says_where_to_run_from(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="repository root"):
        zipped(tmp_path)


def build(status: str) -> dict[str, Any]:
    return {
        "builds": [{"id": "b:1", "buildStatus": status, "logs": {"deepLink": "https://logs/b1"}}]
    }


def test_the_image_is_built_from_the_uploaded_sources_and_waited_for() -> None:
    s3, s3_stub = stubbed("s3")
    codebuild, cb_stub = stubbed("codebuild")
    s3_stub.add_response("put_object", {}, {"Bucket": "b", "Key": SOURCE_KEY, "Body": ANY})
    cb_stub.add_response(
        "start_build",
        {"build": {"id": "b:1"}},
        {
            "projectName": "p",
            "environmentVariablesOverride": [
                {"name": "IMAGE_TAG", "value": "v2", "type": "PLAINTEXT"}
            ],
        },
    )
    cb_stub.add_response("batch_get_builds", build("IN_PROGRESS"), {"ids": ["b:1"]})
    cb_stub.add_response("batch_get_builds", build("SUCCEEDED"), {"ids": ["b:1"]})
    slept: list[float] = []
    with s3_stub, cb_stub:
        found = build_worker_image(
            s3, codebuild, bucket="b", project="p", tag="v2", root=ROOT, sleep=slept.append
        )
    assert found == "b:1"
    assert slept == [15]
    cb_stub.assert_no_pending_responses()


def test_a_failed_build_points_at_its_logs() -> None:
    s3, s3_stub = stubbed("s3")
    codebuild, cb_stub = stubbed("codebuild")
    s3_stub.add_response("put_object", {})
    cb_stub.add_response("start_build", {"build": {"id": "b:1"}})
    cb_stub.add_response("batch_get_builds", build("FAILED"))
    with s3_stub, cb_stub, pytest.raises(DeployError, match="ended FAILED: see https://logs/b1"):
        build_worker_image(s3, codebuild, bucket="b", project="p", tag="t", root=ROOT)


def job(status: str) -> dict[str, Any]:
    return {
        "job": {
            "summary": {
                "jobArn": "arn",
                "jobId": "7",
                "commitId": "c",
                "commitMessage": "m",
                "commitTime": "2026-12-07T00:00:00Z",
                "startTime": "2026-12-07T00:00:00Z",
                "status": status,
                "jobType": "MANUAL",
            },
            "steps": [],
        }
    }


def test_the_dashboard_is_uploaded_started_and_waited_for() -> None:
    amplify, stub = stubbed("amplify")
    where = {"appId": "a", "branchName": "main"}
    stub.add_response(
        "create_deployment",
        {"jobId": "7", "fileUploadUrls": {}, "zipUploadUrl": "https://upload"},
        where,
    )
    stub.add_response("start_deployment", {"jobSummary": job("PENDING")["job"]["summary"]})
    stub.add_response("get_job", job("RUNNING"), {**where, "jobId": "7"})
    stub.add_response("get_job", job("SUCCEED"), {**where, "jobId": "7"})
    uploads: list[tuple[str, bytes]] = []
    with stub:
        found = publish_to_amplify(
            amplify,
            app_id="a",
            branch="main",
            archive=b"zip",
            upload=lambda url, body: uploads.append((url, body)),
            sleep=lambda _: None,
        )
    assert found == "7"
    assert uploads == [("https://upload", b"zip")]


def test_a_failed_dashboard_deployment_says_so() -> None:
    amplify, stub = stubbed("amplify")
    stub.add_response(
        "create_deployment", {"jobId": "7", "fileUploadUrls": {}, "zipUploadUrl": "https://u"}
    )
    stub.add_response("start_deployment", {"jobSummary": job("PENDING")["job"]["summary"]})
    stub.add_response("get_job", job("FAILED"))
    with stub, pytest.raises(DeployError, match="ended FAILED"):
        publish_to_amplify(amplify, app_id="a", branch="main", archive=b"z", upload=lambda *_: None)


def test_waiting_gives_up_with_what_it_waited_for() -> None:
    now = iter([0.0, 5.0, 11.0])
    with pytest.raises(DeployError, match="waiting for the build after 10 s"):
        wait_for(
            lambda: None,
            what="the build",
            timeout=10,
            every=5,
            sleep=lambda _: None,
            clock=lambda: next(now),
        )


def test_sample_datasets_land_under_their_prefix(tmp_path: Path) -> None:
    (tmp_path / "poems").mkdir()
    (tmp_path / "poems" / "seeds.jsonl").write_text('{"a": 1}\n')
    s3, stub = stubbed("s3")
    stub.add_response(
        "put_object",
        {},
        {"Bucket": "b", "Key": "sample-datasets/poems/seeds.jsonl", "Body": b'{"a": 1}\n'},
    )
    with stub:
        assert sync_sample_datasets(s3, "b", tmp_path) == ["sample-datasets/poems/seeds.jsonl"]


def stack(status: str, **parameters: str) -> dict[str, Any]:
    return {
        "StackStatus": status,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    }


def test_a_first_deploy_leaves_the_user_pool_unprotected() -> None:
    assert deploy_parameters(None, image_tag="latest") == {
        "WorkerImageTag": "latest",
        "UserPoolDeletionProtection": "INACTIVE",
    }


def test_a_rerun_keeps_what_earlier_runs_set_and_protects_the_pool() -> None:
    existing = stack("UPDATE_COMPLETE", DashboardOrigin="https://main.d1.amplifyapp.com")
    parameters = deploy_parameters(existing, image_tag="v3")
    assert parameters["DashboardOrigin"] == "https://main.d1.amplifyapp.com"
    assert parameters["UserPoolDeletionProtection"] == "ACTIVE"
    assert overrides(parameters)[0] == "DashboardOrigin=https://main.d1.amplifyapp.com"
    assert not needs_origin_pass(parameters, {"DashboardUrl": "https://main.d1.amplifyapp.com/"})
    assert needs_origin_pass({}, {"DashboardUrl": "https://main.d1.amplifyapp.com"})


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("ROLLBACK_COMPLETE", "make destroy"),
        ("UPDATE_IN_PROGRESS", "wait for it"),
        ("UPDATE_COMPLETE", None),
    ],
)
def test_a_stack_that_cannot_take_a_deploy_says_why(status: str, reason: str | None) -> None:
    found = refusal(stack(status))
    assert found is None if reason is None else reason in str(found)
    assert refusal(None) is None
