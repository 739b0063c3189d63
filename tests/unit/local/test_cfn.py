"""The template reader: short tags, intrinsics and creation order."""

from __future__ import annotations

from pathlib import Path

import pytest

from plot_palette.errors import LocalCloudError
from plot_palette.local.cfn import Scope, creation_order, load_template, references, resolve

ROOT = Path(__file__).resolve().parents[3]


def scope() -> Scope:
    return Scope(
        region="eu-west-1",
        account_id="111122223333",
        stack_name="pp",
        parameters={"Size": "5", "Subnets": ["a", "b", "c"]},
        refs={"Bucket": "my-bucket"},
        attributes={"Bucket": {"Arn": "arn:aws:s3:::my-bucket"}},
        conditions={"IsProd": False},
    )


def test_short_tags_load_as_long_form(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n"
        "  X:\n"
        "    Type: AWS::SNS::Topic\n"
        "    Properties:\n"
        "      A: !Ref Size\n"
        "      B: !GetAtt Bucket.Arn\n"
        "      C: !Sub '${AWS::Region}-x'\n"
        "      D: !Select [0, !GetAZs '']\n"
    )
    loaded = load_template(template)
    properties = loaded["Resources"]["X"]["Properties"]
    assert properties == {
        "A": {"Ref": "Size"},
        "B": {"Fn::GetAtt": ["Bucket", "Arn"]},
        "C": {"Fn::Sub": "${AWS::Region}-x"},
        "D": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
    }


def test_resolve_intrinsics() -> None:
    value = {
        "ref": {"Ref": "Size"},
        "pseudo": {"Ref": "AWS::AccountId"},
        "att": {"Fn::GetAtt": ["Bucket", "Arn"]},
        "sub": {"Fn::Sub": "${Bucket}/${Bucket.Arn}/${AWS::Region}/${!Literal}"},
        "sub_vars": {"Fn::Sub": ["${X}-${Size}", {"X": "y"}]},
        "join": {"Fn::Join": [",", ["a", {"Ref": "Size"}]]},
        "select": {"Fn::Select": [1, {"Ref": "Subnets"}]},
        "select_csv": {"Fn::Select": [2, "p,q,r"]},
        "azs": {"Fn::GetAZs": ""},
        "if": {"Fn::If": ["IsProd", "big", "small"]},
        "novalue": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]},
        "split": {"Fn::Split": [",", "a,b"]},
        "equals": {"Fn::Equals": [{"Ref": "Size"}, 5]},
    }
    assert resolve(value, scope()) == {
        "ref": "5",
        "pseudo": "111122223333",
        "att": "arn:aws:s3:::my-bucket",
        "sub": "my-bucket/arn:aws:s3:::my-bucket/eu-west-1/${Literal}",
        "sub_vars": "y-5",
        "join": "a,5",
        "select": "b",
        "select_csv": "r",
        "azs": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        "if": "small",
        "split": ["a", "b"],
        "equals": True,
    }


def test_unknown_reference_is_a_clear_error() -> None:
    with pytest.raises(LocalCloudError, match="Nope"):
        resolve({"Ref": "Nope"}, scope())
    with pytest.raises(LocalCloudError, match=r"Bucket\.Nope"):
        resolve({"Fn::GetAtt": ["Bucket", "Nope"]}, scope())


def test_creation_order_follows_references_and_depends_on() -> None:
    resources = {
        "C": {"Type": "T", "Properties": {"X": {"Fn::Sub": "${B.Arn}"}}},
        "B": {"Type": "T", "Properties": {"X": {"Ref": "A"}}},
        "A": {"Type": "T"},
        "D": {"Type": "T", "DependsOn": "C"},
    }
    assert creation_order(resources) == ["A", "B", "C", "D"]
    assert references(resources["C"]) == {"B"}


def test_circular_references_are_refused() -> None:
    resources = {
        "A": {"Type": "T", "Properties": {"X": {"Ref": "B"}}},
        "B": {"Type": "T", "Properties": {"X": {"Ref": "A"}}},
    }
    with pytest.raises(LocalCloudError, match="circular"):
        creation_order(resources)


def test_not_a_template_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("just: a mapping\n")
    with pytest.raises(LocalCloudError, match="no Resources"):
        load_template(path)


def test_every_project_template_orders_cleanly() -> None:
    for path in [ROOT / "template.yaml", *sorted((ROOT / "stacks").glob("*.yaml"))]:
        template = load_template(path)
        assert set(creation_order(template["Resources"])) == set(template["Resources"])
