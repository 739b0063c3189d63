"""The local EventBridge rule runner for Step Functions execution status changes.

On AWS, Step Functions emits "Step Functions Execution Status Change" events to the default bus.
Locally, this runner watches executions of the provisioned state machines, emits the same event
(same source, detail-type and detail fields) on every status change, and delivers it to the
targets of every rule whose pattern matches.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from moto.events.models import EventPattern

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
        self._state_machines: list[str] = []
        self._seen: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered: list[tuple[str, dict[str, Any]]] = []

    def register_rule(self, spec: RuleSpec) -> None:
        """Remember a rule (pattern and targets)."""
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

    def poll_once(self) -> None:
        """Look for status changes once and deliver their events."""
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
            if not pattern.matches_event(event):  # type: ignore[arg-type]
                continue
            for target in rule.targets:
                try:
                    self._lambdas.invoke_arn(target, event)
                    self.delivered.append((rule.name, event))
                except Exception:
                    LOGGER.exception("rule %s: target %s failed", rule.name, target)
