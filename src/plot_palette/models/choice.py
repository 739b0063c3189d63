"""Which model answers a test run or a seed generation: the free local model, or a real one.

``"local"`` (the default of both) never costs money:

* in the local cloud (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` names a server that is not AWS's),
  it is the local Converse endpoint, called exactly as a job's worker calls it;
* in AWS it is the **dry-run model**: the local endpoint's deterministic generator
  (``plot_palette.local.model_endpoint.answer_text``) run in process, with the same token
  counts, labelled ``dry-run`` in every answer. No Bedrock call is made.

Anything else is a real model, billed at the registry's prices: ``"template"`` runs each step
on its own model, a model id or alias (``llama-3.1-8b``) or a tier (``cheap``, ``tier-2``) runs
every step on that model.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

from plot_palette.errors import TemplateValidationError
from plot_palette.local.model_endpoint import answer_text
from plot_palette.models.converse import ConverseClient, ModelClient, ModelReply
from plot_palette.models.registry import ModelRegistry, ModelSpec
from plot_palette.tokens import count_tokens

LOCAL_MODEL = "local"
TEMPLATE_MODELS = "template"
LOCAL_ENDPOINT = "local-endpoint"
DRY_RUN = "dry-run"
BEDROCK = "bedrock"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
# A test run or a seed generation makes a handful of calls; this bounds its threads.
MAX_CONCURRENCY = 8


class DryRunClient:
    """The local endpoint's deterministic answers, in process: no server, no Bedrock, no cost."""

    calls = 0

    async def converse(
        self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
    ) -> ModelReply:
        """Answer as the local endpoint would (same text, same token counts)."""
        self.calls += 1
        text = answer_text(model_id, prompt, max_tokens)
        return ModelReply(
            text=text,
            input_tokens=count_tokens(prompt),
            output_tokens=len(text.split()),
            latency_ms=0,
        )


@dataclass(frozen=True)
class ModelChoice:
    """The client to call and what answers: ``local-endpoint``, ``dry-run`` or ``bedrock``."""

    client: ModelClient
    answered_by: str

    @property
    def free(self) -> bool:
        """Whether calls cost nothing (the local model in either form)."""
        return self.answered_by != BEDROCK


def local_endpoint_url(environ: Mapping[str, str]) -> str | None:
    """The local Converse endpoint's URL when this process runs in the local cloud."""
    url = environ.get(ENDPOINT_VARIABLE)
    if not url:
        return None
    host = urlparse(url).hostname or ""
    return None if host.endswith(".amazonaws.com") else url


@contextmanager
def open_model(model: str, environ: Mapping[str, str] | None = None) -> Iterator[ModelChoice]:
    """The client for a model option (``"local"`` or a real one), closed afterwards."""
    environ = os.environ if environ is None else environ
    local_url = local_endpoint_url(environ)
    if model == LOCAL_MODEL and local_url is None:
        yield ModelChoice(DryRunClient(), DRY_RUN)
        return
    client = ConverseClient(
        endpoint_url=local_url if model == LOCAL_MODEL else None,
        max_concurrency=MAX_CONCURRENCY,
    )
    try:
        yield ModelChoice(client, LOCAL_ENDPOINT if model == LOCAL_MODEL else BEDROCK)
    finally:
        client.close()


def model_override(model: str, registry: ModelRegistry) -> dict[str, str] | None:
    """The step fields a model option sets on every step (``None``: each step keeps its own).

    ``TemplateValidationError`` names the choices when the option is not known.
    """
    if model in (LOCAL_MODEL, TEMPLATE_MODELS):
        return None
    if model in registry.model_ids:
        return {"model": registry.spec(model).model_id}
    try:
        return {"model_tier": registry.tier_name(model)}
    except TemplateValidationError:
        pass
    try:
        return {"model": registry.spec(model).model_id}  # an alias of a model
    except TemplateValidationError:
        raise TemplateValidationError(
            f"unknown model {model!r}: use {LOCAL_MODEL!r}, {TEMPLATE_MODELS!r}, a model "
            f"({', '.join(registry.model_ids)}) or a tier ({', '.join(registry.tiers)})"
        ) from None


def single_model(model: str, registry: ModelRegistry, default_tier: str = "tier-1") -> ModelSpec:
    """The one model a single-model task (seed generation) calls for a model option.

    ``"local"`` and ``"template"`` stand for the cheapest tier: the local model answers in its
    name, so the prompt and token counts are those of the model a real run would use.
    """
    override = model_override(model, registry)
    if override is None:
        return registry.best_in_tier(default_tier)
    if "model" in override:
        return registry.spec(override["model"])
    return registry.best_in_tier(override["model_tier"])
