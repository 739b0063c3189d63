"""The places where the embedded local cloud patches moto, each pinned by a test.

moto 5.2.1 runs our real ASL, but these of its seams do not do what AWS documents:

* Its Step Functions ECS integration leaves request/response normalisation stubbed out, so
  ``Cluster``/``TaskDefinition``/``Overrides`` reach boto3 in Step Functions casing (AWS sends
  ``cluster``/``taskDefinition``/``overrides``), and the response is read back in the wrong case.
  We restore the normalisation from botocore's shapes, as AWS (and LocalStack, whence moto's
  interpreter comes) do.
* Its ECS backend ignores ``capacityProviderStrategy``, crashes on awsvpc tasks and never runs a
  container. RunTask/DescribeTasks/StopTask are routed to the local ECS runner instead, which
  starts the worker as a subprocess.
* Its Lambda backend needs Docker to run a function. Invoke is routed to the local Lambda runner,
  which calls the handler the template names, in-process.

* Its Step Functions backend deep-copies the state machine, with every past execution (threads
  and locks inside), when it starts an execution: the second execution of a state machine fails.
  The clone now shares the backend and starts with no executions, which is what the copy is for
  (freezing the definition the execution runs).

* Its StopExecution leaves an execution waiting on a task token RUNNING until the wait ends,
  and then reports it FAILED. AWS marks it ABORTED at once; the patched stop does that, and the
  end of the interpreted program no longer overwrites ABORTED.
* Its interpreter sets up a task's heartbeat wait only after the task's API call returns, and
  that wait ignores an answer that came earlier: a ``SendTaskFailure`` sent while RunTask was
  still answering (a task that stopped at once, reported by its stop event) was lost and the
  execution waited for a heartbeat timeout. AWS takes the answer whenever the token exists; an
  answer that came first now ends the wait at once.
* Its SendTaskFailure drops ``cause``: a worker's or the stop event's explanation never reached
  ``Catch`` (the job's ``error_message`` read "null"). It is passed on, as AWS does.
* Its interpreter reports a missed heartbeat as ``States.Timeout``; AWS reports
  ``States.HeartbeatTimeout`` (which ``Catch``/``Retry`` can match by that name), so a heartbeat
  timeout now carries that error name.
* Its ECS integration names no ECS error: a RunTask that fails reaches ``Catch`` as
  ``States.Runtime``, and one that places no task (HTTP 200 with ``failures``, as when Fargate
  capacity is unavailable) crashes on ``Tasks[0]``. AWS names the error ``ECS.<exception>`` for
  the exceptions the ECS API models and ``ECS.AmazonECSException`` for the others (throttling,
  and the capacity shortage, as AWS's knowledge-center article on Fargate RunTask capacity
  says), so ``Retry`` can match them; both now carry those names.
* Its interpreter sleeps each ``Retry`` interval in real time. The intervals it asks for are
  AWS's (``IntervalSeconds`` x ``BackoffRate`` ^ n, capped by ``MaxDelaySeconds``, drawn in
  [0, that] with ``JitterStrategy: FULL``); ``retry_delays_scaled`` lets a test shorten the
  sleeps by a factor without changing them, and ``retry_clock.waits`` records them.
  (tests/integration/orchestration/test_sfn_seams.py pins these two.)

* Its DynamoDB answers requests on as many threads as arrive and mutates items in place, so
  concurrent conditional updates are not atomic (a slot counter ended at -9 with no holders, six
  jobs held five slots) and a scan that meets a write fails with "dictionary changed size during
  iteration". AWS applies every single-item write atomically. Every DynamoDB and DynamoDB
  Streams request, and every call into either backend, now runs under one process-wide lock:
  stricter than AWS (whose writes to different items do not wait for each other), never looser.

* Its interpreter signs every integration call with fixed keys, and moto enforces no IAM: the
  state machine could call anything. Each client it builds now acts as the execution's role
  (``plot_palette.local.iam_enforcement``), so a call its template does not allow is denied.

Everything else (S3, SNS, Step Functions' interpreter, task tokens) is moto as shipped.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import json
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

import botocore.session

from plot_palette.local.iam_enforcement import LocalIam, acting_as, unchecked

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


class EcsSeam(Protocol):
    """What the ECS API seam needs from the local ECS runner."""

    def run_task(self, request: dict[str, Any]) -> dict[str, Any]: ...

    def describe_tasks(self, cluster: str, tasks: list[str]) -> list[dict[str, Any]]: ...

    def stop_task(self, cluster: str, task: str, reason: str | None) -> dict[str, Any]: ...


class RunTaskRefused(Exception):
    """Raised by an ECS seam when RunTask places no task, in one of the two ways ECS refuses.

    With ``error_code`` the call fails with that ECS error (``ThrottlingException``: HTTP 400);
    without, ECS answers HTTP 200 with no task and one failure whose reason is ``reason`` (a
    Fargate capacity shortage).
    """

    def __init__(self, reason: str, *, error_code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error_code = error_code


class RetryClock:
    """The sleeps moto's interpreter takes between ``Retry`` attempts, scaled for tests."""

    def __init__(self) -> None:
        self.scale = 1.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (the interval AWS would wait) times ``scale``; remember the interval."""
        self.waits.append(seconds)
        del self.waits[:-1000]
        time.sleep(seconds * self.scale)


retry_clock = RetryClock()


@contextlib.contextmanager
def retry_delays_scaled(factor: float) -> Iterator[RetryClock]:
    """Sleep ``factor`` times each ``Retry`` interval while the block runs (tests of backoff)."""
    previous, retry_clock.scale = retry_clock.scale, factor
    try:
        yield retry_clock
    finally:
        retry_clock.scale = previous


class LambdaSeam(Protocol):
    """What the Lambda invoke seam needs from the local Lambda runner."""

    def invoke(self, function_name: str, event: Any) -> tuple[str, bool, str]: ...


_lock = threading.Lock()
_installed = False
# One DynamoDB operation at a time in this process (see _patch_dynamodb_serialised). Re-entrant:
# a request holds it while moto's handler calls the backend, which takes it again.
dynamodb_lock = threading.RLock()
_ecs: EcsSeam | None = None
_lambda: LambdaSeam | None = None
_botocore_session = botocore.session.get_session()


def attach(*, ecs: EcsSeam | None, lambda_: LambdaSeam | None) -> None:
    """Install the patches once per process and route the seams to these runners."""
    global _ecs, _lambda
    with _lock:
        _install_once()
        _ecs, _lambda = ecs, lambda_


def detach() -> None:
    """Route the seams nowhere; moto answers as shipped again for ECS and Lambda."""
    global _ecs, _lambda
    with _lock:
        _ecs, _lambda = None, None


def _operation_name(snake_action: str) -> str:
    return "".join(part.capitalize() for part in snake_action.split("_"))


def _shapes(service: str, snake_action: str) -> tuple[Any, Any]:
    model = _botocore_session.get_service_model(service)
    operation = model.operation_model(_operation_name(snake_action))
    return operation.input_shape, operation.output_shape


def _install_once() -> None:
    global _installed
    if _installed:
        return
    _patch_transaction_rollback()
    _patch_state_machine_clone()
    _patch_heartbeat_timeout_name()
    _patch_early_callback_answer()
    _patch_send_task_failure_cause()
    _patch_stop_execution()
    _patch_sfn_ecs_normalisation()
    _patch_sfn_ecs_error_names()
    _patch_state_machine_credentials()
    _patch_retry_clock()
    _patch_ecs_api()
    _patch_lambda_invoke()
    _patch_dynamodb_serialised()
    _installed = True


def _patch_send_task_failure_cause() -> None:
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self: Any) -> Any:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"),
            error=self._get_param("error"),
            cause=self._get_param("cause"),
        )
        return EmptyResult()

    setattr(StepFunctionResponse, "send_task_failure", send_task_failure)  # noqa: B010


def _patch_early_callback_answer() -> None:
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

    shipped = CallbackEndpoint.setup_heartbeat_endpoint

    def setup_heartbeat_endpoint(self: Any, heartbeat_seconds: int) -> Any:
        endpoint = shipped(self, heartbeat_seconds)
        if self.get_outcome() is not None:  # answered before the wait began: end it at once
            endpoint.notify()
        return endpoint

    setattr(CallbackEndpoint, "setup_heartbeat_endpoint", setup_heartbeat_endpoint)  # noqa: B010


def _patch_state_machine_clone() -> None:
    from moto.stepfunctions.models import StateMachine

    shared = {"backend", "executions"}

    def __deepcopy__(self: Any, memo: dict[int, Any]) -> Any:
        clone = self.__class__.__new__(self.__class__)
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            if name == "executions":
                setattr(clone, name, [])
            elif name in shared:
                setattr(clone, name, value)
            else:
                setattr(clone, name, copy.deepcopy(value, memo))
        return clone

    setattr(StateMachine, "__deepcopy__", __deepcopy__)  # noqa: B010 - patching a class


def _patch_stop_execution() -> None:
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.backend import execution as execution_module

    shipped_stop = execution_module.Execution.stop
    shipped_reflect = execution_module.BaseExecutionWorkerCommunication._reflect_execution_status

    def stop(self: Any, stop_date: Any, error: str | None, cause: str | None) -> None:
        shipped_stop(self, stop_date=stop_date, error=error, cause=cause)
        if self.exec_status == ExecutionStatus.RUNNING:
            self.exec_status = ExecutionStatus.ABORTED
            self.stop_date = stop_date
            self.error, self.cause = error, cause

    def reflect(self: Any) -> None:
        if self.execution.exec_status == ExecutionStatus.ABORTED:
            return
        shipped_reflect(self)

    setattr(execution_module.Execution, "stop", stop)  # noqa: B010
    setattr(execution_module.BaseExecutionWorkerCommunication, "_reflect_execution_status", reflect)  # noqa: B010


def _patch_heartbeat_timeout_name() -> None:
    from moto.stepfunctions.parser.api import HistoryEventType, TaskTimedOutEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback_module,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimeoutError
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    service_cls = callback_module.StateTaskServiceCallback
    shipped = service_cls._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        if not isinstance(ex, HeartbeatTimeoutError):
            return shipped(self, env, ex)
        kind = StatesErrorNameType.StatesHeartbeatTimeout
        return FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=kind),
            event_type=HistoryEventType.TaskTimedOut,
            event_details=EventDetails(  # type: ignore[typeddict-item]
                taskTimedOutEventDetails=TaskTimedOutEventDetails(
                    resourceType=self._get_sfn_resource_type(),
                    resource=self._get_sfn_resource(),
                    error=kind.to_name(),
                )
            ),
        )

    setattr(service_cls, "_from_error", _from_error)  # noqa: B010


def _patch_sfn_ecs_normalisation() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_ecs as ecs_module,
    )

    service_cls = ecs_module.StateTaskServiceEcs
    # moto drops every RunTask parameter outside a short list, CapacityProviderStrategy among
    # them; Step Functions forwards the whole RunTask request, so accept all of its members.
    run_task_input, _ = _shapes("ecs", "run_task")
    ecs_module._SUPPORTED_API_PARAM_BINDINGS["runtask"] |= {
        member[0].upper() + member[1:] for member in run_task_input.members
    }

    def _normalise_parameters(
        self: Any,
        parameters: dict[str, Any],
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        service = self._get_boto_service_name(boto_service_name)
        action = self._get_boto_service_action(service_action_name)
        input_shape, _ = _shapes(service, action)
        if input_shape is not None:
            self._to_boto_request(parameters, input_shape)

    def _normalise_response(
        self: Any,
        response: Any,
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        service = self._get_boto_service_name(boto_service_name)
        action = self._get_boto_service_action(service_action_name)
        _, output_shape = _shapes(service, action)
        if output_shape is not None:
            self._from_boto_response(response, output_shape)

    setattr(service_cls, "_normalise_parameters", _normalise_parameters)  # noqa: B010
    setattr(service_cls, "_normalise_response", _normalise_response)  # noqa: B010


class _NoTaskPlaced(Exception):
    """RunTask answered 200 with failures and no task (moto would crash on ``Tasks[0]``)."""


def _patch_sfn_ecs_error_names() -> None:
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback_module,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_ecs as ecs_module,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    modeled = {shape.name for shape in _botocore_session.get_service_model("ecs").error_shapes}
    shipped_client_for = ecs_module.boto_client_for

    class _PlacingEcsClient:
        """The interpreter's ECS client; a RunTask that placed nothing raises, as on AWS."""

        def __init__(self, client: Any) -> None:
            self._client = client

        def __getattr__(self, name: str) -> Any:
            return getattr(self._client, name)

        def run_task(self, **request: Any) -> Any:
            response = self._client.run_task(**request)
            if response.get("failures") and not response.get("tasks"):
                reasons = "; ".join(str(f.get("reason")) for f in response["failures"])
                raise _NoTaskPlaced(reasons)
            return response

        def describe_tasks(self, **request: Any) -> Any:
            # The interpreter describes the task it started to build the state's output; AWS
            # does not ask the role for ecs:DescribeTasks on runTask.waitForTaskToken.
            with unchecked():
                return self._client.describe_tasks(**request)

    def boto_client_for(*args: Any, **kwargs: Any) -> Any:
        client = shipped_client_for(*args, **kwargs)
        return _PlacingEcsClient(client) if kwargs.get("service", "ecs") == "ecs" else client

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        if isinstance(ex, ClientError):
            code = ex.response.get("Error", {}).get("Code", "")
            name = f"ECS.{code if code in modeled else 'AmazonECSException'}"
            cause = str(ex.response.get("Error", {}).get("Message", ex))
        elif isinstance(ex, _NoTaskPlaced):
            name, cause = "ECS.AmazonECSException", str(ex)
        else:
            return callback_module.StateTaskServiceCallback._from_error(self, env, ex)
        return FailureEvent(
            env=env,
            error_name=CustomErrorName(name),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(  # type: ignore[typeddict-item]
                taskFailedEventDetails=TaskFailedEventDetails(
                    error=name,
                    cause=cause,
                    resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type(),
                )
            ),
        )

    setattr(ecs_module, "boto_client_for", boto_client_for)  # noqa: B010
    setattr(ecs_module.StateTaskServiceEcs, "_from_error", _from_error)  # noqa: B010


# The account's roles, for the clients the interpreter builds (set by the local cloud).
iam: LocalIam | None = None


def _patch_state_machine_credentials() -> None:
    """Every client the interpreter builds acts as the execution's role (``StateCredentials``
    carries the state machine's ``roleArn``), so the local IAM checks the state machine's calls
    against the role its template gives it. moto itself signs with fixed keys and checks nothing.
    """
    import importlib
    import sys

    from moto.stepfunctions.parser.asl.utils import boto_client

    shipped = boto_client.boto_client_for
    package = "moto.stepfunctions.parser.asl.component.state.exec"
    for integration in (
        "state_task.lambda_eval_utils",
        "state_task.service.state_task_service_aws_sdk",
        "state_task.service.state_task_service_dynamodb",
        "state_task.service.state_task_service_ecs",
        "state_task.service.state_task_service_events",
        "state_task.service.state_task_service_sfn",
        "state_task.service.state_task_service_sns",
        "state_task.service.state_task_service_sqs",
        "state_map.item_reader.eval.resource_eval_s3",
        "state_map.result_writer.resource_eval.resource_eval_s3",
    ):
        importlib.import_module(f"{package}.{integration}")

    def wrap(inner: Callable[..., Any]) -> Callable[..., Any]:
        def boto_client_for(*args: Any, **kwargs: Any) -> Any:
            credentials = kwargs.get("state_credentials")
            role_arn = getattr(credentials, "role_arn", None)
            principal = iam.principal(role_arn) if iam is not None else None
            with acting_as(principal):
                return inner(*args, **kwargs)

        return boto_client_for

    # Each integration module imported the function by name: replace it where it was imported.
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and hasattr(module, "boto_client_for"):
            current = module.boto_client_for
            if current is shipped or getattr(current, "__module__", "") == __name__:
                setattr(module, "boto_client_for", wrap(current))  # noqa: B010


def _patch_retry_clock() -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    class _Time:
        """What ``retrier_decl`` uses of the ``time`` module: ``sleep``, on the retry clock."""

        sleep = staticmethod(retry_clock.sleep)

    setattr(retrier_decl, "time", _Time)  # noqa: B010


def _active_task_definition(backend: Any, name: str) -> str:
    """The ARN of the revision RunTask runs, refusing as ECS does.

    A family alone means its latest ACTIVE revision; a named revision must be ACTIVE. A stack
    update deregisters the old revision, so an ASL that pinned it could not relaunch a worker
    afterwards: moto would run it anyway, ECS refuses.
    """
    from moto.ecs.exceptions import EcsClientException

    family, _, revision = name.rsplit("/", 1)[-1].partition(":")
    revisions = backend.task_definitions.get(family, {})
    if revision:
        found = revisions.get(int(revision)) if revision.isdigit() else None
        if found is None:
            raise EcsClientException("Unable to describe task definition.")
        if found.status != "ACTIVE":
            raise EcsClientException("TaskDefinition is inactive")
        return str(found.arn)
    active = [revisions[key] for key in sorted(revisions) if revisions[key].status == "ACTIVE"]
    if not active:
        raise EcsClientException("Unable to describe task definition.")
    return str(active[-1].arn)


def _patch_ecs_api() -> None:
    from moto.core.responses import ActionResult
    from moto.ecs.exceptions import ECSException
    from moto.ecs.responses import EC2ContainerServiceResponse as Responses

    shipped: dict[str, Callable[..., Any]] = {
        name: getattr(Responses, name) for name in ("run_task", "describe_tasks", "stop_task")
    }

    def run_task(self: Any) -> Any:
        if _ecs is None:
            return shipped["run_task"](self)
        request = json.loads(self.body or "{}")
        _active_task_definition(self.ecs_backend, request.get("taskDefinition", ""))
        try:
            tasks = [_ecs.run_task(request)]
        except RunTaskRefused as refused:
            if refused.error_code is not None:
                raise ECSException(refused.error_code, refused.reason) from None
            return ActionResult({"tasks": [], "failures": [{"reason": refused.reason}]})
        return ActionResult({"tasks": tasks, "failures": []})

    def describe_tasks(self: Any) -> Any:
        if _ecs is None:
            return shipped["describe_tasks"](self)
        cluster = self._get_param("cluster", "default")
        tasks = _ecs.describe_tasks(cluster, self._get_param("tasks", []))
        return ActionResult({"tasks": tasks, "failures": []})

    def stop_task(self: Any) -> Any:
        if _ecs is None:
            return shipped["stop_task"](self)
        task = _ecs.stop_task(
            self._get_param("cluster", "default"),
            self._get_param("task"),
            self._get_param("reason"),
        )
        return ActionResult({"task": task})

    for name, patched in (
        ("run_task", run_task),
        ("describe_tasks", describe_tasks),
        ("stop_task", stop_task),
    ):
        setattr(Responses, name, patched)


def _patch_lambda_invoke() -> None:
    from moto.awslambda.models import LambdaFunction

    shipped = LambdaFunction._invoke_lambda

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        if _lambda is None:
            return shipped(self, event)
        return _lambda.invoke(self.function_name, event if event is not None else {})

    setattr(LambdaFunction, "_invoke_lambda", _invoke_lambda)  # noqa: B010


def _patch_transaction_rollback() -> None:
    """A cancelled ``TransactWriteItems`` leaves its tables as they were, in place, with no
    stream record of the writes it undid, as on AWS.

    moto rolls back by putting deep copies of the tables back in place of the originals. That
    orphans the stream shard a reader holds an iterator on (the pipe that starts jobs then never
    sees another INSERT: every job submitted after one refused quota waited forever), and the
    originals' shards keep records of the writes the rollback undid. The seam keeps each
    original table object, takes the copy's items into it, and cuts its shard back to where it
    was before the transaction.
    """
    from moto.dynamodb.models import DynamoDBBackend

    shipped = DynamoDBBackend.transact_write_items

    @functools.wraps(shipped)
    def transact_write_items(self: Any, *args: Any, **kwargs: Any) -> Any:
        with dynamodb_lock:
            tables = dict(self.tables)
            lengths = {
                name: len(table.stream_shard.items)
                for name, table in tables.items()
                if table.stream_shard is not None
            }
            try:
                return shipped(self, *args, **kwargs)
            finally:
                for name, original in tables.items():
                    restored = self.tables.get(name)
                    if restored is None or restored is original:
                        continue
                    shard = original.stream_shard
                    original.__dict__.update(
                        {
                            key: value
                            for key, value in vars(restored).items()
                            if key != "stream_shard"
                        }
                    )
                    if shard is not None:
                        del shard.items[lengths.get(name, 0) :]
                    self.tables[name] = original

    setattr(DynamoDBBackend, "transact_write_items", transact_write_items)  # noqa: B010


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def serialised(*args: Any, **kwargs: Any) -> Any:
        with dynamodb_lock:
            return method(*args, **kwargs)

    return serialised


def _patch_dynamodb_serialised() -> None:
    """Make moto's DynamoDB a store whose every operation is atomic: one at a time.

    The lock is taken at two layers. Around each request's dispatch (``call_action``), so the
    response is built from the items before another request changes them: moto's handlers read
    the item objects the backend returns after the backend call, and ``update_item`` changes an
    item in place. Every request arrives there: boto3 clients, the in-process functions, and
    the Step Functions interpreter's ``arn:aws:states:::dynamodb:*`` tasks, which call the
    server with a boto3 client (or moto's in-process stubber, which dispatches to the same
    handler). And around each public method of both backends, for callers that reach a backend
    directly in this process (the Streams backend reads the table's stream shard; moto's other
    services look tables up).

    One lock for every table and the streams is stricter than AWS, which serialises writes per
    item only; nothing in a DynamoDB operation waits for another request, so it cannot deadlock.
    (A Lambda event source mapping on a stream would invoke a function inside the write; the
    local cloud has none: its pipe runner polls the stream.)
    """
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        setattr(handler, "call_action", _serialised(handler.call_action))  # noqa: B010
    for backend in (DynamoDBBackend, DynamoDBStreamsBackend):
        for name, member in list(vars(backend).items()):
            if inspect.isfunction(member) and not name.startswith("_"):
                setattr(backend, name, _serialised(member))
