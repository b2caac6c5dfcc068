"""Production names belong to production: no other stack's tools write a table a prod stack declares.

Two ways another stack plans prod's names, both seen in the field: a copy of the prod stack file under
another name (`live`, environment `live`, protections off), and a dev stack whose items-service suffix
is `-prod`. Against a real moto server holding the prod tables, every writing command refuses both
before any call, and `policy-check` fails both.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from components.families import plan_from_stack_file
from scripts.cli import main
from scripts.create_tables import create_tables
from scripts.local_endpoint import Endpoint
from scripts.schema_files import declared_schema, write_schema
from tests.project import PROJECT_DIR

PROD = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()
DEV = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
LIVE = (PROD.replace("dynamodb-tables:environment: prod", "dynamodb-tables:environment: live")
        .replace("dynamodb-tables:protect: true", "dynamodb-tables:protect: false")
        .replace("dynamodb-tables:deletionProtection: true", "dynamodb-tables:deletionProtection: false"))
DEV_WITH_PROD_SUFFIX = DEV.replace("    items-service:\n      suffix: -dev\n",
                                   "    items-service:\n      suffix: -prod\n")

# The first table each stack plans (in the plan's order) that Pulumi.prod.yaml also plans.
LIVE_REFUSAL = ("table 'construction-expenses-companies' is a production table, declared by Pulumi.prod.yaml; only "
                "--stack prod may {verb} it")
DEV_REFUSAL = "table 'items-prod' is a production table, declared by Pulumi.prod.yaml; only --stack prod may {verb} it"


def a_project(tmp_path: Path) -> Path:
    """The real project's program, policies and migrations, with the two stacks beside the real prod and dev."""
    for file in ("__main__.py", "Pulumi.yaml", "Pulumi.prod.yaml"):
        shutil.copy(PROJECT_DIR / file, tmp_path / file)
    shutil.copytree(PROJECT_DIR / "policies", tmp_path / "policies",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PROJECT_DIR / "migrations", tmp_path / "migrations",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "Pulumi.live.yaml").write_text(LIVE)
    (tmp_path / "Pulumi.dev.yaml").write_text(DEV_WITH_PROD_SUFFIX)
    return tmp_path


def test_the_two_stacks_really_plan_prod_names(tmp_path: Path) -> None:
    project = a_project(tmp_path)
    prod = {p.name for p in plan_from_stack_file(project, "prod")}
    assert {p.name for p in plan_from_stack_file(project, "live")} == prod
    assert "items-prod" in {p.name for p in plan_from_stack_file(project, "dev")} & prod


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(list(args))
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    return captured.err.rstrip("\n")


@pytest.fixture
def prod_tables(moto: Endpoint, moto_client: Any, aws_env: dict[str, str]) -> Any:
    """The prod stack's tables, live on moto with an item each: a write that got through would land."""
    plans = plan_from_stack_file(PROJECT_DIR, "prod")
    create_tables(moto_client, [declared_schema(p) for p in plans])
    return moto_client


def item_counts(client: Any) -> dict[str, int]:
    return {name: client.scan(TableName=name, Select="COUNT")["Count"] for name in client.list_tables()["TableNames"]}


@pytest.mark.parametrize(("stack", "refusal"), [("live", LIVE_REFUSAL), ("dev", DEV_REFUSAL)])
def test_seed_refuses_a_stack_that_plans_prod_names(stack: str, refusal: str, prod_tables: Any, moto: Endpoint,
                                                    tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = a_project(tmp_path)
    before = item_counts(prod_tables)
    assert refused(capsys, "seed", "--stack", stack, "--project-dir", str(project), "--endpoint-url", moto.url) == (
        f"ERROR [ProductionTable]: seed under stack '{stack}': " + refusal.format(verb="write"))
    assert item_counts(prod_tables) == before


@pytest.mark.parametrize(("stack", "refusal"), [("live", LIVE_REFUSAL), ("dev", DEV_REFUSAL)])
def test_create_refuses_a_stack_that_plans_prod_names(stack: str, refusal: str, moto: Endpoint, moto_client: Any,
                                                      aws_env: dict[str, str], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    project = a_project(tmp_path)
    assert refused(capsys, "create", "--stack", stack, "--project-dir", str(project), "--endpoint-url", moto.url) == (
        f"ERROR [ProductionTable]: create under stack '{stack}': " + refusal.format(verb="write"))
    assert moto_client.list_tables()["TableNames"] == []


def test_create_from_schema_files_refuses_a_prod_tables_name(moto: Endpoint, moto_client: Any,
                                                             aws_env: dict[str, str], tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "project").mkdir()
    project = a_project(tmp_path / "project")
    schemas = tmp_path / "schemas"
    items = next(p for p in plan_from_stack_file(project, "prod") if p.name == "items-prod")
    write_schema(declared_schema(items), schemas)
    assert refused(capsys, "create", "--schemas", str(schemas), "--project-dir", str(project),
                   "--endpoint-url", moto.url) == (
        "ERROR [ProductionTable]: create without a stack: " + DEV_REFUSAL.format(verb="write"))
    assert moto_client.list_tables()["TableNames"] == []


@pytest.mark.parametrize(("stack", "refusal"), [("live", LIVE_REFUSAL), ("dev", DEV_REFUSAL)])
def test_migrate_up_refuses_a_stack_that_plans_prod_names(stack: str, refusal: str, prod_tables: Any,
                                                          moto: Endpoint, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    project = a_project(tmp_path)
    before = item_counts(prod_tables)
    assert refused(capsys, "migrate", "up", "--stack", stack, "--project-dir", str(project),
                   "--endpoint-url", moto.url) == (
        f"ERROR [ProductionTable]: migrate up under stack '{stack}': " + refusal.format(verb="write"))
    assert item_counts(prod_tables) == before


def test_restore_refuses_a_prod_table_as_the_target(prod_tables: Any, moto: Endpoint, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    project = a_project(tmp_path)
    (project / "Pulumi.dev.yaml").write_text(DEV)  # an ordinary dev stack: the target is what is wrong
    dev_items = next(p for p in plan_from_stack_file(project, "dev") if p.name == "items-dev")
    create_tables(prod_tables, [declared_schema(dev_items)])
    tables = sorted(prod_tables.list_tables()["TableNames"])
    assert refused(capsys, "restore", "--stack", "dev", "--table", "items", "--latest", "--target", "items-prod",
                   "--project-dir", str(project), "--endpoint-url", moto.url) == (
        "ERROR [ProductionTable]: restore --target under stack 'dev': " + DEV_REFUSAL.format(verb="write"))
    assert sorted(prod_tables.list_tables()["TableNames"]) == tables


def test_restore_under_the_live_copy_refuses_a_prod_target(prod_tables: Any, moto: Endpoint, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    project = a_project(tmp_path)
    assert refused(capsys, "restore", "--stack", "live", "--table", "items", "--latest", "--target", "items-prod",
                   "--project-dir", str(project), "--endpoint-url", moto.url) == (
        "ERROR [ProductionTable]: restore --target under stack 'live': " + DEV_REFUSAL.format(verb="write"))


@pytest.mark.parametrize(("stack", "refusal"), [("live", LIVE_REFUSAL), ("dev", DEV_REFUSAL)])
def test_policy_check_fails_a_non_prod_stack_that_declares_prod_names(stack: str, refusal: str, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    project = a_project(tmp_path)
    assert refused(capsys, "policy-check", "--stack", stack, "--project-dir", str(project)) == (
        f"ERROR [ProductionTable]: policy-check under stack '{stack}': " + refusal.format(verb="declare"))


def test_the_prod_stack_itself_may_write_its_tables(tmp_path: Path) -> None:
    from scripts.project import Project

    project = Project(a_project(tmp_path))
    names = [p.name for p in project.plans("prod")]
    project.refuse_production_names("prod", names, "seed")  # no error: these are prod's own


def test_the_policy_pack_fails_a_dev_stack_that_declares_a_prod_name(tmp_path: Path) -> None:
    """What `pulumi preview --policy-pack policies` sees: the pack, run from the project as the engine runs
    it, reads the project's stack files itself."""
    from scripts.mock_stack import run_program
    from scripts.policy_check import evaluate

    project = a_project(tmp_path)
    report = evaluate(run_program(project, "dev"), "dev", project / "policies")
    found = [(v.policy, v.resource_name, v.message, v.mandatory) for v in report.violations
             if v.policy == "dynamodb-table-name-not-production"]
    assert found == [("dynamodb-table-name-not-production", "items-service-items",
                      "table name 'items-prod' is a production table, declared by Pulumi.prod.yaml; a dev stack may "
                      "not declare it (its tools and deploys would write prod's data).", True)], found


def test_add_gsi_refuses_a_prod_table_without_the_prod_stack(prod_tables: Any, moto: Endpoint, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    project = a_project(tmp_path)
    before = prod_tables.describe_table(TableName="items-prod")["Table"].get("GlobalSecondaryIndexes")
    assert refused(capsys, "add-gsi", "--table", "items-prod", "--index-name", "by-x", "--partition-key", "x:S",
                   "--project-dir", str(project), "--endpoint-url", moto.url) == (
        "ERROR [ProductionTable]: add-gsi without a stack: " + DEV_REFUSAL.format(verb="write"))
    assert refused(capsys, "add-gsi", "--stack", "dev", "--table", "items", "--index", "status-index",
                   "--project-dir", str(project), "--endpoint-url", moto.url) == (
        "ERROR [ProductionTable]: add-gsi under stack 'dev': " + DEV_REFUSAL.format(verb="write"))
    assert prod_tables.describe_table(TableName="items-prod")["Table"].get("GlobalSecondaryIndexes") == before
