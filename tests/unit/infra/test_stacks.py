"""Network, compute, orchestration and frontend: the shape issue #9 and ADR-001/002/008 ask for."""

from __future__ import annotations

import tomllib
from typing import Any

import yaml

from tests.unit.infra.cfn import ROOT, all_resources, nested_stacks, raw, resources, stack

# -- network (ADR-002) --------------------------------------------------------------------------


def network(kind: str) -> dict[str, dict[str, Any]]:
    return resources(stack("network"), kind)


def test_vpc_with_three_public_subnets_in_three_azs_of_any_region() -> None:
    (vpc,) = network("AWS::EC2::VPC").values()
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    subnets = network("AWS::EC2::Subnet").values()
    assert sorted(s["CidrBlock"] for s in subnets) == ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]
    zones = [s["AvailabilityZone"] for s in subnets]
    # the first three AZs of whatever region the stack is deployed in
    assert sorted(z["Fn::Select"][0] for z in zones) == [0, 1, 2]
    assert all(z["Fn::Select"][1] == {"Fn::GetAZs": ""} for z in zones)
    assert all(s["MapPublicIpOnLaunch"] is True for s in subnets)


def test_subnets_route_to_the_internet_gateway_and_there_is_no_nat() -> None:
    (route,) = network("AWS::EC2::Route").values()
    assert route["DestinationCidrBlock"] == "0.0.0.0/0"
    assert route["GatewayId"] == {"Ref": "InternetGateway"}
    associations = network("AWS::EC2::SubnetRouteTableAssociation").values()
    assert sorted(a["SubnetId"]["Ref"] for a in associations) == ["SubnetA", "SubnetB", "SubnetC"]
    for path, logical, _ in all_resources("AWS::EC2::NatGateway"):
        raise AssertionError(f"{path.name}: {logical} is a NAT gateway (ADR-002: none)")


def test_worker_security_group_admits_nothing_and_sends_only_https() -> None:
    (group,) = network("AWS::EC2::SecurityGroup").values()
    assert "SecurityGroupIngress" not in group
    assert not network("AWS::EC2::SecurityGroupIngress")
    (egress,) = group["SecurityGroupEgress"]
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == ("tcp", 443, 443)


def test_rejected_traffic_is_logged() -> None:
    (flow_log,) = network("AWS::EC2::FlowLog").values()
    assert flow_log["ResourceId"] == {"Ref": "Vpc"}
    assert flow_log["TrafficType"] == "REJECT"


# -- compute (ADR-001) ---------------------------------------------------------------------------


def worker_container() -> dict[str, Any]:
    (definition,) = resources(stack("compute"), "AWS::ECS::TaskDefinition").values()
    (container,) = definition["ContainerDefinitions"]
    return container


def test_cluster_runs_on_fargate_spot_with_fargate_beside_it() -> None:
    (cluster,) = resources(stack("compute"), "AWS::ECS::Cluster").values()
    assert set(cluster["CapacityProviders"]) == {"FARGATE_SPOT", "FARGATE"}
    (default,) = cluster["DefaultCapacityProviderStrategy"]
    assert default["CapacityProvider"] == "FARGATE_SPOT"


def test_worker_has_two_minutes_to_checkpoint_after_sigterm() -> None:
    assert worker_container()["StopTimeout"] == 120


def test_worker_image_comes_from_the_stacks_ecr_repository() -> None:
    image = worker_container()["Image"]["Fn::Sub"]
    assert image == (
        "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/${WorkerRepository}"
        ":${WorkerImageTag}"
    )
    (repository,) = resources(stack("compute"), "AWS::ECR::Repository").values()
    assert repository["ImageScanningConfiguration"] == {"ScanOnPush": True}


def test_worker_logs_to_a_group_with_retention_and_runs_read_only() -> None:
    options = worker_container()["LogConfiguration"]["Options"]
    assert options["awslogs-group"] == {"Ref": "WorkerLogGroup"}
    assert resources(stack("compute"), "AWS::Logs::LogGroup")["WorkerLogGroup"]["RetentionInDays"]
    assert worker_container()["ReadonlyRootFilesystem"] is True


def test_every_log_group_has_a_retention() -> None:
    groups = all_resources("AWS::Logs::LogGroup")
    assert groups
    for path, logical, group in groups:
        assert "RetentionInDays" in group, f"{path.name}: {logical} keeps logs forever"


# -- orchestration -------------------------------------------------------------------------------


def test_state_machine_logs_every_state_and_traces() -> None:
    (machine,) = resources(
        stack("orchestration"), "AWS::Serverless::StateMachine", sam=True
    ).values()
    assert machine["Logging"]["Level"] == "ALL"
    assert machine["Logging"]["IncludeExecutionData"] is False
    assert machine["Tracing"] == {"Enabled": True}


def test_the_pipe_starts_jobs_from_queued_inserts_only() -> None:
    (pipe,) = resources(stack("orchestration"), "AWS::Pipes::Pipe").values()
    assert pipe["Source"] == {"Ref": "QueueTableStreamArn"}
    (pattern,) = pipe["SourceParameters"]["FilterCriteria"]["Filters"]
    assert '"eventName": ["INSERT"]' in pattern["Pattern"]
    assert '"S": ["QUEUED"]' in pattern["Pattern"]


def test_a_rule_cleans_up_after_executions_that_died() -> None:
    rules = resources(stack("orchestration"), "AWS::Events::Rule")
    patterns = [rule["EventPattern"] for rule in rules.values() if "EventPattern" in rule]
    (pattern,) = [p for p in patterns if p["source"] == ["aws.states"]]
    assert set(pattern["detail"]["status"]) == {"ABORTED", "FAILED", "TIMED_OUT"}


def test_a_rule_reports_worker_tasks_that_stopped_in_the_jobs_cluster() -> None:
    rules = resources(stack("orchestration"), "AWS::Events::Rule")
    patterns = [rule["EventPattern"] for rule in rules.values() if "EventPattern" in rule]
    (pattern,) = [p for p in patterns if p["source"] == ["aws.ecs"]]
    assert pattern["detail-type"] == ["ECS Task State Change"]
    assert pattern["detail"] == {"lastStatus": ["STOPPED"], "clusterArn": [{"Ref": "ClusterArn"}]}


def test_budget_alerts_go_to_an_encrypted_topic() -> None:
    (topic,) = resources(stack("orchestration"), "AWS::SNS::Topic").values()
    assert topic["KmsMasterKeyId"] == "alias/aws/sns"


def test_export_function_has_scratch_space_for_partitions() -> None:
    functions = resources(stack("orchestration"), "AWS::Serverless::Function", sam=True)
    assert functions["ExportFunction"]["EphemeralStorage"] == {"Size": 10240}


def test_every_function_runs_python_3_13_with_tracing_and_a_retained_log_group() -> None:
    functions = all_resources("AWS::Lambda::Function")
    assert functions
    for path, logical, function in functions:
        assert function["Runtime"] == "python3.13", logical
        assert function["TracingConfig"] == {"Mode": "Active"}, logical
        # without a LoggingConfig, Lambda creates /aws/lambda/NAME itself, kept forever
        group = function.get("LoggingConfig", {}).get("LogGroup", {}).get("Ref")
        assert group, f"{path.name}: {logical} logs to a group without retention"
        assert "RetentionInDays" in resources(path, "AWS::Logs::LogGroup")[group], logical


def test_the_layer_is_built_for_the_functions_runtime() -> None:
    layers = resources(stack("orchestration"), "AWS::Serverless::LayerVersion", sam=True)
    (layer,) = layers.values()
    assert layer["ContentUri"] == "../src/"
    assert layer["CompatibleRuntimes"] == ["python3.13"]
    lines = (ROOT / "src" / "requirements.txt").read_text().splitlines()
    requirements = {line for line in lines if line and not line.startswith("#")}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert requirements == set(pyproject["project"]["dependencies"])


# -- frontend (ADR-008) ----------------------------------------------------------------------------


def test_amplify_hosts_the_dashboard_with_its_configuration() -> None:
    (app,) = resources(stack("frontend"), "AWS::Amplify::App").values()
    variables = {item["Name"]: item["Value"] for item in app["EnvironmentVariables"]}
    assert variables == {
        "API_ENDPOINT": {"Ref": "ApiEndpoint"},
        "COGNITO_USER_POOL_ID": {"Ref": "UserPoolId"},
        "COGNITO_CLIENT_ID": {"Ref": "DashboardClientId"},
    }
    assert "Repository" not in app and "AccessToken" not in app and "OauthToken" not in app
    (rewrite,) = app["CustomRules"]
    assert (rewrite["Target"], rewrite["Status"]) == ("/index.html", "200")
    (branch,) = resources(stack("frontend"), "AWS::Amplify::Branch").values()
    assert branch["Stage"] == "PRODUCTION"


def test_amplify_sends_the_dashboards_content_security_policy() -> None:
    from plot_palette.dashboard_config import content_security_policy

    (app,) = resources(stack("frontend"), "AWS::Amplify::App").values()
    document = yaml.safe_load(app["CustomHeaders"]["Fn::Sub"])
    (rule,) = document["customHeaders"]
    headers = {header["key"]: header["value"] for header in rule["headers"]}
    suffix = "${AWS::Region}.${AWS::URLSuffix}"
    assert headers["Content-Security-Policy"] == content_security_policy(
        [
            f"https://*.execute-api.{suffix}",
            f"https://cognito-idp.{suffix}",
            f"https://${{BucketName}}.s3.{suffix}",
            "https://${BucketName}.s3.${AWS::URLSuffix}",
        ]
    )
    assert headers["X-Frame-Options"] == "DENY"


# -- the root template ---------------------------------------------------------------------------


def test_the_root_template_deploys_every_stack_and_holds_nothing_else() -> None:
    deployed = set(nested_stacks())
    assert deployed == {path.name for path in (ROOT / "stacks").glob("*.yaml")}
    kinds = {body["Type"] for body in raw(ROOT / "template.yaml")["Resources"].values()}
    assert kinds == {"AWS::Serverless::Application"}


def test_nested_stacks_get_every_parameter_they_have_no_default_for() -> None:
    for name, nested in nested_stacks().items():
        declared = raw(nested.path).get("Parameters", {})
        required = {p for p, body in declared.items() if "Default" not in body}
        assert required <= set(nested.parameters), (
            f"{name} lacks {required - set(nested.parameters)}"
        )
        assert set(nested.parameters) <= set(declared), f"{name} gets undeclared parameters"


def test_the_expensive_routes_have_a_throttle_of_their_own_and_the_log_names_the_caller() -> None:
    from tests.unit.infra.cfn import expanded

    template = expanded(ROOT / "stacks" / "api.yaml")["Resources"]
    (stage,) = [r for r in template.values() if r["Type"] == "AWS::ApiGatewayV2::Stage"]
    expensive = {
        "POST /templates/test-run",
        "POST /jobs/estimate",
        "POST /batches/estimate",
        "POST /seed-data/generate",
    }
    settings = stage["Properties"]["RouteSettings"]
    assert set(settings) == expensive
    for route in expensive:
        assert settings[route] == {
            "ThrottlingBurstLimit": {"Ref": "ExpensiveRouteBurstLimit"},
            "ThrottlingRateLimit": {"Ref": "ExpensiveRouteRateLimit"},
        }
    # the routes are in the API's own body, so they exist before the stage names them
    (api,) = [r for r in template.values() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    paths = api["Properties"]["Body"]["paths"]
    assert all(route.split(" ", 1)[1] in paths for route in expensive)
    log = stage["Properties"]["AccessLogSettings"]["Format"]
    for field in ("$context.identity.sourceIp", "$context.identity.userAgent", "claims.sub"):
        assert field in log
