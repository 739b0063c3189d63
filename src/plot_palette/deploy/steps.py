"""The steps of ``make deploy`` after ``sam deploy``: the worker image, the dashboard, samples.

Each step is safe to repeat: the image is rebuilt and pushed under the same tag, the dashboard
is published again as a new Amplify deployment, the sample datasets are written again under
the same keys. Every wait polls AWS with a bound and says what it waited for when it gives up.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from plot_palette.errors import PlotPaletteError

SOURCE_KEY = "deploy/worker-source.zip"
SAMPLES_PREFIX = "sample-datasets/"
# What `docker build -f worker/Dockerfile .` reads from the repository (see the Dockerfile).
WORKER_SOURCES = ("pyproject.toml", "README.md", "worker", "src/plot_palette")
_SKIPPED_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache"}


class DeployError(PlotPaletteError):
    """A deploy step that did not succeed, in words a person can act on."""


def _files(root: Path, entries: tuple[str, ...]) -> Iterator[Path]:
    for entry in entries:
        path = root / entry
        if path.is_file():
            yield path
        elif path.is_dir():
            for found in sorted(path.rglob("*")):
                skipped = _SKIPPED_PARTS & set(found.parts) or found.name.endswith(".pyc")
                if found.is_file() and not skipped:
                    yield found
        else:
            raise DeployError(f"{path} is missing: run make deploy from the repository root")


def zipped(root: Path, entries: tuple[str, ...] = WORKER_SOURCES) -> bytes:
    """A zip of ``entries`` under ``root``, paths relative to ``root``, in a stable order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in _files(root, entries):
            archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def wait_for(
    check: Callable[[], str | None],
    *,
    what: str,
    timeout: float,
    every: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Call ``check`` until it returns a final status; ``DeployError`` after ``timeout``."""
    deadline = clock() + timeout
    while True:
        status = check()
        if status is not None:
            return status
        if clock() >= deadline:
            raise DeployError(f"gave up waiting for {what} after {timeout:.0f} s")
        sleep(every)


def build_worker_image(
    s3: Any,
    codebuild: Any,
    *,
    bucket: str,
    project: str,
    tag: str,
    root: Path,
    timeout: float = 1800,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Upload the worker's sources and build and push its image in CodeBuild; the build id."""
    s3.put_object(Bucket=bucket, Key=SOURCE_KEY, Body=zipped(root))
    build = codebuild.start_build(
        projectName=project,
        environmentVariablesOverride=[{"name": "IMAGE_TAG", "value": tag, "type": "PLAINTEXT"}],
    )["build"]
    build_id = str(build["id"])
    details: dict[str, Any] = {}

    def finished() -> str | None:
        details.update(codebuild.batch_get_builds(ids=[build_id])["builds"][0])
        status = str(details.get("buildStatus", "IN_PROGRESS"))
        return None if status == "IN_PROGRESS" else status

    status = wait_for(
        finished, what=f"the worker image build {build_id}", timeout=timeout, every=15, sleep=sleep
    )
    if status != "SUCCEEDED":
        logs = details.get("logs", {}).get("deepLink", "the CodeBuild console")
        raise DeployError(f"the worker image build ended {status}: see {logs}")
    return build_id


def publish_to_amplify(
    amplify: Any,
    *,
    app_id: str,
    branch: str,
    archive: bytes,
    upload: Callable[[str, bytes], None],
    timeout: float = 900,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Publish a zip of the dashboard as a manual Amplify deployment; the job id."""
    deployment = amplify.create_deployment(appId=app_id, branchName=branch)
    job_id = str(deployment["jobId"])
    upload(str(deployment["zipUploadUrl"]), archive)
    amplify.start_deployment(appId=app_id, branchName=branch, jobId=job_id)

    def finished() -> str | None:
        status = str(
            amplify.get_job(appId=app_id, branchName=branch, jobId=job_id)["job"]["summary"][
                "status"
            ]
        )
        return status if status in ("SUCCEED", "FAILED", "CANCELLED") else None

    status = wait_for(
        finished, what=f"Amplify deployment {job_id}", timeout=timeout, every=5, sleep=sleep
    )
    if status != "SUCCEED":
        raise DeployError(
            f"the dashboard deployment {job_id} ended {status} (see the Amplify console)"
        )
    return job_id


def sync_sample_datasets(s3: Any, bucket: str, root: Path) -> list[str]:
    """Write every file under ``root`` to ``sample-datasets/`` in the bucket; the keys."""
    keys = []
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        if path.is_file():
            key = SAMPLES_PREFIX + path.relative_to(root).as_posix()
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            keys.append(key)
    return keys
