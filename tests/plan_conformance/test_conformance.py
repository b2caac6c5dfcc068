"""`tables plan` against the provider's behaviour: every case of cases.py on the shared moto server.

A case creates its before-tables with boto3 (the project's create code), plans the after-model and checks
the class, consequence and exit code worked out from the provider's code (each case's `source`). Cases
whose changes are applied in place are then applied on the endpoint the way resourceTableUpdate does it,
and planned again: nothing may be left to do.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from components.model.spec import Capacity
from scripts.change_plan import NOTHING_TO_DO, ChangeClass, TableChanges, format_plan, plan_changes
from scripts.create_tables import create_tables
from scripts.schema_files import declared_schema
from tests.plan_conformance.cases import CASES, STACK, WHERE, Case, run_case

pytestmark = pytest.mark.usefixtures("aws_env")


def _changes(table: TableChanges) -> dict[str, tuple[ChangeClass, str]]:
    return {c.field: (c.change_class, c.consequence) for c in table.changes}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(moto_client: Any, case: Case) -> None:
    stack_changes = run_case(moto_client, case)
    by_key = {t.plan.spec.key: t for t in stack_changes.tables}
    for key, table in by_key.items():
        expected = case.expect.get(key, [])
        got = _changes(table)
        assert set(got) == {field for field, _, _ in expected}, f"{case.id}: {table.plan.name} changes {got}"
        for field, change_class, consequence in expected:
            assert got[field][0] is change_class, f"{case.id}: {table.plan.name} {field}: {got[field]}"
            assert consequence in got[field][1], f"{case.id}: {table.plan.name} {field}: {got[field][1]!r}"
        renamed = table.renamed_from.schema.name if table.renamed_from else None
        assert renamed == case.renamed_from.get(key), f"{case.id}: {table.plan.name} renamed from {renamed}"
    assert stack_changes.exit_code() == case.exit_code, f"{case.id}:\n{format_plan(stack_changes)}"
    assert "items lost" not in format_plan(stack_changes) or any(
        c.change_class is ChangeClass.REPLACE for t in stack_changes.tables for c in t.changes), case.id

    if case.applies_in_place:
        for table in stack_changes.tables:
            apply_in_place(moto_client, table)
        again = plan_changes(moto_client, case.stack_after.plans(case.after), STACK, WHERE)
        assert [(t.plan.name, t.changes) for t in again.tables if t.changes] == [], case.id
        assert again.exit_code() == NOTHING_TO_DO, case.id


def apply_in_place(client: Any, table: TableChanges) -> None:
    """What resourceTableUpdate sends for this table's in-place changes (terraform-provider-aws table.go):
    the table class in an UpdateTable of its own, throughput and stream in one UpdateTable, each new index in its
    own UpdateTable with the attribute definitions, the encryption in an UpdateTable of its own, then
    updateTimeToLive, the transparent tagging (TagResource, UntagResource) and updatePITR."""
    name = table.plan.name
    declared = declared_schema(table.plan)
    create = declared.create
    fields = {c.field for c in table.changes}
    if "tableClass" in fields:  # "Table Class cannot be changed concurrently with other values"
        client.update_table(TableName=name, TableClass=create["TableClass"])
    update: dict[str, Any] = {}
    if "billingMode" in fields:
        update["BillingMode"] = create["BillingMode"]
    if "capacity" in fields and "ProvisionedThroughput" in create:
        update["ProvisionedThroughput"] = create["ProvisionedThroughput"]
    index_updates = [{"Update": {"IndexName": index["IndexName"],
                                 "ProvisionedThroughput": index["ProvisionedThroughput"]}}
                     for index in create.get("GlobalSecondaryIndexes", [])
                     if f"globalIndexes.{index['IndexName']}.capacity" in fields]
    if index_updates:
        update["GlobalSecondaryIndexUpdates"] = index_updates
    if "stream" in fields:
        update["StreamSpecification"] = create["StreamSpecification"]
    if "deletionProtection" in fields:
        update["DeletionProtectionEnabled"] = create["DeletionProtectionEnabled"]
    if update:
        client.update_table(TableName=name, **update)
    for index in sorted(create.get("GlobalSecondaryIndexes", []), key=lambda i: i["IndexName"]):
        if f"globalIndexes.{index['IndexName']}" in fields:  # one per call, as phase 3 does
            client.update_table(TableName=name, AttributeDefinitions=create["AttributeDefinitions"],
                                GlobalSecondaryIndexUpdates=[{"Create": index}])
    if fields & {"encryption", "encryption.kmsKey"}:  # an UpdateTable(SSESpecification) of its own
        client.update_table(TableName=name, SSESpecification=create["SSESpecification"])
    if "ttl" in fields:
        live_attribute = table.live.schema.ttl_attribute if table.live else None
        client.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "AttributeName": declared.ttl_attribute or live_attribute, "Enabled": declared.ttl_attribute is not None})
    tags = [{"Key": f[len("tags."):], "Value": next(t["Value"] for t in create["Tags"] if t["Key"] == f[len("tags."):])}
            for f in fields if f.startswith("tags.") and any(t["Key"] == f[len("tags."):] for t in create["Tags"])]
    removed = [f[len("tags."):] for f in fields if f.startswith("tags.") and not any(
        t["Key"] == f[len("tags."):] for t in create["Tags"])]
    arn = table.live.arn if table.live else ""
    if tags:
        client.tag_resource(ResourceArn=arn, Tags=tags)
    if removed:
        client.untag_resource(ResourceArn=arn, TagKeys=removed)
    if "pitr" in fields:
        client.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": declared.pitr_enabled,
            **({"RecoveryPeriodInDays": declared.pitr_days} if declared.pitr_days else {})})


def test_the_suite_covers_every_class_and_the_issue_rows() -> None:
    classes = {c for case in CASES for expected in case.expect.values() for _, c, _ in expected}
    assert classes == set(ChangeClass)
    assert len(CASES) >= 40
    assert {case.example for case in CASES if case.example} >= {c.value for c in ChangeClass}


def test_turning_ttl_off_then_on_with_a_new_attribute_takes_two_deploys(moto_client: Any) -> None:
    # updateTimeToLive sends one UpdateTimeToLive; AWS refuses a new attribute while TTL is on, so the remedy
    # is two deploys: TTL off (the program declares `ttl {enabled: false}`), then the new attribute on.
    from tests.plan_conformance.cases import Stack, table

    stack = Stack(prefix="t-")
    case = Case("ttl-two-deploys", "updateTimeToLive", [table("items", ttl="ttl")], [table("items")], {}, 1,
                before_stack=stack)
    first = run_case(moto_client, case)
    assert _changes(first.tables[0]) == {"ttl": (ChangeClass.UPDATE, "in place, no downtime: expired items are no "
                                                                     "longer deleted")}
    apply_in_place(moto_client, first.tables[0])
    second = plan_changes(moto_client, stack.plans([table("items", ttl="purgeAt")]), STACK, WHERE)
    assert _changes(second.tables[0]) == {"ttl": (ChangeClass.UPDATE, "in place, no downtime: items whose purgeAt is "
                                                                      "in the past get deleted, within days")}
    assert second.exit_code() == 1
    apply_in_place(moto_client, second.tables[0])
    assert plan_changes(moto_client, stack.plans([table("items", ttl="purgeAt")]), STACK, WHERE).exit_code() == 0


def test_several_new_indexes_are_one_per_update_in_the_providers_order(moto_client: Any) -> None:
    case = next(c for c in CASES if c.id == "two-gsis-at-once")
    text = format_plan(run_case(moto_client, case))
    assert ("Index builds: one per update, each waited for until ACTIVE, in an order the provider chooses (its set "
            "order, not the declaration order; tables build in parallel):") in text
    assert "  c-catalog: aa-by-sku (under a minute), zz-by-owner (under a minute); under a minute in all" in text



def test_deployment_docs_show_one_real_example_per_class(moto_client: Any) -> None:
    from tests.plan_conformance.docs import DOCS, current_block, render

    assert current_block(DOCS.read_text()) == render(moto_client), (
        "docs/deployment.md's plan examples are stale: run PYTHONPATH=. venv/bin/python -m tests.plan_conformance.docs")


def test_every_registry_setting_is_put_back_by_restore_or_carried_by_its_request() -> None:
    # A setting added to the registry must say how a restored table gets it: the restore request carries
    # it, or a put-back step applies it afterwards.
    from scripts.restore import CARRIED_BY_RESTORE, PUT_BACK
    from scripts.table_settings import SETTINGS

    fields = [setting.field for setting in SETTINGS]
    assert sorted(fields) == sorted([*PUT_BACK, *CARRIED_BY_RESTORE])


def test_a_setting_declares_and_copies_the_same_request_entries(moto_client: Any) -> None:
    # schema_files and live iterate the registry's `declare` and `copy`: a setting that declares entries of the
    # CreateTable request must copy the same entries from DescribeTable, with equal values on a table just made.
    from scripts.live import read_live
    from scripts.table_settings import SETTINGS
    from tests.plan_conformance.cases import FEED, KEY_1, Stack

    # (moto reports every table as STANDARD: its CreateTable and UpdateTable ignore TableClass)
    [plan] = Stack(prefix="r-", deletion_protection=True, kms_key_arn=KEY_1).plans([FEED])
    create_tables(moto_client, [declared_schema(plan)])
    table = moto_client.describe_table(TableName=plan.name)["Table"]
    carried = [s for s in SETTINGS if s.declare or s.copy]
    assert {s.field for s in carried} == {"stream", "tableClass", "deletionProtection", "encryption"}
    for setting in carried:
        assert setting.declare and setting.copy, setting.field
        assert setting.copy(table) == setting.declare(plan), setting.field
    live = read_live(moto_client, plan.name)
    assert live is not None
    assert {k: live.schema.create[k] for k in ("StreamSpecification", "TableClass", "DeletionProtectionEnabled")} == {
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        "TableClass": "STANDARD", "DeletionProtectionEnabled": True}


def test_previous_config_names_the_old_table_on_the_command_line(
        moto: Any, moto_client: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # name is ForceNew (terraform-provider-aws table.go, resourceTable schema): a changed suffix deletes the
    # table under its old name, which the previous Pulumi.dev.yaml gives.
    import json
    import shutil

    from components.families import plan_from_stack_file
    from scripts.cli import main
    from tests.project import PROJECT_DIR

    project, previous = tmp_path / "project", tmp_path / "previous"
    project.mkdir()
    previous.mkdir()
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", project / "Pulumi.yaml")
    shutil.copy(PROJECT_DIR / "Pulumi.dev.yaml", previous / "Pulumi.dev.yaml")
    (project / "Pulumi.dev.yaml").write_text((PROJECT_DIR / "Pulumi.dev.yaml").read_text().replace(
        "    items-service:\n      suffix: -dev\n", "    items-service:\n      suffix: -dev-v2\n"))
    assert [p.name for p in plan_from_stack_file(project, "dev") if p.family == "items-service"] == ["items-dev-v2"]
    [items] = [p for p in plan_from_stack_file(PROJECT_DIR, "dev") if p.name == "items-dev"]
    create_tables(moto_client, [declared_schema(items)])
    for i in range(3):
        moto_client.put_item(TableName="items-dev", Item={"id": {"S": f"i{i}"}})

    code = main(["plan", "--stack", "dev", "--project-dir", str(project), "--endpoint-url", moto.url,
                 "--previous-config", str(previous / "Pulumi.dev.yaml"), "--json"])
    result = json.loads(capsys.readouterr().out)
    [table] = [t for t in result["tables"] if t["key"] == "items-service.items"]
    assert table["renamedFrom"] == "items-dev"
    assert [(c["field"], c["class"], c["consequence"]) for c in table["changes"]] == [
        ("name", "replace", "the table's name changes (name is ForceNew): items-dev is deleted (3 items lost) and "
                            "items-dev-v2 created empty")]
    assert code == result["exitCode"] == 3

    code = main(["plan", "--stack", "dev", "--project-dir", str(project), "--endpoint-url", moto.url,
                 "--previous-config", str(previous / "old.yaml")])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        f"ERROR [InvalidPreviousConfig]: --previous-config {previous / 'old.yaml'}: expected an existing file named "
        "Pulumi.<stack>.yaml (the stack file as it was before the change)")


def test_drift_reports_table_and_index_capacity(moto_client: Any) -> None:
    # read_capacity/write_capacity and the GSI's are compared like every registry setting (resourceTableRead
    # reads them back, so the provider sees the difference too).
    from scripts.drift import detect_drift, format_drift
    from tests.plan_conformance.cases import EVENTS, Stack

    stack = Stack(prefix="d-")
    create_tables(moto_client, [declared_schema(p) for p in stack.plans([EVENTS])])
    index = replace(EVENTS.global_indexes[0], capacity=Capacity(7, 3))
    after = replace(EVENTS, capacity=Capacity(50, 40), global_indexes=(index,))
    declared = [declared_schema(p) for p in stack.plans([after])]
    [result] = detect_drift(moto_client, declared)
    assert [(d.field, d.declared, d.live) for d in result.differences] == [
        ("capacity", "50 read, 40 write", "5 read, 5 write"),
        ("globalIndexes.by-kind.capacity", "7 read, 3 write", "5 read, 5 write")]
    assert format_drift([result]).splitlines()[:3] == [
        "d-events: drift", "  ~ capacity: declared 50 read, 40 write, live 5 read, 5 write",
        "  ~ globalIndexes.by-kind.capacity: declared 7 read, 3 write, live 5 read, 5 write"]


# DynamoDB Local answers the PITR and tagging calls with UnknownOperationException and reports no SSE, so
# cases about pitr, tags or encryption run on moto only; these run on both endpoints.
ON_DYNAMODB_LOCAL = ("hash-key-renamed", "sort-key-type", "key-type-with-gsi-added", "suffix-renamed",
                     "lsi-change-protected-stack", "gsi-added", "gsi-projection", "gsi-key-type",
                     "table-and-gsi-capacity", "stream-view-type", "ttl-off", "ttl-attribute-while-on",
                     "table-class", "deletion-protection-on", "in-sync", "import-capacity-differs")
LOCAL_CASES = [case for case in CASES if case.id in ON_DYNAMODB_LOCAL]


def _wait_active(client: Any, name: str) -> None:
    """Until the table and its indexes are ACTIVE: this DynamoDB Local holds them in CREATING/UPDATING a while."""
    import time

    for _ in range(300):
        table = client.describe_table(TableName=name)["Table"]
        if table["TableStatus"] == "ACTIVE" and all(
                index["IndexStatus"] == "ACTIVE" for index in table.get("GlobalSecondaryIndexes", [])):
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} is not ACTIVE after 60 s")


@pytest.mark.dynamodb_local
@pytest.mark.parametrize("case", LOCAL_CASES, ids=[case.id for case in LOCAL_CASES])
def test_case_on_dynamodb_local(dynamodb_local: Any, case: Case) -> None:
    from tests.conftest import client_for, delete_all_tables

    client = client_for(dynamodb_local)
    delete_all_tables(client)
    stack_changes = run_case(client, case)
    for table in stack_changes.tables:
        expected = case.expect.get(table.plan.spec.key, [])
        got = _changes(table)
        assert set(got) == {field for field, _, _ in expected}, f"{case.id}: {table.plan.name} changes {got}"
        for field, change_class, consequence in expected:
            assert got[field][0] is change_class, f"{case.id}: {table.plan.name} {field}: {got[field]}"
            assert consequence in got[field][1], f"{case.id}: {table.plan.name} {field}: {got[field][1]!r}"
        if table.live:
            assert table.live.unsupported == {"encryption", "pitr", "tags"}, case.id
    assert stack_changes.exit_code() == case.exit_code, f"{case.id}:\n{format_plan(stack_changes)}"
    if case.applies_in_place:
        for table in stack_changes.tables:
            _wait_active(client, table.plan.name)
            apply_in_place(client, table)
            _wait_active(client, table.plan.name)
        again = plan_changes(client, case.stack_after.plans(case.after), STACK, WHERE)
        assert [(t.plan.name, t.changes) for t in again.tables if t.changes] == [], case.id
    delete_all_tables(client)


@pytest.mark.dynamodb_local
def test_phase_3_with_a_changed_key_type_on_dynamodb_local(dynamodb_local: Any) -> None:
    # A key type change beside a new index: resourceTableUpdate's phase 3 sends the index's Create with all the
    # declared attribute definitions (expandAttributes), the table key's new type among them. DynamoDB Local
    # refuses that call, so `pulumi up` would stop there; AWS is reported to accept it and keep the old type
    # (paritysuite/dynamodb-conformance#78). Either way the type does not change: the plan says not-applied.
    from botocore.exceptions import ClientError

    from tests.conftest import client_for

    client = client_for(dynamodb_local)
    name = "conformance-phase-3-type"
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    try:
        _wait_active(client, name)
        with pytest.raises(ClientError) as refused:
            client.update_table(
                TableName=name, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"},
                                                      {"AttributeName": "channel", "AttributeType": "S"}],
                GlobalSecondaryIndexUpdates=[{"Create": {
                    "IndexName": "by-channel", "KeySchema": [{"AttributeName": "channel", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"}}}])
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert refused.value.response["Error"]["Message"] == (
            "invalid attribute, SchemaElement redefined should be of same type as previously defined")
        assert client.describe_table(TableName=name)["Table"]["AttributeDefinitions"] == [
            {"AttributeName": "pk", "AttributeType": "S"}]
    finally:
        client.delete_table(TableName=name)
