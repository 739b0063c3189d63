"""The api handler with the sample event in ``events/`` (the one ``sam local invoke`` uses)."""

from __future__ import annotations

import json

from plot_palette.local.cloud import LocalCloud
from tests.events import load_event


def test_the_sample_event_lists_the_sample_datasets(cloud: LocalCloud) -> None:
    api = next(spec for spec in cloud.lambdas.functions() if "ApiFunction" in spec.name)
    result = cloud.lambdas.invoke_arn(api.arn, load_event("api-get-sample-datasets"))
    assert result["statusCode"] == 200
    names = {dataset["name"] for dataset in json.loads(result["body"])["datasets"]}
    assert names == {"poetry", "literature"}


def test_an_event_without_verified_claims_is_refused(cloud: LocalCloud) -> None:
    event = load_event("api-get-sample-datasets")
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {}, "scopes": None}}
    api = next(spec for spec in cloud.lambdas.functions() if "ApiFunction" in spec.name)
    result = cloud.lambdas.invoke_arn(api.arn, event)
    assert result["statusCode"] == 401
    assert "sign in first" in json.loads(result["body"])["message"]
