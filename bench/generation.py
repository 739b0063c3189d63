"""Generation throughput: the engine against the local model endpoint at a fixed latency.

For concurrency 8, 32 and 128 it runs the real ``RecordEngine`` (one-step template, budget
guard, adaptive limiter, boto3 Converse client) against the local model endpoint, which runs
in its own process with a fixed latency, and prints achieved calls/s over the ideal
(concurrency / latency) and the CPU time the engine spends per record.

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
from plot_palette.models import ConverseClient, ModelRegistry
from plot_palette.templates import load_template

TARGET_RATIO_AT_32 = 0.9


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_endpoint(latency_ms: float) -> tuple[subprocess.Popen[bytes], str]:
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


async def run(concurrency: int, records: int, url: str) -> tuple[float, float]:
    registry = ModelRegistry.load("us-east-1")
    template = load_template(
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
    client = ConverseClient(endpoint_url=url, region="us-east-1", max_concurrency=concurrency)
    engine = RecordEngine(
        template,
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
    client.close()
    return records / elapsed, cpu / records


def main() -> int:
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
                f"ratio {rate / ideal:.3f}, engine CPU {cpu_per_record * 1000:.2f} ms/record"
            )
    finally:
        endpoint.terminate()
        endpoint.wait()
    ratio_32 = results[32][1]
    print(
        "RESULT "
        + " ".join(f"ratio_c{c}={r[1]:.3f}" for c, r in results.items())
        + " "
        + " ".join(f"cpu_ms_per_record_c{c}={r[2] * 1000:.2f}" for c, r in results.items())
        + f" target_ratio_c32={TARGET_RATIO_AT_32}"
    )
    return 0 if ratio_32 >= TARGET_RATIO_AT_32 else 1


if __name__ == "__main__":
    sys.exit(main())
