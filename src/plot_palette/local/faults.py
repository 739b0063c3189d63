"""Fault injection at the AWS SDK boundary, for tests and chaos runs of the local cloud.

A fault targets one AWS call by service, operation, an optional parameter match and the number
of the matching call, and does to it what AWS and its networks can do:

- ``fail_before``: the call never applies; the caller gets the error (a ``ClientError`` with
  ``error_code``, or ``EndpointConnectionError`` / ``ConnectionClosedError`` by name), as after
  the SDK has given up retrying.
- ``lose_response``: the request applies, its response is lost on the way back; the SDK sees a
  dropped connection and retries as it would on AWS (the retry is a second, real request).
- ``crash_after``: the request applies and the process dies before it reads the response
  (SIGKILL in a worker subprocess; ``InjectedCrash``, a ``BaseException``, in-process).
- ``sigterm_after`` / ``stop_after``: the request applies, then the process gets SIGTERM (a Spot
  interruption at that exact point) or SIGSTOP (a zombie; resume it with SIGCONT).
- ``hang``: the call never returns (a connection that stays open and silent).

One fault is not an AWS call: ``Fault("template", "render", FaultKind.HANG, match=...)`` hangs
a worker's render, matched on ``seed`` (the seed row as JSON), ``step`` or ``record_seed``
(``<job seed>:<seed index>:<sample index>``), on the event loop's thread as a render stuck in C
code would (the worker test of poison records).

Why patch two botocore methods instead of registering event handlers: the clients that matter
are created in many places (Lambda handler modules at import, the worker, the local cloud), some
before a test starts; ``BaseClient._make_api_call`` (one API call) and
``Endpoint._do_get_response`` (one attempt, inside the SDK's retry loop, after the
``before-send`` event that moto's in-process mock answers) are the two points every client
passes through, so a fault reaches calls made by clients that already exist.

In a worker subprocess the plan comes from ``PLOT_PALETTE_FAULTS`` (JSON), read only by
``python -m plot_palette.local.local_worker``, which the local ECS runner starts instead of the
real entrypoint: production code never reads it.

A process started with ``PLOT_PALETTE_METER=<name>`` tags its Bedrock calls with the
``X-Plot-Palette-Meter`` header, so the local model endpoint counts real spend per job.

Calls can also be recorded (``PLOT_PALETTE_FAULT_LOG`` in a subprocess, ``Recorder`` in-process)
as call *sites* (``dynamodb.UpdateItem Jobs``, ``s3.PutObject checkpoint``), which is how sweep
tests enumerate every site a job touches before injecting a fault at each.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from botocore.client import BaseClient
from botocore.endpoint import Endpoint
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

FAULTS_ENV = "PLOT_PALETTE_FAULTS"
FAULT_LOG_ENV = "PLOT_PALETTE_FAULT_LOG"
METER_ENV = "PLOT_PALETTE_METER"
# The header a metered process puts on its model calls, so the local model endpoint can count
# what it billed to each job even when several jobs run at once.
METER_HEADER = "X-Plot-Palette-Meter"


class FaultKind(StrEnum):
    """What happens to the targeted call."""

    FAIL_BEFORE = "fail_before"
    LOSE_RESPONSE = "lose_response"
    CRASH_AFTER = "crash_after"
    SIGTERM_AFTER = "sigterm_after"
    STOP_AFTER = "stop_after"
    HANG = "hang"


class InjectedCrash(BaseException):  # a crash, not an error to be handled
    """The in-process stand-in for a process that died: no ``except Exception`` catches it."""


@dataclass(frozen=True)
class Fault:
    """One fault: the ``call``-th call matching service, operation and ``match``.

    ``match`` maps a parameter name to a substring its value must contain (``{"TableName":
    "Queue"}``, ``{"Key": "checkpoint"}``); ``site`` instead matches the call site name exactly;
    ``caller`` keeps only calls made from code in a module whose name starts with it
    (``plot_palette.jobs.admission``, or ``moto.stepfunctions`` for the state machine's own
    service integrations), so a test's own reads never count.
    """

    service: str
    operation: str
    kind: FaultKind
    call: int = 1
    match: dict[str, str] = field(default_factory=dict)
    site: str | None = None
    caller: str | None = None
    error_code: str = "InternalServerError"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        return cls(**{**data, "kind": FaultKind(data["kind"])})

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kind": self.kind.value}

    def matches(self, service: str, operation: str, params: dict[str, Any]) -> bool:
        if service != self.service or operation != self.operation:
            return False
        if self.site is not None and call_site(service, operation, params) != self.site:
            return False
        if not all(needle in str(params.get(name, "")) for name, needle in self.match.items()):
            return False
        return self.caller is None or _called_from(self.caller)


def _called_from(prefix: str) -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if str(frame.f_globals.get("__name__", "")).startswith(prefix):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


_TABLE = re.compile(r"([A-Za-z]+?)(?:Table)?$")
_S3_KINDS = (
    ("checkpoint.json", "checkpoint"),
    ("/outputs/", "batch"),
    ("/config.json", "config"),
    ("/exports/", "export"),
    ("seed-data/", "seed"),
    ("sample-datasets/", "seed"),
)


def call_site(service: str, operation: str, params: dict[str, Any]) -> str:
    """A stable name for where a call goes: the operation and the table or kind of S3 object.

    >>> call_site("dynamodb", "UpdateItem", {"TableName": "plot-palette-Database-JobsTable"})
    'dynamodb.UpdateItem Jobs'
    """
    target = ""
    if "TableName" in params:
        match = _TABLE.search(str(params["TableName"]).rsplit("-", 1)[-1])
        target = match.group(1) if match else str(params["TableName"])
    elif "Key" in params and isinstance(params["Key"], str):
        key = params["Key"]
        target = next((kind for needle, kind in _S3_KINDS if needle in key), "object")
    return f"{service}.{operation} {target}".rstrip()


@dataclass
class _Armed:
    fault: Fault
    seen: int = 0
    fired: bool = False


class FaultPlan:
    """Faults armed in this process, and an optional record of every call site."""

    def __init__(
        self,
        faults: list[Fault],
        *,
        in_process: bool,
        log_path: Path | None = None,
        record_callers: tuple[str, ...] = (),
    ):
        self._armed = [_Armed(fault) for fault in faults]
        self._in_process = in_process
        self._log_path = log_path
        self._record_callers = record_callers
        self._lock = threading.Lock()
        self.fired: list[Fault] = []
        self.sites: list[str] = []

    def decide(self, service: str, operation: str, params: dict[str, Any]) -> Fault | None:
        """Count the call against every armed fault; the fault that fires on it, if any."""
        site = call_site(service, operation, params)
        if self._record_callers:
            caller = next((c for c in self._record_callers if _called_from(c)), None)
            site = f"{caller}: {site}" if caller else ""
        chosen: Fault | None = None
        with self._lock:
            if site:
                self.sites.append(site)
            if self._log_path is not None:
                with self._log_path.open("a") as log:
                    log.write(site + "\n")
            for armed in self._armed:
                if armed.fired or not armed.fault.matches(service, operation, params):
                    continue
                armed.seen += 1
                if armed.seen == armed.fault.call and chosen is None:
                    armed.fired = True
                    chosen = armed.fault
                    self.fired.append(chosen)
        return chosen

    def after_applied(self, fault: Fault) -> None:
        """What happens once the request has reached the service (every kind but fail_before)."""
        if fault.kind is FaultKind.CRASH_AFTER:
            if self._in_process:
                raise InjectedCrash(f"crashed after {fault.service}.{fault.operation}")
            os.kill(os.getpid(), signal.SIGKILL)
        elif fault.kind is FaultKind.SIGTERM_AFTER:
            os.kill(os.getpid(), signal.SIGTERM)
        elif fault.kind is FaultKind.STOP_AFTER:
            os.kill(os.getpid(), signal.SIGSTOP)


_state = threading.local()
_active: list[FaultPlan] = []
_originals: dict[str, Any] = {}


def _failure(fault: Fault, operation: str) -> Exception:
    if fault.error_code == "EndpointConnectionError":
        return EndpointConnectionError(endpoint_url=f"https://{fault.service}.injected")
    if fault.error_code == "ConnectionClosedError":
        return ConnectionClosedError(endpoint_url=f"https://{fault.service}.injected")
    throttled = "Throttl" in fault.error_code or "Exceeded" in fault.error_code
    return ClientError(
        {
            "Error": {"Code": fault.error_code, "Message": "injected fault"},
            "ResponseMetadata": {
                "HTTPStatusCode": 400 if throttled else 500,
                "RequestId": "injected-fault",
                "HostId": "",
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            },
        },
        operation,
    )


# The name this process tags its model calls with (``PLOT_PALETTE_METER``), if any.
_meter_name: str | None = None


def _meter(client: BaseClient, name: str) -> None:
    """Tag every model call of ``client`` with ``name`` (botocore registers it once per id)."""

    def tag(request: Any, **_: Any) -> None:
        request.headers[METER_HEADER] = name

    client.meta.events.register("before-sign.bedrock-runtime", tag, unique_id="plot-palette-meter")


def _make_api_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
    original = _originals["make_api_call"]
    if _meter_name and self.meta.service_model.service_name == "bedrock-runtime":
        _meter(self, _meter_name)
    if not _active:
        return original(self, operation_name, api_params)
    plan = _active[-1]
    service = self.meta.service_model.service_name
    fault = plan.decide(service, operation_name, api_params)
    if fault is None:
        return original(self, operation_name, api_params)
    if fault.kind is FaultKind.FAIL_BEFORE:
        raise _failure(fault, operation_name)
    if fault.kind is FaultKind.HANG:
        _hang()
    _state.pending = (plan, fault)
    try:
        return original(self, operation_name, api_params)
    finally:
        _state.pending = None


def _do_get_response(self: Endpoint, request: Any, operation_model: Any, context: Any) -> Any:
    original = _originals["do_get_response"]
    pending = getattr(_state, "pending", None)
    if pending is None:
        return original(self, request, operation_model, context)
    plan, fault = pending
    _state.pending = None  # only the first attempt is hit; the SDK's retry goes through
    response, error = original(self, request, operation_model, context)
    if error is not None:  # it never applied: nothing to lose or to crash after
        return response, error
    if fault.kind is FaultKind.LOSE_RESPONSE:
        return None, ConnectionClosedError(endpoint_url=request.url)
    plan.after_applied(fault)
    return response, error


def _hang() -> None:
    """Never return (the thread sleeps, as one blocked on a socket or in C code would)."""
    while True:
        threading.Event().wait(3600)


def _hang_renders(plan: FaultPlan) -> None:
    """Route the worker's renders through ``plan``: a ``template.render`` hang blocks one."""
    from plot_palette.generation import engine

    original = engine.render_step

    def render_step(
        template: Any, step_id: str, seed: dict[str, Any], outputs: dict[str, str], **kw: Any
    ) -> str:
        params = {"seed": json.dumps(seed), "step": step_id, "record_seed": kw["record_seed"]}
        fault = plan.decide("template", "render", params)
        if fault is not None and fault.kind is FaultKind.HANG:
            _hang()
        return original(template, step_id, seed, outputs, **kw)

    engine.render_step = render_step


def _patch() -> None:
    if _originals:
        return
    # getattr/setattr: botocore's type stubs do not declare these private methods.
    _originals["make_api_call"] = getattr(BaseClient, "_make_api_call")  # noqa: B009
    _originals["do_get_response"] = getattr(Endpoint, "_do_get_response")  # noqa: B009
    setattr(BaseClient, "_make_api_call", _make_api_call)  # noqa: B010
    setattr(Endpoint, "_do_get_response", _do_get_response)  # noqa: B010


@contextlib.contextmanager
def injected(*faults: Fault, record_callers: tuple[str, ...] = ()) -> Iterator[FaultPlan]:
    """Arm ``faults`` for calls made in this process while the block runs.

    ``plan.sites`` records every call site called meanwhile; with ``record_callers`` only the
    calls made from those modules, each site prefixed with the module (``plot_palette.jobs:
    dynamodb.UpdateItem Queue``).
    """
    _patch()
    plan = FaultPlan(list(faults), in_process=True, record_callers=record_callers)
    _active.append(plan)
    try:
        yield plan
    finally:
        _active.remove(plan)


def recorded(*callers: str) -> contextlib.AbstractContextManager[FaultPlan]:
    """Record the call sites this process calls while the block runs (no fault)."""
    return injected(record_callers=callers)


def encode(faults: list[Fault]) -> str:
    """The ``PLOT_PALETTE_FAULTS`` value for a worker subprocess."""
    return json.dumps([fault.to_dict() for fault in faults])


def install_from_env(environ: dict[str, str] | None = None) -> FaultPlan | None:
    """Arm the faults a subprocess was started with; None when it was given none."""
    environ = dict(os.environ) if environ is None else environ
    raw, log, meter = environ.get(FAULTS_ENV), environ.get(FAULT_LOG_ENV), environ.get(METER_ENV)
    if not raw and not log and not meter:
        return None
    faults = [Fault.from_dict(item) for item in json.loads(raw or "[]")]
    _patch()
    if meter:
        global _meter_name
        _meter_name = meter
    plan = FaultPlan(faults, in_process=False, log_path=Path(log) if log else None)
    _active.append(plan)
    if any(fault.service == "template" for fault in faults):
        _hang_renders(plan)
    return plan
