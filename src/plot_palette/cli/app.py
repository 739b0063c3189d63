"""``plot-palette`` commands. Each one wires arguments to the package and prints for people.

Errors a user can cause (a bad job spec, no local cloud running) print one line and exit 1;
nothing is queued when a spec is invalid.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from plot_palette import yaml_text
from plot_palette.batches.file import load_batch_file
from plot_palette.cli.analytics import print_cost_report
from plot_palette.cli.notifications import delivery_lines, settings_lines, settings_request
from plot_palette.cli.quality import quality_lines
from plot_palette.cli.safe_console import SafeConsole
from plot_palette.client import (
    ApiClient,
    ApiError,
    RetryPolicy,
    SessionStore,
    Target,
    resolve_target,
)
from plot_palette.client.snapshots import download_so_far
from plot_palette.errors import LocalCloudError, PlotPaletteError
from plot_palette.jobs.spec import load_job_spec
from plot_palette.jobs.status import JobStatus
from plot_palette.local import cognito_mail
from plot_palette.local.cloud import (
    PROJECT_ROOT,
    STATE_NOTICE,
    LocalCloud,
    running_instance,
    state_home,
)

app = typer.Typer(
    help="Plot Palette: synthetic LLM training data on Fargate Spot + Bedrock.",
    no_args_is_help=True,
)
local_app = typer.Typer(
    help="The embedded local cloud (no AWS account, no Docker).", no_args_is_help=True
)
app.add_typer(local_app, name="local")
console = SafeConsole(soft_wrap=True)
errors = SafeConsole(stderr=True, soft_wrap=True)
DEMO_EMAIL = "demo@plot-palette.local"
PasswordOption = Annotated[str | None, typer.Option(help="or PLOT_PALETTE_PASSWORD, or a prompt")]
DEMO_SPEC = PROJECT_ROOT / "examples" / "poetry-job.yaml"


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=1)


@local_app.command("up")
def local_up(
    max_concurrent_jobs: Annotated[int, typer.Option(help="MaxConcurrentJobs parameter")] = 5,
    model_latency_ms: Annotated[int, typer.Option(help="latency of the local model")] = 20,
    api_port: Annotated[int, typer.Option(help="port of the API and dashboard (0: any)")] = 0,
) -> None:
    """Start the local cloud in the foreground; Ctrl-C stops it and every worker."""
    if (other := running_instance()) is not None:
        raise _fail(f"a local cloud is already running (pid {other.pid}, {other.endpoint_url})")
    cloud = LocalCloud(
        parameters={"MaxConcurrentJobs": max_concurrent_jobs},
        model_latency_ms=model_latency_ms,
        api_port=api_port,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        endpoints = cloud.start()
        console.print(f"local cloud up at [bold]{endpoints.endpoint_url}[/] (pid {endpoints.pid})")
        console.print(f"  bucket         {endpoints.bucket}")
        console.print(f"  state machine  {endpoints.state_machine_arn}")
        console.print(f"  model endpoint {endpoints.model_endpoint_url}")
        console.print(f"  API            {endpoints.api_url}")
        console.print(f"  dashboard      {endpoints.dashboard_url}")
        console.print(f"  user pool      {endpoints.user_pool_id}")
        console.print(f"  worker logs    {endpoints.log_dir}")
        console.print(f"  state          {STATE_NOTICE}")
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
    os.kill(endpoints.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while running_instance() is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    if running_instance() is not None:
        raise _fail(f"local cloud (pid {endpoints.pid}) did not stop within {timeout:.0f}s")
    console.print("local cloud stopped")


def _session_store(target: Target) -> SessionStore:
    return SessionStore(target, state_home())


def _retrying(error: ApiError, wait: float) -> None:
    errors.print(
        f"[dim]{escape(str(error))}: sending the same submission again in {wait:.1f}s "
        "(same Idempotency-Key: it is queued once)[/]",
        highlight=False,
    )


# Submissions carry an Idempotency-Key and are retried with it; the user sees each retry.
RETRY = RetryPolicy(on_retry=_retrying)


def _api() -> ApiClient:
    """A client of the API for the signed-in user (errors say how to fix them)."""
    target = resolve_target()
    session = _session_store(target).current()
    return ApiClient(target.api_url, session.access_token, retry=RETRY)


def _password(password: str | None) -> str:
    if password:
        return password
    from_environment = os.environ.get("PLOT_PALETTE_PASSWORD")
    if from_environment:
        return from_environment
    return str(typer.prompt("password", hide_input=True))


@app.command()
def signup(
    email: Annotated[str, typer.Option(help="your email address (you sign in with it)")],
    password: PasswordOption = None,
) -> None:
    """Create an account; a verification code is emailed (locally: the local mailbox)."""
    try:
        target = resolve_target()
        _session_store(target).sign_up(email, _password(password))
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    where = (
        f"the local mailbox ({target.dashboard_url}/local/mailbox/{email})"
        if target.is_local
        else email
    )
    console.print(f"a verification code was sent to {where}")
    console.print(f"then: plot-palette confirm --email {email} --code <code>")


@app.command()
def confirm(
    email: Annotated[str, typer.Option()],
    code: Annotated[str, typer.Option(help="the six-digit code")],
) -> None:
    """Confirm your email with the code you were sent."""
    try:
        _session_store(resolve_target()).confirm(email, code)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print(f"{email} is confirmed; sign in with: plot-palette login --email {email}")


@app.command()
def login(
    email: Annotated[str, typer.Option()],
    password: PasswordOption = None,
) -> None:
    """Sign in; the session is kept (tokens refreshed) until `plot-palette logout`."""
    try:
        target = resolve_target()
        _session_store(target).log_in(email, _password(password))
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print(f"signed in to {target.api_url} as {email}")


@app.command()
def logout() -> None:
    """Forget the saved session."""
    try:
        had = _session_store(resolve_target()).log_out()
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print("signed out" if had else "no session was saved")


def _submit(client: ApiClient, spec_path: Path) -> dict[str, Any]:
    spec, template, seeds = load_job_spec(spec_path)
    seed_key = client.upload_seed_data(seeds, Path(spec.seed_data).name)
    created = client.create_job(
        {
            "name": spec.name,
            "template": template,
            "seed_data_key": seed_key,
            "records": spec.records,
            "budget_usd": spec.budget_usd,
            "priority": spec.priority,
            "category_field": spec.category_field,
            "chat_format": spec.chat_format,
            "quality_sample": spec.quality_sample,
        }
    )
    return created


@app.command()
def submit(jobspec: Annotated[Path, typer.Argument(help="job spec file (YAML or JSON)")]) -> None:
    """Validate a job spec, upload its seed data and queue the job through the API."""
    try:
        created = _submit(_api(), jobspec)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    job, estimate = created["job"], created["estimate"]
    console.print(
        f"queued job [bold]{job['job_id']}[/] ({job['record_count']} records, "
        f"budget ${job['budget_usd']:.2f}, estimated ${estimate['expected_cost_usd']:.4f}, "
        f"at most ${estimate['max_cost_usd']:.4f})"
    )
    to_complete = estimate.get("budget_to_complete_usd")
    if to_complete is not None and float(job["budget_usd"]) < to_complete:
        console.print(
            f"[yellow]a budget of ${to_complete:.4f} completes the job; at "
            f"${job['budget_usd']:.2f} it may stop early (BUDGET_EXCEEDED)[/]"
        )


@app.command()
def status(job_id: Annotated[str | None, typer.Argument()] = None) -> None:
    """Show one of your jobs, or your latest jobs."""
    try:
        client = _api()
        jobs = [client.get_job(job_id)] if job_id else client.list_jobs(limit=50)["jobs"]
        allowance = None if job_id else client.quotas()
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    table = Table("name", "status", "records", "cost", "budget")
    table.add_column("job", no_wrap=True, min_width=36)
    for job in jobs:
        failed = job.get("records_failed", 0)
        table.add_row(
            escape(job.get("name", "")),
            job["status"],
            f"{job.get('records_generated', 0)}/{job['record_count']}"
            + (f" ({failed} failed)" if failed else ""),
            f"${job.get('cost_usd', 0):.4f}",
            f"${job['budget_usd']:.2f}",
            job["job_id"],
        )
    console.print(table)
    if job_id:
        for line in failure_lines(jobs[0]):
            console.print(line)
    if allowance is not None:
        for line in allowance_lines(allowance):
            console.print(line)


def allowance_lines(allowance: dict[str, Any]) -> list[str]:
    """The caller's quotas: spend today and this month against the limits, jobs waiting."""
    day, month = allowance["spend_per_day_usd"], allowance["spend_per_month_usd"]
    queued = allowance["jobs_queued"]
    return [
        f"allowance: spent or reserved ${day['used'] or 0:,.2f} of ${day['limit']:,.2f} today "
        f"(UTC), ${month['used'] or 0:,.2f} of ${month['limit']:,.2f} this month; "
        f"{queued['used'] or 0} of {queued['limit']:.0f} jobs waiting",
        f"per job: up to {allowance['records_per_job']['limit']:,.0f} records and a "
        f"${allowance['budget_per_job_usd']['limit']:,.2f} budget",
    ]


def failure_lines(job: dict[str, Any]) -> list[str]:
    """Why a job's failed records failed: counts by error, then the first reasons."""
    failures = job.get("record_failures") or {}
    if not job.get("records_failed"):
        return []
    lines = [f"[yellow]{job['records_failed']} record(s) failed and were skipped:[/]"]
    lines += [
        f"  {escape(error)}: {count}" for error, count in failures.get("by_error", {}).items()
    ]
    lines += [
        f"  record {example['record']}: {escape(example['reason'])}"
        for example in failures.get("examples", [])[:5]
    ]
    return lines


def watch_job(
    client: ApiClient, job_id: str, *, poll: float = 0.5, timeout: float = 3600
) -> dict[str, Any]:
    """Show a live progress bar until the job reaches a final status; return the job."""
    job = client.get_job(job_id)
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
            job = client.get_job(job_id)
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
def cancel(job_id: str) -> None:
    """Cancel a queued or running job (what a running job made is still exported)."""
    try:
        job = _api().cancel_job(job_id)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print(f"job {job_id}: {job['status']}")


@app.command()
def watch(job_id: str) -> None:
    """Follow a job until it ends."""
    try:
        job = watch_job(_api(), job_id)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print(f"job {job_id}: {job['status']}")


DATASET_FILES = {
    "jsonl": "dataset.jsonl",
    "parquet": "dataset.parquet",
    "csv": "dataset.csv",
    "chat": "dataset.chat.jsonl",
}


def _download(client: ApiClient, job_id: str, out_dir: Path, fmt: str = "jsonl") -> Path:
    view = client.dashboard(job_id)
    name = DATASET_FILES[fmt]
    url = view["downloads"].get(name)
    if not url:
        why = " (the job chose no chat_format)" if fmt == "chat" else ""
        raise LocalCloudError(
            f"job {job_id} has no {fmt} export{why} (status {view['job']['status']})"
        )
    return client.download(url, out_dir / job_id / name)


@app.command()
def download(
    job_id: str,
    out: Annotated[Path, typer.Option(help="directory")] = Path("out"),
    fmt: Annotated[
        str, typer.Option("--format", help="jsonl, parquet, csv or chat (the job's chat_format)")
    ] = "jsonl",
) -> None:
    """Download a finished job's dataset (through a presigned link)."""
    if fmt not in DATASET_FILES:
        raise _fail(f"unknown format {fmt!r}; use one of {', '.join(DATASET_FILES)}")
    try:
        target = _download(_api(), job_id, out, fmt)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print(f"dataset written to {target}")


def _demo_user(target: Target) -> tuple[ApiClient, str]:
    """Sign up, confirm (from the local mailbox) and sign in the demo's user; its password."""
    store = _session_store(target)
    password = "Demo-Password-" + secrets.token_hex(4) + "!"
    store.sign_up(DEMO_EMAIL, password)
    code = cognito_mail.latest_code(DEMO_EMAIL)
    if code is None:
        raise LocalCloudError("the local user pool sent no verification code")
    store.confirm(DEMO_EMAIL, code)
    session = store.log_in(DEMO_EMAIL, password)
    return ApiClient(target.api_url, session.access_token, retry=RETRY), password


@app.command()
def demo(
    jobspec: Annotated[Path, typer.Argument(help="job spec to run")] = DEMO_SPEC,
    out: Annotated[Path, typer.Option(help="where to put the dataset")] = Path("out"),
    model_latency_ms: Annotated[int, typer.Option(help="latency of the local model")] = 20,
    stay: Annotated[
        bool, typer.Option(help="keep serving the dashboard afterwards, until Ctrl-C")
    ] = False,
    api_port: Annotated[int, typer.Option(help="port of the API and dashboard (0: any)")] = 0,
) -> None:
    """Start the local cloud, run a job end to end, download its dataset, stop everything."""
    if (other := running_instance()) is not None:
        raise _fail(f"a local cloud is already running (pid {other.pid}); stop it first")
    try:
        load_job_spec(jobspec)  # a bad spec fails before anything starts
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    cloud = LocalCloud(model_latency_ms=model_latency_ms, api_port=api_port)
    try:
        endpoints = cloud.start()
        console.print(f"local cloud up at {endpoints.endpoint_url}")
        console.print(f"dashboard at    {endpoints.dashboard_url}")
        client, password = _demo_user(resolve_target())
        created = _submit(client, jobspec)
        job = created["job"]
        console.print(
            f"submitted job [bold]{job['job_id']}[/] ({job['record_count']} records, "
            f"estimated ${created['estimate']['expected_cost_usd']:.4f})"
        )
        job = watch_job(client, job["job_id"])
        if job["status"] not in (JobStatus.COMPLETED, JobStatus.BUDGET_EXCEEDED):
            raise LocalCloudError(f"job ended {job['status']}: {job.get('error', '')}")
        target = _download(client, job["job_id"], out)
        lines = sum(1 for _ in target.open(encoding="utf-8"))
        console.print(
            f"job {job['status']}: {lines} records, cost ${float(job.get('cost_usd', 0)):.4f}"
        )
        console.print(f"dataset in S3:  s3://{endpoints.bucket}/jobs/{job['job_id']}/exports/")
        console.print(f"dataset here:   {target.resolve()}")
        if stay:
            console.print(
                f"dashboard: {endpoints.dashboard_url} - sign in as {DEMO_EMAIL} with password "
                f"{password} (a throwaway local account); Ctrl-C stops everything"
            )
            while True:
                time.sleep(1)
    except KeyboardInterrupt:
        errors.print("interrupted: stopping the local cloud and its workers")
        raise typer.Exit(code=130) from None
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    finally:
        cloud.stop()


@app.command("so-far")
def so_far(
    job_id: str,
    out: Annotated[Path, typer.Option(help="directory")] = Path("out"),
    timeout: Annotated[float, typer.Option(help="seconds to wait for the file")] = 300,
) -> None:
    """Download the records a job has made so far (it may still be running)."""
    target = out / job_id / "so-far.jsonl"
    try:
        count = download_so_far(_api(), job_id, target, timeout=timeout)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print(f"{count} records written to {target}")


@app.command()
def quality(job_id: str) -> None:
    """Show a finished job's quality: the judge's scores and statistics on every record."""
    try:
        report = _api().quality(job_id)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    for line in quality_lines(report):
        console.print(line, highlight=False)


# -- templates: YAML files and the public gallery ---------------------------------------------

templates_app = typer.Typer(
    help="Your prompt templates: YAML files, and test runs before a job.", no_args_is_help=True
)
app.add_typer(templates_app, name="templates")
gallery_app = typer.Typer(help="The public template gallery.", no_args_is_help=True)
app.add_typer(gallery_app, name="gallery")


@templates_app.command("export")
def templates_export(
    template_id: Annotated[str, typer.Argument(help="template id")],
    version: Annotated[int | None, typer.Option(help="a version (default: the latest)")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default: print)")
    ] = None,
) -> None:
    """Export one of your templates (or a built-in one) as YAML."""
    try:
        text = _api().export_template(template_id, version)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"wrote {output}")


@templates_app.command("import")
def templates_import(
    file: Annotated[Path, typer.Argument(help="a template YAML file", exists=True, dir_okay=False)],
) -> None:
    """Save a YAML template file as a new template (version 1)."""
    try:
        saved = _api().import_template(file.read_text(encoding="utf-8"))
    except (PlotPaletteError, UnicodeDecodeError) as error:
        raise _fail(str(error)) from None
    console.print(f"imported [bold]{saved['template_id']}[/] ({saved['document']['name']})")


@gallery_app.command("search")
def gallery_search(
    query: Annotated[str, typer.Argument(help="words in the name, description or tags")] = "",
    sort: Annotated[str, typer.Option(help="recent or forks")] = "recent",
    limit: Annotated[int, typer.Option(help="how many (at most 50)")] = 20,
) -> None:
    """Search the published templates."""
    try:
        page = _api().search_gallery(query, sort, limit)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    if not page["entries"]:
        console.print("no published template matches")
        return
    table = Table("gallery id", "name", "author", "forks", "tags", "published")
    for entry in page["entries"]:
        table.add_row(
            entry["gallery_id"],
            entry["name"],
            entry.get("author") or "-",
            str(entry["forks"]),
            ", ".join(entry["tags"]),
            entry["published_at"][:10],
        )
    console.print(table)


@gallery_app.command("fork")
def gallery_fork(gallery_id: Annotated[str, typer.Argument(help="gallery id (gal-...)")]) -> None:
    """Copy a published template into your templates."""
    try:
        saved = _api().fork_gallery_template(gallery_id)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print(
        f"forked into [bold]{saved['template_id']}[/] ({saved['document']['name']}, version 1)"
    )


# -- templates test / seed generate (issue 11) -------------------------------------------------

# ``templates_app`` is the one ``templates`` group defined above (a second group of the same
# name would hide the first one's commands); the test command joins it.
seed_app = typer.Typer(help="Seed data: generate it from a template.", no_args_is_help=True)
app.add_typer(seed_app, name="seed")
ModelOption = Annotated[
    str,
    typer.Option(help="local (free, the default), template (each step's model), a model or tier"),
]


def _template_document(path: Path) -> dict[str, Any]:
    """A template file (YAML or JSON) as the document the API takes."""
    import yaml

    try:
        document = yaml_text.load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise _fail(f"cannot read {path}: {error}") from None
    if not isinstance(document, dict):
        raise _fail(f"{path} does not hold a template (a mapping of fields)")
    return document


def _print_test_run(run: dict[str, Any]) -> None:
    console.print(
        f"[bold]{run['template_id']}[/] v{run['template_version']} on {run['model']} "
        f"(answered by {run['answered_by']})"
    )
    for seed in run["seeds"]:
        console.rule(f"seed {seed['seed_index'] + 1}")
        for step in seed["steps"]:
            if step["error"]:
                console.print(f"[bold]{step['step_id']}[/] [red]error:[/] {step['error']}")
                continue
            console.print(
                f"[bold]{step['step_id']}[/] on {step['model_id']}: {step['input_tokens']} in, "
                f"{step['output_tokens']} out, ${step['cost_usd']:.6f}"
            )
            # a user's text is printed as is: brackets in it are not Rich markup
            for label in ("prompt", "output"):
                console.print(f"{label}:", style="dim")
                console.print(step[label], markup=False, highlight=False)
    totals = run["totals"]
    console.rule()
    console.print(
        f"{totals['calls']} calls, {totals['input_tokens']} tokens in, "
        f"{totals['output_tokens']} out, ${totals['cost_usd']:.6f}, {totals['errors']} errors"
    )


@templates_app.command("test")
def templates_test(
    template: Annotated[Path, typer.Argument(help="template file (YAML or JSON)")],
    seeds: Annotated[Path, typer.Option(help="seed records (JSON or JSONL); the first are used")],
    count: Annotated[int, typer.Option(min=1, max=5, help="how many seed records")] = 1,
    model: ModelOption = "local",
) -> None:
    """Run a template's steps on 1-5 seed records and show every prompt and output."""
    from plot_palette.templates import parse_seed_data

    document = _template_document(template)
    try:
        records = parse_seed_data(seeds.read_bytes())[:count]
        run = _api().test_run({"template": document, "seeds": records, "model": model})
    except OSError as error:
        raise _fail(f"cannot read {seeds}: {error}") from None
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    _print_test_run(run)
    if run["totals"]["errors"]:
        raise typer.Exit(code=1)


@seed_app.command("generate")
def seed_generate(
    template: Annotated[str, typer.Option(help="template id (yours or built-in)")],
    count: Annotated[int, typer.Option(min=1, max=100, help="records to generate")] = 20,
    version: Annotated[int | None, typer.Option(help="template version (default: latest)")] = None,
    model: ModelOption = "local",
    instructions: Annotated[str | None, typer.Option(help="what the records are like")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="also save the JSONL file here")
    ] = None,
) -> None:
    """Generate seed data for a template's fields; prints the seed_data_key to submit with."""
    request: dict[str, Any] = {"template_id": template, "count": count, "model": model}
    if version is not None:
        request["version"] = version
    if instructions:
        request["instructions"] = instructions
    try:
        client = _api()
        made = client.generate_seed_data(request)
        if output is not None:
            client.download(made["download_url"], output)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print(
        f"{made['records']} of {made['requested']} records ({made['dropped']} dropped) with "
        f"fields {', '.join(made['fields'])}, on {made['model_id']} ({made['answered_by']}), "
        f"${made['cost_usd']:.6f}"
    )
    console.print(f"seed_data_key: {made['key']}")
    if output is not None:
        console.print(f"saved to {output}")


batch_app = typer.Typer(help="Batches: parameter sweeps of up to 20 jobs.", no_args_is_help=True)
app.add_typer(batch_app, name="batch")


def _money(value: Any) -> str:
    return "-" if value is None else f"${float(value):.6f}"


def _print_batch(batch: dict[str, Any]) -> None:
    console.print(
        f"batch [bold]{batch['batch_id']}[/] {batch['name']!r}: {batch['status']}, "
        f"{batch['job_count']} jobs, {batch['records']} records, cost {_money(batch['cost_usd'])}"
        f" (estimated {_money(batch.get('estimated_cost_usd'))})"
    )
    table = Table(
        "job",
        *batch["dimensions"],
        "status",
        "records",
        "cost",
        "per record",
        "duration",
        "quality",
        "best",
    )
    best = batch["best"]
    for row in batch["jobs"]:
        params = [json.dumps(row["params"].get(name)) for name in batch["dimensions"]]
        duration = row.get("duration_seconds")
        table.add_row(
            row["job_id"],
            *params,
            row["status"],
            f"{row['records']}/{row['record_count']}",
            _money(row["cost_usd"]),
            _money(row.get("cost_per_record_usd")),
            "-" if duration is None else f"{duration:.1f}s",
            "-" if row.get("quality_score") is None else f"{row['quality_score']:.2f}",
            ", ".join(name for name, job_id in best.items() if job_id == row["job_id"]),
        )
    console.print(table)


@batch_app.command("submit")
def batch_submit(
    batchfile: Annotated[Path, typer.Argument(help="batch file (YAML): name, job, sweep")],
) -> None:
    """Check every job of a sweep, then queue them all (a bad combination queues nothing)."""
    try:
        loaded = load_batch_file(batchfile)
        client = _api()
        body = loaded.body
        if loaded.seed_file is not None:
            key = client.upload_seed_data(loaded.seed_file.read_bytes(), loaded.seed_file.name)
            body = {**body, "job": {**body["job"], "seed_data_key": key}}
        created = client.create_batch(body)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    _print_batch(created["batch"])


@batch_app.command("status")
def batch_status(batch_id: str) -> None:
    """A batch's status and its jobs side by side (records, cost, duration, quality)."""
    try:
        batch = _api().get_batch(batch_id)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    _print_batch(batch)


@app.command("analytics")
def analytics(
    days: Annotated[int, typer.Option(help="the last 7, 30 or 90 days (UTC, today included)")] = 30,
) -> None:
    """Your spend by day, week, model and template, and how well your budgets were used."""
    try:
        report = _api().cost_analytics(days)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    print_cost_report(console, report)


notifications_app = typer.Typer(
    help="Be told when a job ends: email and/or a signed webhook.", no_args_is_help=True
)
app.add_typer(notifications_app, name="notifications")


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        console.print(line, highlight=False, markup=False)


@notifications_app.command("show")
def notifications_show() -> None:
    """Your notification settings (the signing secret itself is never shown here)."""
    try:
        settings = _api().notification_settings()
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    _print_lines(settings_lines(settings))


@notifications_app.command("set")
def notifications_set(
    email: Annotated[
        bool | None, typer.Option("--email/--no-email", help="mail your verified address")
    ] = None,
    webhook: Annotated[str | None, typer.Option(help="an https URL on a public address")] = None,
    no_webhook: Annotated[bool, typer.Option("--no-webhook", help="remove the webhook")] = False,
    events: Annotated[
        list[str] | None,
        typer.Option(help="COMPLETED, FAILED, BUDGET_EXCEEDED or CANCELLED (repeat it)"),
    ] = None,
) -> None:
    """Change your settings; what you leave out stays as it is."""
    try:
        client = _api()
        body = settings_request(
            client.notification_settings(),
            email=email,
            webhook=webhook,
            no_webhook=no_webhook,
            events=events,
        )
        saved = client.save_notification_settings(body)
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    console.print("saved")
    _print_lines(settings_lines(saved))


@notifications_app.command("rotate-secret")
def notifications_rotate_secret() -> None:
    """Replace the webhook signing secret (the old one stops verifying at once)."""
    try:
        rotated = _api().rotate_notification_secret()
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    _print_lines(settings_lines(rotated))


@notifications_app.command("test")
def notifications_test() -> None:
    """Send a TEST event to your saved channels now; exits 1 if a channel did not get it."""
    try:
        result = _api().send_test_notification()
    except PlotPaletteError as error:
        raise _fail(str(error)) from None
    lines, delivered = delivery_lines(result)
    _print_lines(lines)
    if not delivered:
        raise typer.Exit(code=1)
