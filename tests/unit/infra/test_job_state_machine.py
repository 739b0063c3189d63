"""The job state machine's definition against its role and the guarantees it must keep.

The local cloud runs the definition (tests/integration/orchestration); these read it: the role
grants every integration it calls, each kind of integration retries with one policy, releases
that keep failing fail the execution (so the cleanup rule runs), a cancelled job is never
relaunched nor overwritten, and the exports keep their shape.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from plot_palette.exports.run import FORMATS
from tests.unit.infra.cfn import ACCOUNT, REGION, ROOT, stack
from tests.unit.infra.iam import roles

ASL = json.loads((ROOT / "statemachines" / "job.asl.json").read_text())
STATES = ASL["States"]


def every_state(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Top-level states and those inside Map iterations and Parallel branches."""
    found = dict(states)
    for state in states.values():
        for inner in [*state.get("Branches", []), state.get("ItemProcessor")]:
            if inner:
                found.update(every_state(inner["States"]))
    return found


TASKS = {name: s for name, s in every_state(STATES).items() if s["Type"] == "Task"}


def kind(state: dict[str, Any]) -> str:
    """The kind of integration a Task state calls (a slot release and parking are their own)."""
    action = state.get("Parameters", {}).get("Payload", {}).get("action")
    if action in ("release", "park"):
        return str(action)
    return str(state["Resource"]).split(":::")[1].split(":")[0]


def predecessors(name: str) -> set[str]:
    return {
        source
        for source, state in every_state(STATES).items()
        if state.get("Next") == name
        or state.get("Default") == name
        or any(rule.get("Next") == name for rule in state.get("Choices", []))
        or any(catch["Next"] == name for catch in state.get("Catch", []))
    }


def substitution(value: str) -> str:
    assert value.startswith("${") and value.endswith("}"), value
    return value[2:-1]


def test_the_role_grants_every_integration_the_definition_calls() -> None:
    role = roles(stack("orchestration"))["JobStateMachineRole"]
    for name, state in TASKS.items():
        service, _, operation = state["Resource"].split(":::")[1].partition(":")
        operation = operation.split(".")[0]
        parameters = state["Parameters"]
        if service == "dynamodb":
            table = substitution(parameters["TableName"])
            action = f"dynamodb:{operation[0].upper()}{operation[1:]}"
            arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
            assert role.allows(action, arn), f"{name}: {action} on {table}"
        elif service == "lambda":
            function = substitution(parameters["FunctionName"]).removesuffix("Arn")
            arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"
            assert role.allows("lambda:InvokeFunction", arn), f"{name}: invoke {function}"
        else:
            assert service == "ecs" and operation == "runTask", name
            # By family: RunTask is authorised on the revision it resolves to (the latest).
            family = substitution(parameters["TaskDefinition"])
            definition = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:12"
            cluster = {"ecs:cluster": substitution(parameters["Cluster"])}
            assert role.allows("ecs:RunTask", definition, cluster), name


def test_parking_is_retried_on_any_fault_but_a_cancel() -> None:
    retriers = STATES["Wait For A Concurrency Slot"]["Retry"]
    assert retriers[0] == {"ErrorEquals": ["JobCancelled"], "MaxAttempts": 0}
    assert retriers[-1]["ErrorEquals"] == ["States.ALL"] and retriers[-1]["MaxAttempts"] >= 2


def test_each_kind_of_integration_retries_with_one_policy() -> None:
    policies: dict[str, set[str]] = defaultdict(set)
    for state in TASKS.values():
        assert state.get("Retry"), state["Comment"]
        policies[kind(state)].add(json.dumps(state["Retry"], sort_keys=True))
    assert set(policies) == {"dynamodb", "lambda", "release", "park", "ecs"}
    for integration, distinct in policies.items():
        assert len(distinct) == 1, f"{integration} tasks retry in {len(distinct)} ways"


def nominal_waits(retrier: dict[str, Any]) -> list[float]:
    """The waits a retrier asks for without jitter (the ceiling FULL jitter draws under)."""
    interval, rate = retrier.get("IntervalSeconds", 1), retrier.get("BackoffRate", 2.0)
    cap = retrier.get("MaxDelaySeconds", float("inf"))
    return [min(interval * rate**attempt, cap) for attempt in range(retrier["MaxAttempts"])]


def test_a_release_retries_for_minutes_with_jitter_then_fails_the_execution() -> None:
    releases = {name: state for name, state in TASKS.items() if kind(state) == "release"}
    assert len(releases) == 3
    for name, state in releases.items():
        (retrier,) = state["Retry"]
        assert retrier["ErrorEquals"] == ["States.ALL"]
        assert retrier["JitterStrategy"] == "FULL" and "MaxDelaySeconds" in retrier
        assert sum(nominal_waits(retrier)) >= 300, name  # it used to give up after 31 s
        (catch,) = state["Catch"]
        assert STATES[catch["Next"]]["Type"] == "Fail", name


def test_a_stopped_worker_is_relaunched_only_once_the_job_is_known_not_cancelled() -> None:
    worker = STATES["Run Generation Worker"]
    stopped = next(c for c in worker["Catch"] if "States.Timeout" in c["ErrorEquals"])
    # WorkerStopped: the admission function saw the task stop without calling back.
    # WorkerStalled: the worker's watchdog saw nothing settle for STALL_SECONDS.
    assert {
        "SpotInterrupted",
        "WorkerStopped",
        "WorkerStalled",
        "States.HeartbeatTimeout",
        "States.Timeout",
    } == set(stopped["ErrorEquals"])
    check = STATES[stopped["Next"]]
    assert check["Resource"] == "arn:aws:states:::dynamodb:getItem"
    choice = STATES[check["Next"]]
    (cancelled,) = choice["Choices"]
    assert cancelled == {
        "Variable": "$.job.status",
        "StringEquals": "CANCELLED",
        "Next": "Note Cancellation",
    }
    assert choice["Default"] == "Count Worker Relaunch"
    assert predecessors("Count Worker Relaunch") == {check["Next"]}


def test_a_capacity_shortage_is_retried_then_moves_to_on_demand_when_allowed() -> None:
    worker = STATES["Run Generation Worker"]
    (retrier,) = worker["Retry"]
    assert "ECS.AmazonECSException" in retrier["ErrorEquals"]
    shortage = next(c for c in worker["Catch"] if c["ErrorEquals"] == retrier["ErrorEquals"])
    (rule,) = STATES[shortage["Next"]]["Choices"]
    assert rule["Next"] == "Switch To On Demand Fargate"
    assert {"Variable": "$.limits.on_demand_fallback", "BooleanEquals": True} in rule["And"]
    assert STATES["Switch To On Demand Fargate"]["Result"] == "FARGATE"
    strategy = worker["Parameters"]["CapacityProviderStrategy"]
    assert strategy == [{"CapacityProvider.$": "$.capacity", "Weight": 1}]


def test_the_outcome_never_overwrites_a_cancelled_job() -> None:
    outcome = STATES["Record Job Outcome"]
    assert outcome["Parameters"]["ConditionExpression"] == "#status <> :cancelled"
    cancelled = next(
        c
        for c in outcome["Catch"]
        if c["ErrorEquals"] == ["DynamoDB.ConditionalCheckFailedException"]
    )
    closing = STATES[cancelled["Next"]]["Parameters"]["UpdateExpression"]
    assert "#status" not in closing and "finished_at" in closing and "exports" in closing
    for name in ("Record Job Failure", "Mark Job Exporting"):
        assert STATES[name]["Parameters"]["ConditionExpression"] == "#status <> :cancelled"


def test_every_export_runs_once_and_only_jsonl_parquet_and_csv_are_required() -> None:
    formats = STATES["List Export Formats"]["Result"]
    assert [entry["format"] for entry in formats] == list(FORMATS)
    assert {entry["format"] for entry in formats if entry["required"]} == {
        "jsonl",
        "parquet",
        "csv",
    }
    iteration = STATES["Export Dataset"]["ItemProcessor"]["States"]
    assert iteration["Export One Format"]["ResultSelector"] == {
        "format.$": "$.Payload.format",
        "key.$": "$.Payload.key",
        "records.$": "$.Payload.records",
        "manifest_key.$": "$.Payload.manifest_key",
    }
    assert iteration["Required Export Failed"]["ErrorPath"] == "$.error.Error"
    skipped = iteration["Skip Optional Export"]["Parameters"]
    assert set(skipped) == {"format.$", "key", "records", "manifest_key"}
