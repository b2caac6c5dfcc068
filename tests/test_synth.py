"""Synth and the generated docs derive from the same plans as the Pulumi resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.families import plan_from_stack_file
from scripts.cli import main
from scripts.commands.synth import DOCS_STACK
from scripts.mock_stack import run_program
from scripts.schema_docs import render
from scripts.schema_files import TableSchema, comparable, declared_schema, read_schema
from tests.project import PROJECT, PROJECT_DIR, shipped_stacks


def schema_from_pulumi_inputs(inputs: dict[str, Any]) -> TableSchema:
    """The Pulumi resource's inputs, rewritten into a CreateTable request by an independent route."""
    def keys(schemas: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{"AttributeName": k["attributeName"], "KeyType": k["keyType"]} for k in schemas]

    def projection(index: dict[str, Any]) -> dict[str, Any]:
        return {"ProjectionType": index["projectionType"],
                **({"NonKeyAttributes": index["nonKeyAttributes"]} if index.get("nonKeyAttributes") else {})}

    key_schema = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        key_schema.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    sse = inputs["serverSideEncryption"]
    create = {
        "TableName": inputs["name"],
        "AttributeDefinitions": [{"AttributeName": a["name"], "AttributeType": a["type"]}
                                 for a in inputs["attributes"]],
        "KeySchema": key_schema,
        "BillingMode": inputs["billingMode"],
        "GlobalSecondaryIndexes": [{"IndexName": g["name"], "KeySchema": keys(g["keySchemas"]),
                                    "Projection": projection(g)} for g in inputs.get("globalSecondaryIndexes") or []],
        "LocalSecondaryIndexes": [{"IndexName": i["name"], "KeySchema": [key_schema[0], {
            "AttributeName": i["rangeKey"], "KeyType": "RANGE"}], "Projection": projection(i)}
            for i in inputs.get("localSecondaryIndexes") or []],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": inputs["streamViewType"]}
        if inputs["streamEnabled"] else {"StreamEnabled": False},
        "SSESpecification": {"Enabled": sse["enabled"], "SSEType": "KMS",
                             **({"KMSMasterKeyId": sse["kmsKeyArn"]} if sse.get("kmsKeyArn") else {})},
        "TableClass": inputs["tableClass"],
        "DeletionProtectionEnabled": inputs["deletionProtectionEnabled"],
        "Tags": [{"Key": k, "Value": v} for k, v in inputs["tags"].items()],
    }
    pitr = inputs["pointInTimeRecovery"]
    return TableSchema(create=create, ttl_attribute=(inputs.get("ttl") or {}).get("attributeName"),
                       pitr_enabled=pitr["enabled"],
                       pitr_days=int(pitr["recoveryPeriodInDays"]) if pitr.get("recoveryPeriodInDays") else None)


@pytest.mark.parametrize("stack", shipped_stacks())
def test_synth_agrees_with_the_pulumi_resources_for_every_stack(stack: str) -> None:
    resources = run_program(PROJECT_DIR, stack).tables
    plans = plan_from_stack_file(PROJECT_DIR, stack)
    assert {p.name for p in plans} == set(resources)
    for plan in plans:
        assert comparable(declared_schema(plan)) == comparable(schema_from_pulumi_inputs(resources[plan.name].inputs))


def test_synth_writes_two_files_per_table_that_read_back_the_same(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--stack", "dev", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == f"22 tables, 20 GSIs; schema files in {tmp_path}"
    plans = {p.name: p for p in plan_from_stack_file(PROJECT_DIR, "dev")}
    assert len(list(tmp_path.glob("*.settings.json"))) == len(plans)
    for name, plan in plans.items():
        assert comparable(read_schema(tmp_path / f"{name}.json")) == comparable(declared_schema(plan))
    items = json.loads((tmp_path / "items-dev.settings.json").read_text())
    assert items == {
        "TimeToLive": {"TableName": "items-dev", "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True}},
        "ContinuousBackups": {"TableName": "items-dev", "PointInTimeRecoverySpecification": {
            "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7}},
    }


def test_committed_database_schema_doc_is_current() -> None:
    assert PROJECT.docs_file.read_text() == render(DOCS_STACK, plan_from_stack_file(PROJECT_DIR, DOCS_STACK)), (
        "docs/database-schema.md is stale: run make docs")


def test_docs_check_reports_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for file in ("Pulumi.yaml", f"Pulumi.{DOCS_STACK}.yaml"):
        (tmp_path / file).write_text((PROJECT_DIR / file).read_text())
    assert main(["docs", "--project-dir", str(tmp_path)]) == 0  # both generated files, current
    stale = tmp_path / "docs" / "database-schema.md"
    stale.write_text(PROJECT.docs_file.read_text().replace("slug-index", "slug-idx"))
    capsys.readouterr()
    assert main(["docs", "--check", "--project-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"{stale} does not match the table model; run make docs\n"


def test_docs_document_every_index_with_its_access_pattern_and_an_example_query() -> None:
    from components.families import FAMILIES
    from components.model.patterns import patterns_on

    text = PROJECT.docs_file.read_text()
    for plan in plan_from_stack_file(PROJECT_DIR, DOCS_STACK):
        for index in plan.spec.global_indexes:
            used = patterns_on(FAMILIES[plan.family].patterns, plan.spec, index.name)
            assert used, f"no access pattern uses {plan.name} index {index.name}"
            assert all(p.name in text for p in used), index.name
            assert f"--table-name {plan.name} --index-name {index.name}" in text


def test_multi_attribute_gsis_lsis_and_include_render_the_same_in_pulumi_and_synth() -> None:
    import pulumi

    from components.model.plan import TablePlan
    from components.model.spec import GlobalIndex, Key, LocalIndex, Projection, TableSpec
    from components.model.stack_settings import FamilySettings
    from components.resources.table import declare_table
    from scripts.mock_stack import _CloudMocks, _RecordingMonitor

    spec = TableSpec(
        key="orders", base_name="orders", env_var="ORDERS_TABLE_NAME", description="d", partition=Key("tenant"),
        sort=Key("orderId"), ttl_attribute="expiresAt",
        global_indexes=(GlobalIndex("by-region-and-time", partition=(Key("region"), Key("store")),
                                    sort=(Key("day"), Key("placedAt", "N")), projection=Projection.INCLUDE,
                                    non_key_attributes=("total",)),),
        local_indexes=(LocalIndex("by-total", sort=Key("total", "N"), projection=Projection.KEYS_ONLY),),
    )
    settings = FamilySettings(prefix="", suffix="-dev", existing_tables=None, adopt_all=False, import_ignore_changes={},
                              tags={"owner": "o"}, kms_key_arn=None, deletion_protection=False, pitr_enabled=True,
                              pitr_recovery_period_days=7)
    plan = TablePlan(family="shop", spec=spec, name="orders-dev", environment="dev", tags={"owner": "o"},
                     settings=settings, protect=False)
    monitor = _RecordingMonitor(_CloudMocks("us-east-1"))
    pulumi.runtime.set_mocks(monitor.mocks, project="p", stack="s", preview=True, monitor=monitor)

    @pulumi.runtime.test
    def declare() -> pulumi.Output:
        parent = pulumi.ComponentResource("test:index:Parent", "parent")
        return declare_table(plan, parent).urn

    declare()
    [table] = [r for r in monitor.declared if r.type == "aws:dynamodb/table:Table"]
    rendered = declared_schema(plan)
    assert rendered.create["GlobalSecondaryIndexes"][0]["KeySchema"] == [
        {"AttributeName": "region", "KeyType": "HASH"}, {"AttributeName": "store", "KeyType": "HASH"},
        {"AttributeName": "day", "KeyType": "RANGE"}, {"AttributeName": "placedAt", "KeyType": "RANGE"}]
    assert rendered.create["LocalSecondaryIndexes"][0]["KeySchema"][1] == {"AttributeName": "total",
                                                                           "KeyType": "RANGE"}
    assert comparable(rendered) == comparable(schema_from_pulumi_inputs(table.inputs))
