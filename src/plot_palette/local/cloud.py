"""The embedded local cloud: moto + our runners + the local model, provisioned from the template.

``LocalCloud`` is what ``plot-palette local up``, ``make demo`` and the integration tests start.
It runs moto's server on a random loopback port with its Step Functions interpreter executing
our real ASL, patches the seams moto cannot run (see ``moto_seams``), provisions every resource
from ``template.yaml`` and ``stacks/``, and starts the pipe and rule runners. A state file lets a
second ``local up`` (or ``submit``) find the running instance.

Nothing survives a stop: moto keeps every table, bucket, user pool and execution in this
process's memory, and a start resets moto and provisions everything anew. Only the worker logs
(and the CLI's session file, for a user pool that no longer exists) stay in ``state_home()``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import requests
from botocore.config import Config

from plot_palette.dashboard_config import (
    content_security_policy,
    dashboard_config,
    publish_dashboard,
)
from plot_palette.deploy.steps import sync_sample_datasets
from plot_palette.errors import LocalCloudError
from plot_palette.local import (
    cognito_flows,
    cognito_keys,
    cognito_mail,
    iam_enforcement,
    moto_numbers,
    moto_seams,
    presigned_urls,
)
from plot_palette.local.api_server import LocalApiServer
from plot_palette.local.ecs_runner import EcsRunner, dockerfile_entrypoint
from plot_palette.local.iam_enforcement import LocalIam
from plot_palette.local.jwt_authorizer import JwtAuthorizer
from plot_palette.local.lambda_runner import LambdaRunner
from plot_palette.local.pipe_runner import PipeRunner
from plot_palette.local.provision import (
    FunctionSpec,
    HttpApiSpec,
    PipeSpec,
    Provisioner,
    RuleSpec,
    Stack,
)
from plot_palette.local.rule_runner import RuleRunner

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
PROJECT_ROOT = Path(__file__).resolve().parents[3]
LOCAL_NOTIFICATION_SENDER = "notifications@plot-palette.local"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
# What ``local up`` tells the user about the state it keeps (see the module docstring).
STATE_NOTICE = "in memory only: `local down` discards jobs, users, templates and files"


def state_home() -> Path:
    """Where the local cloud keeps its state file and worker logs."""
    return Path(os.environ.get("PLOT_PALETTE_HOME", Path.home() / ".plot-palette"))


@dataclass(frozen=True)
class Endpoints:
    """How a client reaches a running local cloud: what the state file holds."""

    pid: int
    endpoint_url: str
    model_endpoint_url: str
    region: str
    bucket: str
    jobs_table: str
    queue_table: str
    cost_tracking_table: str
    templates_table: str
    state_machine_arn: str
    cluster: str
    log_dir: str
    api_url: str = ""
    dashboard_url: str = ""
    user_pool_id: str = ""
    dashboard_client_id: str = ""
    cli_client_id: str = ""
    quotas_table: str = ""

    def client(self, service: str) -> Any:
        """A boto3 client for this local cloud."""
        return _local_client(service, self.endpoint_url, self.region)


def _local_client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client for the local cloud (fake credentials, moto's endpoint)."""
    session = boto3.Session(
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=region,
    )
    config = Config(retries={"max_attempts": 3, "mode": "standard"})
    return session.client(service, endpoint_url=endpoint_url, config=config)  # type: ignore[call-overload]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_instance() -> Endpoints | None:
    """The local cloud that is running now, if any (a stale state file is ignored)."""
    path = state_home() / "local.json"
    if not path.exists():
        return None
    try:
        endpoints = Endpoints(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None
    return endpoints if _alive(endpoints.pid) else None


class _Runners:
    """Routes provisioning's registrations to the runner that owns each kind of resource."""

    def __init__(self, cloud: LocalCloud) -> None:
        self._cloud = cloud

    def register_function(self, spec: FunctionSpec) -> None:
        self._cloud.lambdas.register_function(spec)

    def register_task_definition(self, arn: str, spec: dict[str, Any]) -> None:
        self._cloud.ecs.register_task_definition(arn, spec)

    def register_pipe(self, spec: PipeSpec) -> None:
        self._cloud.pending_pipes.append(spec)

    def register_rule(self, spec: RuleSpec) -> None:
        self._cloud.pending_rules.append(spec)

    def register_http_api(self, spec: HttpApiSpec) -> None:
        self._cloud.pending_apis.append(spec)


class LocalCloud:
    """Start with ``with LocalCloud() as cloud:``; everything stops when the block ends."""

    def __init__(
        self,
        *,
        parameters: dict[str, Any] | None = None,
        model_latency_ms: int = 20,
        stop_timeout: float | None = None,
        write_state_file: bool = True,
        template: Path | None = None,
        api_port: int = 0,
    ) -> None:
        self.parameters = {
            "WorkerHeartbeatSeconds": 60,
            # Job notifications are mailed from this address (moto's SES keeps the mails).
            "NotificationSender": LOCAL_NOTIFICATION_SENDER,
            **(parameters or {}),
        }
        self.model_latency_ms = model_latency_ms
        self.template = template or PROJECT_ROOT / "template.yaml"
        self.write_state_file = write_state_file
        self.api_port = api_port
        self.lambdas = LambdaRunner()
        self.log_dir = state_home() / "logs"
        self.pending_pipes: list[PipeSpec] = []
        self.pending_rules: list[RuleSpec] = []
        self.pending_apis: list[HttpApiSpec] = []
        self.api: LocalApiServer | None = None
        self._stop_timeout = stop_timeout
        self._server: ThreadedMotoServer | None = None
        self._model: Any = None
        self._saved_environ: dict[str, str] | None = None
        self.ecs: EcsRunner
        self.pipes: PipeRunner
        self.rules: RuleRunner
        self.stack: Stack
        self.endpoints: Endpoints
        self.iam: LocalIam

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> Endpoints:
        """Start moto, the model endpoint and the runners, and provision the template."""
        if self.write_state_file and (other := running_instance()) is not None:
            raise LocalCloudError(
                f"a local cloud is already running (pid {other.pid}, {other.endpoint_url}); "
                "stop it with `plot-palette local down` first"
            )
        from moto.server import ThreadedMotoServer

        port = _free_port()
        endpoint_url = f"http://127.0.0.1:{port}"
        self._saved_environ = dict(os.environ)
        # moto's Step Functions interpreter calls back into the server on MOTO_PORT, and the
        # in-process handlers build boto3 clients from the standard environment variables.
        os.environ.update(
            {
                "MOTO_PORT": str(port),
                "AWS_ENDPOINT_URL": endpoint_url,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                **LOCAL_CREDENTIALS,
            }
        )
        os.environ.pop("AWS_PROFILE", None)
        # The functions run in this process: keep their JSON logs to warnings unless asked.
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._server.start()
        # moto's backends live in this process, not in the server: a cloud started after
        # another one must not inherit its resources.
        requests.post(f"{endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
        requests.post(
            f"{endpoint_url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
            timeout=10,
        ).raise_for_status()
        # boto3's default session caches AWS_ENDPOINT_URL when first used: the in-process
        # functions must build their clients against this cloud, not a previous one.
        boto3.DEFAULT_SESSION = None

        real_bedrock = os.environ.get("PLOT_PALETTE_BEDROCK_PROFILE")
        if real_bedrock:
            # Real Bedrock from a local run: that one client uses an AWS profile and the real
            # endpoint of the profile's region; everything else stays on moto.
            region = os.environ.get("PLOT_PALETTE_BEDROCK_REGION", REGION)
            model_url = f"https://bedrock-runtime.{region}.amazonaws.com"
        else:
            model_url = self._start_model_endpoint()
        os.environ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = model_url
        # A Fargate task starts with its task definition's environment, not ours: pass on only
        # what a process needs to start (and coverage's settings when tests measure it).
        worker_environment = {
            key: value
            for key, value in os.environ.items()
            if key in ("PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR")
            or key.startswith("COVERAGE_")
        }
        worker_environment.update(
            {
                "AWS_ENDPOINT_URL": endpoint_url,
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": model_url,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "PYTHONUNBUFFERED": "1",
                **LOCAL_CREDENTIALS,
            }
        )
        if real_bedrock:
            worker_environment["BEDROCK_PROFILE"] = real_bedrock
        self.ecs = EcsRunner(
            entrypoint=dockerfile_entrypoint(PROJECT_ROOT / "worker" / "Dockerfile"),
            base_environment=worker_environment,
            log_dir=self.log_dir,
            region=REGION,
            account_id=ACCOUNT_ID,
            stop_timeout=self._stop_timeout,
        )
        moto_seams.attach(ecs=self.ecs, lambda_=self.lambdas)
        moto_numbers.install()  # the spend ledger adds small decimals (budget/ledger.py)
        cognito_mail.install()
        cognito_mail.clear()
        cognito_keys.install()
        cognito_keys.rotate()  # this cloud's own token signing key
        cognito_flows.install()  # a client takes only the sign-in flows it allows
        presigned_urls.install()  # S3 checks a presigned URL's signature and expiry
        presigned_urls.known_secrets.clear()
        presigned_urls.known_secrets[LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"]] = LOCAL_CREDENTIALS[
            "AWS_SECRET_ACCESS_KEY"
        ]

        client = self._client_factory(endpoint_url)
        # IAM as AWS enforces it: functions, workers and the state machine act as their roles.
        iam_enforcement.install()
        self.iam = LocalIam(REGION, ACCOUNT_ID)
        self.lambdas.iam = self.ecs.iam = moto_seams.iam = self.iam
        self.stack = Provisioner(
            client=client,
            runners=_Runners(self),
            region=REGION,
            account_id=ACCOUNT_ID,
            iam=self.iam,
        ).provision(self.template, self.parameters)
        outputs = self.stack.outputs
        os.environ.update(self.lambdas.environment)

        self.pipes = PipeRunner(
            streams_client=client("dynamodbstreams"),
            sfn_client=client("stepfunctions"),
            lambdas=self.lambdas,
            region=REGION,
            iam=self.iam,
        )
        for pipe in self.pending_pipes:
            self.pipes.register_pipe(pipe)
        self.rules = RuleRunner(
            sfn_client=client("stepfunctions"),
            lambdas=self.lambdas,
            region=REGION,
            account_id=ACCOUNT_ID,
        )
        for rule in self.pending_rules:
            self.rules.register_rule(rule)
        self.rules.watch(outputs["JobStateMachineArn"])
        self.ecs.on_stopped = self.rules.publish  # "ECS Task State Change", as on AWS
        self.pipes.start()
        self.rules.start()
        self.api = self._start_api(endpoint_url, outputs)

        self.endpoints = Endpoints(
            pid=os.getpid(),
            endpoint_url=endpoint_url,
            model_endpoint_url=model_url,
            region=REGION,
            bucket=outputs["BucketName"],
            jobs_table=outputs["JobsTableName"],
            queue_table=outputs["QueueTableName"],
            cost_tracking_table=outputs["CostTrackingTableName"],
            templates_table=outputs["TemplatesTableName"],
            state_machine_arn=outputs["JobStateMachineArn"],
            cluster=outputs["ClusterArn"],
            log_dir=str(self.log_dir),
            api_url=self.api.api_url if self.api else "",
            dashboard_url=self.api.url if self.api else "",
            user_pool_id=outputs.get("UserPoolId", ""),
            dashboard_client_id=outputs.get("DashboardClientId", ""),
            cli_client_id=outputs.get("CliClientId", ""),
            quotas_table=outputs.get("QuotasTableName", ""),
        )
        self._upload_sample_datasets()
        if self.write_state_file:
            state_home().mkdir(parents=True, exist_ok=True)
            (state_home() / "local.json").write_text(json.dumps(asdict(self.endpoints), indent=2))
        return self.endpoints

    def _start_api(self, endpoint_url: str, outputs: dict[str, Any]) -> LocalApiServer | None:
        """Serve the template's HTTP API (there is one) with its JWT authorizer."""
        if not self.pending_apis:
            return None
        api = self.pending_apis[0]
        if not api.issuer:
            raise LocalCloudError(f"HTTP API {api.name} has no JWT authorizer issuer")
        pool_id = api.issuer.rstrip("/").rsplit("/", 1)[-1]
        jwks_url = f"{endpoint_url}/{pool_id}/.well-known/jwks.json"

        def fetch_jwks() -> dict[str, Any]:
            response = requests.get(jwks_url, timeout=10)
            response.raise_for_status()
            keys: dict[str, Any] = response.json()
            return keys

        server = LocalApiServer(
            api=api,
            lambdas=self.lambdas,
            authorizer=JwtAuthorizer(
                issuer=api.issuer, audiences=api.audiences, fetch_jwks=fetch_jwks
            ),
            dashboard_dir=state_home() / "dashboard",
            cognito_upstream=endpoint_url,
            port=self.api_port,
            # the API and Cognito are same-origin here; presigned uploads go to moto's S3
            content_security_policy=content_security_policy([endpoint_url]),
        )
        # Published as on AWS: the built files plus config.json, by the deploy path's code.
        config = dashboard_config(
            {**outputs, "ApiEndpoint": server.api_url},  # the local stand-in for that output
            region=REGION,
            extra={
                "COGNITO_ENDPOINT": server.url + "/cognito",
                # moto does not check SRP proofs, so locally the dashboard signs in with the
                # password flow, as the CLI's client (which allows it); on AWS it uses its own
                # client, which allows SRP only (the password never leaves the browser).
                "COGNITO_AUTH_FLOW": "USER_PASSWORD_AUTH",
                "COGNITO_CLIENT_ID": str(outputs["CliClientId"]),
                "LOCAL_MAILBOX": "/local/mailbox/",
                # progress streams from here instead of polling (the local server only)
                "PROGRESS_EVENTS": "sse",
            },
        )
        dist = PROJECT_ROOT / "frontend" / "dist"
        if (dist / "index.html").is_file():  # not built: "/" says to run make frontend
            publish_dashboard(dist, state_home() / "dashboard", config)
        server.start()
        return server

    def _start_model_endpoint(self) -> str:
        from plot_palette.local.model_endpoint import start_model_endpoint

        self._model = start_model_endpoint(latency_ms=self.model_latency_ms)
        return str(self._model.url)

    @staticmethod
    def _client_factory(endpoint_url: str) -> Any:
        return lambda service: _local_client(service, endpoint_url, REGION)

    def _upload_sample_datasets(self) -> None:
        # The same step make deploy runs against AWS.
        sync_sample_datasets(
            self.endpoints.client("s3"), self.endpoints.bucket, PROJECT_ROOT / "sample-datasets"
        )

    def stop(self) -> None:
        """Stop workers, runners, the model endpoint and moto; forget the state file."""
        if self.api is not None:
            self.api.stop()
            self.api = None
        with contextlib.suppress(AttributeError):
            self.ecs.on_stopped = None  # workers stopped from here on are not jobs' business
        with contextlib.suppress(AttributeError):
            self.pipes.stop()
        with contextlib.suppress(AttributeError):
            self.rules.stop()
        with contextlib.suppress(AttributeError):
            self.ecs.shutdown(grace=5.0)
        if self._model is not None:
            self._model.stop()
            self._model = None
        moto_seams.detach()
        moto_seams.iam = None
        presigned_urls.known_secrets.clear()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.write_state_file:
            state_file = state_home() / "local.json"
            with contextlib.suppress(FileNotFoundError, ValueError, TypeError):
                if json.loads(state_file.read_text()).get("pid") == os.getpid():
                    state_file.unlink()
        if self._saved_environ is not None:
            os.environ.clear()
            os.environ.update(self._saved_environ)
            self._saved_environ = None
        boto3.DEFAULT_SESSION = None

    # -- helpers for tests and the CLI -----------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client for this local cloud."""
        return self.endpoints.client(service)

    def wait_for_execution(self, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
        """Wait until the execution named after ``job_id`` ends, and return its description."""
        sfn = self.client("stepfunctions")
        arn = (
            self.endpoints.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(sfn.exceptions.ExecutionDoesNotExist):
                execution = sfn.describe_execution(executionArn=arn)
                if execution["status"] != "RUNNING":
                    return dict(execution)
            time.sleep(0.25)
        raise LocalCloudError(f"execution {job_id} did not end within {timeout:.0f}s")
