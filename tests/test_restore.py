"""`tables restore` and `tables restore-drill` against a real moto server (and DynamoDB Local's refusal).

moto implements RestoreTableToPointInTime but copies the source's CURRENT items whatever the time,
keeps a fixed restore window (the moment PITR was turned on), and ignores BillingModeOverride and
SSESpecificationOverride; the tests say where that shapes what they can check.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from components.families import plan_from_stack_file
from components.model.plan import TablePlan
from scripts import restore
from scripts.cli import main
from scripts.create_tables import create_tables
from scripts.errors import ToolError
from scripts.local_endpoint import Endpoint
from scripts.restore import DRILL_TAG, run_drill
from scripts.schema_files import declared_schema
from tests.conftest import add_stray_index, client_for
from tests.project import PROJECT_DIR

STAGING = {p.spec.key: p for p in plan_from_stack_file(PROJECT_DIR, "staging")}
DEV = {p.spec.key: p for p in plan_from_stack_file(PROJECT_DIR, "dev")}
STAMP = re.compile(r"\d{8}T\d{6}Z")


def cli(capsys: pytest.CaptureFixture[str], endpoint: Endpoint, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--endpoint-url", endpoint.url])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def create(client: Any, *plans: TablePlan, items: int = 3) -> None:
    assert {r.result for r in create_tables(client, [declared_schema(p) for p in plans])} == {"created"}
    for plan in plans:
        for i in range(items):
            item = {key.name: {key.type: f"{plan.spec.key}-{i}" if key.type == "S" else str(i)}
                    for key in (plan.spec.partition, plan.spec.sort) if key is not None}
            client.put_item(TableName=plan.name, Item=item)


def snapshot(client: Any, table: str) -> dict[str, Any]:
    """Everything a restore could conceivably change about a table."""
    description = client.describe_table(TableName=table)["Table"]
    return {
        "table": description,
        "tags": client.list_tags_of_resource(ResourceArn=description["TableArn"])["Tags"],
        "ttl": client.describe_time_to_live(TableName=table)["TimeToLiveDescription"],
        "backups": client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"],
        "items": sorted(json.dumps(i, sort_keys=True) for i in client.scan(TableName=table)["Items"]),
    }


def test_restore_puts_back_ttl_pitr_tags_stream_and_deletion_protection_and_leaves_the_source_alone(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    plan = STAGING["analytics-events"]  # TTL, a NEW_IMAGE stream, deletion protection, PITR 14 days
    create(moto_client, plan)
    before = snapshot(moto_client, plan.name)
    target = "staging-AnalyticsEventsTable-restored-by-test"

    code, out, err = cli(capsys, moto, "restore", "--stack", "staging", "--table", "analytics-events", "--latest",
                         "--target", target, "--json")

    assert (code, err) == (0, "")
    result = json.loads(out)
    # Deletion protection first: the restored copy is protected before any later step can fail.
    assert result["putBack"] == ["deletion protection",
                                 "billing mode PAY_PER_REQUEST (the endpoint ignored BillingModeOverride)",
                                 "stream NEW_IMAGE", "TTL on ttl", "point-in-time recovery (14 days)",
                                 f"{len(plan.tags)} tags"]
    assert result["differences"] == [] and result["clean"] is True
    assert result["notes"] == ["encryption not checked: the endpoint ignored SSESpecificationOverride"]
    assert (result["sourceItems"], result["restoredItems"]) == (3, 3)

    restored = moto_client.describe_table(TableName=target)["Table"]
    assert restored["DeletionProtectionEnabled"] is True
    assert restored["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert moto_client.describe_time_to_live(TableName=target)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
    pitr = moto_client.describe_continuous_backups(TableName=target)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]
    assert (pitr["PointInTimeRecoveryStatus"], pitr["RecoveryPeriodInDays"]) == ("ENABLED", 14)
    tags = moto_client.list_tags_of_resource(ResourceArn=restored["TableArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == plan.tags
    # `tables drift` on the restored table, against the declared one: only the name differs.
    code, out, _ = cli(capsys, moto, "drift", "--stack", "staging", "--json")
    drift = {r["table"]: r for r in json.loads(out)}
    assert drift[plan.name]["state"] == "in-sync"

    assert snapshot(moto_client, plan.name) == before


def test_restore_text_output_names_the_new_table_and_prints_the_next_steps(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    plan = DEV["items"]
    create(moto_client, plan, items=5)

    code, out, err = cli(capsys, moto, "restore", "--stack", "dev", "--table", "items", "--latest")

    assert (code, err) == (0, "")
    (target,) = [t for t in moto_client.list_tables()["TableNames"] if t != plan.name]
    assert re.fullmatch(r"items-dev-restored-\d{8}T\d{6}Z", target)
    lines = out.splitlines()
    assert re.fullmatch(rf"restored items-dev to {target} at the latest restorable time \(restore window "
                        r"\S+Z to \S+Z\), ACTIVE", lines[0])
    assert lines[1:] == [
        "put back: billing mode PAY_PER_REQUEST (the endpoint ignored BillingModeOverride), TTL on ttl, "
        f"point-in-time recovery (7 days), {len(plan.tags)} tags",
        "verify: in sync with the declared table apart from the name",
        "  note: encryption not checked: the endpoint ignored SSESpecificationOverride",
        "items (counted with a paginated Scan, leaving out items whose ttl had passed): source 5, restored 5",
        "items-dev was not changed. Next steps (docs/disaster-recovery.md):",
        f"  copy items back: read what you need from {target} and write it into items-dev (Scan and "
        "BatchWriteItem, or export to S3 and import), then delete the restored table",
        f"  or cut over: point the services at {target} and bring it under the stack "
        "(docs/disaster-recovery.md, \"Cutting over\")",
    ]


def test_restore_to_a_time_inside_the_window(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    create(moto_client, DEV["shops"])
    window = moto_client.describe_continuous_backups(TableName="Shops-dev")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]
    # moto's window is the instant PITR was turned on: the earliest time is also the latest.
    at = window["EarliestRestorableDateTime"].astimezone(UTC)
    code, out, _ = cli(capsys, moto, "restore", "--stack", "dev", "--table", "shops", "--to-time", at.isoformat(),
                       "--target", "Shops-dev-restored", "--json")
    assert code == 0
    assert json.loads(out)["restoreTime"] == at.isoformat(timespec="seconds").replace("+00:00", "Z")
    assert moto_client.describe_table(TableName="Shops-dev-restored")["Table"]["TableStatus"] == "ACTIVE"


def test_a_failure_after_the_restore_says_the_new_table_remains_and_what_was_put_back(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    create(moto_client, DEV["items"])
    real_put_back = restore.put_back

    def refuse_pitr(client: Any, *args: Any, **kwargs: Any) -> list[str]:
        def refuse(params: dict[str, Any], **_: Any) -> None:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no PITR for you"}},
                              "UpdateContinuousBackups")
        client.meta.events.register("before-parameter-build.dynamodb.UpdateContinuousBackups", refuse)
        return real_put_back(client, *args, **kwargs)
    monkeypatch.setattr(restore, "put_back", refuse_pitr)

    code, out, err = cli(capsys, moto, "restore", "--stack", "dev", "--table", "items", "--latest",
                         "--target", "items-dev-restored")

    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "ERROR [AccessDeniedException]: items-dev was restored into items-dev-restored, which remains; put back "
        "billing mode PAY_PER_REQUEST (the endpoint ignored BillingModeOverride), TTL on ttl; then: "
        "items-dev-restored: UpdateContinuousBackups: no PITR for you"]
    assert sorted(moto_client.list_tables()["TableNames"]) == ["items-dev", "items-dev-restored"]


def test_a_restore_of_a_drifted_source_shows_the_drift_and_exits_1(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    create(moto_client, DEV["shops"])
    # An index someone added by hand: the restore copies it, and the comparison with the model shows it.
    add_stray_index(moto_client, "Shops-dev")

    code, out, _ = cli(capsys, moto, "restore", "--stack", "dev", "--table", "shops", "--latest",
                       "--target", "Shops-dev-restored")

    assert code == 1
    assert out.splitlines()[2:4] == [
        "verify: 1 difference from the declared table",
        "  + globalIndexes.stray-index: keys plan:S HASH; projection KEYS_ONLY (live only, not declared)"]


def test_the_restore_request_carries_the_stacks_kms_key_and_the_declared_billing(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str]) -> None:
    prod = {p.spec.key: p for p in plan_from_stack_file(PROJECT_DIR, "prod")}
    plan = prod["jobs"]
    create(moto_client, plan)
    sent: list[dict[str, Any]] = []
    moto_client.meta.events.register("provide-client-params.dynamodb.RestoreTableToPointInTime",
                                     lambda params, **_: sent.append(dict(params)))

    result = restore.restore_table(moto_client, plan, "Jobs-restored", None, timeout=30, poll_interval=0.1,
                                   progress=lambda status: None)

    assert sent == [{"SourceTableName": plan.name, "TargetTableName": "Jobs-restored",
                     "BillingModeOverride": "PAY_PER_REQUEST", "UseLatestRestorableTime": True,
                     "SSESpecificationOverride": {"Enabled": True, "SSEType": "KMS",
                                                  "KMSMasterKeyId": plan.settings.kms_key_arn}}]
    assert plan.settings.kms_key_arn and plan.settings.kms_key_arn.startswith("arn:aws:kms:")
    assert result.put_back[0] == "deletion protection" and result.differences == []


def window_text(client: Any, table: str) -> str:
    """'--to-time 2020-01-01T00:00:00... is outside ...: EARLIEST to LATEST', all three as precise as the
    window's ends are (moto's carry microseconds); test_the_restore_window_is_printed_as_precisely_as_it_is
    pins that rule with values worked out by hand."""
    pitr = client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]
    earliest, latest = (pitr[k] for k in ("EarliestRestorableDateTime", "LatestRestorableDateTime"))
    given, earliest_text, latest_text = restore.precise_times(datetime(2020, 1, 1, tzinfo=UTC), earliest, latest)
    return (f"--to-time {given} is outside the restore window of table 'items-dev': {earliest_text} to "
            f"{latest_text}")


@pytest.mark.parametrize(("when", "earliest", "latest", "expected"), [
    # The sweep's case: all three within one second; printed to the second they looked equal.
    (datetime(2026, 12, 1, 19, 23, 58, 100000, tzinfo=UTC), datetime(2026, 12, 1, 19, 23, 58, 512000, tzinfo=UTC),
     datetime(2026, 12, 1, 19, 23, 58, 900000, tzinfo=UTC),
     "--to-time 2026-12-01T19:23:58.100Z is outside the restore window of table 't': 2026-12-01T19:23:58.512Z to "
     "2026-12-01T19:23:58.900Z"),
    (datetime(2026, 12, 1, 19, 23, 58, 100001, tzinfo=UTC), datetime(2026, 12, 1, 19, 23, 58, 100002, tzinfo=UTC),
     datetime(2026, 12, 1, 19, 23, 59, tzinfo=UTC),
     "--to-time 2026-12-01T19:23:58.100001Z is outside the restore window of table 't': "
     "2026-12-01T19:23:58.100002Z to 2026-12-01T19:23:59.000000Z"),
    (datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 12, 1, 19, 0, 0, tzinfo=UTC),
     datetime(2026, 12, 1, 20, 0, 0, tzinfo=UTC),
     "--to-time 2020-01-01T00:00:00Z is outside the restore window of table 't': 2026-12-01T19:00:00Z to "
     "2026-12-01T20:00:00Z"),
])
def test_the_restore_window_is_printed_as_precisely_as_it_is(when: datetime, earliest: datetime, latest: datetime,
                                                              expected: str) -> None:
    with pytest.raises(ToolError) as refused:
        restore.check_time(restore.RestoreWindow(earliest, latest), when, "t")
    assert refused.value.message == f"{expected}; pick a time in it, or --latest"


def test_restore_refuses_bad_input_with_one_line_each(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    create(moto_client, DEV["items"], DEV["shops"])
    moto_client.update_continuous_backups(TableName="Shops-dev",
                                          PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    tables_before = moto_client.list_tables()["TableNames"]
    keys = ", ".join(sorted(DEV))
    cases = {
        ("--table", "item", "--latest"):
            f"ERROR [UnknownTable]: stack 'dev' declares no table 'item'; table keys: {keys}",
        ("--table", "items", "--to-time", "2020-01-01T00:00:00Z"):
            f"ERROR [OutsideRestoreWindow]: {window_text(moto_client, 'items-dev')}; pick a time in it, or --latest",
        ("--table", "items", "--latest", "--target", "Shops-dev"):
            f"ERROR [TargetExists]: target table 'Shops-dev' already exists at {moto.url}; a restore never "
            "overwrites a table: choose another --target",
        ("--table", "shops", "--latest"):
            f"ERROR [PitrDisabled]: table 'Shops-dev' has point-in-time recovery disabled at {moto.url}, so it has "
            "no restore points; turn it on (pulumi up, or tables create) and restore from a time after that",
        ("--table", "items", "--to-time", "yesterday"):
            "ERROR [Usage]: tables restore: argument --to-time: 'yesterday' is not an ISO 8601 time such as "
            "2026-12-01T09:30:00Z (see tables restore --help)",
        ("--table", "items", "--to-time", "2026-12-01T09:30:00"):
            "ERROR [Usage]: tables restore: argument --to-time: '2026-12-01T09:30:00' has no time zone; add Z for "
            "UTC or an offset such as +01:00 (see tables restore --help)",
        ("--table", "items", "--latest", "--to-time", "2026-12-01T09:30:00Z"):
            "ERROR [Usage]: tables restore: argument --to-time: not allowed with argument --latest "
            "(see tables restore --help)",
        ("--table", "items", "--latest", "--target", "no/slashes"):
            "ERROR [Usage]: tables restore: argument --target: 'no/slashes' is not a valid DynamoDB table name "
            "(3 to 255 characters of [A-Za-z0-9_.-]) (see tables restore --help)",
    }
    for args, message in cases.items():
        assert outcome(capsys, moto, "restore", "--stack", "dev", *args) == (2, "", [message]), args
    assert moto_client.list_tables()["TableNames"] == tables_before  # nothing restored by any of them


def outcome(capsys: pytest.CaptureFixture[str], endpoint: Endpoint, *args: str) -> tuple[int, str, list[str]]:
    """Exit code, stdout and stderr lines, whether the command returned or argparse exited."""
    try:
        code = main([*args, "--endpoint-url", endpoint.url])
    except SystemExit as exited:
        code = int(exited.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err.splitlines()


def test_restore_error_in_json_mode_is_an_object_on_stdout(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, moto, "restore", "--stack", "dev", "--table", "nope", "--latest", "--json")
    assert code == 2
    assert json.loads(out)["error"] == {"kind": "UnknownTable", "where": "Pulumi.dev.yaml", "message": (
        f"stack 'dev' declares no table 'nope'; table keys: {', '.join(sorted(DEV))}")}


@pytest.mark.dynamodb_local
def test_dynamodb_local_is_refused_in_one_line(
        dynamodb_local: Endpoint, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    client = client_for(dynamodb_local)
    plan = DEV["invitations"]
    before = client.list_tables()["TableNames"]  # the endpoint is shared with other tests' tables
    created = plan.name not in before
    if created:
        create_tables(client, [declared_schema(plan)])
    try:
        message = (f"ERROR [PitrUnsupported]: {dynamodb_local.url} does not support point-in-time recovery "
                   "(DescribeContinuousBackups: UnknownOperationException), so it cannot restore; use AWS, or the "
                   "moto engine (tables local up --engine moto)")
        for command in ("restore", "restore-drill"):
            assert outcome(capsys, dynamodb_local, command, "--stack", "dev", "--table", "invitations",
                           *(["--latest"] if command == "restore" else [])) == (2, "", [message]), command
        assert sorted(client.list_tables()["TableNames"]) == sorted({*before, plan.name})
    finally:
        if created:
            client.delete_table(TableName=plan.name)


# --- the drill --------------------------------------------------------------------------------------------------

def test_drill_restores_verifies_and_deletes_every_table_and_only_its_own(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    create(moto_client, *DEV.values())
    # Looks like a drill's scratch table but carries no drill tag: not this run's, so it stays.
    lookalike = "items-dev-drill-20200101T000000Z"
    moto_client.create_table(**{**declared_schema(DEV["items"]).create, "TableName": lookalike})
    moto_client.put_item(TableName=lookalike, Item={"id": {"S": "keep-me"}})
    tables_before = sorted(moto_client.list_tables()["TableNames"])
    sources_before = {plan.name: snapshot(moto_client, plan.name) for plan in DEV.values()}
    report_file = tmp_path / "reports" / "drill.md"

    code, out, err = cli(capsys, moto, "restore-drill", "--stack", "dev", "--report", str(report_file), "--json")

    # Named, in case a killed drill left it; never deleted.
    assert (code, err) == (0, f"scratch tables of earlier drills remain (delete them by hand): {lookalike}\n")
    report = json.loads(out)
    assert report["earlierScratchTables"] == [lookalike]
    assert [t["table"] for t in report["tables"]] == list(DEV)
    assert (report["passed"], report["failed"], report["remainingScratchTables"]) == (22, 0, [])
    for table in report["tables"]:
        assert (table["outcome"], table["cleanup"], table["error"]) == ("passed", "deleted", ""), table["table"]
        assert table["scratch"] == f"{table['source']}-drill-{report['runId']}"
        assert table["restore"]["sourceItems"] == table["restore"]["restoredItems"] == 3
        assert table["restore"]["differences"] == []
        assert set(table["seconds"]) == {"count source", "restore", "put back", "verify", "delete", "total"}
    assert sorted(moto_client.list_tables()["TableNames"]) == tables_before
    assert {plan.name: snapshot(moto_client, plan.name) for plan in DEV.values()} == sources_before
    assert moto_client.scan(TableName=lookalike)["Items"] == [{"id": {"S": "keep-me"}}]

    markdown = report_file.read_text().splitlines()
    assert markdown[0] == "# Restore drill: stack dev"
    assert "- Result: 22 tables, 22 passed, 0 failed" in markdown
    rows = [line for line in markdown if line.startswith("| ") and not line.startswith("| Table")]
    assert [row.split(" | ")[0][2:] for row in rows] == list(DEV)
    assert all(row.split(" | ")[2:5] == ["passed", "3", "3"] for row in rows)
    each = [line for line in markdown if line.startswith("- ") and line.split(":")[0][2:] in DEV]
    assert len(each) == 22 and all("drift clean apart from the name" in line and line.endswith(" deleted")
                                   for line in each)


def test_drill_failure_on_one_table_does_not_stop_the_others_and_exits_1(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    create(moto_client, DEV["items"], DEV["jobs"], DEV["shops"])
    moto_client.update_continuous_backups(TableName="Jobs-dev",
                                          PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    report_file = tmp_path / "drill.md"
    code, out, _ = cli(capsys, moto, "restore-drill", "--stack", "dev", "--table", "items", "--table", "jobs",
                       "--table", "shops", "--report", str(report_file))
    assert code == 1
    assert out.splitlines() == [
        f"{'items-dev':<48} passed",
        f"{'Jobs-dev':<48} failed   table 'Jobs-dev' has point-in-time recovery disabled at {moto.url}, so it has "
        "no restore points; turn it on (pulumi up, or tables create) and restore from a time after that",
        f"{'Shops-dev':<48} passed",
        f"3 tables: 2 passed, 1 failed; report: {report_file}",
    ]
    markdown = report_file.read_text()
    assert "- Result: 3 tables, 2 passed, 1 failed" in markdown
    assert "| jobs | `Jobs-dev` | failed | - | - |" in markdown
    assert sorted(moto_client.list_tables()["TableNames"]) == ["Jobs-dev", "Shops-dev", "items-dev"]


def drill(client: Any, keys: list[str], now: datetime, **options: Any) -> restore.DrillReport:
    return run_drill(client, "dev", [DEV[k] for k in keys], now=now, timeout=30, poll_interval=0.1,
                     parallel=options.pop("parallel", 4), progress=lambda key, status: None, **options)


NOW = datetime(2026, 12, 2, 7, 0, 0, tzinfo=UTC)


def test_drill_never_touches_a_table_that_already_has_its_scratch_name(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str]) -> None:
    create(moto_client, DEV["items"], DEV["jobs"])
    taken = "items-dev-drill-20261202T070000Z"
    moto_client.create_table(**{**declared_schema(DEV["items"]).create, "TableName": taken})
    moto_client.put_item(TableName=taken, Item={"id": {"S": "someone-elses"}})

    report = drill(moto_client, ["items", "jobs"], NOW)

    items, jobs = report.tables
    assert (items.outcome, items.cleanup) == ("failed", "nothing to delete")
    assert items.error == (f"target table '{taken}' already exists at {report.endpoint}; a restore never overwrites "
                           "a table: the drill leaves it alone; run the drill again for a new timestamp")
    assert (jobs.outcome, jobs.cleanup) == ("passed", "deleted")
    assert moto_client.scan(TableName=taken)["Items"] == [{"id": {"S": "someone-elses"}}]
    assert sorted(moto_client.list_tables()["TableNames"]) == sorted(["Jobs-dev", "items-dev", taken])


def test_a_failure_after_the_restore_still_deletes_the_scratch_table(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str]) -> None:
    create(moto_client, DEV["items"], DEV["jobs"])

    def refuse_ttl(params: dict[str, Any], **_: Any) -> None:
        if params["TableName"].startswith("Jobs-dev-drill-"):
            raise ClientError({"Error": {"Code": "LimitExceededException", "Message": "too many TTL changes"}},
                              "UpdateTimeToLive")
    moto_client.meta.events.register("before-parameter-build.dynamodb.UpdateTimeToLive", refuse_ttl)

    report = drill(moto_client, ["items", "jobs"], NOW)

    items, jobs = report.tables
    assert (items.outcome, items.cleanup) == ("passed", "deleted")
    assert (jobs.outcome, jobs.cleanup) == ("failed", "deleted")
    assert jobs.error == "Jobs-dev: UpdateTimeToLive: too many TTL changes"
    assert set(jobs.seconds) == {"count source", "restore", "put back", "delete", "total"}  # up to the failure
    assert sorted(moto_client.list_tables()["TableNames"]) == ["Jobs-dev", "items-dev"]


def test_a_scratch_table_that_cannot_be_deleted_is_named_in_the_report(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str]) -> None:
    create(moto_client, DEV["items"], DEV["jobs"])

    def refuse_delete(params: dict[str, Any], **_: Any) -> None:
        if params["TableName"].startswith("items-dev-drill-"):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "DeleteTable")
    moto_client.meta.events.register("before-parameter-build.dynamodb.DeleteTable", refuse_delete)

    report = drill(moto_client, ["items", "jobs"], NOW)

    scratch = "items-dev-drill-20261202T070000Z"
    assert [t.scratch for t in report.remaining] == [scratch]
    assert report.tables[0].cleanup == f"remains: {scratch}: DeleteTable: not allowed"
    assert report.tables[0].outcome == "passed"  # the restore itself was fine; the report says what remains
    markdown = restore.drill_markdown(report)
    assert f"tagged `{DRILL_TAG}=20261202T070000Z`; 1 remain: `{scratch}`" in markdown
    assert sorted(moto_client.list_tables()["TableNames"]) == sorted(["Jobs-dev", "items-dev", scratch])
    tags = moto_client.list_tags_of_resource(
        ResourceArn=moto_client.describe_table(TableName=scratch)["Table"]["TableArn"])["Tags"]
    assert {"Key": DRILL_TAG, "Value": "20261202T070000Z"} in tags


def test_a_scratch_table_tagged_by_another_drill_is_not_deleted(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str]) -> None:
    scratch = "items-dev-drill-20261202T070000Z"
    moto_client.create_table(**{**declared_schema(DEV["items"]).create, "TableName": scratch,
                                "Tags": [{"Key": DRILL_TAG, "Value": "20261201T000000Z"}]})
    table = restore.DrillTable("items", "items-dev", scratch)

    restore._delete_scratch(moto_client, table, "20261202T070000Z", timeout=30, poll_interval=0.1,
                            progress=lambda status: None)

    assert table.cleanup == f"remains: it carries another drill's tag {DRILL_TAG}=20261201T000000Z"
    assert moto_client.list_tables()["TableNames"] == [scratch]


def test_interrupted_drill_deletes_its_scratch_tables_writes_the_report_and_exits_130(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, ctrl_c_raises: None) -> None:
    create(moto_client, DEV["items"], DEV["jobs"], DEV["shops"])
    real_put_back = restore.put_back

    def put_back_then_ctrl_c(client: Any, declared: Any, target: str, *args: Any, **kwargs: Any) -> list[str]:
        applied = real_put_back(client, declared, target, *args, **kwargs)
        if target.startswith("Jobs-dev-drill-"):
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
            time.sleep(0.5)  # the main thread takes the interrupt while this table is mid-drill
        return applied
    monkeypatch.setattr(restore, "put_back", put_back_then_ctrl_c)
    report_file = tmp_path / "drill.md"

    code, out, err = cli(capsys, moto, "restore-drill", "--stack", "dev", "--table", "items", "--table", "jobs",
                         "--table", "shops", "--parallel", "1", "--report", str(report_file))

    assert code == 130
    assert err.splitlines() == ["ERROR [Interrupted]: stopped by the user"]
    assert out.splitlines() == [f"{'items-dev':<48} passed", f"{'Jobs-dev':<48} failed   interrupted",
                                f"{'Shops-dev':<48} not run  not started: the drill was interrupted",
                                f"3 tables: 1 passed, 2 failed; report: {report_file}"]
    assert "(interrupted)" in report_file.read_text()
    assert sorted(moto_client.list_tables()["TableNames"]) == ["Jobs-dev", "Shops-dev", "items-dev"]


# --- put-back steps that AWS refuses for a while ---------------------------------------------------------------

def test_pitr_refused_twice_as_backups_being_enabled_is_asked_again_and_the_restore_finishes_protected(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    from tests.fault_proxy import FaultProxy

    plan = STAGING["analytics-events"]  # PITR 14 days and deletion protection declared
    create(moto_client, plan)
    target = "staging-AnalyticsEventsTable-restored-pitr-retry"
    # AWS's answer to UpdateContinuousBackups on a table that has only just become ACTIVE.
    refusal = (2, "ContinuousBackupsUnavailableException",
               f"Backups are being enabled for the table: {target}. Please retry later")
    with FaultProxy(moto.url, refusals={("UpdateContinuousBackups", target): refusal}) as proxy:
        code = main(["restore", "--stack", "staging", "--table", "analytics-events", "--latest", "--target", target,
                     "--poll-interval", "0.1", "--json", "--endpoint-url", proxy.url])
        refused = proxy.stats["refused-UpdateContinuousBackups"]
    out, err = capsys.readouterr().out, ""
    assert code == 0, out
    assert refused == 2, "both refusals were met, and the third attempt went through"
    result = json.loads(out)
    assert result["putBack"][0] == "deletion protection"
    assert "point-in-time recovery (14 days)" in result["putBack"]
    assert result["clean"] is True
    restored = moto_client.describe_table(TableName=target)["Table"]
    assert restored["DeletionProtectionEnabled"] is True
    pitr = moto_client.describe_continuous_backups(TableName=target)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]
    assert (pitr["PointInTimeRecoveryStatus"], pitr["RecoveryPeriodInDays"]) == ("ENABLED", 14)
    assert err == ""


def test_a_refusal_that_lasts_past_the_timeout_is_one_line_and_the_table_keeps_its_protection(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    from tests.fault_proxy import FaultProxy

    plan = STAGING["analytics-events"]
    create(moto_client, plan)
    target = "staging-AnalyticsEventsTable-restored-pitr-never"
    refusal = (1000, "ContinuousBackupsUnavailableException",
               f"Backups are being enabled for the table: {target}. Please retry later")
    with FaultProxy(moto.url, refusals={("UpdateContinuousBackups", target): refusal}) as proxy:
        code = main(["restore", "--stack", "staging", "--table", "analytics-events", "--latest", "--target", target,
                     "--poll-interval", "0.1", "--timeout", "2", "--endpoint-url", proxy.url])
    captured = capsys.readouterr()
    assert code == 2
    [line] = captured.err.splitlines()
    assert line.startswith(f"ERROR [Timeout]: {plan.name} was restored into {target}, which remains; put back "
                           "deletion protection, ")
    assert line.endswith(f"then: {target}: UpdateContinuousBackups was still refused after 2s "
                         "(ContinuousBackupsUnavailableException); run the restore's put-back again later, or wait "
                         "longer with --timeout")
    assert moto_client.describe_table(TableName=target)["Table"]["DeletionProtectionEnabled"] is True


def test_items_whose_ttl_passed_are_left_out_of_both_counts(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    plan = DEV["items"]  # TTL on `ttl`
    create(moto_client, plan, items=4)
    now = int(time.time())
    # Expired but not yet deleted (TTL deletes within days), expiring in an hour, and a ttl that is no number.
    for key, ttl in (("expired", {"N": str(now - 60)}), ("later", {"N": str(now + 3600)}), ("text", {"S": "x"})):
        moto_client.put_item(TableName=plan.name, Item={"id": {"S": key}, "ttl": ttl})
    target = "items-dev-restored-ttl"
    code = main(["restore", "--stack", "dev", "--table", "items", "--latest", "--target", target, "--json",
                 "--endpoint-url", moto.url])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    # 4 plain items, the one expiring later and the one whose ttl TTL ignores; not the expired one.
    assert (result["sourceItems"], result["restoredItems"]) == (6, 6)
    assert result["itemsCountedWith"] == "Scan, leaving out items whose TTL had passed when the restored table " \
                                         "was counted"


def test_the_drill_workflow_asks_for_a_session_as_long_as_the_job_may_run() -> None:
    import yaml

    workflow = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "restore-drill.yml").read_text())
    job = workflow["jobs"]["drill"]
    [login] = [step for step in job["steps"] if str(step.get("uses", "")).startswith(
        "aws-actions/configure-aws-credentials")]
    seconds = int(login["with"]["role-duration-seconds"])
    # The action's default is one hour; STS allows a role session of up to 12 hours (MaxSessionDuration).
    assert seconds >= int(job["timeout-minutes"]) * 60, "the credentials must outlast the job"
    assert seconds <= 12 * 3600
