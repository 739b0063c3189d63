"""The record engine: steps in order, provenance, budget reservations, stops."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field

import pytest

from plot_palette.budget import BudgetGuard, Reservation, max_call_cost
from plot_palette.errors import BudgetExceededError, CallOutcomeUnknownError, ModelInvocationError
from plot_palette.generation import GenerationStopped, RecordEngine
from plot_palette.generation.engine import MESSAGE_OVERHEAD_TOKENS
from plot_palette.models import ModelRegistry, ModelReply
from plot_palette.records import record_id
from plot_palette.templates import PromptTemplate, load_template
from plot_palette.tokens import max_tokens_bound

REGISTRY = ModelRegistry.load("us-east-1")
TEMPLATE = load_template(
    {
        "id": "qa",
        "name": "QA",
        "version": 3,
        "steps": [
            {
                "id": "question",
                "prompt": "Ask about {{ poem.title }}",
                "model": "llama-3.1-8b",
                "max_tokens": 50,
            },
            {
                "id": "answer",
                "prompt": "Answer: {{ steps.question.output }}",
                "model_tier": "premium",
                "max_tokens": 100,
            },
        ],
    },
    REGISTRY,
)
SEED = {"poem": {"title": "Hope"}}


@dataclass
class FakeClient:
    prompts: list[str] = field(default_factory=list)
    fail_on: str | None = None
    delay: float = 0.0

    async def converse(
        self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
    ) -> ModelReply:
        self.prompts.append(prompt)
        await asyncio.sleep(self.delay)
        if self.fail_on and self.fail_on in prompt:
            raise ModelInvocationError("model refused")
        return ModelReply(text=f"<{model_id}>", input_tokens=10, output_tokens=20, latency_ms=5)


def engine(
    client: FakeClient,
    budget: float | BudgetGuard = 10.0,
    stop: asyncio.Event | None = None,
    *,
    template: PromptTemplate = TEMPLATE,
    job_seed: int = 9,
) -> tuple[RecordEngine, BudgetGuard]:
    guard = budget if isinstance(budget, BudgetGuard) else BudgetGuard(budget)
    made = RecordEngine(
        template,
        client=client,
        registry=REGISTRY,
        budget=guard,
        job_id="job",
        job_seed=job_seed,
        stop=stop,
    )
    return made, guard


def test_a_record_with_its_provenance() -> None:
    client = FakeClient()
    record_engine, guard = engine(client)
    made = asyncio.run(record_engine.generate(SEED, 2, 1))
    assert client.prompts == ["Ask about Hope", "Answer: <us.meta.llama3-1-8b-instruct-v1:0>"]
    record = made.record
    assert record["id"] == record_id("job", 2, 1)
    assert (record["seed_index"], record["sample_index"]) == (2, 1)
    assert record["fields"] == {
        "poem": {"title": "Hope"},
        "question": "<us.meta.llama3-1-8b-instruct-v1:0>",
        "answer": "<us.anthropic.claude-3-7-sonnet-20250219-v1:0>",
    }
    steps = record["provenance"]["steps"]
    assert (
        record["provenance"]["template_id"] == "qa"
        and record["provenance"]["template_version"] == 3
    )
    assert steps["question"]["model_id"] == "llama-3.1-8b"
    assert steps["answer"]["model_id"] == "claude-3.7-sonnet"
    expected = (10 * 0.22 + 20 * 0.22 + 10 * 3.0 + 20 * 15.0) / 1_000_000
    assert made.cost == pytest.approx(expected)
    assert guard.spent == pytest.approx(expected)
    assert (made.input_tokens, made.output_tokens) == (20, 40)


def test_a_stop_starts_no_new_call() -> None:
    stop = asyncio.Event()
    stop.set()
    client = FakeClient()
    with pytest.raises(GenerationStopped):
        asyncio.run(engine(client, stop=stop)[0].generate(SEED, 0, 0))
    assert client.prompts == []


def test_a_failed_call_releases_its_reservation() -> None:
    client = FakeClient(fail_on="Answer")
    record_engine, guard = engine(client)
    with pytest.raises(ModelInvocationError):
        asyncio.run(record_engine.generate(SEED, 0, 0))
    assert guard.reserved == 0
    assert guard.spent == pytest.approx((10 * 0.22 + 20 * 0.22) / 1_000_000)


def test_no_call_starts_that_the_budget_cannot_cover() -> None:
    client = FakeClient()
    record_engine, guard = engine(client, budget=0.0005)
    with pytest.raises(BudgetExceededError):
        asyncio.run(record_engine.generate(SEED, 0, 0))
    assert client.prompts == ["Ask about Hope"]
    assert guard.spent <= 0.0005


def test_concurrent_records_with_a_tight_budget_never_overspend() -> None:
    client = FakeClient(delay=0.001)
    record_engine, guard = engine(client, budget=0.01)

    async def one(index: int) -> bool:
        try:
            await record_engine.generate(SEED, index, 0)
        except BudgetExceededError:
            return False
        return True

    async def scenario() -> list[bool]:
        return await asyncio.gather(*(one(index) for index in range(200)))

    made = asyncio.run(scenario())
    assert 0 < sum(made) < 200
    assert guard.spent <= 0.01
    assert guard.reserved == 0


def test_a_call_cancelled_in_flight_is_counted_at_its_worst_case() -> None:
    """GIVEN a call on its way (the real client sends it from a thread that cancelling does not
    stop, so Bedrock bills it) WHEN its record is cancelled THEN the call's reservation is
    counted as spent, never dropped: recorded spend must not fall below what was billed."""
    client = FakeClient(delay=1.0)
    reservations: list[float] = []

    class Recording(BudgetGuard):
        async def acquire(self, max_cost: float, label: str | None = None) -> Reservation:
            reservations.append(max_cost)
            return await super().acquire(max_cost, label)

    record_engine, guard = engine(client, Recording(10.0))

    async def scenario() -> None:
        task = asyncio.create_task(record_engine.generate(SEED, 0, 0))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert len(reservations) == 1
    assert (guard.spent, guard.reserved) == (reservations[0], 0)


def test_the_record_has_exactly_the_contract_shape() -> None:
    made = asyncio.run(engine(FakeClient())[0].generate(SEED, 0, 0))
    record = made.record
    assert set(record) == {
        "id",
        "job_id",
        "seed_index",
        "sample_index",
        "created_at",
        "fields",
        "provenance",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", record["created_at"])
    assert set(record["provenance"]) == {"template_id", "template_version", "steps"}
    for step in record["provenance"]["steps"].values():
        assert {"model_id", "input_tokens", "output_tokens", "cost", "latency_ms"} <= set(step)
    json.dumps(record)  # it goes to JSONL as it is


def test_a_stop_between_steps_starts_no_further_call() -> None:
    """GIVEN a worker told to stop while step one runs THEN step two never starts, step one
    is billed, and nothing stays reserved."""
    stop = asyncio.Event()

    @dataclass
    class StoppingClient(FakeClient):
        async def converse(
            self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
        ) -> ModelReply:
            stop.set()  # SIGTERM arrives while this call is in flight
            return await super().converse(
                model_id, prompt, max_tokens=max_tokens, temperature=temperature
            )

    client = StoppingClient()
    record_engine, guard = engine(client, stop=stop)
    with pytest.raises(GenerationStopped):
        asyncio.run(record_engine.generate(SEED, 0, 0))
    assert client.prompts == ["Ask about Hope"]
    assert guard.spent == pytest.approx((10 * 0.22 + 20 * 0.22) / 1_000_000)
    assert guard.reserved == 0


def test_steps_are_called_with_their_settings_and_reserve_their_worst_case() -> None:
    calls: list[tuple[str, int, float | None]] = []
    reservations: list[float] = []

    class Recording(FakeClient):
        async def converse(
            self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
        ) -> ModelReply:
            calls.append((model_id, max_tokens, temperature))
            return await super().converse(model_id, prompt, max_tokens=max_tokens)

    class Guard(BudgetGuard):
        async def acquire(self, max_cost: float, label: str | None = None) -> Reservation:
            reservations.append(max_cost)
            return await super().acquire(max_cost, label)

    template = load_template(
        {
            "id": "t",
            "name": "T",
            "steps": [
                {"id": "a", "prompt": "Hi", "model": "nova-lite", "temperature": 0.7},
                {"id": "b", "prompt": "Hey", "model": "nova-lite", "max_tokens": 40},
            ],
        },
        REGISTRY,
    )
    asyncio.run(engine(Recording(), Guard(1.0), template=template)[0].generate({}, 0, 0))
    nova = REGISTRY.spec("nova-lite")
    assert calls == [(nova.bedrock_id, 512, 0.7), (nova.bedrock_id, 40, None)]
    # "Hi" is 2 bytes, plus the message framing, plus the whole allowance at the output price
    assert reservations == [
        pytest.approx(max_call_cost(nova, 2 + MESSAGE_OVERHEAD_TOKENS, 512)),
        pytest.approx(max_call_cost(nova, 3 + MESSAGE_OVERHEAD_TOKENS, 40)),
    ]


def test_random_sentences_are_the_same_when_a_record_is_made_again() -> None:
    template = load_template(
        {
            "id": "t",
            "name": "T",
            "steps": [
                {"id": "a", "prompt": "{{ notes | random_sentence }}", "model_tier": "cheap"}
            ],
        },
        REGISTRY,
    )
    notes = {"notes": " ".join(f"Sentence {n}." for n in range(50))}

    def prompts(job_seed: int, sample_index: int) -> list[str]:
        client = FakeClient()
        made, _ = engine(client, template=template, job_seed=job_seed)
        asyncio.run(made.generate(notes, 4, sample_index))
        return client.prompts

    assert prompts(1, 0) == prompts(1, 0)  # a relaunched worker renders the same prompt
    variety = {prompts(1, n)[0] for n in range(10)} | {prompts(2, 0)[0]}
    assert len(variety) > 3


def test_an_output_mapping_shapes_the_fields() -> None:
    template = load_template(
        {
            "id": "t",
            "name": "T",
            "steps": [{"id": "q", "prompt": "{{ poem.title }}", "model_tier": "cheap"}],
            "output": {"question": "steps.q.output", "title": "poem.title"},
        },
        REGISTRY,
    )
    made = asyncio.run(engine(FakeClient(), template=template)[0].generate(SEED, 0, 0))
    assert made.record["fields"] == {
        "question": "<us.meta.llama3-1-8b-instruct-v1:0>",
        "title": "Hope",
    }


@dataclass
class LosesAnswers(FakeClient):
    """Answers every call, but the first ``lose`` answers never reach the caller."""

    lose: int = 1
    billed: int = 0

    async def converse(
        self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
    ) -> ModelReply:
        reply = await super().converse(model_id, prompt, max_tokens=max_tokens)
        self.billed += 1
        if self.lose > 0:
            self.lose -= 1
            raise CallOutcomeUnknownError("the answer was lost (ReadTimeoutError)")
        return reply


def test_a_call_whose_answer_was_lost_is_counted_before_it_is_asked_again() -> None:
    client = LosesAnswers(lose=1)
    made, guard = engine(client)
    record = asyncio.run(made.generate(SEED, 0, 0)).record
    question = REGISTRY.resolve(TEMPLATE.steps[0])
    worst = max_call_cost(
        question, max_tokens_bound("Ask about Hope") + MESSAGE_OVERHEAD_TOKENS, 50
    )
    # Three calls were billed (one lost, two answered); the lost one is on the books at its
    # worst case, which is never below what it really cost.
    assert client.billed == 3
    assert guard.spent == pytest.approx(worst + record_cost(record), abs=1e-12)
    assert guard.reserved == 0


def test_answers_lost_again_and_again_end_the_record_with_every_call_counted() -> None:
    client = LosesAnswers(lose=10)
    made, guard = engine(client)
    with pytest.raises(CallOutcomeUnknownError):
        asyncio.run(made.generate(SEED, 0, 0))
    assert client.billed == 3 and guard.reserved == 0
    assert guard.spent > 0


def record_cost(record: dict[str, object]) -> float:
    steps = record["provenance"]["steps"]  # type: ignore[index]
    return float(sum(step["cost"] for step in steps.values()))  # type: ignore[attr-defined]
