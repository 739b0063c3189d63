"""The worker's cost on top of the engine: S3 requests per 1,000 records, CPU per record.

Runs the same records twice against the local model endpoint (no latency, so overhead shows):
once through the bare ``RecordEngine`` and once through the worker's loop, which adds batching,
conditional batch and checkpoint writes to S3 (moto's server, in its own process). Prints the
S3 requests per 1,000 records, the CPU per record of each, and their ratio.

    python bench/worker.py [--records 2000] [--interval 50]
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

import boto3

from plot_palette.budget import BudgetGuard
from plot_palette.generation import RecordEngine
from plot_palette.local.model_endpoint import start_model_endpoint
from plot_palette.models import ConverseClient, ModelRegistry
from plot_palette.templates import load_template
from plot_palette.worker.batches import BatchWriter
from plot_palette.worker.checkpoint import Checkpoint, CheckpointStore
from plot_palette.worker.loop import GenerationJob, run_generation

SEEDS = [{"topic": f"topic {n}"} for n in range(25)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def engine(url: str, job_id: str) -> RecordEngine:
    registry = ModelRegistry.load("us-east-1")
    template = load_template(
        {
            "id": "bench",
            "name": "Bench",
            "steps": [
                {
                    "id": "q",
                    "prompt": "Ask about {{ topic }}",
                    "model_tier": "cheap",
                    "max_tokens": 32,
                }
            ],
        },
        registry,
    )
    client = ConverseClient(endpoint_url=url, region="us-east-1", max_concurrency=16)
    return RecordEngine(
        template,
        client=client,
        registry=registry,
        budget=BudgetGuard(1e6),
        job_id=job_id,
        job_seed=1,
    )


async def bare(url: str, records: int) -> float:
    record_engine = engine(url, "bare")
    gate = asyncio.Semaphore(16)

    async def one(index: int) -> None:
        async with gate:
            await record_engine.generate(
                SEEDS[index % len(SEEDS)], index % len(SEEDS), index // len(SEEDS)
            )

    started = time.process_time()
    await asyncio.gather(*(one(index) for index in range(records)))
    return time.process_time() - started


async def through_worker(
    url: str, s3: object, bucket: str, records: int, interval: int
) -> tuple[float, int]:
    checkpoints = CheckpointStore(s3, bucket, "bench-worker")
    batches = BatchWriter(s3, bucket, "bench-worker")
    started = time.process_time()
    result = await run_generation(
        GenerationJob(job_id="bench-worker", seeds=SEEDS, record_count=records, first_step="q"),
        engine=engine(url, "bench-worker"),
        checkpoint=Checkpoint(job_id="bench-worker"),
        etag=None,
        checkpoints=checkpoints,
        batches=batches,
        stop=asyncio.Event(),
        interval=interval,
        concurrency=16,
    )
    assert result.checkpoint.records_generated == records
    return time.process_time() - started, checkpoints.requests + batches.requests


def main() -> int:
    parser = argparse.ArgumentParser(description="worker overhead over the bare engine")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--interval", type=int, default=50)
    arguments = parser.parse_args()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "bench")
    port = free_port()
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = start_model_endpoint()
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
        s3.create_bucket(Bucket="bench-bucket")
        asyncio.run(bare(endpoint.url, 100))  # warm up imports, connections and caches
        bare_cpu = asyncio.run(bare(endpoint.url, arguments.records))
        worker_cpu, requests = asyncio.run(
            through_worker(endpoint.url, s3, "bench-bucket", arguments.records, arguments.interval)
        )
    finally:
        endpoint.stop()
        moto.terminate()
        moto.wait()
    per_thousand = requests * 1000 / arguments.records
    bare_ms = bare_cpu * 1000 / arguments.records
    worker_ms = worker_cpu * 1000 / arguments.records
    print(f"records {arguments.records}, batches of {arguments.interval}")
    print(f"S3 requests per 1,000 records: {per_thousand:.1f}")
    print(f"CPU per record: bare engine {bare_ms:.3f} ms, through the worker {worker_ms:.3f} ms")
    print(
        f"worker overhead: {worker_ms - bare_ms:.3f} ms per record, ratio {worker_ms / bare_ms:.3f}"
    )
    print(
        f"RESULT s3_requests_per_1000_records={per_thousand:.1f} "
        f"bare_cpu_ms_per_record={bare_ms:.3f} "
        f"worker_cpu_ms_per_record={worker_ms:.3f} overhead_ratio={worker_ms / bare_ms:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
