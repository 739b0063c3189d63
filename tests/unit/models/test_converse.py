"""The Converse client against botocore's Stubber: parsing, retries 2/4/8 s, no fallback."""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from plot_palette.errors import ModelInvocationError, ThrottledError
from plot_palette.models import ConverseClient

REPLY = {
    "output": {
        "message": {"role": "assistant", "content": [{"text": "Hello "}, {"text": "there"}]}
    },
    "stopReason": "end_turn",
    "usage": {"inputTokens": 12, "outputTokens": 3, "totalTokens": 15},
    "metrics": {"latencyMs": 42},
}
REQUEST = {
    "modelId": "m",
    "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
    "inferenceConfig": {"maxTokens": 10, "temperature": 0.5},
}


def stubbed() -> tuple[ConverseClient, Stubber, list[float]]:
    bedrock = boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(bedrock)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return ConverseClient(bedrock, sleep=sleep, max_concurrency=4), stubber, slept


def call(client: ConverseClient) -> Any:
    return asyncio.run(client.converse("m", "Hi", max_tokens=10, temperature=0.5))


def test_a_reply_with_bedrocks_token_counts() -> None:
    client, stubber, slept = stubbed()
    stubber.add_response("converse", REPLY, REQUEST)
    with stubber:
        reply = call(client)
    assert (reply.text, reply.input_tokens, reply.output_tokens, reply.latency_ms) == (
        "Hello there",
        12,
        3,
        42,
    )
    assert slept == []


def test_throttling_is_retried_after_2_4_8_seconds_then_raised() -> None:
    client, stubber, slept = stubbed()
    for _ in range(4):
        stubber.add_client_error("converse", "ThrottlingException", "slow down", 429)
    with stubber, pytest.raises(ThrottledError, match="gave up after 3 retries"):
        call(client)
    assert slept == [2.0, 4.0, 8.0]
    assert client.limiter("m").limit < 64


def test_a_server_error_is_retried_and_can_recover() -> None:
    client, stubber, slept = stubbed()
    stubber.add_client_error("converse", "ServiceUnavailableException", "busy", 503)
    stubber.add_response("converse", REPLY, REQUEST)
    with stubber:
        assert call(client).text == "Hello there"
    assert slept == [2.0]


def test_a_client_error_is_not_retried() -> None:
    client, stubber, slept = stubbed()
    stubber.add_client_error("converse", "ValidationException", "bad model", 400)
    with stubber, pytest.raises(ModelInvocationError, match="ValidationException: bad model"):
        call(client)
    assert slept == []


def test_exhausted_server_errors_are_model_invocation_errors() -> None:
    client, stubber, _ = stubbed()
    for _ in range(4):
        stubber.add_client_error("converse", "InternalServerException", "oops", 500)
    with stubber, pytest.raises(ModelInvocationError) as raised:
        call(client)
    assert not isinstance(raised.value, ThrottledError)


class FlakyBedrock:
    """A bedrock-runtime stand-in that raises the given botocore errors, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def converse(self, **request: Any) -> dict[str, Any]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return REPLY


async def no_wait(_: float) -> None:
    return None


def test_a_dropped_connection_is_retried_like_a_server_error() -> None:
    from botocore.exceptions import EndpointConnectionError

    bedrock = FlakyBedrock(EndpointConnectionError(endpoint_url="http://x"))
    reply = asyncio.run(ConverseClient(bedrock, sleep=no_wait).converse("m", "Hi", max_tokens=5))
    assert (reply.text, bedrock.calls) == ("Hello there", 2)


def test_other_botocore_errors_fail_at_once() -> None:
    from botocore.exceptions import ParamValidationError

    bedrock = FlakyBedrock(ParamValidationError(report="bad"))
    with pytest.raises(ModelInvocationError, match="ParamValidationError"):
        asyncio.run(ConverseClient(bedrock, sleep=no_wait).converse("m", "Hi", max_tokens=5))
    assert bedrock.calls == 1


def test_errors_are_classified_by_code_and_status_never_by_message() -> None:
    client, stubber, slept = stubbed()
    # a message that talks about throttling does not make a validation error retryable
    stubber.add_client_error("converse", "ValidationException", "Too many tokens, throttle", 400)
    with stubber, pytest.raises(ModelInvocationError) as raised:
        call(client)
    assert not isinstance(raised.value, ThrottledError) and slept == []
    # an unknown code with status 429 is throttling; with 5xx it is a server error
    client, stubber, slept = stubbed()
    stubber.add_client_error("converse", "SomethingNew", "?", 429)
    stubber.add_client_error("converse", "SomethingElse", "?", 502)
    stubber.add_response("converse", REPLY, REQUEST)
    with stubber:
        assert call(client).text == "Hello there"
    assert slept == [2.0, 4.0] and client.throttled == 1


def test_no_fallback_model_is_ever_called() -> None:
    client, stubber, _ = stubbed()
    for _ in range(4):
        stubber.add_client_error(
            "converse", "ModelNotReadyException", "warming", 429, expected_params=REQUEST
        )
    with stubber, pytest.raises(ThrottledError):
        call(client)
    stubber.assert_no_pending_responses()  # four calls, every one to model "m"


@pytest.mark.parametrize("lost", ["ConnectionClosedError", "ReadTimeoutError"])
def test_a_lost_answer_is_not_retried_under_the_same_call(lost: str) -> None:
    """The request went out and may be billed: the caller must count it before asking again."""
    import botocore.exceptions

    from plot_palette.errors import CallOutcomeUnknownError

    bedrock = FlakyBedrock(getattr(botocore.exceptions, lost)(endpoint_url="http://x"))
    client = ConverseClient(bedrock, sleep=no_wait)
    with pytest.raises(CallOutcomeUnknownError):
        asyncio.run(client.converse("m", "Hi", max_tokens=5))
    assert bedrock.calls == 1
