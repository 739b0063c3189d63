"""The notify function: what it may do, what wakes it, and its preferences table."""

from __future__ import annotations

from tests.unit.infra.cfn import ACCOUNT, REGION, nested_stacks, raw, stack
from tests.unit.infra.iam import function_roles


def table(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def test_notify_function_reads_jobs_and_preferences_and_mails_from_the_sender_only() -> None:
    role = function_roles(stack("notifications"))["NotifyFunction"]
    assert role.actions() == {
        "dynamodb:getitem",
        "dynamodb:updateitem",
        "cognito-idp:admingetuser",
        "ses:sendemail",
    }
    assert role.allows("dynamodb:UpdateItem", table("JobsTableName"))
    assert role.allows("dynamodb:GetItem", table("NotificationPreferencesTableName"))
    assert not role.allows("dynamodb:PutItem", table("NotificationPreferencesTableName"))
    assert not role.allows("dynamodb:UpdateItem", table("NotificationPreferencesTableName"))
    assert not role.allows("dynamodb:GetItem", table("TemplatesTableName"))
    sender = {"ses:FromAddress": "NotificationSender"}
    assert role.allows("ses:SendEmail", "*", sender)
    assert not role.allows("ses:SendEmail", "*", {"ses:FromAddress": "someone@else.example"})
    assert not role.could("s3:GetObject")


def test_notify_function_hears_every_end_of_a_job_execution() -> None:
    function = raw(stack("notifications"))["Resources"]["NotifyFunction"]["Properties"]
    pattern = function["Events"]["JobExecutionEnded"]["Properties"]["Pattern"]
    assert pattern["source"] == ["aws.states"]
    assert set(pattern["detail"]["status"]) == {"SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"}
    assert pattern["detail"]["stateMachineArn"] == [{"Ref": "JobStateMachineArn"}]
    wiring = nested_stacks()["notifications.yaml"].parameters
    assert wiring["JobStateMachineArn"] == {
        "Fn::GetAtt": ["Orchestration", "Outputs.JobStateMachineArn"]
    }


def test_the_sender_identity_exists_only_when_a_sender_is_given() -> None:
    template = raw(stack("notifications"))
    identity = template["Resources"]["SenderIdentity"]
    assert identity["Type"] == "AWS::SES::EmailIdentity"
    assert identity["Condition"] == "HasSender"


def test_preferences_table_is_keyed_by_user() -> None:
    table_body = raw(stack("database"))["Resources"]["NotificationPreferencesTable"]["Properties"]
    assert table_body["KeySchema"] == [{"AttributeName": "user_id", "KeyType": "HASH"}]
    assert table_body["SSESpecification"] == {"SSEEnabled": True}
    assert table_body["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
