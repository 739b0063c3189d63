"""One Bedrock client for every model family, on the Converse API (ADR-003).

Usage tokens come from Converse's response, so cost is what Bedrock bills. Only throttling and
5xx errors are retried, after 2, 4 and 8 seconds (three retries), and never on another model.
The same client talks to real Bedrock, to the local model endpoint (``endpoint_url`` or the
standard ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``), and through ``OpenAICompatibleClient`` to an
OpenAI-compatible server such as a local Ollama.

boto3 is synchronous, so calls run in a thread pool sized for the concurrency; the per-model
``AdaptiveLimiter`` decides how many are in flight.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from plot_palette.errors import CallOutcomeUnknownError, ModelInvocationError, ThrottledError
from plot_palette.models.limiter import AdaptiveLimiter

RETRY_DELAYS = (2.0, 4.0, 8.0)
THROTTLING_CODES = {
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceQuotaExceededException",
}
SERVER_CODES = {
    "InternalServerException",
    "ServiceUnavailableException",
    "ModelNotReadyException",
    "ModelTimeoutException",
}


@dataclass(frozen=True)
class ModelReply:
    """What a model said and what Bedrock counted."""

    text: str
    input_tokens: int
    output_tokens: int
    latency_ms: int


class ModelClient(Protocol):
    """What the record engine needs of a model client (Converse, OpenAI-compatible, a fake)."""

    async def converse(
        self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
    ) -> ModelReply: ...


class _Retryable(Exception):
    def __init__(self, throttled: bool, message: str) -> None:
        super().__init__(message)
        self.throttled = throttled


class ConverseClient:
    """Async Converse calls with retries and per-model adaptive concurrency.

    Give it a ``bedrock-runtime`` client whose own retries are off
    (``Config(retries={"total_max_attempts": 1})``): this class owns the retry policy, and
    botocore retrying underneath would multiply the attempts and hide throttling from the
    limiter. Without one, it builds such a client (``endpoint_url``, ``region``).
    """

    def __init__(
        self,
        bedrock_client: Any = None,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        max_concurrency: int = 64,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client: Any = bedrock_client or boto3.client(
            "bedrock-runtime",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                max_pool_connections=max_concurrency,
                retries={"total_max_attempts": 1, "mode": "standard"},
                read_timeout=300,
            ),
        )
        self._executor = ThreadPoolExecutor(
            max_workers=max_concurrency, thread_name_prefix="bedrock"
        )
        self._max_concurrency = max_concurrency
        self._limiters: dict[str, AdaptiveLimiter] = {}
        self._sleep = sleep
        self.calls = 0
        self.throttled = 0

    def limiter(self, model_id: str) -> AdaptiveLimiter:
        """The adaptive limit of one model."""
        if model_id not in self._limiters:
            self._limiters[model_id] = AdaptiveLimiter(self._max_concurrency)
        return self._limiters[model_id]

    async def converse(
        self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
    ) -> ModelReply:
        """Ask a model; retry throttling and 5xx (2/4/8 s), then raise our error."""
        limiter = self.limiter(model_id)
        for attempt in range(len(RETRY_DELAYS) + 1):
            slot = await limiter.acquire()
            throttled = False
            try:
                return await self._call(model_id, prompt, max_tokens, temperature)
            except _Retryable as error:
                throttled = error.throttled
                self.throttled += int(throttled)
                if attempt == len(RETRY_DELAYS):
                    kind = ThrottledError if throttled else ModelInvocationError
                    raise kind(
                        f"{model_id}: {error} (gave up after {len(RETRY_DELAYS)} retries)"
                    ) from None
            finally:
                limiter.release(slot, throttled=throttled)
            await self._sleep(RETRY_DELAYS[attempt])
        raise AssertionError("unreachable")  # pragma: no cover

    async def _call(
        self, model_id: str, prompt: str, max_tokens: int, temperature: float | None
    ) -> ModelReply:
        inference: dict[str, Any] = {"maxTokens": max_tokens}
        if temperature is not None:
            inference["temperature"] = temperature
        request: dict[str, Any] = {
            "modelId": model_id,
            "messages": [{"role": "user", "content": [{"text": prompt}]}],
            "inferenceConfig": inference,
        }
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        self.calls += 1
        try:
            response = await loop.run_in_executor(
                self._executor, lambda: self._client.converse(**request)
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if code in THROTTLING_CODES or status == 429:
                raise _Retryable(True, f"throttled ({code})") from None
            if code in SERVER_CODES or status >= 500:
                raise _Retryable(False, f"server error ({code or status})") from None
            raise ModelInvocationError(
                f"{model_id}: {code or 'error'}: {_message(error)}"
            ) from None
        except (EndpointConnectionError, ConnectTimeoutError) as error:
            # Never connected: nothing was sent, nothing billed; safe to retry here.
            raise _Retryable(False, f"connection error ({type(error).__name__})") from None
        except (ConnectionClosedError, ReadTimeoutError) as error:
            # Sent, answer lost: possibly billed. The caller counts it before any retry.
            raise CallOutcomeUnknownError(
                f"{model_id}: the answer was lost ({type(error).__name__})"
            ) from None
        except BotoCoreError as error:
            raise ModelInvocationError(f"{model_id}: {type(error).__name__}: {error}") from None
        content = response["output"]["message"]["content"]
        usage = response.get("usage", {})
        return ModelReply(
            text="".join(part.get("text", "") for part in content),
            input_tokens=int(usage.get("inputTokens", 0)),
            output_tokens=int(usage.get("outputTokens", 0)),
            latency_ms=int(
                response.get("metrics", {}).get("latencyMs", (time.monotonic() - started) * 1000)
            ),
        )

    def close(self) -> None:
        """Stop the call threads (calls in flight are abandoned)."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))[:300]


class OpenAICompatibleClient(ConverseClient):
    """The same interface over an OpenAI-compatible ``/v1/chat/completions`` server (e.g. Ollama).

    Model ids are passed through, so a registry entry's ``bedrock_id`` can name a local model.
    """

    def __init__(self, base_url: str, *, api_key: str | None = None, **kwargs: Any) -> None:
        super().__init__(bedrock_client=object(), **kwargs)
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key

    async def _call(
        self, model_id: str, prompt: str, max_tokens: int, temperature: float | None
    ) -> ModelReply:
        body: dict[str, Any] = {
            "model": model_id,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
        }
        if temperature is not None:
            body["temperature"] = temperature
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(  # noqa: S310 - the operator's configured server
            f"{self._base_url}/v1/chat/completions", json.dumps(body).encode(), headers
        )
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        self.calls += 1

        def post() -> dict[str, Any]:
            with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
                loaded: dict[str, Any] = json.load(response)
                return loaded

        try:
            response = await loop.run_in_executor(self._executor, post)
        except urllib.error.HTTPError as error:
            if error.code == 429:
                raise _Retryable(True, "throttled (429)") from None
            if error.code >= 500:
                raise _Retryable(False, f"server error ({error.code})") from None
            raise ModelInvocationError(f"{model_id}: HTTP {error.code}") from None
        except OSError as error:
            raise _Retryable(False, f"connection error ({type(error).__name__})") from None
        usage = response.get("usage", {})
        return ModelReply(
            text=str(response["choices"][0]["message"]["content"]),
            input_tokens=int(usage.get("prompt_tokens", 0)),
            output_tokens=int(usage.get("completion_tokens", 0)),
            latency_ms=int((time.monotonic() - started) * 1000),
        )
