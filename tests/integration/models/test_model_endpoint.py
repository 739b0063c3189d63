"""The local model endpoint through the real boto3 client: Converse's shape, faults, settings."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Iterator

import boto3
import pytest

from plot_palette.errors import ModelInvocationError, ThrottledError
from plot_palette.local.model_endpoint import ModelEndpoint, reply_text, start_model_endpoint
from plot_palette.models import ConverseClient
from plot_palette.tokens import count_tokens


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelEndpoint]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    running = start_model_endpoint()
    yield running
    running.stop()


async def no_wait(_: float) -> None:
    return None


def client(endpoint: ModelEndpoint) -> ConverseClient:
    return ConverseClient(endpoint_url=endpoint.url, region="us-east-1", sleep=no_wait)


def test_answers_are_deterministic_with_realistic_usage(endpoint: ModelEndpoint) -> None:
    prompt = "Write about the sea in the voice of Emily Dickinson."

    async def twice() -> list:  # type: ignore[type-arg]
        local = client(endpoint)
        return [
            await local.converse("us.meta.llama3-1-8b-instruct-v1:0", prompt, max_tokens=60)
            for _ in range(2)
        ]

    first, second = asyncio.run(twice())
    assert first.text == second.text == reply_text("us.meta.llama3-1-8b-instruct-v1:0", prompt, 60)
    assert first.input_tokens == count_tokens(prompt)
    assert 1 <= first.output_tokens <= 60
    assert first.output_tokens == len(first.text.split())
    assert endpoint.stats.requests == 2


def test_max_tokens_is_honoured(endpoint: ModelEndpoint) -> None:
    reply = asyncio.run(client(endpoint).converse("m", "x", max_tokens=3))
    assert reply.output_tokens <= 3


def test_throttling_arrives_as_bedrocks_throttling_exception(endpoint: ModelEndpoint) -> None:
    endpoint.settings.throttle_rate = 1.0
    with pytest.raises(ThrottledError, match="ThrottlingException"):
        asyncio.run(client(endpoint).converse("m", "x", max_tokens=3))
    assert endpoint.stats.throttled == 4


def test_server_errors_are_injected_and_retried(endpoint: ModelEndpoint) -> None:
    endpoint.settings.error_rate = 1.0
    with pytest.raises(ModelInvocationError, match="InternalServerException"):
        asyncio.run(client(endpoint).converse("m", "x", max_tokens=3))
    assert endpoint.stats.errors == 4


def test_settings_change_at_runtime_through_the_admin_api(endpoint: ModelEndpoint) -> None:
    request = urllib.request.Request(
        f"{endpoint.url}/_admin/settings", json.dumps({"latency_ms": 15}).encode(), method="POST"
    )
    with urllib.request.urlopen(request) as response:
        assert json.load(response)["latency_ms"] == 15
    assert endpoint.settings.latency_ms == 15
    with urllib.request.urlopen(f"{endpoint.url}/_admin/stats") as response:
        assert json.load(response)["requests"] == 0


def test_unknown_paths_and_malformed_requests(endpoint: ModelEndpoint) -> None:
    for path, body in (("/nope", b"{}"), ("/model/m/converse", b"{not json")):
        request = urllib.request.Request(f"{endpoint.url}{path}", body, method="POST")
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request)
        assert raised.value.code in (400, 404)


def test_the_openai_compatible_client_speaks_chat_completions(endpoint: ModelEndpoint) -> None:
    from plot_palette.models import OpenAICompatibleClient

    openai = OpenAICompatibleClient(endpoint.url, api_key="k", sleep=no_wait)
    reply = asyncio.run(
        openai.converse("llama3", "Tell me about rain", max_tokens=20, temperature=0.2)
    )
    assert reply.text == reply_text("llama3", "Tell me about rain", 20)
    assert (reply.input_tokens, reply.output_tokens) == (
        count_tokens("Tell me about rain"),
        len(reply.text.split()),
    )


def test_the_openai_compatible_client_maps_http_errors(endpoint: ModelEndpoint) -> None:
    from plot_palette.models import OpenAICompatibleClient

    with pytest.raises(ModelInvocationError, match="HTTP 404"):
        asyncio.run(
            OpenAICompatibleClient(endpoint.url + "/bad", sleep=no_wait).converse(
                "m", "x", max_tokens=3
            )
        )


def test_a_metered_process_has_its_calls_counted_under_its_name(endpoint: ModelEndpoint) -> None:
    from plot_palette.local import faults

    plan = faults.install_from_env({faults.METER_ENV: "job-1"})
    assert plan is not None
    try:
        client = ConverseClient(
            boto3.client("bedrock-runtime", endpoint_url=endpoint.url, region_name="us-east-1")
        )
        for _ in range(2):
            asyncio.run(client.converse("m", "hi there", max_tokens=20))
    finally:
        faults._active.remove(plan)
        faults._meter_name = None
    metered = endpoint.stats.meters["job-1"]
    # each call counted once, under the name, with the same tokens as the endpoint's totals
    assert metered["input_tokens_by_model"] == endpoint.stats.input_tokens_by_model
    assert metered["output_tokens_by_model"] == endpoint.stats.output_tokens_by_model
    assert endpoint.stats.requests == 2
