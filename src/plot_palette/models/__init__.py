"""Models: the registry (tiers, prices), the Converse client, adaptive per-model concurrency."""

from plot_palette.models.converse import (
    ConverseClient,
    ModelClient,
    ModelReply,
    OpenAICompatibleClient,
)
from plot_palette.models.limiter import AdaptiveLimiter, Slot
from plot_palette.models.registry import ModelRegistry, ModelSpec

__all__ = [
    "AdaptiveLimiter",
    "ConverseClient",
    "ModelClient",
    "ModelRegistry",
    "ModelReply",
    "ModelSpec",
    "OpenAICompatibleClient",
    "Slot",
]
