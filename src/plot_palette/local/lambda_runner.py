"""The local Lambda runner: invokes the handler a template's function names, in-process.

moto cannot run a function without Docker, so ``moto_seams`` routes Invoke here, and the pipe
and rule runners call ``invoke_arn`` directly. The handler module is loaded from the function's
``CodeUri`` exactly as Lambda would import it (``app.lambda_handler``), and errors come back the
way Lambda reports them (``errorType``/``errorMessage``), so the state machine's ``Catch`` sees
the same error names it would on AWS.
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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from plot_palette.errors import LocalCloudError

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


class LambdaRunner:
    """Registry of the template's functions and the in-process invoker."""

    def __init__(self) -> None:
        self._functions: dict[str, FunctionSpec] = {}
        self._handlers: dict[str, list[Callable[[Any, Any], Any]]] = {}
        self._loaded: dict[str, int] = {}
        self._overrides: dict[str, Callable[[Any, Any], Any]] = {}
        self._environment: dict[str, str] = {}
        self._lock = threading.Lock()
        self.invocations: list[tuple[str, Any]] = []

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

    def _acquire(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        """A free instance of the function (an execution environment), loading one if none is.

        Lambda runs one event at a time per environment and starts more under concurrent load;
        handlers keep per-request state at module level (powertools' resolver does), so two
        concurrent invocations must not share a module. Each instance is a fresh import.
        """
        with self._lock:
            idle = self._handlers.setdefault(spec.name, [])
            if idle:
                return idle.pop()
            self._loaded[spec.name] = self._loaded.get(spec.name, 0) + 1
            number = self._loaded[spec.name]
        module_name, _, attribute = spec.handler.rpartition(".")
        path = spec.code_dir / f"{module_name.replace('.', '/')}.py"
        unique = f"plot_palette_local_fn_{spec.name.replace('-', '_')}_{number}"
        module_spec = importlib.util.spec_from_file_location(unique, path)
        if module_spec is None or module_spec.loader is None:
            raise LocalCloudError(f"cannot load handler {spec.handler} from {path}")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        handler: Callable[[Any, Any], Any] = getattr(module, attribute)
        return handler

    def _release(self, spec: FunctionSpec, handler: Callable[[Any, Any], Any]) -> None:
        with self._lock:
            self._handlers.setdefault(spec.name, []).append(handler)

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
        """How many execution environments of a function have been started (cold starts)."""
        return self._loaded.get(self.function(name_or_arn).name, 0)

    def invoke_arn(self, name_or_arn: str, event: Any) -> Any:
        """Invoke a function and return its result; raise ``LocalCloudError`` if it failed."""
        payload, errored, _ = self.invoke(name_or_arn, event)
        result = json.loads(payload) if payload else None
        if errored:
            raise LocalCloudError(f"{name_or_arn} failed: {payload}")
        return result

    def invoke(self, function_name: str, event: Any) -> tuple[str, bool, str]:
        """Run the handler like Lambda does: ``(payload, errored, log tail)``."""
        spec = self.function(function_name)
        self.invocations.append((spec.name, event))
        for key, value in self._environment.items():
            os.environ.setdefault(key, value)
        context = LambdaContext(
            function_name=spec.name,
            invoked_function_arn=spec.arn,
            memory_limit_in_mb=512,
            aws_request_id=str(uuid.uuid4()),
            deadline=time.monotonic() + spec.timeout,
        )
        override = self._overrides.get(spec.name)
        handler = override or self._acquire(spec)
        try:
            result = handler(event, context)
        except Exception as error:  # a handler's failure is reported, as Lambda reports it
            payload = {
                "errorType": type(error).__name__,
                "errorMessage": str(error),
                "stackTrace": traceback.format_exception(error)[-3:],
            }
            return json.dumps(payload), True, ""
        finally:
            if override is None:
                self._release(spec, handler)
        return json.dumps(result, default=str), False, ""
