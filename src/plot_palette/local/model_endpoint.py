"""A local Converse-compatible model endpoint: deterministic text, realistic token counts.

boto3's ``bedrock-runtime`` client talks to it unchanged (``endpoint_url`` or
``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``). ``POST /model/{modelId}/converse`` answers in Converse's
response shape (``output.message.content[].text``, ``stopReason``, ``usage``, ``metrics``). The
text is derived from a hash of the model id and the prompt, so the same prompt always gets the
same answer.

Token counting, so costs and budgets behave as they would on Bedrock:

* ``inputTokens`` is ``plot_palette.tokens.count_tokens`` of the prompt text (about four
  characters of a word per token, one per symbol: the estimate documented there);
* the answer is written from a vocabulary of common English words, each one token as in real
  BPE vocabularies, so ``outputTokens`` is its word count: 40-90% of ``maxTokens`` (capped at
  400), never more than ``maxTokens``; ``stopReason`` is ``max_tokens`` when it used them all.

Latency, throttling (HTTP 429 with ``x-amzn-ErrorType: ThrottlingException``, which botocore
raises as the real ``ThrottlingException``) and server errors (HTTP 500) are configurable at
start and at runtime with ``POST /_admin/settings``; ``GET /_admin/stats`` counts requests and
the tokens billed by model (``input_tokens_by_model``, ``output_tokens_by_model``): every answer
the endpoint produced, whether or not the caller lived to read it, as Bedrock would bill it.
``billed_usd`` prices those counts, so tests compare a job's recorded spend with real spend.

Run it alone with ``python -m plot_palette.local.model_endpoint --port 8900 --latency-ms 200``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from plot_palette.budget.cost import bedrock_cost
from plot_palette.local.faults import METER_HEADER
from plot_palette.models.registry import ModelRegistry
from plot_palette.tokens import count_tokens

_TEXT = (
    "the light remembers every quiet river while old stars lean toward morning and a "
    "patient voice counts the distance between hope and grief because memory folds "
    "like paper under rain so we listen to the orchard where small birds carry "
    "questions across winter fields and answers arrive slowly as lanterns in fog"
)
_WORDS = tuple(_TEXT.split(" "))


@dataclass
class EndpointSettings:
    """What the endpoint injects; changeable while it runs."""

    latency_ms: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0


@dataclass
class EndpointStats:
    """What the endpoint has served; ``max_in_flight`` shows it answered calls in parallel."""

    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    throttled: int = 0
    errors: int = 0
    output_tokens: int = 0
    by_model: dict[str, int] = field(default_factory=dict)
    input_tokens_by_model: dict[str, int] = field(default_factory=dict)
    output_tokens_by_model: dict[str, int] = field(default_factory=dict)
    # The same counts per caller that tags its calls (``faults.METER_HEADER``: a job id).
    meters: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)


def reply_text(model_id: str, prompt: str, max_tokens: int) -> str:
    """The deterministic answer: 40-90% of ``maxTokens`` words (one token each), at most 400."""
    digest = hashlib.sha256(f"{model_id}\x00{prompt}".encode()).digest()
    rng = random.Random(digest)
    ceiling = max(1, min(max_tokens, 400))
    length = max(1, int(ceiling * (0.4 + 0.5 * rng.random())))
    words = [rng.choice(_WORDS) for _ in range(length)]
    words[0] = words[0].capitalize()
    return " ".join(words)


# A seed-generation prompt (``plot_palette.seed_data.generate.seed_prompt``) asks for JSON Lines
# with named fields; answering it with such JSON lets generated seed data feed a local job.
SEED_COUNT = re.compile(r"Write exactly (\d+) different JSON objects, one per line")
SEED_FIELDS = re.compile(r"^Every object must have these fields[^:\n]*: (.+)$", re.MULTILINE)
_LONG_FIELDS = frozenset({"text", "biography", "body", "content", "description", "summary"})


def seed_reply_text(model_id: str, prompt: str, max_tokens: int) -> str | None:
    """Deterministic JSON Lines for a seed-generation prompt; ``None`` for any other prompt.

    Each record has every asked-for dotted field (``author.name`` nests) as a string of words:
    a few for most fields, a sentence or two for text-like ones. Records that would take the
    answer past ``max_tokens`` words are left out, as a real model would be cut off.
    """
    count = SEED_COUNT.search(prompt)
    fields = SEED_FIELDS.search(prompt)
    if count is None or fields is None:
        return None
    paths = [path.strip() for path in fields.group(1).split(",") if path.strip()]
    rng = random.Random(hashlib.sha256(f"{model_id}\x00{prompt}".encode()).digest())
    lines: list[str] = []
    used = 0
    for _ in range(min(int(count.group(1)), 100)):
        record: dict[str, Any] = {}
        for path in paths:
            parts = path.split(".")
            size = rng.randint(12, 30) if parts[-1].lower() in _LONG_FIELDS else rng.randint(2, 4)
            target = record
            for part in parts[:-1]:
                nested = target.setdefault(part, {})
                target = nested if isinstance(nested, dict) else {}
            target[parts[-1]] = " ".join(rng.choice(_WORDS) for _ in range(size)).capitalize()
        line = json.dumps(record)
        used += len(line.split())
        if used > max_tokens and lines:
            break
        lines.append(line)
    return "\n".join(lines)


def judge_reply_text(model_id: str, prompt: str) -> str | None:
    """A strict JSON verdict (scores 3-5, from a hash of the prompt) for a quality-judge prompt
    (``plot_palette.quality.judge.judge_prompt``); ``None`` for any other prompt."""
    from plot_palette.quality.judge import CRITERIA, JUDGE_ANSWER_FORMAT

    if JUDGE_ANSWER_FORMAT not in prompt:
        return None
    rng = random.Random(hashlib.sha256(f"judge\x00{model_id}\x00{prompt}".encode()).digest())
    return json.dumps({name: rng.randint(3, 5) for name in CRITERIA})


def answer_text(model_id: str, prompt: str, max_tokens: int) -> str:
    """What the endpoint (and the in-process dry-run model) answers to a prompt."""
    seeds = seed_reply_text(model_id, prompt, max_tokens)
    if seeds:
        return seeds
    verdict = judge_reply_text(model_id, prompt)
    if verdict is not None:
        return verdict
    return reply_text(model_id, prompt, max_tokens)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add about 40 ms to every answer.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the local cloud log what matters themselves."""

    def _send(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length) if length else b"{}"
        loaded: dict[str, Any] = json.loads(raw or b"{}")
        return loaded

    def do_GET(self) -> None:
        if self.path == "/_admin/stats":
            self._send(200, asdict(self.server.stats))
        else:
            self._send(404, {"message": "not found"})

    def do_POST(self) -> None:
        if self.path == "/_admin/settings":
            self._settings()
            return
        if self.path == "/v1/chat/completions":
            self._chat_completions()
            return
        parts = self.path.split("/")
        if len(parts) != 4 or parts[1] != "model" or parts[3] != "converse":
            self._send(404, {"message": f"unknown path {self.path}"})
            return
        model_id = urllib.parse.unquote(parts[2])
        try:
            body = self._body()
            prompt = "".join(
                part.get("text", "")
                for message in body.get("messages", [])
                for part in message.get("content", [])
            )
            max_tokens = int(body.get("inferenceConfig", {}).get("maxTokens", 512))
        except (ValueError, TypeError, AttributeError):
            self._send(
                400,
                {"message": "malformed Converse request"},
                {"x-amzn-ErrorType": "ValidationException"},
            )
            return
        self.server.respond(
            self, model_id, prompt, max_tokens, meter=self.headers.get(METER_HEADER)
        )

    def _settings(self) -> None:
        """Change latency or fault injection while running; refuse what would not make sense."""
        try:
            changes = {key: float(value) for key, value in self._body().items()}
        except (ValueError, TypeError, AttributeError):
            self._send(400, {"message": "settings are a JSON object of numbers"})
            return
        known = set(asdict(self.server.settings))
        problems = [key for key in changes if key not in known]
        problems += [key for key, value in changes.items() if value < 0]
        problems += [key for key in ("throttle_rate", "error_rate") if changes.get(key, 0) > 1]
        if problems:
            self._send(400, {"message": f"bad settings: {', '.join(sorted(set(problems)))}"})
            return
        for key, value in changes.items():
            setattr(self.server.settings, key, value)
        self._send(200, asdict(self.server.settings))

    def _chat_completions(self) -> None:
        """The OpenAI-compatible route, so ``OpenAICompatibleClient`` can be tested locally."""
        try:
            body = self._body()
            model_id = str(body["model"])
            prompt = "".join(str(message.get("content", "")) for message in body["messages"])
            max_tokens = int(body.get("max_tokens", 512))
        except (ValueError, TypeError, KeyError, AttributeError):
            self._send(400, {"error": {"message": "malformed chat completion request"}})
            return
        self.server.respond(self, model_id, prompt, max_tokens, openai=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A caller that went away mid-answer (a killed worker) is normal here, not a fault."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def __init__(self, address: tuple[str, int], settings: EndpointSettings) -> None:
        super().__init__(address, _Handler)
        self.settings = settings
        self.stats = EndpointStats()
        self._random = random.Random(7)
        self._lock = threading.Lock()

    def respond(
        self,
        handler: _Handler,
        model_id: str,
        prompt: str,
        max_tokens: int,
        *,
        openai: bool = False,
        meter: str | None = None,
    ) -> None:
        """Answer one call after the configured latency, injecting faults as configured."""
        settings = self.settings
        started = time.monotonic()
        with self._lock:
            self.stats.requests += 1
            self.stats.by_model[model_id] = self.stats.by_model.get(model_id, 0) + 1
            self.stats.in_flight += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
            roll = self._random.random()
        try:
            if settings.latency_ms:
                time.sleep(settings.latency_ms / 1000)
            status, body, headers = self._answer(model_id, prompt, max_tokens, roll, started, meter)
            if openai:
                body = _as_chat_completion(model_id, status, body)
        finally:
            # Counted out before the answer leaves: a client that has its answer never sees
            # its own call still in flight.
            with self._lock:
                self.stats.in_flight -= 1
        handler._send(status, body, headers)

    def _answer(
        self,
        model_id: str,
        prompt: str,
        max_tokens: int,
        roll: float,
        started: float,
        meter: str | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Status, Converse body and headers of one answer (``roll`` picks the injected fault)."""
        settings = self.settings
        if roll < settings.throttle_rate:
            with self._lock:
                self.stats.throttled += 1
            return (
                429,
                {"message": "Too many requests, please wait before trying again."},
                {"x-amzn-ErrorType": "ThrottlingException"},
            )
        if roll < settings.throttle_rate + settings.error_rate:
            with self._lock:
                self.stats.errors += 1
            return (
                500,
                {"message": "internal error"},
                {"x-amzn-ErrorType": "InternalServerException"},
            )
        text = answer_text(model_id, prompt, max_tokens)
        output_tokens = len(text.split())
        input_tokens = count_tokens(prompt)
        with self._lock:
            stats = self.stats
            stats.output_tokens += output_tokens
            stats.input_tokens_by_model[model_id] = (
                stats.input_tokens_by_model.get(model_id, 0) + input_tokens
            )
            stats.output_tokens_by_model[model_id] = (
                stats.output_tokens_by_model.get(model_id, 0) + output_tokens
            )
            if meter:
                counts = stats.meters.setdefault(
                    meter, {"input_tokens_by_model": {}, "output_tokens_by_model": {}}
                )
                for name, tokens in (
                    ("input_tokens_by_model", input_tokens),
                    ("output_tokens_by_model", output_tokens),
                ):
                    counts[name][model_id] = counts[name].get(model_id, 0) + tokens
        body = {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": "max_tokens" if output_tokens >= max_tokens else "end_turn",
            "usage": {
                "inputTokens": input_tokens,
                "outputTokens": output_tokens,
                "totalTokens": input_tokens + output_tokens,
            },
            "metrics": {"latencyMs": int((time.monotonic() - started) * 1000)},
        }
        return 200, body, {}


def billed_usd(
    stats: EndpointStats | dict[str, Any], registry: ModelRegistry, meter: str | None = None
) -> float:
    """What the answers counted in ``stats`` cost at the registry's prices (real spend).

    ``stats`` is the endpoint's ``stats`` or the JSON of ``GET /_admin/stats``; models are
    known by their Bedrock id (what callers send) or model id. With ``meter``, only the calls
    tagged with it (one job's workers) count.
    """
    counts = asdict(stats) if isinstance(stats, EndpointStats) else stats
    if meter is not None:
        counts = counts.get("meters", {}).get(meter, {})
    specs = {}
    for model_id in filter(registry.is_available, registry.model_ids):
        spec = registry.spec(model_id)
        specs[spec.bedrock_id] = specs[spec.model_id] = spec
    total = 0.0
    for model, input_tokens in counts.get("input_tokens_by_model", {}).items():
        if model not in specs:
            raise KeyError(f"{model} is not a model of the registry in {registry.region}")
        output_tokens = counts.get("output_tokens_by_model", {}).get(model, 0)
        total += bedrock_cost(specs[model], input_tokens, output_tokens)
    return total


def _as_chat_completion(model_id: str, status: int, body: dict[str, Any]) -> dict[str, Any]:
    """The same answer in the OpenAI ``/v1/chat/completions`` shape."""
    if status != 200:
        return {"error": {"message": body["message"], "code": status}}
    usage = body["usage"]
    return {
        "object": "chat.completion",
        "model": model_id,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": body["output"]["message"]["content"][0]["text"],
                },
                "finish_reason": "length" if body["stopReason"] == "max_tokens" else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": usage["inputTokens"],
            "completion_tokens": usage["outputTokens"],
            "total_tokens": usage["totalTokens"],
        },
    }


class ModelEndpoint:
    """A running endpoint: ``url``, live ``settings`` and ``stats``, and ``stop()``."""

    def __init__(self, server: _Server) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="model-endpoint", daemon=True
        )
        self._thread.start()
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"

    @property
    def settings(self) -> EndpointSettings:
        """Live settings: assigning a field changes the next answers."""
        return self._server.settings

    @property
    def stats(self) -> EndpointStats:
        """What has been served so far."""
        return self._server.stats

    def __enter__(self) -> ModelEndpoint:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving and close the socket (in-flight answers are abandoned)."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_model_endpoint(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    latency_ms: float = 0.0,
    throttle_rate: float = 0.0,
    error_rate: float = 0.0,
) -> ModelEndpoint:
    """Start the endpoint on a thread; ``port=0`` picks a free port."""
    settings = EndpointSettings(
        latency_ms=latency_ms, throttle_rate=throttle_rate, error_rate=error_rate
    )
    return ModelEndpoint(_Server((host, port), settings))


def main() -> None:  # pragma: no cover - a thin command line around start_model_endpoint
    """``python -m plot_palette.local.model_endpoint``: serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--throttle-rate", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    arguments = parser.parse_args()
    endpoint = start_model_endpoint(
        arguments.host,
        arguments.port,
        latency_ms=arguments.latency_ms,
        throttle_rate=arguments.throttle_rate,
        error_rate=arguments.error_rate,
    )
    print(f"local model endpoint at {endpoint.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        endpoint.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
