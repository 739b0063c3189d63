"""The dashboard's runtime settings, ``config.json``, written beside its built files.

One build of the dashboard serves every deployment: before anything else the page reads
``/config.json`` from its own origin (ADR-008: ``API_ENDPOINT``, ``COGNITO_USER_POOL_ID``,
``COGNITO_CLIENT_ID``). This module makes that file from a stack's outputs and writes it into a
copy of ``frontend/dist``. The deploy path (the README's deploy guide, ``python -m
plot_palette.dashboard_config``) and the local cloud both publish the dashboard through
``publish_dashboard``, so the file Amplify serves is made by the code every local test runs.

Amplify serves ``config.json`` as the file it is: its single-page-app rewrite leaves paths
ending in ``.json`` alone (``stacks/frontend.yaml``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from plot_palette.errors import PlotPaletteError

CONFIG_FILE = "config.json"
# The stack outputs the dashboard needs, by the key the dashboard reads them as.
OUTPUT_KEYS = {
    "API_ENDPOINT": "ApiEndpoint",
    "COGNITO_USER_POOL_ID": "UserPoolId",
    "COGNITO_CLIENT_ID": "DashboardClientId",
}


# The dashboard's Content-Security-Policy, but for where it may connect: its own files and no
# one else's scripts, styles, frames or forms. ``stacks/frontend.yaml`` sends it from Amplify
# (tests/unit/infra checks the two agree) and the local server with the local endpoints.
_CSP = (
    "default-src 'self'",
    "script-src 'self'",
    # the dashboard's editor and charts set styles at run time; scripts stay 'self' only
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def content_security_policy(connect_sources: list[str]) -> str:
    """The policy, allowing ``fetch`` to the page's origin and ``connect_sources`` (the API,
    Cognito, the bucket that presigned uploads go to)."""
    return "; ".join([*_CSP, " ".join(["connect-src 'self'", *connect_sources])])


class DashboardConfigError(PlotPaletteError):
    """The stack or the build cannot give the dashboard what it needs (said in words)."""


def dashboard_config(
    outputs: Mapping[str, Any], *, region: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``config.json``'s content from a stack's outputs (``extra``: local-only settings)."""
    missing = [output for output in OUTPUT_KEYS.values() if not str(outputs.get(output) or "")]
    if missing:
        raise DashboardConfigError(f"the stack has no output {', '.join(missing)}")
    config = {key: str(outputs[output]).rstrip("/") for key, output in OUTPUT_KEYS.items()}
    config["AWS_REGION"] = region
    config.update(extra or {})
    return config


def publish_dashboard(dist: Path, target: Path, config: Mapping[str, str]) -> Path:
    """Copy the built dashboard to ``target`` (replacing it) with its ``config.json``."""
    if not (dist / "index.html").is_file():
        raise DashboardConfigError(f"{dist} holds no built dashboard (run make frontend)")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(dist, target)
    (target / CONFIG_FILE).write_text(json.dumps(dict(config), indent=2) + "\n", encoding="utf-8")
    return target


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """A deployed stack's outputs, ``{OutputKey: OutputValue}``."""
    stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {item["OutputKey"]: item["OutputValue"] for item in stacks[0].get("Outputs", [])}


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - wiring for the deploy guide
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="the deployed stack's name")
    parser.add_argument("--dist", type=Path, default=Path("frontend/dist"))
    parser.add_argument("--out", type=Path, default=Path("build/dashboard"))
    parser.add_argument("--region", help="the stack's region (default: your AWS configuration)")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    try:
        outputs = stack_outputs(session.client("cloudformation"), args.stack)
        config = dashboard_config(outputs, region=str(session.region_name))
        target = publish_dashboard(args.dist, args.out, config)
    except (DashboardConfigError, ClientError, BotoCoreError) as error:
        print(f"dashboard config: {error}", file=sys.stderr)
        return 1
    print(f"dashboard with config.json in {target}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
