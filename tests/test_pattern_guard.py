"""`tables plan` protects the indexes declared access patterns use."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from components.families import FAMILIES, plan_from_stack_file
from components.families.shop_import import jobs_table
from scripts.cli import main
from scripts.create_tables import create_tables
from scripts.local_endpoint import Endpoint
from scripts.schema_files import declared_schema
from tests.project import PROJECT_DIR

JOBS_BY_STATUS = "Jobs by status"


def run_plan(capsys: pytest.CaptureFixture[str], endpoint: Endpoint, *extra: str) -> tuple[int, str]:
    code = main(["plan", "--stack", "dev", "--endpoint-url", endpoint.url, *extra])
    captured = capsys.readouterr()
    assert captured.err == ""
    return code, captured.out


def without_status_index(monkeypatch: pytest.MonkeyPatch, keep_pattern: bool) -> None:
    """The change under review: the jobs table loses status-createdAt-index; its pattern stays or goes."""
    shop = FAMILIES["shop-import"]
    jobs = dataclasses.replace(jobs_table, global_indexes=jobs_table.global_indexes[:1])
    patterns = tuple(p for p in shop.patterns if keep_pattern or p.name != JOBS_BY_STATUS)
    tables = tuple(jobs if spec.key == "jobs" else spec for spec in shop.tables)
    monkeypatch.setitem(FAMILIES, "shop-import", dataclasses.replace(shop, tables=tables, patterns=patterns))


@pytest.fixture
def dev_tables(moto_client: Any) -> Any:
    create_tables(moto_client, [declared_schema(p) for p in plan_from_stack_file(PROJECT_DIR, "dev")])
    return moto_client


def test_deleting_an_index_a_pattern_uses_is_exit_3_naming_the_pattern_and_its_consumer(
        moto: Endpoint, dev_tables: Any, aws_env: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    without_status_index(monkeypatch, keep_pattern=True)
    code, out = run_plan(capsys, moto)
    assert code == 3
    assert out.endswith(
        "\n\nAccess patterns this change interrupts:\n"
        "  Jobs-dev: this change deletes index status-createdAt-index, which access pattern 'Jobs by status' "
        "(consumer shop-import-jobs) queries; its calls fail until an index serves them again. Keep the index, or "
        "remove the pattern from the shop-import family in the same change\n")
    # A person's --allow-replace accepts the lost index, not the service whose query still needs it.
    code, out = run_plan(capsys, moto, "--allow-replace", "Jobs-dev", "--json")
    assert code == 3
    report = json.loads(out)
    assert report["exitCode"] == 3 and report["notAllowed"] == []
    assert report["patternBreaks"] == [{"table": "Jobs-dev", "index": "status-createdAt-index",
                                        "class": "index-delete", "family": "shop-import",
                                        "pattern": "Jobs by status", "consumer": "shop-import-jobs",
                                        "allowed": False}]


def test_removing_the_pattern_in_the_same_change_leaves_the_usual_index_delete_verdict(
        moto: Endpoint, dev_tables: Any, aws_env: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    without_status_index(monkeypatch, keep_pattern=False)
    code, out = run_plan(capsys, moto)
    assert code == 3  # an index deletion is destructive: a person names the table
    assert "status-createdAt-index is deleted: queries on it start failing" in out
    assert "Access patterns this change interrupts" not in out
    code, out = run_plan(capsys, moto, "--allow-replace", "Jobs-dev", "--json")
    assert code == 1
    assert json.loads(out)["patternBreaks"] == []


def test_re_projecting_an_index_a_pattern_uses_is_exit_3_until_a_person_accepts_the_outage(
        moto: Endpoint, dev_tables: Any, aws_env: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from components.model.spec import Projection

    shop = FAMILIES["shop-import"]
    by_domain, by_status = jobs_table.global_indexes
    jobs = dataclasses.replace(jobs_table, global_indexes=(
        by_domain, dataclasses.replace(by_status, projection=Projection.INCLUDE, non_key_attributes=("type",))))
    monkeypatch.setitem(FAMILIES, "shop-import", dataclasses.replace(
        shop, tables=tuple(jobs if spec.key == "jobs" else spec for spec in shop.tables)))
    code, out = run_plan(capsys, moto)
    assert code == 3
    assert out.endswith(
        "Jobs-dev: this change deletes and rebuilds index status-createdAt-index, which access pattern 'Jobs by "
        "status' (consumer shop-import-jobs) queries; its calls fail until an index serves them again. Keep the "
        "index as it is, remove the pattern from the shop-import family in the same change, or accept the outage "
        "with --allow-replace Jobs-dev\n")
    # The index comes back with the new projection: a person may accept the outage, and is told whose it is.
    code, out = run_plan(capsys, moto, "--allow-replace", "Jobs-dev", "--json")
    assert code == 1
    assert [(b["index"], b["class"], b["pattern"], b["allowed"]) for b in json.loads(out)["patternBreaks"]] == [
        ("status-createdAt-index", "index-rebuild", "Jobs by status", True)]


def test_an_unchanged_stack_breaks_no_pattern(moto: Endpoint, dev_tables: Any, aws_env: Any,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_plan(capsys, moto, "--json")
    assert json.loads(out)["patternBreaks"] == []
    assert code in (0, 1)
