"""synth, create, export and drift against a real moto server on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.families import plan_from_stack_file
from scripts.cli import main
from scripts.create_tables import create_tables
from scripts.local_endpoint import Endpoint
from scripts.schema_files import comparable, declared_schema, read_schema
from tests.conftest import add_stray_index
from tests.project import PROJECT_DIR

DEV_TABLES = [p.name for p in plan_from_stack_file(PROJECT_DIR, "dev")]
MUTATING_CALLS = ("CreateTable", "UpdateTable", "UpdateTimeToLive", "UpdateContinuousBackups", "TagResource",
                  "UntagResource", "DeleteTable")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def drift_json(capsys: pytest.CaptureFixture[str], endpoint: Endpoint) -> tuple[int, dict[str, Any]]:
    code, out, _ = cli(capsys, "drift", "--stack", "dev", "--endpoint-url", endpoint.url, "--json")
    return code, {r["table"]: r for r in json.loads(out)}


def test_round_trip_synth_create_export_drift_has_no_drift(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    synth_dir, export_dir = tmp_path / "synth", tmp_path / "export"
    assert cli(capsys, "synth", "--stack", "dev", "--out", str(synth_dir))[0] == 0
    code, out, _ = cli(capsys, "create", "--schemas", str(synth_dir), "--endpoint-url", moto.url)
    assert code == 0
    assert out.splitlines()[-1] == "22 tables: 22 created"

    code, out, _ = cli(capsys, "export", "--prefix", "", "--out", str(export_dir), "--endpoint-url", moto.url)
    assert code == 0
    summary = (export_dir / "table-summary.txt").read_text().splitlines()
    assert summary[-1] == "Total: 22 tables, 0 items, 0.00 MB, 20 GSIs"
    assert any(line.startswith("items-dev ") and line.endswith("1 GSI") for line in summary)
    for name in DEV_TABLES:  # export writes the same schema synth wrote, key ARN aside
        exported = comparable(read_schema(export_dir / f"{name}.json"))
        exported.pop("encryption.kmsKey", None)
        assert exported == comparable(read_schema(synth_dir / f"{name}.json")), name

    code, drift = drift_json(capsys, moto)
    assert code == 0
    assert {r["state"] for r in drift.values()} == {"in-sync"}
    assert set(drift) == set(DEV_TABLES)


def test_drift_reports_exactly_the_changes_made_by_hand(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    plans = plan_from_stack_file(PROJECT_DIR, "dev")
    create_tables(moto_client, [declared_schema(p) for p in plans])
    items_arn = moto_client.describe_table(TableName="items-dev")["Table"]["TableArn"]

    moto_client.update_continuous_backups(TableName="dev-CreatorsTable",
                                          PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    moto_client.untag_resource(ResourceArn=items_arn, TagKeys=["owner"])
    add_stray_index(moto_client, "Shops-dev")
    moto_client.update_time_to_live(TableName="Jobs-dev", TimeToLiveSpecification={"AttributeName": "expiresAt",
                                                                                   "Enabled": False})
    moto_client.update_time_to_live(TableName="Jobs-dev", TimeToLiveSpecification={"AttributeName": "purgeAt",
                                                                                   "Enabled": True})

    code, drift = drift_json(capsys, moto)
    assert code == 1
    changed = {name: r["differences"] for name, r in drift.items() if r["state"] != "in-sync"}
    assert changed == {
        "dev-CreatorsTable": [{"field": "pitr", "declared": "on, 7 days", "live": "off"}],
        "items-dev": [{"field": "tags.owner", "declared": "items-team", "live": None}],
        "Shops-dev": [{"field": "globalIndexes.stray-index", "declared": None,
                       "live": "keys plan:S HASH; projection KEYS_ONLY"}],
        "Jobs-dev": [{"field": "ttl", "declared": "expiresAt", "live": "purgeAt"}],
    }

    code, text, _ = cli(capsys, "drift", "--stack", "dev", "--endpoint-url", moto.url)
    assert code == 1
    assert "dev-CreatorsTable: drift\n  ~ pitr: declared on, 7 days, live off\n" in text
    assert "items-dev: drift\n  - tags.owner: items-team (declared, missing live)\n" in text
    assert "Shops-dev: drift\n  + globalIndexes.stray-index: keys plan:S HASH; projection KEYS_ONLY " \
           "(live only, not declared)\n" in text
    assert text.splitlines()[-1] == "22 tables: 18 in sync, 4 with drift"


def test_a_table_created_by_the_aws_cli_from_synth_output_passes_drift(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "synth", "--stack", "dev", "--out", str(tmp_path / "all"))[0] == 0
    one = tmp_path / "one"
    one.mkdir()
    for suffix in (".json", ".settings.json"):
        (one / f"construction-expenses-dev-company-expenses{suffix}").write_text(
            (tmp_path / "all" / f"construction-expenses-dev-company-expenses{suffix}").read_text())
    settings = json.loads((one / "construction-expenses-dev-company-expenses.settings.json").read_text())
    (tmp_path / "pitr.json").write_text(json.dumps(settings["ContinuousBackups"]))
    aws = str(Path(sys.executable).parent / "aws")
    for command in (["create-table", "--cli-input-json", f"file://{one}/construction-expenses-dev-company-expenses.json"],
                    ["wait", "table-exists", "--table-name", "construction-expenses-dev-company-expenses"],
                    ["update-continuous-backups", "--cli-input-json", f"file://{tmp_path}/pitr.json"]):
        result = subprocess.run([aws, "dynamodb", *command, "--endpoint-url", moto.url], capture_output=True,
                                text=True, check=False)
        assert result.returncode == 0, result.stderr
    code, out, _ = cli(capsys, "drift", "--schemas", str(one), "--endpoint-url", moto.url)
    assert (code, out) == (0, "1 tables: 1 in sync, 0 with drift\n")


def count_mutating_calls(client: Any) -> list[str]:
    calls: list[str] = []
    for operation in MUTATING_CALLS:
        client.meta.events.register(f"before-call.dynamodb.{operation}",
                                    lambda model, **_: calls.append(model.name))
    return calls


def test_create_twice_changes_nothing_the_second_time(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str]) -> None:
    schemas = [declared_schema(p) for p in plan_from_stack_file(PROJECT_DIR, "dev")]
    first = create_tables(moto_client, schemas)
    assert {r.result for r in first} == {"created"}
    calls = count_mutating_calls(moto_client)
    second = create_tables(moto_client, schemas)
    assert {r.result for r in second} == {"present"}
    assert calls == []


def test_dry_run_creates_nothing(moto: Endpoint, moto_client: Any, aws_env: dict[str, str],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "create", "--stack", "dev", "--dry-run", "--endpoint-url", moto.url)
    assert code == 0
    assert out.splitlines()[-1] == "22 tables: 22 would create"
    assert moto_client.list_tables()["TableNames"] == []


def test_rerun_after_a_partial_failure_completes_ttl_and_pitr(moto: Endpoint, moto_client: Any,
                                                              aws_env: dict[str, str]) -> None:
    items = next(declared_schema(p) for p in plan_from_stack_file(PROJECT_DIR, "dev") if p.name == "items-dev")
    moto_client.create_table(**items.create)  # as if the last run died right after CreateTable
    [result] = create_tables(moto_client, [items])
    assert (result.result, result.notes) == ("completed", ["applied pitr, ttl"])
    assert moto_client.describe_time_to_live(TableName="items-dev")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
    [again] = create_tables(moto_client, [items])
    assert again.result == "present"


def test_an_existing_table_that_differs_is_reported_and_left_untouched(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    moto_client.create_table(TableName="items-dev", BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "itemId", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "itemId", "KeyType": "HASH"}])
    before = moto_client.describe_table(TableName="items-dev")["Table"]
    code, out, _ = cli(capsys, "create", "--stack", "dev", "--endpoint-url", moto.url)
    assert code == 1
    assert "items-dev" in out and "  drift " in out.split("items-dev", 1)[1].splitlines()[0] + " "
    assert "~ keys: declared id:S HASH, live itemId:S HASH" in out
    after = moto_client.describe_table(TableName="items-dev")["Table"]
    assert after["KeySchema"] == before["KeySchema"]
    assert not after.get("GlobalSecondaryIndexes")
    assert moto_client.describe_time_to_live(TableName="items-dev")["TimeToLiveDescription"][
        "TimeToLiveStatus"] == "DISABLED"


def test_drift_reports_a_missing_table(moto: Endpoint, moto_client: Any, aws_env: dict[str, str],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, drift = drift_json(capsys, moto)
    assert code == 1
    assert drift["items-dev"] == {"table": "items-dev", "state": "missing", "unsupported": [],
                                  "differences": [{"field": "table", "declared": "declared", "live": None}]}


def test_endpoint_from_aws_endpoint_url_dynamodb_is_honoured(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto.url)
    code, out, _ = cli(capsys, "create", "--stack", "dev")
    assert code == 0
    assert out.splitlines()[-1] == "22 tables: 22 created"
    assert len(moto_client.list_tables()["TableNames"]) == len(DEV_TABLES)
