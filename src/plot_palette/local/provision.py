"""Provisioning the local cloud from ``template.yaml`` and ``stacks/``: the template is the truth.

Each resource type the templates use maps to one creator here. A type that has no local
behaviour (IAM, networking routes, log groups) is listed in ``_WITHOUT_LOCAL_BEHAVIOUR`` and only
gets a physical id so references resolve; any other unknown type stops provisioning, so a new
resource cannot silently be missing from the local cloud.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from plot_palette.errors import LocalCloudError
from plot_palette.local.cfn import Scope, creation_order, load_template, resolve
from plot_palette.local.iam_enforcement import LocalIam
from plot_palette.local.iam_policy import listed, managed_statements, statements
from plot_palette.local.sam_policies import sam_statements

if TYPE_CHECKING:
    from collections.abc import Callable


class Runners(Protocol):
    """Where provisioning registers what moto cannot run itself."""

    def register_function(self, spec: FunctionSpec) -> None: ...

    def register_task_definition(self, arn: str, spec: dict[str, Any]) -> None: ...

    def register_pipe(self, spec: PipeSpec) -> None: ...

    def register_rule(self, spec: RuleSpec) -> None: ...

    def register_http_api(self, spec: HttpApiSpec) -> None: ...


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function as the template declares it: where its handler lives and its env."""

    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout: int
    # The function's execution role (the local IAM checks its calls against it); empty for a
    # function registered by hand, whose calls are not checked.
    role_arn: str = ""


@dataclass(frozen=True)
class PipeSpec:
    """An EventBridge Pipe from a DynamoDB stream to a target, with its filter patterns."""

    name: str
    source_arn: str
    target_arn: str
    filters: list[dict[str, Any]]
    batch_size: int
    # The pipe's role: it must allow reading the stream and invoking the target.
    role_arn: str = ""


@dataclass(frozen=True)
class RuleSpec:
    """An EventBridge rule: its event pattern and the ARNs of its targets."""

    name: str
    pattern: dict[str, Any]
    targets: list[str]
    schedule: str | None = None


@dataclass(frozen=True)
class HttpRoute:
    """One route of an HTTP API (``ANY /{proxy+}`` style) and the function behind it."""

    method: str
    path: str
    function_arn: str


@dataclass
class HttpApiSpec:
    """An HTTP API: its JWT authorizer (issuer, audiences), CORS origins and routes."""

    name: str
    api_id: str
    issuer: str | None
    audiences: list[str]
    cors_origins: list[str]
    routes: list[HttpRoute] = field(default_factory=list)
    # The rest of the API's CorsConfiguration (AllowHeaders, AllowMethods, ExposeHeaders, MaxAge).
    cors: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stack:
    """One provisioned (nested) stack: refs and attributes of its resources and its outputs."""

    name: str
    path: Path
    scope: Scope
    outputs: dict[str, Any] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    children: dict[str, Stack] = field(default_factory=dict)

    def find(self, resource_type: str) -> dict[str, Any]:
        """Return ``{logical_id: ref}`` of every resource of a type, in this stack and below."""
        found = {
            logical: self.scope.refs[logical]
            for logical, kind in self.types.items()
            if kind == resource_type
        }
        for child in self.children.values():
            found.update(child.find(resource_type))
        return found


_WITHOUT_LOCAL_BEHAVIOUR = {
    "AWS::Logs::LogGroup",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::RouteTable",
    "AWS::EC2::Route",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::S3::BucketPolicy",
    "AWS::Lambda::Permission",
    "AWS::Serverless::LayerVersion",
    "AWS::ECR::Repository",
    "AWS::CodeBuild::Project",  # builds the worker image on AWS; locally the worker runs from src
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::EC2::FlowLog",
    "AWS::SNS::Subscription",
}


class Provisioner:
    """Creates a template's resources in moto and registers the rest with the local runners."""

    def __init__(
        self,
        *,
        client: Callable[[str], Any],
        runners: Runners,
        region: str,
        account_id: str,
        stack_name: str = "plot-palette",
        iam: LocalIam | None = None,
    ) -> None:
        self._client = client
        # Every role the templates define, with its statements: the local IAM enforces them.
        self.iam = iam or LocalIam(region, account_id)
        self._runners = runners
        self._region = region
        self._account = account_id
        self._stack_name = stack_name
        self._role_arn = ""
        self._http_apis: dict[str, HttpApiSpec] = {}

    def provision(self, template_path: Path, parameters: dict[str, Any] | None = None) -> Stack:
        """Provision the root template (and its nested stacks) with parameter overrides."""
        iam = self._client("iam")
        self._role_arn = iam.create_role(
            RoleName="plot-palette-local",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        return self._stack(self._stack_name, template_path, parameters or {})

    def _stack(self, name: str, path: Path, given: dict[str, Any]) -> Stack:
        template = load_template(path)
        scope = Scope(region=self._region, account_id=self._account, stack_name=name)
        for parameter, declaration in template.get("Parameters", {}).items():
            value = given.get(parameter, declaration.get("Default"))
            if value is None:
                raise LocalCloudError(f"{path.name}: parameter {parameter} has no value")
            if declaration.get("Type") == "CommaDelimitedList" and isinstance(value, str):
                value = value.split(",")
            scope.parameters[parameter] = value if isinstance(value, list) else str(value)
        for condition, expression in template.get("Conditions", {}).items():
            scope.conditions[condition] = bool(resolve(expression, scope))
        stack = Stack(name=name, path=path, scope=scope)
        function_globals = template.get("Globals", {}).get("Function", {})
        resources: dict[str, Any] = {
            logical: (
                {**body, "Properties": _merge(function_globals, body.get("Properties", {}))}
                if body["Type"] == "AWS::Serverless::Function"
                else body
            )
            for logical, body in template["Resources"].items()
        }
        # A function's Events become their own rules in SAM, created after the function, so
        # they may refer to resources that refer to the function (its state machine).
        deferred_events: list[tuple[str, dict[str, Any]]] = []
        for logical, body in resources.items():
            events = body.get("Properties", {}).get("Events")
            if body["Type"] == "AWS::Serverless::Function" and events:
                body["Properties"] = {k: v for k, v in body["Properties"].items() if k != "Events"}
                deferred_events.append((logical, events))
        for logical in creation_order(resources):
            body = resources[logical]
            if "Condition" in body and not scope.conditions[body["Condition"]]:
                continue
            stack.types[logical] = body["Type"]
            self._create(stack, logical, body["Type"], body.get("Properties", {}))
        for logical, events in deferred_events:
            self._function_events(stack, logical, resolve(events, scope))
        stack.outputs = {
            output: resolve(body["Value"], scope)
            for output, body in template.get("Outputs", {}).items()
        }
        return stack

    def _create(self, stack: Stack, logical: str, kind: str, properties: dict[str, Any]) -> None:
        scope = stack.scope
        physical = f"{stack.name}-{logical}"
        if kind in ("AWS::Serverless::Application", "AWS::CloudFormation::Stack"):
            location = properties.get("Location") or properties.get("TemplateURL")
            if not isinstance(location, str):
                raise LocalCloudError(f"{stack.path.name}: nested stack {logical} has no Location")
            child_parameters = resolve(properties.get("Parameters", {}), scope)
            child = self._stack(
                physical, (stack.path.parent / location).resolve(), child_parameters
            )
            stack.children[logical] = child
            scope.refs[logical] = physical
            scope.attributes[logical] = {f"Outputs.{k}": v for k, v in child.outputs.items()}
            return
        if kind in _WITHOUT_LOCAL_BEHAVIOUR:
            arn = f"arn:aws:local:{self._region}:{self._account}:{logical}/{physical}"
            scope.refs[logical] = arn if kind.startswith("AWS::Serverless") else physical
            scope.attributes[logical] = {"Arn": arn}
            return
        creator = _CREATORS.get(kind)
        if creator is None:
            raise LocalCloudError(
                f"{stack.path.name}: resource {logical} has type {kind}, which the local cloud "
                "does not provision; add a creator in plot_palette/local/provision.py"
            )
        ref, attributes = creator(self, physical, resolve(properties, scope), stack)
        scope.refs[logical] = ref
        scope.attributes[logical] = attributes

    # -- creators, one per resource type -------------------------------------------------------

    def _bucket(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        s3 = self._client("s3")
        bucket = name.lower()
        s3.create_bucket(Bucket=bucket)
        if "BucketEncryption" in props:
            rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    # CloudFormation says ServerSideEncryptionByDefault, the S3 API says Apply…
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": rule[
                                "ServerSideEncryptionByDefault"
                            ]
                        }
                        for rule in rules
                    ]
                },
            )
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"],
            )
        return bucket, {"Arn": f"arn:aws:s3:::{bucket}", "DomainName": f"{bucket}.s3.local"}

    def _table(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        dynamodb = self._client("dynamodb")
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in props:
            request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if "StreamSpecification" in props:
            request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if "SSESpecification" in props:
            request["SSESpecification"] = {"Enabled": props["SSESpecification"]["SSEEnabled"]}
        table = dynamodb.create_table(**request)["TableDescription"]
        self.iam.partition_keys[name] = next(
            key["AttributeName"] for key in props["KeySchema"] if key["KeyType"] == "HASH"
        )
        if "TimeToLiveSpecification" in props:
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"]
            )
        attributes = {"Arn": table["TableArn"]}
        if "LatestStreamArn" in table:
            attributes["StreamArn"] = table["LatestStreamArn"]
        return name, attributes

    def _function(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        lambda_ = self._client("lambda")
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("README", "code runs in-process through the local Lambda runner")
        environment = {
            key: str(value)
            for key, value in props.get("Environment", {}).get("Variables", {}).items()
        }
        role_arn = self._sam_role(name, props, stack, function=True)
        arn = lambda_.create_function(
            FunctionName=name,
            Runtime=props.get("Runtime", "python3.13"),
            Role=self._role_arn,
            Handler=props["Handler"],
            Code={"ZipFile": archive.getvalue()},
            Timeout=int(props.get("Timeout", 3)),
            Environment={"Variables": environment},
        )["FunctionArn"]
        self._runners.register_function(
            FunctionSpec(
                logical_id=name.rsplit("-", 1)[-1],
                name=name,
                arn=arn,
                code_dir=(stack.path.parent / props["CodeUri"]).resolve(),
                handler=props["Handler"],
                environment=environment,
                timeout=int(props.get("Timeout", 3)),
                role_arn=role_arn,
            )
        )
        return name, {"Arn": arn}

    # -- IAM: the roles the local IAM enforces (iam_enforcement) ---------------------------

    def _role_arn_of(self, name: str) -> str:
        return f"arn:aws:iam::{self._account}:role/{name}"

    def _sam_role(self, name: str, props: dict[str, Any], stack: Stack, *, function: bool) -> str:
        """The role of a SAM function or state machine: its ``Role``, or the one SAM generates
        from its ``Policies`` (named ``<resource>Role``, as SAM names it)."""
        if "Role" in props:
            return str(props["Role"])
        arn = self._role_arn_of(f"{name}Role")
        managed: tuple[str, ...] = ()
        if function:
            tracing = props.get("Tracing") == "Active"
            managed = ("AWSLambdaBasicExecutionRole",) + (
                ("AWSXrayWriteOnlyAccess",) if tracing else ()
            )
        self.iam.attach(
            arn,
            sam_statements(
                props.get("Policies"), lambda value: resolve(value, stack.scope), managed=managed
            ),
        )
        return arn

    def _role(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        role_name = props.get("RoleName", name)
        arn = self._role_arn_of(role_name)
        for policy in props.get("Policies", []):
            self.iam.attach(arn, statements(policy["PolicyDocument"]))
        for managed in props.get("ManagedPolicyArns", []):
            self.iam.attach(arn, managed_statements(managed))
        self.iam.role(arn)  # a role with no policy yet exists, and denies everything
        return role_name, {"Arn": arn}

    def _policy(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        for role in listed(props.get("Roles", [])):
            self.iam.attach(self._role_arn_of(str(role)), statements(props["PolicyDocument"]))
        return name, {}

    def _function_events(self, stack: Stack, logical: str, events: dict[str, Any]) -> None:
        """Register EventBridge and Schedule events as rules, HttpApi events as routes."""
        arn = stack.scope.attributes[logical]["Arn"]
        for event_name, event in events.items():
            properties = event["Properties"]
            name = f"{stack.name}-{logical}-{event_name}"
            if event["Type"] == "EventBridgeRule":
                spec = RuleSpec(name=name, pattern=properties["Pattern"], targets=[arn])
            elif event["Type"] == "Schedule":
                spec = RuleSpec(
                    name=name, pattern={}, targets=[arn], schedule=properties["Schedule"]
                )
            elif event["Type"] == "HttpApi":
                api = self._http_apis.get(str(properties.get("ApiId")))
                if api is None:
                    raise LocalCloudError(f"{logical}: HttpApi event names no HttpApi of its stack")
                api.routes.append(
                    HttpRoute(
                        method=str(properties.get("Method", "ANY")).upper(),
                        path=str(properties.get("Path", "/{proxy+}")),
                        function_arn=arn,
                    )
                )
                continue
            else:
                raise LocalCloudError(f"{logical}: event source {event['Type']} is not emulated")
            self._runners.register_rule(spec)

    def _state_machine(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        definition_path = (stack.path.parent / props["DefinitionUri"]).resolve()
        definition = definition_path.read_text(encoding="utf-8")
        for key, value in props.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + key + "}", str(value))
        json.loads(definition)  # a substitution that breaks the JSON fails here, not at runtime
        role_arn = self._sam_role(name, props, stack, function=False)
        name = props.get("Name", name)
        arn = self._client("stepfunctions").create_state_machine(
            name=name, definition=definition, roleArn=role_arn
        )["stateMachineArn"]
        return arn, {"Arn": arn, "Name": name}

    def _cluster(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        cluster = self._client("ecs").create_cluster(
            clusterName=name, capacityProviders=props.get("CapacityProviders", [])
        )["cluster"]
        return name, {"Arn": cluster["clusterArn"]}

    def _task_definition(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        containers = props["ContainerDefinitions"]
        arn = self._client("ecs").register_task_definition(
            family=props.get("Family", name),
            networkMode=props.get("NetworkMode", "awsvpc"),
            requiresCompatibilities=props.get("RequiresCompatibilities", ["FARGATE"]),
            cpu=str(props.get("Cpu", "256")),
            memory=str(props.get("Memory", "512")),
            containerDefinitions=[
                {
                    "name": container["Name"],
                    "image": container["Image"],
                    "essential": container.get("Essential", True),
                    "environment": [
                        {"name": env["Name"], "value": str(env["Value"])}
                        for env in container.get("Environment", [])
                    ],
                }
                for container in containers
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        self.iam.task_roles[props.get("Family", name)] = tuple(
            str(props[key]) for key in ("TaskRoleArn", "ExecutionRoleArn") if key in props
        )
        self._runners.register_task_definition(arn, props)
        return arn, {"TaskDefinitionArn": arn}

    def _pipe(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        source = props.get("SourceParameters", {})
        filters = [
            json.loads(item["Pattern"])
            for item in source.get("FilterCriteria", {}).get("Filters", [])
        ]
        self._runners.register_pipe(
            PipeSpec(
                name=name,
                source_arn=props["Source"],
                target_arn=props["Target"],
                filters=filters,
                batch_size=int(source.get("DynamoDBStreamParameters", {}).get("BatchSize", 10)),
                role_arn=str(props.get("RoleArn", "")),
            )
        )
        return name, {"Arn": f"arn:aws:pipes:{self._region}:{self._account}:pipe/{name}"}

    def _rule(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        self._runners.register_rule(
            RuleSpec(
                name=name,
                pattern=props.get("EventPattern", {}),
                targets=[target["Arn"] for target in props.get("Targets", [])],
                schedule=props.get("ScheduleExpression"),
            )
        )
        return name, {"Arn": f"arn:aws:events:{self._region}:{self._account}:rule/{name}"}

    def _topic(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        # A TopicName is kept: other stacks build the topic's ARN from it (the budget topic).
        name = props.get("TopicName", name)
        arn = self._client("sns").create_topic(Name=name)["TopicArn"]
        return arn, {"TopicArn": arn, "TopicName": name}

    def _email_identity(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        """A sender address: moto's SES, like SES once the owner clicked the verification link."""
        address = props["EmailIdentity"]
        self._client("ses").verify_email_identity(EmailAddress=address)
        return address, {}

    def _amplify_app(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        """Amplify Hosting has no local twin (the local API server serves the dashboard): the
        app only gets the identifiers its outputs are built from."""
        app_id = "d" + hashlib.sha256(name.encode()).hexdigest()[:13]
        arn = f"arn:aws:amplify:{self._region}:{self._account}:apps/{app_id}"
        return arn, {"AppId": app_id, "Arn": arn, "DefaultDomain": f"{app_id}.amplifyapp.local"}

    def _amplify_branch(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        branch, app = props["BranchName"], props["AppId"]
        arn = f"arn:aws:amplify:{self._region}:{self._account}:apps/{app}/branches/{branch}"
        return arn, {"BranchName": branch, "Arn": arn}

    def _user_pool(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        cognito = self._client("cognito-idp")
        # CloudFormation's property names are CreateUserPool's, except the pool's own name.
        accepted = (
            "Policies",
            "UsernameAttributes",
            "AutoVerifiedAttributes",
            "UsernameConfiguration",
            "MfaConfiguration",
            "AccountRecoverySetting",
            "VerificationMessageTemplate",
            "Schema",
            "UserPoolAddOns",
            "UserPoolTier",
            "DeletionProtection",
        )
        request = {key: props[key] for key in accepted if key in props}
        pool = cognito.create_user_pool(PoolName=props.get("UserPoolName", name), **request)
        pool_id = pool["UserPool"]["Id"]
        return pool_id, {
            "Arn": pool["UserPool"]["Arn"],
            "ProviderName": f"cognito-idp.{self._region}.amazonaws.com/{pool_id}",
            "ProviderURL": f"https://cognito-idp.{self._region}.amazonaws.com/{pool_id}",
            "UserPoolId": pool_id,
        }

    def _user_pool_client(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        request = {key: value for key, value in props.items() if key != "ClientName"}
        client = self._client("cognito-idp").create_user_pool_client(
            ClientName=props.get("ClientName", name), **request
        )["UserPoolClient"]
        return client["ClientId"], {"ClientId": client["ClientId"], "Name": client["ClientName"]}

    def _http_api(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        auth = props.get("Auth", {})
        authorizer = auth.get("Authorizers", {}).get(auth.get("DefaultAuthorizer", ""), {})
        jwt = authorizer.get("JwtConfiguration", {})
        api_id = f"local{len(self._http_apis) + 1:04d}"
        spec = HttpApiSpec(
            name=name,
            api_id=api_id,
            issuer=jwt.get("issuer"),
            audiences=[str(audience) for audience in jwt.get("audience", [])],
            cors_origins=list(props.get("CorsConfiguration", {}).get("AllowOrigins", [])),
            cors=dict(props.get("CorsConfiguration", {})),
        )
        self._http_apis[api_id] = spec
        self._runners.register_http_api(spec)
        return api_id, {"ApiId": api_id, "ApiEndpoint": f"http://{api_id}.local"}

    def _vpc(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        vpc = self._client("ec2").create_vpc(CidrBlock=props["CidrBlock"])["Vpc"]
        return vpc["VpcId"], {"CidrBlock": props["CidrBlock"]}

    def _subnet(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        subnet = self._client("ec2").create_subnet(
            VpcId=props["VpcId"],
            CidrBlock=props["CidrBlock"],
            AvailabilityZone=props.get("AvailabilityZone", f"{self._region}a"),
        )["Subnet"]
        return subnet["SubnetId"], {"AvailabilityZone": subnet["AvailabilityZone"]}

    def _security_group(self, name: str, props: dict[str, Any], stack: Stack) -> tuple[Any, dict]:
        group = self._client("ec2").create_security_group(
            GroupName=name, Description=props["GroupDescription"], VpcId=props.get("VpcId")
        )
        return group["GroupId"], {"GroupId": group["GroupId"]}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge SAM Globals into a resource's properties (maps merge, everything else overrides)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_CREATORS: dict[str, Callable[[Provisioner, str, dict[str, Any], Stack], tuple[Any, dict]]] = {
    "AWS::S3::Bucket": Provisioner._bucket,
    "AWS::DynamoDB::Table": Provisioner._table,
    "AWS::Serverless::Function": Provisioner._function,
    "AWS::IAM::Role": Provisioner._role,
    "AWS::IAM::Policy": Provisioner._policy,
    "AWS::Serverless::StateMachine": Provisioner._state_machine,
    "AWS::ECS::Cluster": Provisioner._cluster,
    "AWS::ECS::TaskDefinition": Provisioner._task_definition,
    "AWS::Pipes::Pipe": Provisioner._pipe,
    "AWS::Events::Rule": Provisioner._rule,
    "AWS::SNS::Topic": Provisioner._topic,
    "AWS::SES::EmailIdentity": Provisioner._email_identity,
    "AWS::Amplify::App": Provisioner._amplify_app,
    "AWS::Amplify::Branch": Provisioner._amplify_branch,
    "AWS::Cognito::UserPool": Provisioner._user_pool,
    "AWS::Cognito::UserPoolClient": Provisioner._user_pool_client,
    "AWS::Serverless::HttpApi": Provisioner._http_api,
    "AWS::EC2::VPC": Provisioner._vpc,
    "AWS::EC2::Subnet": Provisioner._subnet,
    "AWS::EC2::SecurityGroup": Provisioner._security_group,
}
