"""Another user's request while a hostile template is test-run: how long it waits, end to end.

Starts the embedded local cloud and signs two users up. For each hostile template of
``tests/unit/templates/test_hostile_templates.py`` user A test-runs it on five seed records
(``POST /templates/test-run``: every render under the render budget) while user B, a moment
after A's request went out, lists their jobs (``GET /jobs``). Every request goes the whole way:
HTTP, the JWT authorizer, the api Lambda and moto. The baseline, measured in the same run, is
B's ``GET /jobs`` with nothing else going on (median of 20).

Target (issue 16): B is answered within 1 s during every hostile test run, and no test run is a
5xx. Exits 1 when missed.

    python bench/hostile_api.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 1.0
PASSWORD = "Bench-Password-123!"  # noqa: S105 - a throwaway user of a local pool


def sign_up(cloud: Any, email: str) -> str:
    """A confirmed, signed-in user of the local pool; their access token."""
    from plot_palette.local import cognito_mail

    idp = cloud.client("cognito-idp")
    client_id = cloud.endpoints.cli_client_id
    idp.sign_up(
        ClientId=client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    code = cognito_mail.latest_code(email) or ""
    idp.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)
    return str(
        idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]["AccessToken"]
    )


def timed_get(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    response = session.get(url, timeout=120)
    response.raise_for_status()
    return time.perf_counter() - started


def main() -> int:
    os.environ["PLOT_PALETTE_HOME"] = tempfile.mkdtemp(prefix="plot-palette-bench-")
    from tests.unit.templates.test_hostile_templates import HOSTILE

    from plot_palette.local.cloud import LocalCloud

    with LocalCloud(write_state_file=False, model_latency_ms=1) as cloud:
        api = cloud.endpoints.api_url
        attacker, other = requests.Session(), requests.Session()
        attacker.headers["Authorization"] = f"Bearer {sign_up(cloud, 'a@example.com')}"
        other.headers["Authorization"] = f"Bearer {sign_up(cloud, 'b@example.com')}"
        for _ in range(3):
            timed_get(other, api + "/jobs")  # warm
        baseline = statistics.median(timed_get(other, api + "/jobs") for _ in range(20))

        worst, worst_name, server_errors = 0.0, "", 0
        print(f"{'hostile template':<36}{'test run':>10}{'s':>7}{'GET /jobs ms':>14}")
        for name, prompt in HOSTILE.items():
            body = {
                "template": {"steps": [{"id": "s", "prompt": prompt, "model_tier": "cheap"}]},
                "seeds": [{"x": "value", "n": number} for number in range(5)],
            }
            outcome: dict[str, Any] = {}

            def attack(request: dict[str, Any] = body, into: dict[str, Any] = outcome) -> None:
                started = time.perf_counter()
                response = attacker.post(api + "/templates/test-run", json=request, timeout=120)
                into.update(status=response.status_code, seconds=time.perf_counter() - started)

            thread = threading.Thread(target=attack)
            thread.start()
            time.sleep(0.05)  # A's request is on its way
            waited = timed_get(other, api + "/jobs")
            thread.join()
            server_errors += outcome["status"] >= 500
            if waited > worst:
                worst, worst_name = waited, name
            print(
                f"{name:<36}{outcome['status']:>10}{outcome['seconds']:>7.2f}{1000 * waited:>14.0f}"
            )
    print(f"worst: {1000 * worst:.0f} ms during {worst_name!r}; idle: {1000 * baseline:.0f} ms")
    print(
        f"RESULT worst_ms={1000 * worst:.0f} baseline_ms={1000 * baseline:.0f} "
        f"ratio={worst / baseline:.2f} hostile={len(HOSTILE)} server_errors={server_errors}"
    )
    return 1 if worst > TARGET_SECONDS or server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
