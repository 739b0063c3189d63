"""config.json for the dashboard, made from a stack's outputs, beside a copy of the build."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from plot_palette.dashboard_config import (
    DashboardConfigError,
    dashboard_config,
    publish_dashboard,
    stack_outputs,
)

OUTPUTS = {
    "ApiEndpoint": "https://abc.execute-api.eu-west-1.amazonaws.com/",
    "UserPoolId": "eu-west-1_pool",
    "DashboardClientId": "client-1",
    "DashboardUrl": "https://main.d1.amplifyapp.com",
}


def test_the_config_names_the_api_and_the_user_pool() -> None:
    assert dashboard_config(OUTPUTS, region="eu-west-1") == {
        "API_ENDPOINT": "https://abc.execute-api.eu-west-1.amazonaws.com",
        "COGNITO_USER_POOL_ID": "eu-west-1_pool",
        "COGNITO_CLIENT_ID": "client-1",
        "AWS_REGION": "eu-west-1",
    }


def test_a_stack_without_the_outputs_is_refused_by_name() -> None:
    with pytest.raises(DashboardConfigError, match="UserPoolId, DashboardClientId"):
        dashboard_config({"ApiEndpoint": "https://x"}, region="eu-west-1")


def built(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html></html>")
    (dist / "assets" / "index.js").write_text("console.log(1)")
    return dist


def test_publishing_copies_the_build_and_writes_config_json(tmp_path: Path) -> None:
    dist, target = built(tmp_path), tmp_path / "site"
    (target / "stale").mkdir(parents=True)  # a previous publication is replaced, not merged
    config = dashboard_config(OUTPUTS, region="eu-west-1", extra={"PROGRESS_EVENTS": "sse"})
    publish_dashboard(dist, target, config)
    assert (target / "assets" / "index.js").read_text() == "console.log(1)"
    assert json.loads((target / "config.json").read_text())["PROGRESS_EVENTS"] == "sse"
    assert not (target / "stale").exists()
    assert not (dist / "config.json").exists()  # the build itself stays deployment-neutral


def test_an_unbuilt_dashboard_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DashboardConfigError, match="make frontend"):
        publish_dashboard(tmp_path / "nothing", tmp_path / "site", {})


def test_outputs_are_read_from_the_stack() -> None:
    client = boto3.client("cloudformation", region_name="eu-west-1")
    stub = Stubber(client)
    stub.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "pp",
                    "CreationTime": "2026-12-07T00:00:00Z",
                    "StackStatus": "CREATE_COMPLETE",
                    "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in OUTPUTS.items()],
                }
            ]
        },
        {"StackName": "pp"},
    )
    with stub:
        assert stack_outputs(client, "pp") == OUTPUTS
