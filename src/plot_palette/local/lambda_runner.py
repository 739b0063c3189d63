"""The local Lambda runner: invokes the handler a template's function names, in-process.

moto cannot run a function without Docker, so ``moto_seams`` routes Invoke here, and the pipe
and rule runners call ``invoke_arn`` directly. The handler module is loaded from the function's
``CodeUri`` exactly as Lambda would import it (``app.lambda_handler``), and errors come back the
way Lambda reports them (``errorType``/``errorMessage``), so the state machine's ``Catch`` sees
the same error names it would on AWS.

Each function has one execution environment, which handles one event at a time (see
``LambdaRunner``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from plot_palette.errors import LocalCloudError
from plot_palette.local.faults import InjectedCrash
from plot_palette.local.iam_enforcement import LocalIam, acting_as

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from plot_palette.local.provision import FunctionSpec


@dataclass
class LambdaContext:
    """The parts of Lambda's context object our handlers (and powertools) read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    deadline: float
    function_version: str = "$LATEST"
    log_group_name: str = "local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass
class _Environment:
    """A function's execution environment: its handler, imported at the first event (the cold
    start), and the lock that makes it take one event at a time."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    handler: Callable[[Any, Any], Any] | None = None


class LambdaRunner:
    """Registry of the template's functions and the in-process invoker.

    Every function gets exactly one execution environment, and an environment runs one event
    at a time, as Lambda's do: concurrent invocations of a function wait for each other (as if
    its reserved concurrency were 1, queueing instead of throttling), while different functions
    run at the same time. Lambda would start more environments under load, each a process of
    its own; here they would share this process, and our handlers keep per-invocation state
    where a fresh import of the handler does not separate it: powertools' resolver sets the
    current event and Lambda context on its class (``BaseRouter.current_event``, shared by every
    resolver in the process), so concurrent API requests were answered with another request's
    body and caller; powertools' Logger keeps each invocation's keys (request id, job id) on
    the one handler every Logger of a service shares; the idempotency utility registers the
    invocation's context on its config. Rather than audit every handler for such state (and
    miss the next one), no function runs two events at once, whichever it is.

    Nothing waits on itself: no function invokes itself synchronously. The api function's
    asynchronous invocations of the export function run inside the API request (moto runs an
    ``Event`` invocation before it answers), in the export function's environment, which the
    state machine's export branches share: they export one format after another.
    """

    def __init__(self) -> None:
        self._functions: dict[str, FunctionSpec] = {}
        self._environments: dict[str, _Environment] = {}
        self._overrides: dict[str, Callable[[Any, Any], Any]] = {}
        self._environment: dict[str, str] = {}
        self._lock = threading.Lock()
        # The account's roles: a function whose role is defined there runs acting as it, so
        # its calls are checked as IAM checks them (plot_palette.local.iam_enforcement).
        self.iam: LocalIam | None = None

    def register_function(self, spec: FunctionSpec) -> None:
        """Remember a function; its environment joins this process's (values must agree)."""
        for key, value in spec.environment.items():
            known = self._environment.get(key)
            if known is not None and known != value:
                raise LocalCloudError(
                    f"functions disagree on environment variable {key} ({known!r} vs {value!r}); "
                    "the local cloud runs them in one process"
                )
            self._environment[key] = value
        self._functions[spec.name] = spec
        self._functions[spec.arn] = spec

    @property
    def environment(self) -> dict[str, str]:
        """The union of every registered function's environment variables."""
        return dict(self._environment)

    def functions(self) -> list[FunctionSpec]:
        """Every registered function, once each."""
        return list({spec.name: spec for spec in self._functions.values()}.values())

    def function(self, name_or_arn: str) -> FunctionSpec:
        """Find a function by name or ARN."""
        spec = self._functions.get(name_or_arn)
        if spec is None:
            raise LocalCloudError(f"no local function named {name_or_arn}")
        return spec

    def _execution_environment(self, spec: FunctionSpec) -> _Environment:
        with self._lock:
            return self._environments.setdefault(spec.name, _Environment())

    @staticmethod
    def _import_handler(spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        """Import the handler module from the function's code, as Lambda's runtime does."""
        module_name, _, attribute = spec.handler.rpartition(".")
        path = spec.code_dir / f"{module_name.replace('.', '/')}.py"
        unique = f"plot_palette_local_fn_{spec.name.replace('-', '_')}"
        module_spec = importlib.util.spec_from_file_location(unique, path)
        if module_spec is None or module_spec.loader is None:
            raise LocalCloudError(f"cannot load handler {spec.handler} from {path}")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        handler: Callable[[Any, Any], Any] = getattr(module, attribute)
        return handler

    @contextlib.contextmanager
    def override(self, name_or_arn: str, handler: Callable[[Any, Any], Any]) -> Iterator[None]:
        """Run ``handler`` instead of the function's own while the block lasts (fault tests)."""
        name = self.function(name_or_arn).name
        self._overrides[name] = handler
        try:
            yield
        finally:
            self._overrides.pop(name, None)

    def environments(self, name_or_arn: str) -> int:
        """How many execution environments of a function have been started: 0, or 1 after the
        first event (its cold start)."""
        environment = self._environments.get(self.function(name_or_arn).name)
        return int(environment is not None and environment.handler is not None)

    def invoke_arn(self, name_or_arn: str, event: Any) -> Any:
        """Invoke a function and return its result; raise ``LocalCloudError`` if it failed."""
        payload, errored, _ = self.invoke(name_or_arn, event)
        result = json.loads(payload) if payload else None
        if errored:
            raise LocalCloudError(f"{name_or_arn} failed: {payload}")
        return result

    def invoke(self, function_name: str, event: Any) -> tuple[str, bool, str]:
        """Run the handler like Lambda does: ``(payload, errored, log tail)``.

        The invocation waits until the function's environment is free; its timeout starts when
        the environment takes it, as Lambda's does.
        """
        spec = self.function(function_name)
        for key, value in self._environment.items():
            os.environ.setdefault(key, value)
        environment = self._execution_environment(spec)
        principal = self.iam.principal(spec.role_arn) if self.iam is not None else None
        with environment.lock, acting_as(principal):
            context = LambdaContext(
                function_name=spec.name,
                invoked_function_arn=spec.arn,
                memory_limit_in_mb=512,
                aws_request_id=str(uuid.uuid4()),
                deadline=time.monotonic() + spec.timeout,
            )
            # An override stands in for the function's code in the same environment.
            handler = self._overrides.get(spec.name)
            try:
                if handler is None:
                    if environment.handler is None:
                        environment.handler = self._import_handler(spec)
                    handler = environment.handler
                result = handler(event, context)
            except InjectedCrash as crash:  # a fault test killed the runtime mid-invocation
                crashed = {"errorType": "Runtime.ExitError", "errorMessage": str(crash)}
                return json.dumps(crashed), True, ""
            except Exception as error:  # a handler's failure is reported, as Lambda reports it
                payload = {
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_exception(error)[-3:],
                }
                return json.dumps(payload), True, ""
        return json.dumps(result, default=str), False, ""
