"""Alarms: failed executions, throttled Bedrock calls and the errors of every Lambda function,
each notifying the alarm topic.

Functions are found in every stack, so a function added anywhere fails here until its Errors
alarm is wired: the stack outputs its ARN, the root template passes that output to the
monitoring stack, and an alarm there watches it.
"""

from __future__ import annotations

from typing import Any

from tests.unit.infra.cfn import ROOT, STACKS, nested_stacks, raw, resources, stack


def alarms() -> dict[str, dict[str, Any]]:
    return resources(stack("monitoring"), "AWS::CloudWatch::Alarm")


def test_every_alarm_notifies_the_alarm_topic() -> None:
    assert alarms()
    for logical, alarm in alarms().items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical
        assert alarm["TreatMissingData"] == "notBreaching", logical
    (topic,) = resources(stack("monitoring"), "AWS::SNS::Topic")
    assert topic == "AlarmTopic"


def test_failed_executions_of_the_job_state_machine_raise_an_alarm() -> None:
    watched = [
        alarm
        for alarm in alarms().values()
        if alarm.get("Namespace") == "AWS/States" and alarm["MetricName"] == "ExecutionsFailed"
    ]
    (alarm,) = watched
    assert alarm["Dimensions"] == [
        {"Name": "StateMachineArn", "Value": {"Ref": "JobStateMachineArn"}}
    ]
    assert alarm["Threshold"] == 1
    assert nested_stacks()["monitoring.yaml"].parameters["JobStateMachineArn"] == {
        "Fn::GetAtt": ["Orchestration", "Outputs.JobStateMachineArn"]
    }


def test_throttled_bedrock_calls_of_any_model_raise_an_alarm() -> None:
    queries = [
        metric["Expression"]
        for alarm in alarms().values()
        for metric in alarm.get("Metrics", [])
        if "Expression" in metric
    ]
    assert 'SELECT SUM(InvocationThrottles) FROM SCHEMA("AWS/Bedrock", ModelId)' in queries


def _function_watched_by(parameter: str) -> bool:
    for alarm in alarms().values():
        if (alarm.get("Namespace"), alarm.get("MetricName")) != ("AWS/Lambda", "Errors"):
            continue
        (dimension,) = alarm["Dimensions"]
        # the function's name is the seventh field of its ARN
        if dimension["Name"] == "FunctionName" and dimension["Value"] == {
            "Fn::Select": [6, {"Fn::Split": [":", {"Ref": parameter}]}]
        }:
            return True
    return False


def test_every_lambda_function_in_every_stack_has_an_errors_alarm() -> None:
    wiring = nested_stacks()
    monitoring = wiring["monitoring.yaml"].parameters
    checked = 0
    for path in STACKS:
        functions = {
            logical
            for logical, body in raw(path)["Resources"].items()
            if body["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
        }
        outputs = {
            body["Value"]["Fn::GetAtt"][0]: name
            for name, body in raw(path).get("Outputs", {}).items()
            if isinstance(body["Value"], dict)
            and body["Value"].get("Fn::GetAtt", [None, None])[1] == "Arn"
        }
        for function in functions:
            assert function in outputs, f"{path.name} does not output the ARN of {function}"
            source = {"Fn::GetAtt": [wiring[path.name].logical_id, f"Outputs.{outputs[function]}"]}
            passed = [name for name, value in monitoring.items() if value == source]
            assert passed, f"the root template does not pass {function}'s ARN to monitoring"
            assert _function_watched_by(passed[0]), f"no Errors alarm watches {function}"
            checked += 1
    assert checked >= 3


def _dashboard_metrics() -> set[tuple[str, str]]:
    """(namespace, metric) of every PlotPalette series the operations dashboard plots."""
    import json
    import re

    (dashboard,) = resources(stack("monitoring"), "AWS::CloudWatch::Dashboard").values()
    body = re.sub(r"\$\{[^}]+\}", "X", dashboard["DashboardBody"]["Fn::Sub"][0])
    found: set[tuple[str, str]] = set()
    for widget in json.loads(body)["widgets"]:
        namespace = ""
        for series in widget["properties"]["metrics"]:
            namespace = namespace if series[0] in (".", "...") else series[0]
            if namespace == "PlotPalette" and series[0] != "...":
                found.add((namespace, series[1]))
    return found


def test_the_dashboard_plots_the_metrics_the_code_emits() -> None:
    """A renamed metric would leave an empty graph: each name must be emitted somewhere."""
    from plot_palette.jobs import task_stops

    emitted = {"RecordsWritten", "ModelCalls", "ModelThrottles", "ModelCostUsd", "WorkerRelaunches"}
    worker = (ROOT / "src" / "plot_palette" / "worker" / "service.py").read_text()
    assert all(f'"{name}"' in worker for name in emitted)
    emitted |= {task_stops.SPOT_INTERRUPTED, task_stops.STOPPED, task_stops.FAILED_TO_START}
    plotted = {name for _, name in _dashboard_metrics()}
    assert plotted == emitted


def test_workers_that_fail_to_start_raise_an_alarm() -> None:
    from plot_palette.jobs.task_stops import FAILED_TO_START

    alarm = alarms()["WorkersFailingToStartAlarm"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("PlotPalette", FAILED_TO_START)
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "admission"}]
    assert alarm["Threshold"] == 1
