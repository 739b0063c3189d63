"""The record engine: a record's steps in order, each on its model, each paid for in advance.

For every step the engine renders the prompt, reserves the most the call can cost from the
job's ``BudgetGuard`` (an upper bound of the input tokens plus ``max_tokens`` at the output
price; it waits while other calls are open rather than stop the job early), calls the model,
and settles the true cost from the tokens Bedrock counted, labelled with the model. A record
that is abandoned by a stop or an error releases the reservation of a call it never sent; a
call cancelled while in flight may still be billed, so it is settled at its worst case.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from plot_palette.budget import (
    BudgetGuard,
    Reservation,
    SpendLeaseLostError,
    bedrock_cost,
    max_call_cost,
)
from plot_palette.errors import CallOutcomeUnknownError, PlotPaletteError
from plot_palette.generation.activity import CALLING, RENDERING, RecordActivity
from plot_palette.models import ModelClient, ModelRegistry, ModelSpec
from plot_palette.records import record_id
from plot_palette.templates import PromptTemplate, output_fields, render_step, required_fields
from plot_palette.tokens import max_tokens_bound

# Converse wraps the prompt in a message; a few tokens of framing are billed on top of it.
MESSAGE_OVERHEAD_TOKENS = 32
# A call whose answer was lost is asked again, each time as a new (reserved, billed) call.
LOST_ANSWER_ATTEMPTS = 3


class GenerationStopped(PlotPaletteError):
    """The worker is stopping: no new model call is started.

    The record it interrupts is abandoned: what its finished calls cost stays spent, the call it
    did not start is not reserved, and a relaunched worker regenerates the record (same id).
    """


@dataclass(frozen=True)
class GeneratedRecord:
    """One finished record and what it cost."""

    record: dict[str, Any]
    input_tokens: int
    output_tokens: int
    cost: float


class RecordEngine:
    """Generates records of one job from one template.

    One engine serves every concurrent record of a job: it holds no per-record state, and what
    it works out per template (each step's model, the seed fields a record keeps) is done once
    here rather than per record.
    """

    def __init__(
        self,
        template: PromptTemplate,
        *,
        client: ModelClient,
        registry: ModelRegistry,
        budget: BudgetGuard,
        job_id: str,
        job_seed: int | str,
        stop: asyncio.Event | None = None,
        activity: RecordActivity | None = None,
    ) -> None:
        self.template = template
        self._activity = activity
        self._client = client
        self._budget = budget
        self._job_id = job_id
        self._job_seed = job_seed
        self._stop = stop
        self._specs = {step.id: registry.resolve(step) for step in template.steps}
        self._seed_fields = required_fields(template)

    async def generate(
        self, seed_record: dict[str, Any], seed_index: int, sample_index: int
    ) -> GeneratedRecord:
        """Run every step for one (seed, sample) and return the record with its provenance."""
        outputs: dict[str, str] = {}
        steps: dict[str, dict[str, Any]] = {}
        record_seed = f"{self._job_seed}:{seed_index}:{sample_index}"
        for step in self.template.steps:
            if self._stop is not None and self._stop.is_set():
                raise GenerationStopped("the worker is stopping")
            spec = self._specs[step.id]
            with self._doing(seed_index, sample_index, f"{RENDERING} step {step.id}"):
                prompt = render_step(
                    self.template, step.id, seed_record, outputs, record_seed=record_seed
                )
            allowance = step.output_allowance
            worst_input = max_tokens_bound(prompt) + MESSAGE_OVERHEAD_TOKENS
            worst = max_call_cost(spec, worst_input, allowance)
            started = time.monotonic()
            for attempt in range(1, LOST_ANSWER_ATTEMPTS + 1):
                reservation = await self._reserve(worst, spec)
                try:
                    with self._doing(seed_index, sample_index, f"{CALLING} {spec.model_id}"):
                        reply = await self._client.converse(
                            spec.bedrock_id,
                            prompt,
                            max_tokens=allowance,
                            temperature=step.temperature,
                        )
                except asyncio.CancelledError:
                    # The request may be on its way or answered in a thread that cancelling does
                    # not stop: Bedrock bills it. Its worst case is what it may have cost.
                    self._budget.settle(reservation, reservation.amount)
                    raise
                except CallOutcomeUnknownError:
                    # Answered and the answer lost, maybe: billed all the same. Count its worst
                    # case; a retry is a new call with a reservation of its own.
                    self._budget.settle(reservation, reservation.amount)
                    if attempt == LOST_ANSWER_ATTEMPTS:
                        raise
                    continue
                except BaseException:
                    self._budget.release(reservation)
                    raise
                break
            cost = bedrock_cost(spec, reply.input_tokens, reply.output_tokens)
            self._budget.settle(reservation, cost)
            outputs[step.id] = reply.text
            steps[step.id] = {
                "model_id": spec.model_id,
                "bedrock_model_id": spec.bedrock_id,
                "input_tokens": reply.input_tokens,
                "output_tokens": reply.output_tokens,
                "cost": round(cost, 10),
                "latency_ms": reply.latency_ms or int((time.monotonic() - started) * 1000),
            }
        record = {
            "id": record_id(self._job_id, seed_index, sample_index),
            "job_id": self._job_id,
            "seed_index": seed_index,
            "sample_index": sample_index,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "fields": output_fields(
                self.template, seed_record, outputs, required=self._seed_fields
            ),
            "provenance": {
                "template_id": self.template.id,
                "template_version": self.template.version,
                "steps": steps,
            },
        }
        return GeneratedRecord(
            record=record,
            input_tokens=sum(step["input_tokens"] for step in steps.values()),
            output_tokens=sum(step["output_tokens"] for step in steps.values()),
            cost=sum(step["cost"] for step in steps.values()),
        )

    def _doing(
        self, seed_index: int, sample_index: int, what: str
    ) -> contextlib.AbstractContextManager[None]:
        if self._activity is None:
            return contextlib.nullcontext()
        return self._activity.doing(seed_index, sample_index, what)

    async def _reserve(self, max_cost: float, spec: ModelSpec) -> Reservation:
        """Wait for room in the budget (open calls settle below their worst case), then check
        the stop again: a wait can outlast a SIGTERM."""
        try:
            reservation = await self._budget.acquire(max_cost, label=spec.model_id)
        except SpendLeaseLostError:
            if self._stop is None:
                raise
            self._stop.set()  # superseded by a relaunch: the whole worker stops
            raise GenerationStopped("another worker took this job over") from None
        if self._stop is not None and self._stop.is_set():
            self._budget.release(reservation)
            raise GenerationStopped("the worker is stopping")
        return reservation
