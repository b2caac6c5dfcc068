"""`tables plan --format markdown`: the pull-request comment, pinned as exact text written by hand.

The dev stack's real table plans carry changes built here, so each test pins the layout (what comes first,
what stops the deploy, Pulumi's column) independently of how the plan words a consequence; one test runs
the command end to end on moto with a preview digest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.model.plan import TablePlan
from scripts.change_plan import Change, ChangeClass, ImportCheck, StackChanges, TableChanges
from scripts.cli import main
from scripts.live import LiveTable
from scripts.local_endpoint import Endpoint
from scripts.plan_markdown import COMMENT_MARKER, cell, format_markdown
from scripts.pulumi_preview import Preview, compare_preview, read_preview
from scripts.schema_files import declared_schema
from tests import pulumi_previews
from tests.project import PROJECT_DIR
from tests.test_pulumi_preview import create_dev_stack_with_two_changes


def dev_plans() -> list[TablePlan]:
    from components.families import plan_from_stack_file

    return plan_from_stack_file(PROJECT_DIR, "dev")


def live(plan: TablePlan, items: int) -> LiveTable:
    return LiveTable(schema=declared_schema(plan), status="ACTIVE", item_count=items, size_bytes=items * 200,
                     index_status={}, arn=f"arn:aws:dynamodb:us-east-1:123456789012:table/{plan.name}")


def change(field: str, change_class: ChangeClass, consequence: str) -> Change:
    return Change(field=field, change_class=change_class, declared="declared", live="live", consequence=consequence)


def dev_stack_changes(allowed: frozenset[str] = frozenset({"dev-AnalyticsEventsTable"})) -> StackChanges:
    """Five of the dev stack's 22 tables change; the rest are as declared."""
    plans = {p.name: p for p in dev_plans()}
    changes = {
        "dev-CreatorsTable": (40, [change("globalIndexes.userId-index", ChangeClass.INDEX_CREATE,
                                          "userId-index is unusable until ACTIVE; backfill under a minute")]),
        "dev-ProductsTable": (2500, [change("globalIndexes.status-index", ChangeClass.INDEX_REBUILD,
                                            "status-index is deleted, then created again: missing in between")]),
        "dev-AnalyticsEventsTable": (1200, [
            change("encryption", ChangeClass.UPDATE, "in place: the table stays available"),
            change("keys", ChangeClass.REPLACE, "the table is deleted and recreated empty: 1,200 items lost")]),
        "Jobs-dev": (7, [change("stream", ChangeClass.BLOCKED, "AWS rejects a new view type while the stream is on")]),
    }
    tables = []
    for name, plan in plans.items():
        if name == "Shops-dev":
            tables.append(TableChanges(plan, None, [Change("table", ChangeClass.CREATE, name, None,
                                                           "new empty table")]))
        elif name in changes:
            items, table_changes = changes[name]
            tables.append(TableChanges(plan, live(plan, items), table_changes))
        else:
            tables.append(TableChanges(plan, live(plan, 3), []))
    return StackChanges("dev", "DynamoDB", tables, allowed)


SUMMARY = ("22 tables: 1 to create, 1 to replace, 3 to update, 17 unchanged; destructive changes not allowed on 1 "
           "table: dev-ProductsTable (after a person has checked them: --allow-replace dev-ProductsTable); blocked: "
           "Jobs-dev (AWS rejects the change as one step)")


def test_markdown_lists_destructive_and_blocked_changes_first_with_what_stops_the_deploy() -> None:
    assert format_markdown(dev_stack_changes()) == "\n".join([
        "### Stack `dev`: 5 of 22 tables change",
        "",
        "| Table | Change | Consequence | Gate |",
        "|---|---|---|---|",
        "| `dev-ProductsTable` (creator-platform.products), 2,500 items | index-rebuild `globalIndexes.status-index` "
        "| status-index is deleted, then created again: missing in between | **stops the deploy** unless allowed: "
        "`--allow-replace dev-ProductsTable` |",
        "| `dev-AnalyticsEventsTable` (creator-platform.analytics-events), 1,200 items | replace `keys` | the table "
        "is deleted and recreated empty: 1,200 items lost | allowed by --allow-replace |",
        "| `Jobs-dev` (shop-import.jobs), 7 items | blocked `stream` | AWS rejects a new view type while the stream "
        "is on | **stops the deploy**; --allow-replace does not lift it |",
        "| `dev-CreatorsTable` (creator-platform.creators), 40 items | index-create `globalIndexes.userId-index` | "
        "userId-index is unusable until ACTIVE; backfill under a minute | |",
        "| `dev-AnalyticsEventsTable` (creator-platform.analytics-events), 1,200 items | update `encryption` | in "
        "place: the table stays available | |",
        "| `Shops-dev` (shop-import.shops) | create `table` | new empty table | |",
        "",
        SUMMARY,
        ""])


def test_markdown_with_a_preview_adds_pulumis_operation_and_the_disagreements(tmp_path: Path) -> None:
    digest = tmp_path / "preview.json"
    digest.write_text(pulumi_previews.REPLACES_WHAT_THE_PLAN_UPDATES)
    stack_changes = dev_stack_changes()
    comparison = compare_preview(stack_changes, read_preview(digest, "dev"))
    text = format_markdown(stack_changes, comparison)
    assert text == "\n".join([
        "### Stack `dev`: 5 of 22 tables change",
        "",
        "| Table | Pulumi | Change | Consequence | Gate |",
        "|---|---|---|---|---|",
        "| `dev-ProductsTable` (creator-platform.products), 2,500 items | `replace` | index-rebuild "
        "`globalIndexes.status-index` | status-index is deleted, then created again: missing in between | "
        "**stops the deploy** unless allowed: `--allow-replace dev-ProductsTable` |",
        "| `dev-AnalyticsEventsTable` (creator-platform.analytics-events), 1,200 items | `same` | replace `keys` | "
        "the table is deleted and recreated empty: 1,200 items lost | allowed by --allow-replace |",
        "| `Jobs-dev` (shop-import.jobs), 7 items | `same` | blocked `stream` | AWS rejects a new view type while "
        "the stream is on | **stops the deploy**; --allow-replace does not lift it |",
        "| `dev-CreatorsTable` (creator-platform.creators), 40 items | `same` | index-create "
        "`globalIndexes.userId-index` | userId-index is unusable until ACTIVE; backfill under a minute | |",
        "| `dev-AnalyticsEventsTable` (creator-platform.analytics-events), 1,200 items | `same` | update "
        "`encryption` | in place: the table stays available | |",
        "| `Shops-dev` (shop-import.shops) | `create` | create `table` | new empty table | |",
        "",
        "**The plan and Pulumi's preview disagree** on 4 tables; the deploy stops until they agree:",
        "",
        "- dev-CreatorsTable (creator-platform.creators): the preview leaves it alone; the plan updates it in place",
        "- dev-ProductsTable (creator-platform.products): the preview replaces it (deleted, then created empty) "
        "because of attributes: 2,500 items lost; the plan updates it in place",
        "- dev-AnalyticsEventsTable (creator-platform.analytics-events): the preview leaves it alone; the plan "
        "replaces it (deleted, then created empty): 1,200 items lost",
        "- Jobs-dev (shop-import.jobs): the preview leaves it alone; the plan updates it in place",
        "",
        SUMMARY,
        ""])


def test_a_stack_with_nothing_to_do_is_a_heading_and_the_summary() -> None:
    plans = dev_plans()
    unchanged = StackChanges("dev", "DynamoDB", [TableChanges(p, live(p, 0), []) for p in plans], frozenset())
    assert format_markdown(unchanged) == "### Stack `dev`: 0 of 22 tables change\n\n22 tables: 22 unchanged\n"


def test_a_preview_step_where_the_plan_has_nothing_to_do_is_listed_under_the_table(tmp_path: Path) -> None:
    plans = dev_plans()
    unchanged = StackChanges("dev", "DynamoDB", [TableChanges(p, live(p, 0), []) for p in plans], frozenset())
    digest = tmp_path / "preview.json"
    digest.write_text(pulumi_previews.HOLDS_A_TABLE_THE_PLAN_DOES_NOT_KNOW)
    preview: Preview = read_preview(digest, "dev")
    assert format_markdown(unchanged, compare_preview(unchanged, preview)) == "\n".join([
        "### Stack `dev`: 0 of 22 tables change",
        "",
        "- Pulumi's preview: `update` `dev-ProductsTable` (creator-platform.products), where the plan has nothing "
        "to do",
        "- Pulumi's preview: `create` `Shops-dev` (shop-import.shops), where the plan has nothing to do",
        "- Pulumi's preview: `delete` `creator-platform-legacy-products`, where the plan has nothing to do",
        "",
        "**The plan and Pulumi's preview disagree** on 3 tables; the deploy stops until they agree:",
        "",
        "- dev-ProductsTable (creator-platform.products): the preview updates it in place because of attributes, "
        "globalSecondaryIndexes; the plan leaves it alone",
        "- Shops-dev (shop-import.shops): the preview creates it; the plan leaves it alone",
        "- the preview has a 'delete' step for table resource 'creator-platform-legacy-products', which stack 'dev' "
        f"does not declare ({pulumi_previews.LEGACY_URN}): preview and plan come from different programs or configs",
        "",
        "22 tables: 22 unchanged",
        ""])


def test_a_cell_keeps_pipes_and_newlines_inside_the_table() -> None:
    assert cell("a | b\nc \\ d") == "a \\| b<br>c \\\\ d"


def test_the_command_prints_the_markdown_with_the_preview_and_the_marker_is_a_hidden_comment(
        tmp_path: Path, moto: Endpoint, moto_client: Any, aws_env: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    create_dev_stack_with_two_changes(moto_client)
    preview = tmp_path / "preview.json"
    preview.write_text(pulumi_previews.AGREES)
    code = main(["plan", "--stack", "dev", "--endpoint-url", moto.url, "--pulumi-preview", str(preview),
                 "--format", "markdown"])
    out = capsys.readouterr().out
    assert code == 1
    assert out == "\n".join([
        "### Stack `dev`: 2 of 22 tables change",
        "",
        "| Table | Pulumi | Change | Consequence | Gate |",
        "|---|---|---|---|---|",
        "| `dev-ProductsTable` (creator-platform.products), 0 items | `update` | index-create "
        "`globalIndexes.status-index` | one index per UpdateTable call; status-index is unusable until ACTIVE "
        "(\"Cannot read from backfilling GSI\"); backfill under a minute (0 items at an assumed 1,000 items/s) | |",
        "| `Shops-dev` (shop-import.shops) | `create` | create `table` | new empty table | |",
        "",
        "Pulumi's preview agrees with the plan on every table.",
        "",
        "22 tables: 1 to create, 1 to update, 20 unchanged",
        ""])
    # GitHub renders an HTML comment as nothing: the marker is invisible in the pull request.
    assert COMMENT_MARKER.startswith("<!--") and COMMENT_MARKER.endswith("-->") and "--" not in COMMENT_MARKER[4:-3]


def test_markdown_and_json_together_are_one_usage_error(
        moto: Endpoint, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "--stack", "dev", "--endpoint-url", moto.url, "--format", "markdown", "--json"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == ("ERROR [Usage]: tables plan: --json and --format markdown each choose the output; "
                            "give one\n")


def test_a_preview_step_on_a_table_whose_changes_are_all_deferred_is_listed_under_the_table(tmp_path: Path) -> None:
    plans = dev_plans()
    deferred = Change("tags.owner", ChangeClass.UPDATE, "creator-team", "old-team", "in place, no downtime",
                      deferred=True)
    stack_changes = StackChanges("dev", "DynamoDB", [TableChanges(p, live(p, 2), [deferred] if p.name ==
                                                                  "dev-ProductsTable" else []) for p in plans],
                                 frozenset())
    digest = tmp_path / "preview.json"
    digest.write_text(pulumi_previews.digest(pulumi_previews.STACK_STEP, pulumi_previews.UPDATE_PRODUCTS,
                                             summary='        "same": 43,\n        "update": 1'))
    assert format_markdown(stack_changes, compare_preview(stack_changes, read_preview(digest, "dev"))) == "\n".join([
        "### Stack `dev`: 1 of 22 tables change",
        "",
        "- Pulumi's preview: `update` `dev-ProductsTable` (creator-platform.products), where the plan has nothing "
        "to do",
        "",
        "**The plan and Pulumi's preview disagree** on 1 table; the deploy stops until they agree:",
        "",
        "- dev-ProductsTable (creator-platform.products): the preview updates it in place because of attributes, "
        "globalSecondaryIndexes; the plan leaves it alone",
        "",
        "22 tables: 1 to update, 21 unchanged",
        ""])


def test_changes_no_flag_lifts_and_a_failing_import_stop_the_deploy_even_when_the_tables_are_allowed() -> None:
    plans = {p.name: p for p in dev_plans()}
    failing_import = ImportCheck(needed=("tags",), configured=(), impossible=(), differing=("tags.owner",))
    changes = {
        "dev-ProductsTable": [change("keys", ChangeClass.NOT_APPLIED, "pulumi up changes nothing")],
        "dev-AnalyticsEventsTable": [change("stream", ChangeClass.STREAM_CYCLE, "a new stream ARN")],
        "Jobs-dev": [change("tags.owner", ChangeClass.UPDATE, "in place, no downtime")],
    }
    tables = [TableChanges(p, live(p, 5), changes.get(name, []),
                           import_check=failing_import if name == "dev-CreatorsTable" else None)
              for name, p in plans.items()]
    allowed = frozenset({"dev-CreatorsTable", "dev-ProductsTable", "dev-AnalyticsEventsTable"})
    assert format_markdown(StackChanges("dev", "DynamoDB", tables, allowed)) == "\n".join([
        "### Stack `dev`: 4 of 22 tables change",
        "",
        "| Table | Change | Consequence | Gate |",
        "|---|---|---|---|",
        "| `dev-CreatorsTable` (creator-platform.creators), 5 items | import check | the import fails as declared: "
        "tags.owner differ; adopt it with importIgnoreChanges [tags] (`tables plan` prints the entry) | "
        "**stops the deploy**; --allow-replace does not lift it |",
        "| `dev-ProductsTable` (creator-platform.products), 5 items | not-applied `keys` | pulumi up changes nothing | "
        "**stops the deploy**; --allow-replace does not lift it |",
        "| `dev-AnalyticsEventsTable` (creator-platform.analytics-events), 5 items | stream-cycle `stream` | a new "
        "stream ARN | allowed by --allow-replace |",
        "| `Jobs-dev` (shop-import.jobs), 5 items | update `tags.owner` | in place, no downtime | |",
        "",
        "22 tables: 4 to update, 18 unchanged; not applied by pulumi up: dev-ProductsTable (key attribute types: a "
        "new table or index and a data migration); import fails: dev-CreatorsTable",
        ""])
