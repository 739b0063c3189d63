"""Export throughput and memory at scale, against a plain pyarrow baseline in the same run.

Generates ``--records`` records of about 1 KB (1.4 KB of JSON each) as output batches of
``--batch`` records in local S3 (moto's server, in its own process), then, for each format,
runs the export and the baseline, each in a fresh subprocess (as a Lambda would), one after the
other against the same server and the same batches, and prints records/s (whole process, start
to exit), each process's peak RSS, and the ratio of the export's throughput to the baseline's.
With ``--repeat N`` each side runs N times and its fastest run counts, the same for both (the
least noisy estimate on a shared machine).

The baseline is the plainest code that does the same conversion with pyarrow and boto3:

* it lists the job's batch objects and GETs them one by one, in key order (the same objects
  the export reads; every batch the bench writes is committed);
* Parquet: ``pyarrow.json.read_json`` on each batch, ``pyarrow.parquet.ParquetWriter`` (zstd,
  as the export) on an in-memory buffer, tables gathered into row groups of 10,000 rows as the
  export gathers them (one small row group per batch would make the baseline slower);
* CSV: ``pyarrow.json.read_json`` on each batch, structs flattened to dotted columns,
  ``pyarrow.csv.CSVWriter`` on an in-memory buffer;
* JSON Lines: pyarrow has no JSON writer, and parsing would only slow the baseline down, so it
  copies the batch bytes into the buffer and counts the lines (the fastest way there is);
* then it uploads the whole file with one ``put_object``.

Why that is a fair yardstick: it reads the same objects from the same server and writes the
same format with the same pyarrow writers, with none of the export's obligations, so every
difference is what the export's guarantees cost. It favours the baseline where it is simpler:
it never checks ids (the export drops a repeated record), never keeps dates as the exact text
they were written in, never widens a type or falls back to an exact path, never hashes the
file (the export's manifest has its SHA-256) and never bounds memory: it holds the whole file
and sends it in one request, which a 1 GB dataset in a Lambda cannot afford, while the export
streams it in a multipart upload (and moto, unlike S3, copies every part again to complete
one). What it leaves out is only what a plain script would: threads (the export reads ahead
and uploads parts in the background) and the exact path's care for mixed types, which these
uniform records never need.

Targets (issue 5): peak RSS of the export under 512 MB and throughput ratio at least 0.8 for
every format. Exits 1 when one is missed. The last line is ``RESULT name=value ...``; beside
the figures it shows how long each export waited for CompleteMultipartUpload (timed around the
client call, for information only: moto assembles the object by copying every part, which S3
does not need to).

    python bench/exports.py [--records 1000000] [--batch 1000] [--repeat 1] [--formats csv]
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
from dataclasses import dataclass
from typing import Any

import boto3

BUCKET = "bench-exports"
JOB = "bench-job"
MAX_RSS_MB = 512
MIN_RATIO = 0.8
FORMATS = ("jsonl", "parquet", "csv")
MOTO_KEY_BUFFER = 8 * 1024**3

EXPORT = """
import boto3, sys, time
from plot_palette.exports import run_export
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
completing = [0.0]
complete = s3.complete_multipart_upload
def timed_complete(**kwargs):  # only timed, to show what the local S3's assembly costs
    started = time.perf_counter()
    try:
        return complete(**kwargs)
    finally:
        completing[0] += time.perf_counter() - started
s3.complete_multipart_upload = timed_complete
event = {"job_id": sys.argv[2], "format": sys.argv[3]}
records = run_export(event, s3_client=s3, bucket=sys.argv[4])["records"]
print(f"{completing[0]:.3f}")
print(records)
"""

BASELINE = """
import io, sys, boto3, pyarrow as pa, pyarrow.csv as pc, pyarrow.json as pj, pyarrow.parquet as pq
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
job, fmt, bucket = sys.argv[2], sys.argv[3], sys.argv[4]
pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"jobs/{job}/outputs/")
keys = sorted(o["Key"] for page in pages for o in page.get("Contents", []))
sink = io.BytesIO()
writer = None
count = 0
pending = []
ROW_GROUP_ROWS = 10_000
for key in keys:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if fmt == "jsonl":
        sink.write(body)
        count += body.count(b"\\n")
        continue
    table = pj.read_json(io.BytesIO(body))
    count += table.num_rows
    if fmt == "csv":
        while any(pa.types.is_struct(field.type) for field in table.schema):
            table = table.flatten()
        writer = writer or pc.CSVWriter(sink, table.schema)
        writer.write_table(table)
        continue
    writer = writer or pq.ParquetWriter(sink, table.schema, compression="zstd")
    pending.append(table)
    if sum(part.num_rows for part in pending) >= ROW_GROUP_ROWS:
        writer.write_table(pa.concat_tables(pending))
        pending = []
if pending:
    writer.write_table(pa.concat_tables(pending))
if writer is not None:
    writer.close()
s3.put_object(Bucket=bucket, Key=f"baseline/{job}/dataset.{fmt}", Body=sink.getvalue())
print(count)
"""


@dataclass
class Run:
    """One process's figures: wall seconds, peak RSS in MB, records written, and the seconds
    the export waited for CompleteMultipartUpload (0 for the baseline)."""

    seconds: float
    rss_mb: float
    records: int
    completing: float = 0.0


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


def seed(s3: Any, records: int, batch: int) -> None:
    for number, start in enumerate(range(0, records, batch)):
        body = "".join(
            json.dumps(record(n)) + "\n" for n in range(start, min(start + batch, records))
        )
        s3.put_object(
            Bucket=BUCKET, Key=f"jobs/{JOB}/outputs/batch-{number:05d}.jsonl", Body=body.encode()
        )
    committed = (records + batch - 1) // batch
    s3.put_object(
        Bucket=BUCKET,
        Key=f"jobs/{JOB}/checkpoint.json",
        Body=json.dumps({"current_batch": committed}).encode(),
    )


def measure(script: str, url: str, fmt: str) -> Run:
    """One export (or baseline) in its own process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", script, url, JOB, fmt, BUCKET], stdout=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    output = process.stdout.read().decode().strip() if process.stdout else ""
    if status != 0:
        raise SystemExit(f"{fmt}: the process failed ({status})")
    lines = output.splitlines()
    completing = float(lines[-2]) if len(lines) > 1 else 0.0
    return Run(elapsed, usage.ru_maxrss / 1024, int(lines[-1]), completing)


def clear_outputs(s3: Any) -> None:
    """Delete what the runs wrote, so moto's memory holds the batches and nothing more."""
    for prefix in (f"jobs/{JOB}/exports/", "baseline/"):
        for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=item["Key"])


def fastest(script: str, url: str, fmt: str, s3: Any, repeat: int, expected: int) -> Run:
    """The fastest of ``repeat`` runs; peak RSS is the highest any run reached."""
    runs = []
    for _ in range(repeat):
        runs.append(measure(script, url, fmt))
        clear_outputs(s3)
        if runs[-1].records != expected:
            raise SystemExit(f"{fmt}: wrote {runs[-1].records:,} records, not {expected:,}")
    best = min(runs, key=lambda run: run.seconds)
    return Run(best.seconds, max(run.rss_mb for run in runs), best.records, best.completing)


def start_moto(port: int) -> subprocess.Popen[bytes]:
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
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return moto


def main() -> int:
    parser = argparse.ArgumentParser(description="export throughput and memory")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; the fastest counts")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated")
    arguments = parser.parse_args()
    formats = [name for name in arguments.formats.split(",") if name]
    if unknown := set(formats) - set(FORMATS):
        parser.error(f"unknown formats: {', '.join(sorted(unknown))}")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "bench")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    moto = start_moto(port)
    missed = False
    results = []
    try:
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        started = time.perf_counter()
        seed(s3, arguments.records, arguments.batch)
        print(
            f"seeded {arguments.records:,} records of ~1 KB "
            f"in {time.perf_counter() - started:.1f} s"
        )
        for fmt in formats:
            base = fastest(BASELINE, url, fmt, s3, arguments.repeat, arguments.records)
            export = fastest(EXPORT, url, fmt, s3, arguments.repeat, arguments.records)
            rate, base_rate = export.records / export.seconds, base.records / base.seconds
            ratio = rate / base_rate
            results.append((fmt, rate, export.rss_mb, ratio, base_rate, export.completing))
            missed |= export.rss_mb >= MAX_RSS_MB or ratio < MIN_RATIO
            print(
                f"{fmt:8} {rate:10,.0f} records/s  peak RSS {export.rss_mb:6.0f} MB  "
                f"| baseline {base_rate:10,.0f} records/s, {base.rss_mb:6.0f} MB  "
                f"| ratio {ratio:.2f}  (of the export's {export.seconds:.1f} s, "
                f"{export.completing:.1f} s waiting for moto to assemble the parts)",
                flush=True,
            )
    finally:
        moto.terminate()
        moto.wait()
    print(
        "RESULT "
        + " ".join(
            f"{fmt}_records_per_s={rate:.0f} {fmt}_peak_rss_mb={rss:.0f} {fmt}_ratio={ratio:.2f} "
            f"{fmt}_baseline_records_per_s={base_rate:.0f} {fmt}_complete_s={completing:.1f}"
            for fmt, rate, rss, ratio, base_rate, completing in results
        )
        + f" records={arguments.records}"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
