"""``plot-palette`` commands. Each one wires arguments to the package and prints for people.

Errors a user can cause (a bad job spec, no local cloud running) print one line and exit 1;
nothing is queued when a spec is invalid.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from plot_palette.errors import LocalCloudError, PlotPaletteError
from plot_palette.jobs.admission import Admission
from plot_palette.jobs.cancel import cancel_job
from plot_palette.jobs.spec import load_job_spec
from plot_palette.jobs.status import JobStatus
from plot_palette.jobs.store import ConfigStore, JobsStore, QueueStore
from plot_palette.jobs.submit import Stores, submit_job
from plot_palette.jobs.views import export_keys, failure_message
from plot_palette.local.cloud import PROJECT_ROOT, Endpoints, LocalCloud, running_instance

app = typer.Typer(
    help="Plot Palette: synthetic LLM training data on Fargate Spot + Bedrock.",
    no_args_is_help=True,
)
local_app = typer.Typer(
    help="The embedded local cloud (no AWS account, no Docker).", no_args_is_help=True
)
app.add_typer(local_app, name="local")
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)
DEFAULT_USER = "local-user"
DEMO_SPEC = PROJECT_ROOT / "examples" / "poetry-job.yaml"


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=1)


def _connect() -> Endpoints:
    endpoints = running_instance()
    if endpoints is None:
        raise _fail("no local cloud is running; start one with `plot-palette local up`")
    return endpoints


def _stores(endpoints: Endpoints) -> Stores:
    s3, dynamodb = endpoints.client("s3"), endpoints.client("dynamodb")
    return Stores(
        s3=s3,
        bucket=endpoints.bucket,
        jobs=JobsStore(dynamodb, endpoints.jobs_table),
        queue=QueueStore(dynamodb, endpoints.queue_table),
        configs=ConfigStore(s3, endpoints.bucket),
    )


@local_app.command("up")
def local_up(
    max_concurrent_jobs: Annotated[int, typer.Option(help="MaxConcurrentJobs parameter")] = 5,
    model_latency_ms: Annotated[int, typer.Option(help="latency of the local model")] = 20,
) -> None:
    """Start the local cloud in the foreground; Ctrl-C stops it and every worker."""
    if (other := running_instance()) is not None:
        raise _fail(f"a local cloud is already running (pid {other.pid}, {other.endpoint_url})")
    cloud = LocalCloud(
        parameters={"MaxConcurrentJobs": max_concurrent_jobs}, model_latency_ms=model_latency_ms
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        endpoints = cloud.start()
        console.print(f"local cloud up at [bold]{endpoints.endpoint_url}[/] (pid {endpoints.pid})")
        console.print(f"  bucket         {endpoints.bucket}")
        console.print(f"  state machine  {endpoints.state_machine_arn}")
        console.print(f"  model endpoint {endpoints.model_endpoint_url}")
        console.print(f"  worker logs    {endpoints.log_dir}")
        console.print("press Ctrl-C to stop")
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    finally:
        cloud.stop()
        console.print("local cloud stopped")


@local_app.command("down")
def local_down(timeout: float = 30.0) -> None:
    """Stop the running local cloud."""
    endpoints = running_instance()
    if endpoints is None:
        console.print("no local cloud is running")
        return
    import os

    os.kill(endpoints.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while running_instance() is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    if running_instance() is not None:
        raise _fail(f"local cloud (pid {endpoints.pid}) did not stop within {timeout:.0f}s")
    console.print("local cloud stopped")


def _submit(endpoints: Endpoints, spec_path: Path, user: str) -> dict[str, Any]:
    spec, template, seeds = load_job_spec(spec_path)
    return submit_job(spec, template, seeds, user_id=user, stores=_stores(endpoints))


@app.command()
def submit(
    jobspec: Annotated[Path, typer.Argument(help="job spec file (YAML or JSON)")],
    user: Annotated[str, typer.Option(help="owner of the job")] = DEFAULT_USER,
) -> None:
    """Validate a job spec and queue the job."""
    endpoints = _connect()
    try:
        job = _submit(endpoints, jobspec, user)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print(
        f"queued job [bold]{job['job_id']}[/] ({job['record_count']} records, "
        f"budget ${job['budget_usd']:.2f})"
    )


@app.command()
def status(
    job_id: Annotated[str | None, typer.Argument()] = None, user: str = DEFAULT_USER
) -> None:
    """Show one job, or the user's jobs."""
    stores = _stores(_connect())
    try:
        jobs = [stores.jobs.get(job_id)] if job_id else stores.jobs.list_for_user(user)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    table = Table("name", "status", "records", "cost", "budget")
    table.add_column("job", no_wrap=True, min_width=36)
    for job in jobs:
        table.add_row(
            job.get("name", ""),
            job["status"],
            f"{job.get('records_generated', 0)}/{job['record_count']}",
            f"${job.get('cost_usd', 0):.4f}",
            f"${job['budget_usd']:.2f}",
            job["job_id"],
        )
    console.print(table)


def watch_job(
    jobs: JobsStore, job_id: str, *, poll: float = 0.5, timeout: float = 3600
) -> dict[str, Any]:
    """Show a live progress bar until the job reaches a final status; return the job."""
    job = jobs.get(job_id)
    columns = (
        TextColumn("[bold]{task.fields[status]:<15}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} records"),
        TextColumn("${task.fields[cost]:.4f} of ${task.fields[budget]:.2f}"),
    )
    deadline = time.monotonic() + timeout
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task(
            "job",
            total=job["record_count"],
            status=job["status"],
            cost=0.0,
            budget=job["budget_usd"],
        )
        while time.monotonic() < deadline:
            job = jobs.get(job_id)
            progress.update(
                bar,
                completed=job.get("records_generated", 0),
                status=job["status"],
                cost=float(job.get("cost_usd", 0.0)),
            )
            if JobStatus(job["status"]).final:
                return job
            time.sleep(poll)
    raise LocalCloudError(f"job {job_id} did not finish within {timeout:.0f}s")


@app.command()
def cancel(job_id: str, user: str = DEFAULT_USER) -> None:
    """Cancel a queued or running job (what a running job made is still exported)."""
    endpoints = _connect()
    stores = _stores(endpoints)
    admission = Admission(
        dynamodb=endpoints.client("dynamodb"),
        sfn=endpoints.client("stepfunctions"),
        queue_table=endpoints.queue_table,
        limit=0,  # cancelling never grants a slot
    )
    try:
        job = cancel_job(
            job_id,
            user,
            jobs=stores.jobs,
            admission=admission,
            ecs=endpoints.client("ecs"),
            cluster=endpoints.cluster,
        )
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print(f"job {job_id}: {job['status']}")


@app.command()
def watch(job_id: str) -> None:
    """Follow a job until it ends."""
    stores = _stores(_connect())
    try:
        job = watch_job(stores.jobs, job_id)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print(f"job {job_id}: {job['status']}")


def _download(endpoints: Endpoints, job: dict[str, Any], out_dir: Path) -> Path:
    key = export_keys(job).get("jsonl")
    if not key:
        raise LocalCloudError(f"job {job['job_id']} has no JSONL export (status {job['status']})")
    target = out_dir / job["job_id"] / "dataset.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    endpoints.client("s3").download_file(endpoints.bucket, key, str(target))
    return target


@app.command()
def download(
    job_id: str, out: Annotated[Path, typer.Option(help="directory")] = Path("out")
) -> None:
    """Download a finished job's dataset.jsonl."""
    endpoints = _connect()
    stores = _stores(endpoints)
    try:
        target = _download(endpoints, stores.jobs.get(job_id), out)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print(f"dataset written to {target}")


@app.command()
def demo(
    jobspec: Annotated[Path, typer.Argument(help="job spec to run")] = DEMO_SPEC,
    out: Annotated[Path, typer.Option(help="where to put the dataset")] = Path("out"),
    model_latency_ms: Annotated[int, typer.Option(help="latency of the local model")] = 20,
) -> None:
    """Start the local cloud, run a job end to end, download its dataset, stop everything."""
    if (other := running_instance()) is not None:
        raise _fail(f"a local cloud is already running (pid {other.pid}); stop it first")
    try:
        load_job_spec(jobspec)  # a bad spec fails before anything starts
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    cloud = LocalCloud(model_latency_ms=model_latency_ms)
    try:
        endpoints = cloud.start()
        console.print(f"local cloud up at {endpoints.endpoint_url}")
        job = _submit(endpoints, jobspec, DEFAULT_USER)
        console.print(f"submitted job [bold]{job['job_id']}[/] ({job['record_count']} records)")
        job = watch_job(_stores(endpoints).jobs, job["job_id"])
        if job["status"] not in (JobStatus.COMPLETED, JobStatus.BUDGET_EXCEEDED):
            raise LocalCloudError(f"job ended {job['status']}: {failure_message(job)}")
        target = _download(endpoints, job, out)
        lines = sum(1 for _ in target.open(encoding="utf-8"))
        console.print(
            f"job {job['status']}: {lines} records, cost ${float(job.get('cost_usd', 0)):.4f}"
        )
        console.print(f"dataset in S3:  s3://{endpoints.bucket}/{export_keys(job)['jsonl']}")
        console.print(f"dataset here:   {target.resolve()}")
    except KeyboardInterrupt:
        errors.print("interrupted: stopping the local cloud and its workers")
        raise typer.Exit(code=130) from None
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    finally:
        cloud.stop()
