"""Export throughput and memory at scale, against a plain pyarrow baseline in the same run.

Generates ``--records`` records of about 1 KB as output batches in local S3 (moto's server, in
its own process), then runs each export format in a fresh subprocess (as a Lambda would) and
prints records/s, the export process's peak RSS, and the ratio of its throughput to a baseline:
the simplest pyarrow code that reads the same batches and writes the same format (it holds the
whole file in memory and uploads it with one PUT, which the exports cannot afford).

Targets (issue 5): peak RSS under 512 MB and throughput ratio at least 0.8 for every format.
Exits 1 when one is missed.

    python bench/exports.py [--records 1000000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3

BUCKET = "bench-exports"
JOB = "bench-job"
MAX_RSS_MB = 512
MIN_RATIO = 0.8
FORMATS = ("jsonl", "parquet", "csv")
MOTO_KEY_BUFFER = 8 * 1024**3

EXPORT = """
import boto3, sys
from plot_palette.exports import run_export
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
event = {"job_id": sys.argv[2], "format": sys.argv[3]}
print(run_export(event, s3_client=s3, bucket=sys.argv[4])["records"])
"""

BASELINE = """
import io, sys, boto3, pyarrow.csv as pc, pyarrow.json as pj, pyarrow.parquet as pq
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
job, fmt, bucket = sys.argv[2], sys.argv[3], sys.argv[4]
pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"jobs/{job}/outputs/")
keys = sorted(o["Key"] for page in pages for o in page.get("Contents", []))
sink = io.BytesIO()
writer = None
count = 0
for key in keys:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if fmt == "jsonl":
        sink.write(body)
        count += body.count(b"\\n")
        continue
    table = pj.read_json(io.BytesIO(body))
    count += table.num_rows
    if fmt == "csv":
        table = table.flatten().flatten().flatten()
        options = pc.WriteOptions(include_header=writer is None)
        pc.write_csv(table, sink, write_options=options)
        writer = True
    else:
        writer = writer or pq.ParquetWriter(sink, table.schema, compression="zstd")
        writer.write_table(table)
if fmt == "parquet" and writer:
    writer.close()
s3.put_object(Bucket=bucket, Key=f"baseline/{job}/dataset.{fmt}", Body=sink.getvalue())
print(count)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def record(n: int) -> dict[str, object]:
    text = f"Record {n}: " + ("the light remembers every quiet river, " * 22)[:880]
    return {
        "id": f"{n:032x}",
        "job_id": JOB,
        "seed_index": n % 100,
        "sample_index": n // 100,
        "created_at": f"2026-11-{20 + n % 5:02d}T10:00:00.000000Z",
        "fields": {"question": text[:200], "answer": text, "category": f"c{n % 7}"},
        "provenance": {
            "template_id": "t",
            "template_version": 1,
            "steps": {"q": {"input_tokens": 12, "output_tokens": 200, "cost": 0.0001}},
        },
    }


def seed(s3: object, records: int, batch: int) -> None:
    for number, start in enumerate(range(0, records, batch)):
        body = "".join(
            json.dumps(record(n)) + "\n" for n in range(start, min(start + batch, records))
        )
        s3.put_object(
            Bucket=BUCKET, Key=f"jobs/{JOB}/outputs/batch-{number:05d}.jsonl", Body=body.encode()
        )  # type: ignore[attr-defined]
    committed = (records + batch - 1) // batch
    s3.put_object(
        Bucket=BUCKET,
        Key=f"jobs/{JOB}/checkpoint.json",
        Body=json.dumps({"current_batch": committed}).encode(),
    )  # type: ignore[attr-defined]


def measure(script: str, url: str, fmt: str) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and records of one export in its own process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", script, url, JOB, fmt, BUCKET], stdout=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    output = process.stdout.read().decode().strip() if process.stdout else ""
    if status != 0:
        raise SystemExit(f"{fmt}: the export process failed ({status})")
    return elapsed, usage.ru_maxrss / 1024, int(output.splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description="export throughput and memory")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    arguments = parser.parse_args()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "bench")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # moto spills every object over 5 MB to a temporary file, and a multipart upload's parts
    # twice more on completion, which measures the emulator's disk rather than the export; like
    # S3, it keeps objects in memory here (the same for the export and the baseline).
    environment = os.environ | {"MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(MOTO_KEY_BUFFER)}
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment,
    )
    missed = False
    results = []
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        started = time.perf_counter()
        seed(s3, arguments.records, arguments.batch)
        print(
            f"seeded {arguments.records:,} records of ~1 KB "
            f"in {time.perf_counter() - started:.1f} s"
        )
        for fmt in FORMATS:
            seconds, rss, count = measure(EXPORT, url, fmt)
            base_seconds, base_rss, base_count = measure(BASELINE, url, fmt)
            assert count == base_count == arguments.records, (count, base_count)
            rate, base_rate = count / seconds, count / base_seconds
            ratio = rate / base_rate
            results.append((fmt, rate, rss, ratio))
            missed |= rss >= MAX_RSS_MB or ratio < MIN_RATIO
            for prefix in (f"jobs/{JOB}/exports/", "baseline/"):  # bound moto's memory
                for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []):
                    s3.delete_object(Bucket=BUCKET, Key=item["Key"])
            print(
                f"{fmt:8} {rate:10,.0f} records/s  peak RSS {rss:6.0f} MB  "
                f"| baseline {base_rate:10,.0f} records/s, {base_rss:6.0f} MB  | ratio {ratio:.2f}"
            )
    finally:
        moto.terminate()
        moto.wait()
    print(
        "RESULT "
        + " ".join(
            f"{fmt}_records_per_s={rate:.0f} {fmt}_peak_rss_mb={rss:.0f} {fmt}_ratio={ratio:.2f}"
            for fmt, rate, rss, ratio in results
        )
        + f" records={arguments.records}"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
