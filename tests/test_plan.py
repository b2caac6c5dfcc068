"""`tables plan`: every class of change against real endpoints, the import check, exit codes, errors.

Each test creates the live table in its "before" shape with the project's own create code, then plans
a model in the "after" shape. Key and index behaviour runs on DynamoDB Local (AWS's emulator);
PITR, TTL, tags and streams on moto, which implements them.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.model.family import FamilyDefinition
from components.model.plan import TablePlan, plan_stack
from components.model.spec import (
    GlobalIndex,
    Key,
    LocalIndex,
    Projection,
    Stream,
    StreamViewType,
    TableSpec,
)
from components.model.stack_file import engine_encoding
from components.model.stack_settings import parse_stack_config
from scripts.change_plan import (
    CHANGES_PENDING,
    DESTRUCTIVE_PENDING,
    NOTHING_TO_DO,
    ChangeClass,
    StackChanges,
    classify,
    format_plan,
    plan_changes,
)
from scripts.cli import main
from scripts.create_tables import create_tables
from scripts.drift import Difference
from scripts.live import read_live
from scripts.local_endpoint import Endpoint
from scripts.schema_files import comparable, declared_schema, read_schema
from tests.conftest import client_for, delete_all_tables

FAMILY = "test-family"

ORDERS = TableSpec(
    key="orders", base_name="orders", env_var="ORDERS_TABLE_NAME", description="Orders.",
    partition=Key("customerId"), sort=Key("placedAt"),
    global_indexes=(GlobalIndex("by-status", partition=(Key("status"),), sort=(Key("placedAt"),)),),
    local_indexes=(LocalIndex("by-total", sort=Key("total", "N")),),
)


def plans_for(specs: Sequence[TableSpec], prefix: str, existing: object = False,
              ignore: dict[str, list[str]] | None = None, **stack: object) -> list[TablePlan]:
    """The stack plan a one-family stack file would give, parsed by the real config parser."""
    body: dict[str, object] = {"prefix": prefix, "existing": existing}
    if ignore is not None:
        body["importIgnoreChanges"] = ignore
    config = {"dynamodb-tables:environment": "dev", "dynamodb-tables:deletionProtection": False,
              "dynamodb-tables:protect": False, "dynamodb-tables:families": {FAMILY: body},
              **{f"dynamodb-tables:{k}": v for k, v in stack.items()}}
    family = FamilyDefinition(FAMILY, "Test family", tuple(specs), "TestFamily")
    return plan_stack(parse_stack_config(engine_encoding(config), "test", [FAMILY]), {FAMILY: family})


def create_live(client: Any, specs: Sequence[TableSpec], prefix: str, **stack: object) -> None:
    create_tables(client, [declared_schema(p) for p in plans_for(specs, prefix, **stack)])


def plan(client: Any, specs: Sequence[TableSpec], prefix: str, allowed: Sequence[str] = (),
         **options: Any) -> StackChanges:
    plans = plans_for(specs, prefix, **options)
    names = frozenset(p.name for p in plans if p.name in allowed or p.spec.key in allowed)
    return plan_changes(client, plans, "test", "the test endpoint", names)


def changes_of(stack_changes: StackChanges, key: str) -> dict[str, tuple[ChangeClass, str]]:
    table = next(t for t in stack_changes.tables if t.plan.spec.key == key)
    return {c.field: (c.change_class, c.consequence) for c in table.changes}


# --- DynamoDB Local: keys and indexes --------------------------------------------------------------

@pytest.fixture
def local_client(dynamodb_local: Endpoint, aws_env: dict[str, str]) -> Iterator[Any]:
    client = client_for(dynamodb_local)
    delete_all_tables(client)
    yield client
    delete_all_tables(client)


@pytest.mark.dynamodb_local
def test_key_lsi_projection_and_index_key_changes_are_classified_on_dynamodb_local(local_client: Any) -> None:
    sort_type = replace(ORDERS, key="sort-type")
    lsi = replace(ORDERS, key="lsi")
    projection = replace(ORDERS, key="projection")
    index_type = replace(ORDERS, key="index-type")
    new_index = replace(ORDERS, key="new-index", global_indexes=())
    dropped_index = replace(ORDERS, key="dropped-index")
    before = [replace(s, base_name=s.key, env_var=s.key.upper().replace("-", "_"))
              for s in (sort_type, lsi, projection, index_type, new_index, dropped_index)]
    create_live(local_client, before, "p-")
    for i in range(3):
        local_client.put_item(TableName="p-sort-type", Item={"customerId": {"S": f"c{i}"}, "placedAt": {"S": "t"}})

    after = [
        replace(before[0], sort=Key("placedAt", "N"),
                global_indexes=(GlobalIndex("by-status", partition=(Key("status"),), sort=(Key("placedAt", "N"),)),)),
        replace(before[1], local_indexes=(LocalIndex("by-total", sort=Key("total", "N"),
                                                     projection=Projection.KEYS_ONLY),)),
        replace(before[2], global_indexes=(GlobalIndex("by-status", partition=(Key("status"),), sort=(Key("placedAt"),),
                                                       projection=Projection.KEYS_ONLY),)),
        replace(before[3], global_indexes=(GlobalIndex("by-status", partition=(Key("status", "N"),),
                                                       sort=(Key("placedAt"),)),)),
        replace(before[4], global_indexes=ORDERS.global_indexes),
        replace(before[5], global_indexes=()),
    ]
    stack_changes = plan(local_client, after, "p-")

    # Key attribute *types* are not applied: `attribute` is not ForceNew, index elements name their keys without
    # types, and CustomizeDiff clears an attribute-only change (terraform-provider-aws table.go; pulumi-aws#1057).
    sort_changes = changes_of(stack_changes, "sort-type")
    assert sort_changes["keys"] == (ChangeClass.NOT_APPLIED, (
        "only the key attribute type changes (placedAt S => N): pulumi up shows no diff and changes nothing, and "
        "every plan reports it again; to change it, create a new table with the new key type, copy the items with a "
        "data migration, move readers and writers, then retire the old table"))
    assert sort_changes["globalIndexes.by-status"][0] is ChangeClass.NOT_APPLIED
    assert "3 items lost" not in format_plan(stack_changes)
    # local_secondary_index is ForceNew (resourceTable schema): the table is replaced.
    assert changes_of(stack_changes, "lsi") == {"localIndexes.by-total": (
        ChangeClass.REPLACE, "local index by-total changed (local_secondary_index is ForceNew): p-lsi is deleted "
                             "(0 items lost) and p-lsi created empty")}
    # updateDiffGSI: anything but capacity changed on a kept name is a Delete followed by a Create.
    rebuild = ("by-status is deleted, then created again: missing in between, its queries fail until it is ACTIVE; "
               "backfill under a minute (0 items at an assumed 1,000 items/s)")
    assert changes_of(stack_changes, "projection") == {"globalIndexes.by-status": (ChangeClass.INDEX_REBUILD, rebuild)}
    assert changes_of(stack_changes, "index-type") == {"globalIndexes.by-status": (
        ChangeClass.NOT_APPLIED, "only by-status's key attribute type changes (status S => N): pulumi up shows no "
                                 "diff and changes nothing, and every plan reports it again; to change it, add a new "
                                 "index under a new name on an attribute of the new type, backfill that attribute with "
                                 "a data migration, move the queries, then drop the old index")}
    assert changes_of(stack_changes, "new-index") == {"globalIndexes.by-status": (
        ChangeClass.INDEX_CREATE, "one index per UpdateTable call; by-status is unusable until ACTIVE (\"Cannot read "
                                  "from backfilling GSI\"); backfill under a minute (0 items at an assumed 1,000 "
                                  "items/s)")}
    assert changes_of(stack_changes, "dropped-index") == {"globalIndexes.by-status": (
        ChangeClass.INDEX_DELETE, "by-status is deleted: queries on it start failing (the table's items stay)")}
    assert stack_changes.exit_code() == DESTRUCTIVE_PENDING
    assert [t.plan.name for t in stack_changes.not_allowed()] == ["p-lsi", "p-projection", "p-dropped-index"]
    assert [t.plan.name for t in stack_changes.not_applied()] == ["p-sort-type", "p-index-type"]

    # --allow-replace lowers the exit code for exactly the tables it names, and never lifts a not-applied change.
    destructive = ["lsi", "projection", "dropped-index"]
    assert [t.plan.name for t in plan(local_client, after, "p-", allowed=destructive[:-1]).not_allowed()] == [
        "p-dropped-index"]
    assert plan(local_client, after[1:3] + after[4:], "p-", allowed=destructive).exit_code() == CHANGES_PENDING
    assert plan(local_client, after, "p-", allowed=destructive).exit_code() == DESTRUCTIVE_PENDING

    text = format_plan(stack_changes)
    assert "+- p-lsi (test-family.lsi), 0 items  [replace]" in text
    assert "~ p-sort-type (test-family.sort-type), 3 items  [not-applied]" in text
    assert text.splitlines()[-1] == (
        "6 tables: 1 to replace, 5 to update; destructive changes not allowed on 3 tables: p-lsi, p-projection, "
        "p-dropped-index (after a person has checked them: --allow-replace p-lsi p-projection p-dropped-index); not "
        "applied by pulumi up: p-sort-type, p-index-type (key attribute types: a new table or index and a data "
        "migration) (encryption, pitr, tags not checked: unsupported by this endpoint)")


@pytest.mark.dynamodb_local
def test_several_new_indexes_are_listed_in_build_order_with_provisioned_estimates(local_client: Any) -> None:
    from components.model.spec import PROVISIONED, Capacity

    base = TableSpec(key="events", base_name="events", env_var="E", description="e.", partition=Key("id"),
                     billing_mode=PROVISIONED, capacity=Capacity(5, 10))
    create_live(local_client, [base], "o-")
    after = replace(base, global_indexes=(
        GlobalIndex("second", partition=(Key("b"),)),
        GlobalIndex("first", partition=(Key("a"),), capacity=Capacity(5, 1)),
    ))
    stack_changes = plan(local_client, [after], "o-")
    [(_, steps)] = stack_changes.index_builds()
    # resourceTableUpdate creates them one per UpdateTable call in the iteration order of the provider's
    # global_secondary_index set (hashed elements), not the declaration order: the plan lists them by name.
    assert [c.field for c in steps] == ["globalIndexes.first", "globalIndexes.second"]
    assert steps[0].consequence.endswith("backfill under a minute (0 items at 1 write units/s)")
    assert steps[1].consequence.endswith("backfill under a minute (0 items at 10 write units/s)")
    text = format_plan(stack_changes)
    assert ("Index builds: one per update, each waited for until ACTIVE, in an order the provider chooses (its set "
            "order, not the declaration order; tables build in parallel):") in text
    assert "  o-events: first (under a minute), second (under a minute); under a minute in all" in text


# --- moto: settings, blocked changes, renames, imports ----------------------------------------------

SETTINGS = TableSpec(key="settings", base_name="settings", env_var="S", description="s.", partition=Key("id"),
                     ttl_attribute="expiresAt", stream=Stream(StreamViewType.NEW_IMAGE, consumers=("worker",)))


def test_missing_table_is_a_create_and_exit_1(moto_client: Any, aws_env: dict[str, str]) -> None:
    stack_changes = plan(moto_client, [SETTINGS], "m-")
    assert changes_of(stack_changes, "settings") == {"table": (ChangeClass.CREATE, "new empty table")}
    assert stack_changes.exit_code() == CHANGES_PENDING
    assert format_plan(stack_changes).splitlines()[2] == " + m-settings (test-family.settings)  [create]"


def test_update_class_changes_are_in_place_and_applying_them_leaves_nothing_to_do(
        moto_client: Any, aws_env: dict[str, str]) -> None:
    before = replace(SETTINGS, ttl_attribute=None, stream=None)
    create_live(moto_client, [before], "u-", pointInTimeRecovery=False)
    after = SETTINGS
    stack_changes = plan(moto_client, [after], "u-", deletionProtection=True, tags={"owner": "team"})
    changes = changes_of(stack_changes, "settings")
    assert {field: change_class for field, (change_class, _) in changes.items()} == {
        "ttl": ChangeClass.UPDATE, "stream": ChangeClass.UPDATE, "pitr": ChangeClass.UPDATE,
        "deletionProtection": ChangeClass.UPDATE, "tags.owner": ChangeClass.UPDATE,
        "tags.stream-consumers": ChangeClass.UPDATE}
    assert changes["ttl"][1] == "in place, no downtime: items whose expiresAt is in the past get deleted, within days"
    assert changes["stream"][1] == "in place, no downtime: a new stream starts; consumers must read its new ARN"
    assert stack_changes.exit_code() == CHANGES_PENDING

    # Apply exactly those changes in place, as the provider would: the plan then has nothing to do.
    name = "u-settings"
    arn = moto_client.describe_table(TableName=name)["Table"]["TableArn"]
    moto_client.update_time_to_live(TableName=name, TimeToLiveSpecification={"AttributeName": "expiresAt",
                                                                              "Enabled": True})
    moto_client.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                                  "StreamViewType": "NEW_IMAGE"})
    moto_client.update_table(TableName=name, DeletionProtectionEnabled=True)
    moto_client.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 35})
    moto_client.tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "team"},
                                                    {"Key": "stream-consumers", "Value": "worker"}])
    again = plan(moto_client, [after], "u-", deletionProtection=True, tags={"owner": "team"})
    assert [t.changes for t in again.tables] == [[]]
    assert again.exit_code() == NOTHING_TO_DO
    assert format_plan(again).splitlines()[-1] == "1 table: 1 unchanged"


def test_table_class_is_an_in_place_update(moto_client: Any, aws_env: dict[str, str]) -> None:
    # Neither moto nor DynamoDB Local keeps a table class (both report none), so the live side is given here.
    create_live(moto_client, [SETTINGS], "c-")
    [table_plan] = plans_for([SETTINGS], "c-")
    live = read_live(moto_client, "c-settings")
    assert live is not None
    change = classify(table_plan, Difference("tableClass", "STANDARD", "STANDARD_INFREQUENT_ACCESS"), live, 1000)
    assert (change.change_class, change.consequence) == (
        ChangeClass.UPDATE, "in place, no downtime (AWS allows two table class changes per 30 days)")


def test_a_new_ttl_attribute_while_on_is_blocked_and_a_new_view_type_cycles_the_stream(
        moto_client: Any, aws_env: dict[str, str]) -> None:
    create_live(moto_client, [SETTINGS], "b-")
    after = replace(SETTINGS, ttl_attribute="purgeAt", stream=Stream(StreamViewType.NEW_AND_OLD_IMAGES, ("worker",)))
    stack_changes = plan(moto_client, [after], "b-", allowed=["settings"])
    changes = changes_of(stack_changes, "settings")
    # resourceTableUpdate: a view type change while enabled goes through cycleStreamEnabled.
    assert changes["stream"] == (ChangeClass.STREAM_CYCLE, (
        "the provider disables the stream and enables it again with NEW_AND_OLD_IMAGES in the same update: the "
        "stream ARN changes, and its consumers (worker) must read the new ARN; records written in between reach "
        "no one"))
    assert changes["ttl"] == (ChangeClass.BLOCKED, "AWS rejects a new TTL attribute while TTL is on: disable TTL in "
                                                   "one deploy, then enable it with the new attribute in a later one "
                                                   "(disabling can take up to an hour)")
    assert stack_changes.exit_code() == DESTRUCTIVE_PENDING  # --allow-replace does not lift a blocked change
    assert format_plan(stack_changes).splitlines()[-1] == (
        "1 table: 1 to update; blocked: b-settings (AWS rejects the change as one step)")


def test_a_renamed_table_is_a_replace_that_names_the_table_deleted(moto_client: Any, aws_env: dict[str, str]) -> None:
    old = replace(SETTINGS, base_name="settings-v1")
    create_live(moto_client, [old], "r-")
    moto_client.put_item(TableName="r-settings-v1", Item={"id": {"S": "a"}})
    stack_changes = plan(moto_client, [replace(old, base_name="settings-v2")], "r-")
    # name is ForceNew (resourceTable schema): the old table, found under the family's prefix, is deleted.
    assert changes_of(stack_changes, "settings") == {"name": (
        ChangeClass.REPLACE, "the table's name changes (name is ForceNew): r-settings-v1 is deleted (1 item lost) and "
                             "r-settings-v2 created empty")}
    assert stack_changes.exit_code() == DESTRUCTIVE_PENDING


def test_import_check_matching_and_mismatching_on_three_fields(moto_client: Any, aws_env: dict[str, str]) -> None:
    live = replace(SETTINGS, global_indexes=())
    create_live(moto_client, [live], "i-", tags={"owner": "old-team"}, pointInTimeRecovery=False)

    matching = plan(moto_client, [live], "i-", existing=True, tags={"owner": "old-team"}, pointInTimeRecovery=False)
    [table] = matching.tables
    assert table.import_check is not None and table.import_check.adoptable
    assert table.import_check.differing == ()
    assert matching.exit_code() == NOTHING_TO_DO

    declared = replace(SETTINGS, global_indexes=(GlobalIndex("by-kind", partition=(Key("kind"),)),))
    mismatch = plan(moto_client, [declared], "i-", existing=True, tags={"owner": "new-team"})
    [table] = mismatch.tables
    check = table.import_check
    assert check is not None and not check.adoptable
    assert check.differing == ("globalIndexes.by-kind", "pitr", "tags.owner", "attributes")
    assert check.needed == ("attributes", "globalSecondaryIndexes", "pointInTimeRecovery", "tags")
    assert mismatch.exit_code() == DESTRUCTIVE_PENDING  # an import that fails stops the deploy
    text = format_plan(mismatch)
    assert ("    import: pulumi up cannot adopt i-settings as declared: globalIndexes.by-kind, pitr, tags.owner, "
            "attributes differ;") in text
    assert text.endswith("\n".join([
        "To adopt the existing tables first, add to Pulumi.test.yaml (then remove it, and the next pulumi up "
        "applies the differences):",
        "  dynamodb-tables:families:",
        "    test-family:",
        "      importIgnoreChanges:",
        "        settings: [attributes, globalSecondaryIndexes, pointInTimeRecovery, tags]",
        "",
        "Item counts are DynamoDB's own, refreshed about every six hours.",
        "",
        "1 table: 1 to update; import fails: i-settings"]))

    # With the printed entry in the stack config the adoption matches, and the changes wait for the next up.
    ignore = {"settings": ["attributes", "globalSecondaryIndexes", "pointInTimeRecovery", "tags"]}
    adopted = plan(moto_client, [declared], "i-", existing=True, ignore=ignore, tags={"owner": "new-team"})
    [table] = adopted.tables
    assert table.import_check is not None and table.import_check.adoptable
    assert {c.field: c.deferred for c in table.changes} == {"globalIndexes.by-kind": True, "pitr": True,
                                                            "tags.owner": True}
    assert "[index-create] one index per UpdateTable call" in format_plan(adopted)
    assert "(deferred by importIgnoreChanges until the next up)" in format_plan(adopted)
    assert adopted.index_builds() == []  # nothing is built by this up


def test_an_import_that_differs_in_keys_cannot_be_adopted(moto_client: Any, aws_env: dict[str, str]) -> None:
    create_live(moto_client, [SETTINGS], "k-")
    stack_changes = plan(moto_client, [replace(SETTINGS, partition=Key("id", "N"))], "k-", existing=True)
    [table] = stack_changes.tables
    assert table.import_check is not None and table.import_check.impossible == ("keys",)
    assert ("    import: pulumi up cannot adopt k-settings: keys differ, and no option can leave them as they are; "
            "declare them exactly as they are live (tables scaffold prints them), or adopting replaces the table"
            ) in format_plan(stack_changes)


# --- the command ----------------------------------------------------------------------------------

def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_prod_adopts_products_with_the_index_builds_deferred(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    from components.families import plan_from_stack_file
    from tests.project import PROJECT_DIR

    plans = plan_from_stack_file(PROJECT_DIR, "prod")
    schemas = [declared_schema(p) for p in plans]
    products = next(s for s in schemas if s.name == "ProductsTable")
    # The live products table predates the indexes the model declares.
    products.create.pop("GlobalSecondaryIndexes")
    products.create["AttributeDefinitions"] = [{"AttributeName": "id", "AttributeType": "S"}]
    create_tables(moto_client, schemas)

    code, out, _ = run(capsys, "plan", "--stack", "prod", "--endpoint-url", moto.url, "--json")
    result = json.loads(out)
    [table] = [t for t in result["tables"] if t["table"] == "ProductsTable"]
    assert table["importCheck"] == {"adoptable": True, "configured": ["attributes", "globalSecondaryIndexes"],
                                    "needed": ["attributes", "globalSecondaryIndexes"], "impossible": [],
                                    "unused": [], "differing": ["globalIndexes.creatorId-index",
                                                                "globalIndexes.status-index", "attributes"]}
    assert [(c["field"], c["class"], c["deferred"]) for c in table["changes"]] == [
        ("globalIndexes.creatorId-index", "index-create", True), ("globalIndexes.status-index", "index-create", True)]
    assert (code, result["exitCode"]) == (CHANGES_PENDING, CHANGES_PENDING)

    # Without the entry, the same plan says the import fails and prints the entry that makes it match.
    code, out, _ = run(capsys, "plan", "--stack", "dev", "--endpoint-url", moto.url)
    assert code == CHANGES_PENDING  # the dev tables are missing here: all creates
    assert out.splitlines()[-1] == "22 tables: 22 to create"


def test_a_table_marked_existing_that_is_missing_is_one_error(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "--stack", "prod", "--endpoint-url", moto.url)
    assert (code, out) == (2, "")
    assert err == (f"ERROR [NothingToImport]: stack 'prod' adopts 14 tables (existing) missing at {moto.url}: "
                   "construction-expenses-companies, construction-expenses-company-users, "
                   "construction-expenses-company-expenses and 11 more; "
                   "the import has nothing to adopt: check the names, or remove them from "
                   "dynamodb-tables:families.construction-expenses.existing, "
                   "dynamodb-tables:families.creator-platform.existing\n")


def test_error_paths_are_one_line_and_exit_2(
        moto: Endpoint, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "plan", "--stack", "qa", "--endpoint-url", moto.url)
    assert code == 2
    assert err.startswith("ERROR [InvalidConfig]: stack 'qa': no file Pulumi.qa.yaml in ")

    code, _, err = run(capsys, "plan", "--stack", "dev", "--endpoint-url", moto.url, "--allow-replace", "Shops-prod")
    assert (code, err) == (2, "ERROR [UnknownTable]: --allow-replace Shops-prod: stack 'dev' declares no such "
                              "table; give a table name or family.key, e.g. construction-expenses-dev-companies\n")

    code, _, err = run(capsys, "plan", "--stack", "dev", "--endpoint-url", "http://127.0.0.1:9")
    assert code == 2
    assert err.startswith("ERROR [EndpointUnreachable]: ")
    assert "http://127.0.0.1:9" in err and "\n" not in err.rstrip("\n")


# --- scaffold: from live tables back to a family module ------------------------------------------

def load_family(path: Path) -> FamilyDefinition:
    module_spec = importlib.util.spec_from_file_location(f"scaffolded_{path.stem}", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    family: FamilyDefinition = module.FAMILY
    return family


def test_scaffold_round_trip_of_the_dev_stack_plans_nothing_to_do_and_synth_equals_the_export(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from components.families import FAMILIES
    from components.model.plan import by_family
    from components.model.stack_file import load_stack_file
    from tests.project import PROJECT_DIR

    dev = plan_stack(parse_stack_config(load_stack_file(PROJECT_DIR, "dev"), "dev", list(FAMILIES)), FAMILIES)
    create_tables(moto_client, [declared_schema(p) for p in dev])
    export = tmp_path / "export"
    assert run(capsys, "export", "--prefix", "", "--out", str(export), "--endpoint-url", moto.url)[0] == 0

    catalog: dict[str, FamilyDefinition] = {}
    for family, plans in by_family(dev).items():
        source = tmp_path / family
        source.mkdir()
        for plan_ in plans:
            for suffix in (".json", ".settings.json"):
                shutil.copy(export / f"{plan_.name}{suffix}", source / f"{plan_.name}{suffix}")
        settings = plans[0].settings
        module = tmp_path / f"{family.replace('-', '_')}.py"
        code, out, err = run(capsys, "scaffold", "--from", str(source), "--family", family,
                             f"--prefix={settings.prefix}", f"--suffix={settings.suffix}", "--out", str(module))
        assert code == 0, err
        assert out == ""
        assert err.splitlines()[0] == f"wrote {module}: {len(plans)} tables of family {family}"
        assert "      existing: true" in err
        catalog[family] = load_family(module)
        assert [s.base_name for s in catalog[family].tables] == sorted(p.spec.base_name for p in plans)
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *map(str, tmp_path.glob("*.py"))],
                          capture_output=True, text=True, cwd=PROJECT_DIR)
    assert lint.returncode == 0, lint.stdout

    scaffolded = plan_stack(parse_stack_config(load_stack_file(PROJECT_DIR, "dev"), "dev", list(catalog)), catalog)
    stack_changes = plan_changes(moto_client, scaffolded, "dev", moto.url)
    assert [(t.plan.name, t.changes) for t in stack_changes.tables if t.changes] == []
    assert stack_changes.exit_code() == NOTHING_TO_DO
    for plan_ in scaffolded:  # what synth would write from the scaffolded model is what was exported
        exported = read_schema(export / f"{plan_.name}.json")
        declared = declared_schema(plan_)
        assert comparable(declared) == {k: v for k, v in comparable(exported).items() if k != "encryption.kmsKey"}
        assert declared.settings() == exported.settings()


@pytest.mark.dynamodb_local
def test_scaffold_copies_multi_attribute_keys_lsis_projections_and_billing_exactly(
        local_client: Any, dynamodb_local: Endpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    local_client.create_table(
        TableName="acme-Invoices", BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 4},
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in
                              (("tenant", "S"), ("invoiceId", "S"), ("region", "S"), ("status", "S"),
                               ("issuedAt", "N"), ("total", "N"))],
        KeySchema=[{"AttributeName": "tenant", "KeyType": "HASH"}, {"AttributeName": "invoiceId", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by-region-status",
            "KeySchema": [{"AttributeName": "region", "KeyType": "HASH"},
                          {"AttributeName": "status", "KeyType": "HASH"},
                          {"AttributeName": "issuedAt", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total"]},
            "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}}],
        LocalSecondaryIndexes=[{"IndexName": "by-total",
                                "KeySchema": [{"AttributeName": "tenant", "KeyType": "HASH"},
                                              {"AttributeName": "total", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    local_client.get_waiter("table_exists").wait(TableName="acme-Invoices", WaiterConfig={"Delay": 1})
    local_client.update_time_to_live(TableName="acme-Invoices",
                                     TimeToLiveSpecification={"AttributeName": "purgeAt", "Enabled": True})

    code, module, err = run(capsys, "scaffold", "--prefix", "acme-", "--family", "acme-billing",
                            "--endpoint-url", dynamodb_local.url)
    assert code == 0
    # stdout is the module alone (`> family.py` works); the config entry goes to stderr.
    _, config = err.split("# The stack-config entry that adopts them (under config: in Pulumi.<stack>.yaml):\n")
    assert "from components.model.spec import (\n    PROVISIONED,\n    Capacity,\n    GlobalIndex,\n" in module
    assert "\n".join([
        "        GlobalIndex(",
        '            "by-region-status",',
        '            partition=(Key("region"), Key("status")),',
        '            sort=(Key("issuedAt", "N"),),',
        "            projection=Projection.INCLUDE,",
        '            non_key_attributes=("total",),',
        "            capacity=Capacity(read=2, write=2),",
        "        ),"]) in module
    assert '        LocalIndex("by-total", sort=Key("total", "N"), projection=Projection.KEYS_ONLY),\n' in module
    assert "    # TODO: declare each index's queries as AccessPattern (components/model/patterns.py).\n" \
           "    patterns=(),\n)" in module
    assert '    stream=Stream(StreamViewType.NEW_AND_OLD_IMAGES, consumers=("todo-name-the-consumer",)),' in module
    assert '    ttl_attribute="purgeAt",' in module
    assert "    billing_mode=PROVISIONED,\n    capacity=Capacity(read=5, write=4)," in module
    assert config.splitlines()[:5] == [
        "  # The tables are live already: `existing: true` makes the first pulumi up adopt (import) them.",
        "  dynamodb-tables:families:", "    acme-billing:", "      prefix: acme-", "      existing: true"]

    path = tmp_path / "acme_billing.py"
    path.write_text(module)
    family = load_family(path)
    [spec] = family.tables
    assert (spec.key, spec.base_name, family.type_token) == (
        "invoices", "Invoices", "dynamodbTables:families:AcmeBilling")
    # The module describes the live table exactly: the adopting plan has no key or index change.
    plans = plan_stack(parse_stack_config(engine_encoding({
        "dynamodb-tables:environment": "dev", "dynamodb-tables:deletionProtection": False,
        "dynamodb-tables:protect": False,
        "dynamodb-tables:families": {"acme-billing": {"prefix": "acme-", "existing": True}}}), "dev",
        ["acme-billing"]), {"acme-billing": family})
    stack_changes = plan_changes(local_client, plans, "dev", dynamodb_local.url)
    [table] = stack_changes.tables
    assert table.import_check is not None and table.import_check.impossible == ()
    assert {c.field for c in table.changes} <= {"deletionProtection", "encryption"}  # what DynamoDB Local can't hold


def test_scaffold_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scaffold", "--from", str(tmp_path / "none"), "--family", "x-y")
    assert (code, err) == (2, f"ERROR [InvalidSchema]: {tmp_path / 'none'}: no such directory\n")
    code, _, err = run(capsys, "scaffold", "--from", str(tmp_path), "--family", "Bad_Family")
    assert (code, err) == (2, "ERROR [InvalidFamily]: --family 'Bad_Family': use lower-case words joined by "
                              "hyphens, e.g. construction-expenses\n")
    existing = tmp_path / "family.py"
    existing.write_text("kept")
    code, _, err = run(capsys, "scaffold", "--from", str(tmp_path), "--family", "x-y", "--out", str(existing))
    assert (code, err) == (2, f"ERROR [FileExists]: {existing} exists; scaffold never overwrites a file, choose "
                              "another --out or remove it\n")
    assert existing.read_text() == "kept"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "Orders-dev.json").write_text(json.dumps({
        "TableName": "Orders-dev", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}))
    code, _, err = run(capsys, "scaffold", "--from", str(tmp_path / "src"), "--family", "x-y", "--prefix", "shop-")
    assert (code, err) == (2, "ERROR [PrefixMismatch]: table 'Orders-dev' does not start with --prefix 'shop-' and "
                              "end with --suffix ''; every table of a family shares them\n")
