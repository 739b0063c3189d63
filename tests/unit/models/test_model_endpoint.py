"""The local model endpoint (loopback only): parallel answers, stop reasons, settings, adapters."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from plot_palette.errors import ModelInvocationError, ThrottledError
from plot_palette.local.model_endpoint import ModelEndpoint, reply_text, start_model_endpoint
from plot_palette.models import ConverseClient, ModelReply, OpenAICompatibleClient


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelEndpoint]:
    """A running endpoint, and the dummy credentials boto3 needs to sign requests to it."""
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(variable, "local")
    with start_model_endpoint() as running:
        yield running


async def no_wait(_: float) -> None:
    return None


def post(url: str, body: object) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_128_concurrent_calls_are_answered_in_parallel(endpoint: ModelEndpoint) -> None:
    """GIVEN a fixed latency WHEN 128 calls arrive together THEN they overlap, none fails."""
    endpoint.settings.latency_ms = 500
    client = ConverseClient(endpoint_url=endpoint.url, region="us-east-1", max_concurrency=128)

    async def burst() -> list[ModelReply]:
        return await asyncio.gather(
            *(client.converse("m", f"prompt {n}", max_tokens=20) for n in range(128))
        )

    replies = asyncio.run(burst())
    client.close()
    assert len(replies) == 128 and all(reply.output_tokens >= 1 for reply in replies)
    assert endpoint.stats.requests == 128 and endpoint.stats.in_flight == 0
    assert endpoint.stats.max_in_flight > 32  # a serial or small-pool server could not do this


def test_the_converse_shape_and_stop_reasons(endpoint: ModelEndpoint) -> None:
    status, body = post(
        f"{endpoint.url}/model/amazon.nova-lite-v1%3A0/converse",
        {
            "messages": [{"role": "user", "content": [{"text": "Name a colour."}]}],
            "inferenceConfig": {"maxTokens": 1},
        },
    )
    assert status == 200
    assert body["stopReason"] == "max_tokens"  # one token allowed, one used
    usage = body["usage"]
    assert isinstance(usage, dict)
    # input: Name, a, colo-ur, "." (see plot_palette.tokens); output: the one allowed token
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] == 5 + 1
    assert endpoint.stats.by_model == {"amazon.nova-lite-v1:0": 1}
    _, roomy = post(
        f"{endpoint.url}/model/m/converse",
        {"messages": [{"role": "user", "content": [{"text": "x"}]}]},
    )
    assert roomy["stopReason"] == "end_turn"


def test_reply_text_is_deterministic_and_within_max_tokens() -> None:
    for max_tokens in (1, 5, 64, 1000):
        text = reply_text("m", "a prompt", max_tokens)
        assert text == reply_text("m", "a prompt", max_tokens)
        assert 1 <= len(text.split()) <= min(max_tokens, 400)
    assert reply_text("m", "one", 50) != reply_text("m", "two", 50)


def test_bad_settings_are_refused_and_good_ones_apply(endpoint: ModelEndpoint) -> None:
    admin = f"{endpoint.url}/_admin/settings"
    assert post(admin, {"nonsense": 1})[0] == 400
    assert post(admin, {"throttle_rate": 2})[0] == 400
    assert post(admin, {"latency_ms": -5})[0] == 400
    assert post(admin, {"latency_ms": "slow"})[0] == 400
    assert post(admin, ["latency_ms"])[0] == 400
    status, body = post(admin, {"throttle_rate": 0.25, "error_rate": 0.5})
    assert (status, body["throttle_rate"], body["error_rate"]) == (200, 0.25, 0.5)
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{endpoint.url}/nothing-here")


def test_the_limiter_backs_off_on_throttling_and_recovers(endpoint: ModelEndpoint) -> None:
    client = ConverseClient(
        endpoint_url=endpoint.url, region="us-east-1", max_concurrency=8, sleep=no_wait
    )
    endpoint.settings.throttle_rate = 1.0
    with pytest.raises(ThrottledError):
        asyncio.run(client.converse("m", "x", max_tokens=3))
    assert client.limiter("m").limit < 8
    endpoint.settings.throttle_rate = 0.0

    async def steady() -> None:
        for n in range(60):
            await client.converse("m", f"x{n}", max_tokens=3)

    asyncio.run(steady())
    client.close()
    assert client.limiter("m").limit == 8


def test_the_standard_endpoint_variable_routes_boto3_here(
    endpoint: ModelEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", endpoint.url)
    reply = asyncio.run(ConverseClient(region="us-east-1").converse("m", "hi", max_tokens=9))
    assert reply.text == reply_text("m", "hi", 9)
    assert endpoint.stats.requests == 1


def test_the_openai_adapter_retries_throttling_and_server_errors(endpoint: ModelEndpoint) -> None:
    adapter = OpenAICompatibleClient(endpoint.url, sleep=no_wait)
    endpoint.settings.throttle_rate = 1.0
    with pytest.raises(ThrottledError, match="429"):
        asyncio.run(adapter.converse("llama3", "x", max_tokens=3))
    endpoint.settings.throttle_rate, endpoint.settings.error_rate = 0.0, 1.0
    with pytest.raises(ModelInvocationError, match="500"):
        asyncio.run(adapter.converse("llama3", "x", max_tokens=3))
    assert (endpoint.stats.throttled, endpoint.stats.errors) == (4, 4)
    endpoint.settings.error_rate = 0.0
    reply = asyncio.run(adapter.converse("llama3", "x", max_tokens=1))
    assert (reply.text, reply.output_tokens) == (reply_text("llama3", "x", 1), 1)


def test_an_unreachable_openai_server_is_retried_then_reported() -> None:
    adapter = OpenAICompatibleClient("http://127.0.0.1:9", sleep=no_wait)  # discard port
    with pytest.raises(ModelInvocationError, match="connection error"):
        asyncio.run(adapter.converse("llama3", "x", max_tokens=3))
    assert adapter.calls == 4


def test_the_command_line_serves_on_the_requested_port() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "plot_palette.local.model_endpoint", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.rsplit(" ", 1)[1].strip()
        with urllib.request.urlopen(f"{url}/_admin/stats") as response:
            assert json.load(response)["requests"] == 0
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_engine_under_throttling_with_a_tight_budget(endpoint: ModelEndpoint) -> None:
    """GIVEN a third of calls throttled and a budget for about half the records WHEN 64 records
    run 32 at a time THEN the spend never passes the budget and every record that finished is
    whole (one reply per step)."""
    from plot_palette.budget import BudgetGuard
    from plot_palette.errors import BudgetExceededError
    from plot_palette.generation import RecordEngine
    from plot_palette.models import ModelRegistry
    from plot_palette.templates import load_template

    registry = ModelRegistry.load("us-east-1")
    template = load_template(
        {
            "id": "t",
            "name": "T",
            "steps": [
                {"id": "q", "prompt": "Ask about {{ topic }}", "model": "nova-lite"},
                {"id": "a", "prompt": "Answer {{ steps.q.output }}", "model_tier": "premium"},
            ],
        },
        registry,
    )
    endpoint.settings.throttle_rate = 0.3
    client = ConverseClient(
        endpoint_url=endpoint.url, region="us-east-1", max_concurrency=32, sleep=no_wait
    )
    guard = BudgetGuard(0.16)
    engine = RecordEngine(
        template, client=client, registry=registry, budget=guard, job_id="j", job_seed=3
    )
    gate = asyncio.Semaphore(32)

    async def one(index: int) -> dict[str, Any] | None:
        async with gate:
            try:
                return (await engine.generate({"topic": f"rain {index}"}, index, 0)).record
            except (BudgetExceededError, ThrottledError):
                return None

    async def job() -> list[dict[str, Any] | None]:
        return await asyncio.gather(*(one(index) for index in range(64)))

    records = [record for record in asyncio.run(job()) if record is not None]
    client.close()
    assert guard.spent <= 0.16 and guard.reserved == 0
    assert 0 < len(records) < 64
    assert all(set(record["fields"]) == {"topic", "q", "a"} for record in records)
    assert (
        client.throttled > 0 and client.limiter(registry.spec("nova-lite").bedrock_id).decreases > 0
    )
