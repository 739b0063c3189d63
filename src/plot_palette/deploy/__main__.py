"""``make deploy`` / ``make destroy``: one command from credentials to a working dashboard URL.

``python -m plot_palette.deploy [deploy|destroy] --stack NAME`` (``make deploy STACK=NAME``):

1. pre-checks (``prechecks.py``): credentials, the region's services, Bedrock model access;
   one line says what is missing;
2. ``sam build`` and ``sam deploy`` (no prompts; the parameters a previous deploy set are kept,
   and the user pool becomes deletion-protected once the stack exists);
3. the worker image, built and pushed by the stack's CodeBuild project (no local Docker);
4. the dashboard: ``config.json`` from the outputs beside a copy of ``frontend/dist``
   (``dashboard_config.py``, as the local cloud does), published to Amplify;
5. a second ``sam deploy`` with ``DashboardOrigin`` set to the dashboard's URL, if it differs;
6. ``sample-datasets/`` synced to the bucket;
7. the post-deploy tests, ``tests/deployed/``, against the stack.

Every step is safe to repeat, so re-running after a failure carries on where it stopped.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from plot_palette.deploy.plan import deploy_parameters, needs_origin_pass, overrides, refusal
from plot_palette.deploy.prechecks import run_prechecks
from plot_palette.deploy.steps import (
    DeployError,
    build_worker_image,
    publish_to_amplify,
    sync_sample_datasets,
    zipped,
)

ROOT = Path(__file__).resolve().parents[3]
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


def _sam(sam: str, *args: str) -> None:
    print("$ sam " + " ".join(args), flush=True)
    subprocess.run([sam, *args], cwd=ROOT, check=True)


def _deploy_stack(sam: str, stack: str, region: str, parameters: dict[str, str]) -> None:
    _sam(
        sam,
        "deploy",
        "--stack-name",
        stack,
        "--region",
        region,
        "--resolve-s3",
        "--capabilities",
        *CAPABILITIES,
        "--no-confirm-changeset",
        "--no-fail-on-empty-changeset",
        "--parameter-overrides",
        *overrides(parameters),
    )


def _existing(cloudformation: Any, stack: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        found: dict[str, Any] = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return found


def _outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    from plot_palette.dashboard_config import stack_outputs

    return stack_outputs(cloudformation, stack)


def deploy(args: argparse.Namespace, session: Any) -> int:  # pragma: no cover - runs on AWS
    import requests

    from plot_palette.dashboard_config import dashboard_config, publish_dashboard

    report = run_prechecks(session)
    print(report.line(), flush=True)
    if report.blocked:
        return 1
    region = str(session.region_name)
    cloudformation = session.client("cloudformation")
    existing = _existing(cloudformation, args.stack)
    if (reason := refusal(existing)) is not None:
        raise DeployError(reason)
    parameters = deploy_parameters(existing, image_tag=args.image_tag)
    _sam(args.sam, "build", "--template-file", "template.yaml")
    _deploy_stack(args.sam, args.stack, region, parameters)
    outputs = _outputs(cloudformation, args.stack)

    print("building the worker image in CodeBuild…", flush=True)
    build_worker_image(
        session.client("s3"),
        session.client("codebuild"),
        bucket=outputs["BucketName"],
        project=outputs["WorkerImageBuildProject"],
        tag=args.image_tag,
        root=ROOT,
    )

    print("publishing the dashboard…", flush=True)
    site = publish_dashboard(
        ROOT / "frontend" / "dist",
        ROOT / "build" / "dashboard",
        dashboard_config(outputs, region=region),
    )

    def upload(url: str, body: bytes) -> None:
        requests.put(url, data=body, timeout=300).raise_for_status()

    publish_to_amplify(
        session.client("amplify"),
        app_id=outputs["DashboardAppId"],
        branch="main",
        archive=zipped(site, tuple(path.name for path in sorted(site.iterdir()))),
        upload=upload,
    )
    if needs_origin_pass(parameters, outputs):
        print("admitting the dashboard's origin (second pass)…", flush=True)
        parameters["DashboardOrigin"] = outputs["DashboardUrl"].rstrip("/")
        _deploy_stack(args.sam, args.stack, region, parameters)

    samples = ROOT / "sample-datasets"
    keys = sync_sample_datasets(session.client("s3"), outputs["BucketName"], samples)
    print(f"{len(keys)} sample datasets in the bucket", flush=True)
    if not args.skip_tests:
        environment = {**os.environ, "AWS_SAM_STACK_NAME": args.stack, "AWS_REGION": region}
        tests = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/deployed"]
        if subprocess.run(tests, cwd=ROOT, env=environment, check=False).returncode != 0:
            print("the stack is deployed, but the post-deploy tests failed (above)")
            return 1
    print(f"Plot Palette is deployed: {outputs['DashboardUrl']}")
    return 0


def destroy(args: argparse.Namespace, session: Any) -> int:  # pragma: no cover - runs on AWS
    region = str(session.region_name)
    _sam(args.sam, "delete", "--stack-name", args.stack, "--region", region, "--no-prompts")
    print(
        "The stack is deleted. Kept by design (DeletionPolicy): the user pool, the data bucket "
        "and the data tables; the README's Tear down section removes them."
    )
    return 0


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - wiring
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    parser = argparse.ArgumentParser(prog="python -m plot_palette.deploy")
    parser.add_argument("command", choices=["deploy", "destroy"], nargs="?", default="deploy")
    parser.add_argument("--stack", default=os.environ.get("STACK", "plot-palette"))
    parser.add_argument("--region", default=None)
    parser.add_argument("--image-tag", default="latest")
    parser.add_argument("--sam", default=str(ROOT / ".venv-tools" / "bin" / "sam"))
    parser.add_argument("--skip-tests", action="store_true")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    try:
        return (deploy if args.command == "deploy" else destroy)(args, session)
    except (DeployError, ClientError, BotoCoreError) as error:
        print(f"make {args.command}: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"make {args.command}: {' '.join(error.cmd[:2])} failed (above)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
