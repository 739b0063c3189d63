"""Which Plot Palette the CLI talks to: a deployment (environment variables) or the local cloud.

A deployment is named by ``PLOT_PALETTE_API_ENDPOINT`` and ``PLOT_PALETTE_CLIENT_ID`` (the
stack's ``ApiEndpoint`` and ``CliClientId`` outputs) in the region of ``AWS_REGION``. Without
them, the CLI uses the local cloud that is running.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config

from plot_palette.errors import LocalCloudError
from plot_palette.local.cloud import running_instance


@dataclass(frozen=True)
class Target:
    """An API and the user pool app client that signs in to it."""

    api_url: str
    client_id: str
    region: str
    cognito_endpoint: str | None = None
    dashboard_url: str | None = None

    @property
    def is_local(self) -> bool:
        return self.cognito_endpoint is not None

    def cognito(self) -> Any:
        """An unsigned Cognito client: sign-up and sign-in need no AWS credentials."""
        config = Config(signature_version=UNSIGNED, retries={"max_attempts": 3})
        return boto3.session.Session().client(
            "cognito-idp",
            region_name=self.region,
            endpoint_url=self.cognito_endpoint,
            config=config,
        )


def resolve_target() -> Target:
    """The deployment named in the environment, else the running local cloud."""
    api = os.environ.get("PLOT_PALETTE_API_ENDPOINT")
    if api:
        client_id = os.environ.get("PLOT_PALETTE_CLIENT_ID")
        if not client_id:
            raise LocalCloudError(
                "PLOT_PALETTE_API_ENDPOINT is set but PLOT_PALETTE_CLIENT_ID is not "
                "(the stack's CliClientId output)"
            )
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not region:
            raise LocalCloudError("set AWS_REGION to the region Plot Palette is deployed in")
        return Target(api_url=api.rstrip("/"), client_id=client_id, region=region)
    endpoints = running_instance()
    if endpoints is None or not endpoints.api_url:
        raise LocalCloudError("no local cloud is running; start one with `plot-palette local up`")
    return Target(
        api_url=endpoints.api_url,
        client_id=endpoints.cli_client_id,
        region=endpoints.region,
        cognito_endpoint=endpoints.endpoint_url,
        dashboard_url=endpoints.dashboard_url,
    )
