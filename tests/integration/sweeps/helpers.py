"""What the sweeps share: small jobs, what a job exported and committed, and its real spend."""

from __future__ import annotations

import json
import urllib.request
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.budget.cost import max_call_cost
from plot_palette.jobs.spec import load_job_spec, parse_job_spec
from plot_palette.jobs.submit import queue_job
from plot_palette.jobs.views import export_keys
from plot_palette.local.cloud import LocalCloud
from plot_palette.local.model_endpoint import billed_usd
from plot_palette.models import ModelRegistry
from plot_palette.templates import load_template
from tests.integration.orchestration.helpers import ROOT, job, stores

JOB_FILE = ROOT / "examples" / "poetry-job.yaml"


def submit_small(cloud: LocalCloud, records: int, *, budget: float, user: str = "sweep") -> str:
    """Queue a poetry job without the quality judge, so its spend is the workers' alone."""
    spec, template, seeds = load_job_spec(JOB_FILE)
    spec = parse_job_spec(
        {**spec.model_dump(), "records": records, "budget_usd": budget, "quality_sample": 0}
    )
    return str(queue_job(spec, template, seeds, user_id=user, stores=stores(cloud)).job["job_id"])


def exported_records(cloud: LocalCloud, job_id: str) -> list[dict[str, Any]]:
    """The records of the job's JSONL export ([] when it has none)."""
    key = export_keys(job(cloud, job_id)).get("jsonl")
    if key is None:
        return []
    body = cloud.client("s3").get_object(Bucket=cloud.endpoints.bucket, Key=key)["Body"].read()
    return [json.loads(line) for line in body.decode().splitlines()]


def committed_records(cloud: LocalCloud, job_id: str) -> int:
    """How many records the job's checkpoint counts (0 before its first checkpoint)."""
    try:
        body = (
            cloud.client("s3")
            .get_object(Bucket=cloud.endpoints.bucket, Key=f"jobs/{job_id}/checkpoint.json")["Body"]
            .read()
        )
    except ClientError:
        return 0
    return int(json.loads(body)["records_generated"])


def real_spend(cloud: LocalCloud, job_id: str) -> float:
    """What the model endpoint billed this job's workers (they tag their calls with its id)."""
    url = f"{cloud.endpoints.model_endpoint_url}/_admin/stats"
    with urllib.request.urlopen(url, timeout=30) as response:
        stats = json.load(response)
    return billed_usd(stats, ModelRegistry.load(), meter=job_id)


@cache
def worst_call_usd() -> float:
    """The most one model call of the poetry template can cost (a generous input bound)."""
    _, template_data, _ = load_job_spec(JOB_FILE)
    registry = ModelRegistry.load()
    template = load_template(template_data, registry)
    steps = template.steps
    return max(max_call_cost(registry.resolve(step), 8192, step.output_allowance) for step in steps)
