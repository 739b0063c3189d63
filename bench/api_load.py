"""Load on the local HTTP API: throughput and p50/p95 latency of GET /jobs and GET /dashboard/{id}.

Starts the embedded local cloud, signs a user up through the local user pool, runs a few small
jobs so the lists and dashboards have content, then offers each route increasing request rates
(open loop: requests are sent on schedule whether or not earlier ones have returned, from a
pool of client threads) and measures what comes back. Every request goes the whole way: HTTP,
the JWT authorizer, an API Gateway v2 event, the api Lambda (one execution environment, taking
one request at a time: see ``local/lambda_runner.py``) and moto's DynamoDB and S3.

The baseline, measured in the same run, is the api Lambda's handler called in-process with the
same event (no HTTP, no authorizer): ``overhead`` is p50 over the baseline's p50.

    python bench/api_load.py [--rates 10,25,50,100] [--seconds 5] [--jobs 10]

The issue names no latency target; the script exits 1 if any request fails (non-2xx).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def drive(url: str, token: str, rate: float, seconds: float, workers: int) -> dict[str, Any]:
    """Send ``rate`` requests a second for ``seconds``; return latencies and failures."""
    local = threading.local()
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        http = getattr(local, "http", None)
        if http is None:
            http = local.http = requests.Session()
            http.headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        response = http.get(url, timeout=60)
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if response.status_code >= 300:
                failures.append(response.status_code)

    total = int(rate * seconds)
    begin = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for number in range(total):
            due = begin + number / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one)
    wall = time.perf_counter() - begin
    return {
        "offered": rate,
        "achieved": len(latencies) / wall,
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p95_ms": 1000 * percentile(latencies, 0.95),
        "failures": len(failures),
    }


def baseline_ms(cloud: Any, event: dict[str, Any], runs: int = 200) -> float:
    """p50 of the api function invoked in-process with the same event (no HTTP, no authorizer)."""
    api = next(spec for spec in cloud.lambdas.functions() if "ApiFunction" in spec.name)
    cloud.lambdas.invoke(api.name, event)  # warm
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        cloud.lambdas.invoke(api.name, event)
        timings.append(time.perf_counter() - started)
    return 1000 * statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="10,25,50,100,200")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=32)
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]

    import os

    os.environ["PLOT_PALETTE_HOME"] = tempfile.mkdtemp(prefix="plot-palette-bench-")
    from plot_palette.local import cognito_mail
    from plot_palette.local.cloud import LocalCloud

    with LocalCloud(write_state_file=False, model_latency_ms=1) as cloud:
        endpoints = cloud.endpoints
        idp = cloud.client("cognito-idp")
        email, password = "bench@example.com", "Bench-Password-123!"
        user_sub = idp.sign_up(
            ClientId=endpoints.cli_client_id,
            Username=email,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email}],
        )["UserSub"]
        idp.confirm_sign_up(
            ClientId=endpoints.cli_client_id,
            Username=email,
            ConfirmationCode=cognito_mail.latest_code(email) or "",
        )
        token = idp.initiate_auth(
            ClientId=endpoints.cli_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )["AuthenticationResult"]["AccessToken"]
        headers = {"Authorization": f"Bearer {token}"}
        job_ids = []
        for number in range(args.jobs):
            created = requests.post(
                endpoints.api_url + "/jobs",
                headers=headers,
                json={
                    "name": f"bench {number}",
                    "template_id": "poem-questions",
                    "sample_dataset": "poetry",
                    "records": 20,
                    "budget_usd": 1,
                },
                timeout=60,
            )
            created.raise_for_status()
            job_ids.append(created.json()["job"]["job_id"])
        for job_id in job_ids:
            cloud.wait_for_execution(job_id, timeout=600)

        routes = {"GET /jobs": "/jobs", "GET /dashboard/{id}": f"/dashboard/{job_ids[0]}"}
        figures: dict[str, float] = {}
        failed = 0
        print(f"{'route':<22}{'offered/s':>10}{'achieved/s':>12}{'p50 ms':>9}{'p95 ms':>9}")
        for label, path in routes.items():
            event_path = path
            # The baseline reads the same user's data: the claims are the token's.
            claims = {"sub": user_sub, "token_use": "access"}
            event = {
                "version": "2.0",
                "routeKey": "ANY /{proxy+}",
                "rawPath": event_path,
                "rawQueryString": "",
                "headers": {"authorization": "x"},
                "requestContext": {
                    "http": {"method": "GET", "path": event_path, "sourceIp": "127.0.0.1"},
                    "authorizer": {"jwt": {"claims": claims, "scopes": None}},
                    "requestId": "bench",
                    "routeKey": "ANY /{proxy+}",
                    "stage": "$default",
                },
                "isBase64Encoded": False,
            }
            base = baseline_ms(cloud, event)
            print(f"{label:<22}{'baseline':>10}{'':>12}{base:>9.1f}")
            best = 0.0
            first: dict[str, Any] | None = None
            for rate in rates:
                result = drive(endpoints.api_url + path, token, rate, args.seconds, args.workers)
                failed += result["failures"]
                best = max(best, result["achieved"])
                first = first or result
                print(
                    f"{label:<22}{result['offered']:>10.0f}{result['achieved']:>12.1f}"
                    f"{result['p50_ms']:>9.1f}{result['p95_ms']:>9.1f}"
                    + (f"  {result['failures']} failed" if result["failures"] else "")
                )
            assert first is not None
            key = "jobs" if label == "GET /jobs" else "dashboard"
            figures[f"{key}_max_rps"] = best
            figures[f"{key}_p50_ms"] = first["p50_ms"]
            figures[f"{key}_p95_ms"] = first["p95_ms"]
            # At the lowest rate nothing queues: what HTTP and the authorizer add per request.
            figures[f"{key}_overhead"] = first["p50_ms"] / base if base else float("nan")
        api_name = next(s.name for s in cloud.lambdas.functions() if "ApiFunction" in s.name)
        print(
            f"api function execution environments started: {cloud.lambdas.environments(api_name)}"
        )
    summary = " ".join(f"{name}={value:.2f}" for name, value in figures.items())
    print(f"RESULT {summary} failures={failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
