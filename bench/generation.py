"""Generation throughput: the engine against the local model endpoint at a fixed latency.

For concurrency 8, 32 and 128 it runs the real ``RecordEngine`` (one-step template, budget
guard, adaptive limiter, boto3 Converse client) against the local model endpoint, which runs
in its own process with a fixed latency, and prints achieved calls/s over the ideal
(concurrency / latency) and the CPU time this process spends per record. That CPU is mostly
boto3 (request signing, HTTP, parsing), so the engine's own share — rendering, reservations,
provenance — is measured too, with an in-process client that answers at once.

Target (issue 4): ratio >= 0.9 at concurrency 32. Exits 1 when missed.

    python bench/generation.py [--latency-ms 200] [--rounds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request

from plot_palette.budget import BudgetGuard
from plot_palette.generation import RecordEngine
from plot_palette.models import ConverseClient, ModelClient, ModelRegistry, ModelReply
from plot_palette.templates import PromptTemplate, load_template

TARGET_RATIO_AT_32 = 0.9


def free_port() -> int:
    """A port nobody listens on now (the endpoint process binds it next)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_endpoint(latency_ms: float) -> tuple[subprocess.Popen[bytes], str]:
    """The endpoint in its own process, so its threads do not share the engine's GIL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plot_palette.local.model_endpoint",
            "--port",
            str(port),
            "--latency-ms",
            str(latency_ms),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/_admin/stats", timeout=1).close()
            return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the model endpoint did not start")


def bench_template(registry: ModelRegistry) -> PromptTemplate:
    """One step, so calls/s and records/s are the same figure."""
    return load_template(
        {
            "id": "bench",
            "name": "Bench",
            "steps": [
                {
                    "id": "q",
                    "prompt": "Ask about {{ topic }} #{{ n }}",
                    "model_tier": "cheap",
                    "max_tokens": 64,
                }
            ],
        },
        registry,
    )


async def generate(client: ModelClient, concurrency: int, records: int) -> tuple[float, float]:
    """Records/s and CPU seconds per record for ``records`` made ``concurrency`` at a time."""
    registry = ModelRegistry.load("us-east-1")
    engine = RecordEngine(
        bench_template(registry),
        client=client,
        registry=registry,
        budget=BudgetGuard(1_000),
        job_id="bench",
        job_seed=1,
    )
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            await engine.generate({"topic": "the sea", "n": index}, index, 0)

    await asyncio.gather(*(one(index) for index in range(concurrency)))  # warm connections
    cpu_started, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(index) for index in range(records)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return records / elapsed, cpu / records


async def run(concurrency: int, records: int, url: str) -> tuple[float, float]:
    """The engine through boto3 against the endpoint at ``url``."""
    client = ConverseClient(endpoint_url=url, region="us-east-1", max_concurrency=concurrency)
    try:
        return await generate(client, concurrency, records)
    finally:
        client.close()


class InstantClient:
    """Answers at once, so only the engine's own CPU is measured."""

    async def converse(
        self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
    ) -> ModelReply:
        await asyncio.sleep(0)
        return ModelReply("A short answer.", 8, 4, 0)


def main() -> int:
    """Run the three concurrencies, print the figures and the RESULT line."""
    parser = argparse.ArgumentParser(description="engine calls/s against the local model")
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--rounds", type=int, default=8, help="calls per slot of concurrency")
    arguments = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    endpoint, url = start_endpoint(arguments.latency_ms)
    results: dict[int, tuple[float, float, float]] = {}
    try:
        for concurrency in (8, 32, 128):
            rate, cpu_per_record = asyncio.run(
                run(concurrency, concurrency * arguments.rounds, url)
            )
            ideal = concurrency / (arguments.latency_ms / 1000)
            results[concurrency] = (rate, rate / ideal, cpu_per_record)
            print(
                f"concurrency {concurrency:>3}: {rate:8.1f} calls/s, ideal {ideal:7.1f}, "
                f"ratio {rate / ideal:.3f}, "
                f"CPU {cpu_per_record * 1000:.2f} ms/record (engine + boto3)"
            )
    finally:
        endpoint.terminate()
        endpoint.wait()
    _, engine_cpu = asyncio.run(generate(InstantClient(), 128, 5_000))
    print(f"engine alone (instant client): {engine_cpu * 1000:.3f} ms CPU/record")
    ratio_32 = results[32][1]
    print(
        "RESULT "
        + " ".join(f"ratio_c{c}={r[1]:.3f}" for c, r in results.items())
        + " "
        + " ".join(f"cpu_ms_per_record_c{c}={r[2] * 1000:.2f}" for c, r in results.items())
        + f" engine_only_cpu_ms_per_record={engine_cpu * 1000:.3f}"
        + f" target_ratio_c32={TARGET_RATIO_AT_32}"
    )
    return 0 if ratio_32 >= TARGET_RATIO_AT_32 else 1


if __name__ == "__main__":
    sys.exit(main())
