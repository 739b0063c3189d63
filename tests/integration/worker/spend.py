"""Real spend, counted where it is billed: the local model endpoint's tokens by model, priced."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from plot_palette.local.cloud import LocalCloud
from plot_palette.local.model_endpoint import billed_usd
from plot_palette.models import ModelRegistry


def endpoint_stats(cloud: LocalCloud) -> dict[str, Any]:
    """``GET /_admin/stats`` of the cloud's model endpoint."""
    url = f"{cloud.endpoints.model_endpoint_url}/_admin/stats"
    with urllib.request.urlopen(url, timeout=30) as response:
        stats: dict[str, Any] = json.loads(response.read())
    return stats


class RealSpend:
    """Real spend since it was made: what the endpoint billed from then on.

    Jobs of a module share one cloud and run one after the other, so the difference between
    two snapshots is the spend of the job (generation and judge) that ran in between.
    """

    def __init__(self, cloud: LocalCloud) -> None:
        self._cloud = cloud
        self._registry = ModelRegistry.load(cloud.endpoints.region)
        self._start = endpoint_stats(cloud)

    def usd(self) -> float:
        now = endpoint_stats(self._cloud)
        delta = {
            kind: {
                model: count - self._start.get(kind, {}).get(model, 0)
                for model, count in now.get(kind, {}).items()
            }
            for kind in ("input_tokens_by_model", "output_tokens_by_model")
        }
        return billed_usd(delta, self._registry)
