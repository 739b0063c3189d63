"""The local EventBridge rule runner: execution status changes and schedules.

On AWS, Step Functions emits "Step Functions Execution Status Change" events to the default bus.
Locally, this runner watches executions of the provisioned state machines, emits the same event
(same source, detail-type and detail fields) on every status change, and delivers it to the
targets of every rule whose pattern matches. Rules with a ``rate(...)`` schedule get a
"Scheduled Event" at that rate.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from moto.events.models import EventPattern

from plot_palette.errors import LocalCloudError

if TYPE_CHECKING:
    from plot_palette.local.lambda_runner import LambdaRunner
    from plot_palette.local.provision import RuleSpec

LOGGER = logging.getLogger(__name__)


def status_change_event(execution: dict[str, Any], region: str, account_id: str) -> dict[str, Any]:
    """Build the EventBridge event AWS sends for an execution's status change."""
    detail = {
        "executionArn": execution["executionArn"],
        "stateMachineArn": execution["stateMachineArn"],
        "name": execution["name"],
        "status": execution["status"],
        "startDate": _millis(execution.get("startDate")),
        "stopDate": _millis(execution.get("stopDate")),
        "input": execution.get("input"),
        "output": execution.get("output"),
        "error": execution.get("error"),
        "cause": execution.get("cause"),
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": account_id,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [execution["executionArn"]],
        "detail": detail,
    }


_RATE = re.compile(r"^rate\((\d+) (second|seconds|minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> float:
    """Seconds between firings of an EventBridge ``rate(...)`` expression."""
    match = _RATE.match(expression.strip())
    if match is None:
        raise LocalCloudError(f"schedule {expression!r}: only rate(...) expressions run locally")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def scheduled_event(rule_arn: str, region: str, account_id: str) -> dict[str, Any]:
    """The event EventBridge sends a scheduled rule's targets."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def _millis(value: Any) -> int | None:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else None


class RuleRunner:
    """Polls executions and delivers status-change events to matching rules' targets."""

    def __init__(
        self,
        *,
        sfn_client: Any,
        lambdas: LambdaRunner,
        region: str,
        account_id: str,
        poll_seconds: float = 0.3,
    ) -> None:
        self._sfn = sfn_client
        self._lambdas = lambdas
        self._region = region
        self._account = account_id
        self._poll = poll_seconds
        self._rules: list[RuleSpec] = []
        self._schedules: list[tuple[RuleSpec, float, float]] = []
        self._state_machines: list[str] = []
        self._seen: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered: list[tuple[str, dict[str, Any]]] = []

    def register_rule(self, spec: RuleSpec) -> None:
        """Remember a rule (pattern or schedule, and targets)."""
        if spec.schedule is not None:
            self._schedules.append((spec, rate_seconds(spec.schedule), time.monotonic()))
        else:
            self._rules.append(spec)

    def watch(self, state_machine_arn: str) -> None:
        """Emit status-change events for this state machine's executions."""
        self._state_machines.append(state_machine_arn)

    def start(self) -> None:
        """Start the polling thread."""
        self._thread = threading.Thread(target=self._run, name="rules", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                LOGGER.exception("rule runner: polling failed")
            self._stop.wait(self._poll)

    def fire_due_schedules(self) -> None:
        """Send a Scheduled Event to the targets of every schedule that is due."""
        now = time.monotonic()
        for index, (spec, every, last) in enumerate(self._schedules):
            if now - last < every:
                continue
            self._schedules[index] = (spec, every, now)
            arn = f"arn:aws:events:{self._region}:{self._account}:rule/{spec.name}"
            self._deliver(spec, scheduled_event(arn, self._region, self._account))

    def poll_once(self) -> None:
        """Look for status changes once and deliver their events."""
        self.fire_due_schedules()
        for arn in self._state_machines:
            paginator = self._sfn.get_paginator("list_executions")
            for page in paginator.paginate(stateMachineArn=arn):
                for summary in page["executions"]:
                    if self._seen.get(summary["executionArn"]) == summary["status"]:
                        continue
                    self._seen[summary["executionArn"]] = summary["status"]
                    execution = self._sfn.describe_execution(executionArn=summary["executionArn"])
                    self.publish(status_change_event(execution, self._region, self._account))

    def publish(self, event: dict[str, Any]) -> None:
        """Deliver an event to the targets of every rule that matches it."""
        for rule in self._rules:
            pattern = EventPattern(json.dumps(rule.pattern), rule.pattern)
            if pattern.matches_event(event):  # type: ignore[arg-type]
                self._deliver(rule, event)

    def _deliver(self, rule: RuleSpec, event: dict[str, Any]) -> None:
        for target in rule.targets:
            try:
                self._lambdas.invoke_arn(target, event)
                self.delivered.append((rule.name, event))
            except Exception:
                LOGGER.exception("rule %s: target %s failed", rule.name, target)
