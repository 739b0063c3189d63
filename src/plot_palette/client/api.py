"""Typed calls to the HTTP API; a 4xx becomes an ``ApiError`` carrying the server's message.

Submissions (``create_job``, ``create_batch``) carry an ``Idempotency-Key`` and are sent again,
with the same key and body, when the answer is lost (a timeout, a dropped connection), when the
server fails (5xx, 429), and while the first try is still in progress (409 with
``Retry-After``): the API creates the job once and answers every try with it.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from plot_palette.errors import PlotPaletteError

TIMEOUT_SECONDS = 30
IDEMPOTENCY_HEADER = "Idempotency-Key"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class ApiError(PlotPaletteError):
    """The API refused a request; ``str()`` is the server's message.

    ``status`` is 0 when no answer came (unreachable, timed out); ``retry_after`` is the
    seconds the server's ``Retry-After`` asked for, if it sent one.
    """

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """Whether sending the same submission again (same key) may succeed."""
        if self.status == 409:
            # Only "in progress" carries Retry-After; any other conflict would conflict again.
            return self.retry_after is not None
        return self.status == 0 or self.status in RETRIED_STATUSES


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a submission is sent again.

    Exponential backoff with jitter, never sooner than the server's ``Retry-After``. The
    defaults wait at least 40 s in all, longer than the api function's own timeout (29 s): by
    the last try, a first request the client gave up on has finished, or died and freed its key.
    """

    attempts: int = 10
    first_delay: float = 0.5
    max_delay: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    # Told of each retry before its wait (the CLI prints it).
    on_retry: Callable[[ApiError, float], None] | None = None

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        backoff = min(self.max_delay, self.first_delay * 2**retry)
        # Jitter keeps many clients that failed together from retrying together.
        jittered = backoff * (0.75 + random.random() / 4)
        return max(jittered, retry_after or 0.0)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: we only send seconds, and any number of them will do


class ApiClient:
    """One signed-in user's view of the API."""

    def __init__(
        self,
        api_url: str,
        token: str,
        http: requests.Session | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._url = api_url.rstrip("/")
        self._http = http or requests.Session()
        self._headers = {"Authorization": f"Bearer {token}"}
        self._retry = retry or RetryPolicy()

    def _call(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Any:
        try:
            response = self._http.request(
                method,
                self._url + path,
                headers={**self._headers, **(headers or {})},
                timeout=TIMEOUT_SECONDS,
                **kwargs,
            )
        except requests.RequestException as error:
            raise ApiError(0, f"cannot reach the API at {self._url}: {error}") from None
        if response.status_code >= 400:
            try:
                message = response.json().get("message") or response.reason
            except ValueError:
                message = response.text[:200] or response.reason
            raise ApiError(
                response.status_code,
                f"{message} (HTTP {response.status_code})",
                retry_after=_retry_after(response),
            )
        return response.json()

    def _submit(self, path: str, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        """POST a submission under one Idempotency-Key, sent again while that may succeed."""
        headers = {IDEMPOTENCY_HEADER: key or str(uuid.uuid4())}
        retry = 0
        while True:
            try:
                result: dict[str, Any] = self._call("POST", path, headers=headers, json=body)
                return result
            except ApiError as error:
                if not error.retryable or retry + 1 >= self._retry.attempts:
                    raise
                wait = self._retry.delay(retry, error.retry_after)
                if self._retry.on_retry is not None:
                    self._retry.on_retry(error, wait)
                self._retry.sleep(wait)
                retry += 1

    def create_job(
        self, request: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """``POST /jobs`` once: every try of this call carries the same key (a new UUID unless
        one is given), so a lost answer never queues the job twice."""
        return self._submit("/jobs", request, idempotency_key)

    def list_jobs(self, limit: int = 25, cursor: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        result: dict[str, Any] = self._call("GET", "/jobs", params=params)
        return result

    def quotas(self) -> dict[str, Any]:
        """The caller's quotas and what is used of them."""
        result: dict[str, Any] = self._call("GET", "/quotas")
        return result

    def get_job(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/jobs/{job_id}")
        return result

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("DELETE", f"/jobs/{job_id}")
        return result

    def dashboard(self, job_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/dashboard/{job_id}")
        return result

    def upload_seed_data(self, data: bytes, filename: str) -> str:
        """Upload a seed file through a presigned PUT; return its key for ``create_job``."""
        upload = self._call(
            "POST",
            "/seed-data",
            json={
                "filename": filename,
                "content_type": "application/x-ndjson",
                "size_bytes": len(data),
            },
        )
        try:
            response = requests.put(
                upload["upload_url"], data=data, headers=upload["headers"], timeout=300
            )
        except requests.RequestException as error:
            raise ApiError(0, f"the upload failed: {error}") from None
        if response.status_code >= 300:
            raise ApiError(response.status_code, f"the upload was refused: {response.text[:200]}")
        return str(upload["key"])

    def download(self, url: str, target: Path) -> Path:
        """Stream a presigned download to ``target``."""
        target.parent.mkdir(parents=True, exist_ok=True)
        with requests.get(url, stream=True, timeout=300) as response:
            if response.status_code != 200:
                raise ApiError(response.status_code, "the download link was refused")
            with target.open("wb") as handle:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    handle.write(chunk)
        return target

    def export_template(self, template_id: str, version: int | None = None) -> str:
        """One of the caller's templates (a version, or the latest) as YAML text."""
        params = {"version": version} if version is not None else {}
        result = self._call("GET", f"/templates/{template_id}/export", params=params)
        return str(result["yaml"])

    def import_template(self, yaml_text: str) -> dict[str, Any]:
        """Save a YAML template file as a new template of the caller's."""
        result: dict[str, Any] = self._call("POST", "/templates/import", json={"yaml": yaml_text})
        return result

    def search_gallery(
        self, query: str = "", sort: str = "recent", limit: int = 20, cursor: str | None = None
    ) -> dict[str, Any]:
        """A page of published templates matching ``query``."""
        params: dict[str, Any] = {"q": query, "sort": sort, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        result: dict[str, Any] = self._call("GET", "/gallery", params=params)
        return result

    def fork_gallery_template(self, gallery_id: str) -> dict[str, Any]:
        """Copy a published template into the caller's templates."""
        result: dict[str, Any] = self._call("POST", f"/gallery/{gallery_id}/fork")
        return result

    def request_snapshot(self, job_id: str) -> dict[str, Any]:
        """Ask for a download of the records a job has made so far (prepared asynchronously)."""
        result: dict[str, Any] = self._call("POST", f"/jobs/{job_id}/snapshot")
        return result

    def snapshot(self, job_id: str) -> dict[str, Any]:
        """The state of a job's partial download: NONE, PREPARING, or READY with its link."""
        result: dict[str, Any] = self._call("GET", f"/jobs/{job_id}/snapshot")
        return result

    def quality(self, job_id: str) -> dict[str, Any]:
        """``GET /jobs/{id}/quality``: the full quality report of a finished job."""
        result: dict[str, Any] = self._call("GET", f"/jobs/{job_id}/quality")
        return result

    def test_run(self, request: dict[str, Any]) -> dict[str, Any]:
        """``POST /templates/test-run``: a template's steps on 1-5 seeds, every prompt shown."""
        result: dict[str, Any] = self._call("POST", "/templates/test-run", json=request)
        return result

    def generate_seed_data(self, request: dict[str, Any]) -> dict[str, Any]:
        """``POST /seed-data/generate``: a saved JSONL file of seeds for a template's fields."""
        result: dict[str, Any] = self._call("POST", "/seed-data/generate", json=request)
        return result

    def create_batch(
        self, request: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """``POST /batches``: every job of a sweep checked, estimated and queued, once (as
        ``create_job``)."""
        return self._submit("/batches", request, idempotency_key)

    def get_batch(self, batch_id: str) -> dict[str, Any]:
        """``GET /batches/{id}``: the batch's status and its jobs side by side."""
        result: dict[str, Any] = self._call("GET", f"/batches/{batch_id}")
        return result

    def cost_analytics(self, days: int = 30) -> dict[str, Any]:
        """``GET /analytics/costs``: spend over 7, 30 or 90 days by day, week, model, template."""
        result: dict[str, Any] = self._call("GET", "/analytics/costs", params={"days": days})
        return result

    def notification_settings(self) -> dict[str, Any]:
        """``GET /settings/notifications``: email on/off, webhook URL, events, has a secret."""
        result: dict[str, Any] = self._call("GET", "/settings/notifications")
        return result

    def save_notification_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """``PUT /settings/notifications`` (the whole settings; the first save creates a secret)."""
        result: dict[str, Any] = self._call("PUT", "/settings/notifications", json=settings)
        return result

    def rotate_notification_secret(self) -> dict[str, Any]:
        """``POST /settings/notifications/rotate-secret``: a new signing secret, shown once."""
        result: dict[str, Any] = self._call("POST", "/settings/notifications/rotate-secret")
        return result

    def send_test_notification(self) -> dict[str, Any]:
        """``POST /settings/notifications/test``: a TEST event now; what each channel did."""
        result: dict[str, Any] = self._call("POST", "/settings/notifications/test")
        return result
