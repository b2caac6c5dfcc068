"""`tables plan --pulumi-preview FILE`: Pulumi's own preview beside the plan, and every disagreement.

The live side is real (the dev stack's tables on moto, created with the project's own create code);
the previews are hand-written digests in the format `pulumi preview --json` prints (tests/pulumi_previews.py
says where each field comes from). Expected lines are written out by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from string import Template
from typing import Any

import pytest

from scripts.cli import main
from scripts.create_tables import create_tables
from scripts.local_endpoint import Endpoint
from scripts.pulumi_preview import parse_urn
from scripts.schema_files import declared_schema
from tests import pulumi_previews
from tests.project import PROJECT_DIR


def create_dev_stack_with_two_changes(client: Any) -> None:
    """The dev stack live, except that Shops-dev is missing and dev-ProductsTable lacks its status-index."""
    from components.families import plan_from_stack_file

    schemas = [declared_schema(p) for p in plan_from_stack_file(PROJECT_DIR, "dev") if p.name != "Shops-dev"]
    products = next(s for s in schemas if s.name == "dev-ProductsTable")
    products.create["GlobalSecondaryIndexes"] = [i for i in products.create["GlobalSecondaryIndexes"]
                                                 if i["IndexName"] != "status-index"]
    products.create["AttributeDefinitions"] = [a for a in products.create["AttributeDefinitions"]
                                               if a["AttributeName"] != "status"]
    create_tables(client, schemas)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def plan_with(tmp_path: Path, moto: Endpoint, capsys: pytest.CaptureFixture[str], digest: str,
              *extra: str) -> tuple[int, str, str]:
    preview = tmp_path / "preview.json"
    preview.write_text(digest)
    return run(capsys, "plan", "--stack", "dev", "--endpoint-url", moto.url, "--pulumi-preview", str(preview), *extra)


PRODUCTS_CHANGE = ("      [index-create] globalIndexes.status-index: one index per UpdateTable call; status-index is "
                   "unusable until ACTIVE (\"Cannot read from backfilling GSI\"); backfill under a minute (0 items "
                   "at an assumed 1,000 items/s)")


def test_a_preview_that_agrees_shows_pulumis_operation_beside_each_consequence(
        tmp_path: Path, moto: Endpoint, moto_client: Any, aws_env: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    create_dev_stack_with_two_changes(moto_client)
    code, out, err = plan_with(tmp_path, moto, capsys, pulumi_previews.AGREES)
    assert (code, err) == (1, "")  # the plan's own exit: safe changes pending
    section = out[out.index("Pulumi's preview ("):]
    assert section == "\n".join([
        f"Pulumi's preview ({tmp_path / 'preview.json'}) beside the plan, table by table:",
        "  update             dev-ProductsTable (creator-platform.products)  because of attributes, "
        "globalSecondaryIndexes",
        PRODUCTS_CHANGE,
        "  create             Shops-dev (shop-import.shops)",
        "      [create] table: new empty table",
        "",
        "The plan and Pulumi's preview agree on every table.",
        ""])


def test_a_preview_that_replaces_what_the_plan_updates_is_one_line_and_exit_3(
        tmp_path: Path, moto: Endpoint, moto_client: Any, aws_env: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    create_dev_stack_with_two_changes(moto_client)
    code, out, _ = plan_with(tmp_path, moto, capsys, pulumi_previews.REPLACES_WHAT_THE_PLAN_UPDATES)
    assert code == 3
    assert out.endswith("\n".join([
        "  replace            dev-ProductsTable (creator-platform.products)  because of attributes",
        PRODUCTS_CHANGE,
        "  create             Shops-dev (shop-import.shops)",
        "      [create] table: new empty table",
        "",
        "The plan and Pulumi's preview disagree on 1 table (exit 3; find out which is wrong before pulumi up for "
        "stack dev):",
        "  dev-ProductsTable (creator-platform.products): the preview replaces it (deleted, then created empty) "
        "because of attributes: 0 items lost; the plan updates it in place",
        ""]))


def test_a_preview_that_holds_a_table_the_plan_does_not_know_is_one_line_and_exit_3(
        tmp_path: Path, moto: Endpoint, moto_client: Any, aws_env: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    create_dev_stack_with_two_changes(moto_client)
    code, out, _ = plan_with(tmp_path, moto, capsys, pulumi_previews.HOLDS_A_TABLE_THE_PLAN_DOES_NOT_KNOW)
    assert code == 3
    assert out.endswith("\n".join([
        "  delete             creator-platform-legacy-products",
        "",
        "The plan and Pulumi's preview disagree on 1 table (exit 3; find out which is wrong before pulumi up for "
        "stack dev):",
        "  the preview has a 'delete' step for table resource 'creator-platform-legacy-products', which stack 'dev' "
        f"does not declare ({pulumi_previews.LEGACY_URN}): preview and plan come from different programs or "
        "configs",
        ""]))


def test_a_table_the_plan_changes_and_the_preview_leaves_alone_is_a_disagreement(
        tmp_path: Path, moto: Endpoint, moto_client: Any, aws_env: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    create_dev_stack_with_two_changes(moto_client)
    code, out, _ = plan_with(tmp_path, moto, capsys, pulumi_previews.LEAVES_ALONE_WHAT_THE_PLAN_UPDATES, "--json")
    assert code == 3
    result = json.loads(out)
    assert result["exitCode"] == 3
    assert result["pulumiPreview"]["disagreements"] == [
        "dev-ProductsTable (creator-platform.products): the preview leaves it alone; the plan updates it in place"]
    assert [(t["table"], t["pulumiOp"], t["pulumi"], t["plan"]) for t in result["pulumiPreview"]["tables"]] == [
        ("dev-ProductsTable", "same", "none", "update"), ("Shops-dev", "create", "create", "create")]


def test_the_preview_does_not_lift_the_gate_it_only_adds_to_it(
        tmp_path: Path, moto: Endpoint, moto_client: Any, aws_env: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    """A preview that agrees leaves the plan's own exit code: 3 for a destructive change nobody allowed."""
    from components.families import plan_from_stack_file

    schemas = [declared_schema(p) for p in plan_from_stack_file(PROJECT_DIR, "dev")]
    products = next(s for s in schemas if s.name == "dev-ProductsTable")
    for index in products.create["GlobalSecondaryIndexes"]:
        if index["IndexName"] == "status-index":
            index["Projection"] = {"ProjectionType": "KEYS_ONLY"}
    create_tables(moto_client, schemas)
    rebuild = pulumi_previews.digest(pulumi_previews.STACK_STEP, pulumi_previews.UPDATE_PRODUCTS,
                                     summary='        "same": 43,\n        "update": 1')
    code, out, _ = plan_with(tmp_path, moto, capsys, rebuild)
    assert code == 3
    assert "The plan and Pulumi's preview agree on every table." in out
    code, out, _ = plan_with(tmp_path, moto, capsys, rebuild, "--allow-replace", "creator-platform.products")
    assert code == 1


@pytest.mark.parametrize(("content", "message"), [
    ("{\"steps\": [", "not JSON (line 1, column 12: Expecting value)"),
    ("[]", "not a Pulumi preview digest (no \"steps\")"),
    ('{"config": {}, "duration": 1}', "not a Pulumi preview digest (no \"steps\")"),
    ('{"steps": {}}', "\"steps\" is not a list"),
    ('{"steps": ["same"]}', "steps[0] is not an object"),
    (json.dumps({"steps": [{"op": "frobnicate", "urn": pulumi_previews.STACK_URN}]}),
     "steps[0].op is \"frobnicate\", not a step operation of the Pulumi engine (same, create, update, delete, "
     "replace, create-replacement, delete-replaced, read, read-replacement, refresh, discard, discard-replaced, "
     "remove-pending-replace, import, import-replacement, diff, extend-parameterize)"),
    ('{"steps": [{"op": "same", "urn": "dev-ProductsTable"}]}', "steps[0].urn is \"dev-ProductsTable\", not a "
                                                                "Pulumi URN"),
    (json.dumps({"steps": [{"op": "update", "urn": pulumi_previews.PRODUCTS_URN, "diffReasons": "name"}]}),
     "steps[0].diffReasons is not a list of property names"),
    ('{"steps": [{"op": "same", "urn": "urn:pulumi:dev::other-project::pulumi:pulumi:Stack::other-project-dev"}]}',
     "steps[0] is a resource of project 'other-project', not 'dynamodb-tables'"),
])
def test_a_file_that_is_not_a_preview_digest_is_one_line_and_exit_2(
        tmp_path: Path, moto: Endpoint, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str],
        content: str, message: str) -> None:
    code, out, err = plan_with(tmp_path, moto, capsys, content)
    assert (code, out) == (2, "")
    assert err == (f"ERROR [InvalidPreview]: {tmp_path / 'preview.json'}: {message}; give the file `pulumi preview "
                   "--json --stack <stack>` printed (without PULUMI_ENABLE_STREAMING_JSON_PREVIEW)\n")


def test_a_preview_of_another_stack_or_a_missing_file_is_one_line_and_exit_2(
        tmp_path: Path, moto: Endpoint, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan_with(tmp_path, moto, capsys, pulumi_previews.OF_ANOTHER_STACK)
    assert (code, err) == (2, f"ERROR [InvalidPreview]: {tmp_path / 'preview.json'}: a preview of stack 'staging' "
                              "(its URNs say so), not of 'dev'; preview stack 'dev', or plan --stack staging\n")
    code, _, err = run(capsys, "plan", "--stack", "dev", "--endpoint-url", moto.url,
                       "--pulumi-preview", str(tmp_path / "absent.json"))
    assert (code, err) == (2, f"ERROR [InvalidPreview]: {tmp_path / 'absent.json'}: cannot read it (No such file or "
                              "directory); give the file `pulumi preview --json` wrote\n")


def test_a_binary_file_is_one_line_and_exit_2(
        tmp_path: Path, moto: Endpoint, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    preview = tmp_path / "preview.json"
    preview.write_bytes(b'{"steps": []}\xff')
    code, _, err = run(capsys, "plan", "--stack", "dev", "--endpoint-url", moto.url, "--pulumi-preview", str(preview))
    assert (code, err) == (2, f"ERROR [InvalidPreview]: {preview}: not UTF-8 text (byte 13); give the file "
                              "`pulumi preview --json --stack <stack>` printed (without "
                              "PULUMI_ENABLE_STREAMING_JSON_PREVIEW)\n")


def test_a_bad_preview_is_reported_before_any_call_to_the_endpoint(
        tmp_path: Path, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    # Port 9 (discard) has no DynamoDB: an endpoint error would show had the plan called it first.
    preview = tmp_path / "preview.json"
    preview.write_text("not json")
    code, _, err = run(capsys, "plan", "--stack", "dev", "--endpoint-url", "http://127.0.0.1:9",
                       "--pulumi-preview", str(preview))
    assert code == 2
    assert err.startswith(f"ERROR [InvalidPreview]: {preview}: not JSON (line 1, column 1: Expecting value)")


def test_urns_of_the_stack_parse_into_stack_project_type_and_logical_name() -> None:
    # The layout of pulumi/pulumi sdk/go/common/resource/urn.go: urn:pulumi:stack::project::qualified$type::name.
    for line in (PROJECT_DIR / "tests" / "data" / "urns" / "dev.txt").read_text().splitlines():
        stack, project, resource_type, name = line.removeprefix("urn:pulumi:").split("::")
        assert parse_urn(line) == (stack, project, resource_type.split("$")[-1], name)
    assert parse_urn(pulumi_previews.PRODUCTS_URN) == ("dev", "dynamodb-tables", "aws:dynamodb/table:Table",
                                                       "creator-platform-products")
    assert parse_urn("urn:pulumi:dev::dynamodb-tables::pulumi:pulumi:Stack") is None


def test_an_adopted_table_agrees_whether_the_preview_imports_it_or_finds_it_adopted(tmp_path: Path) -> None:
    """prod adopts ProductsTable (`existing`): the engine imports it while it is not in the stack's state
    (step op `import`, pkg/resource/deploy/step.go OpImport) and treats it as any other resource after that;
    changes importIgnoreChanges defers are not in the preview at all."""
    from components.families import plan_from_stack_file
    from scripts.change_plan import Change, ChangeClass, StackChanges, TableChanges
    from scripts.pulumi_preview import compare_preview, read_preview

    plans = plan_from_stack_file(PROJECT_DIR, "prod")
    products = next(p for p in plans if p.name == "ProductsTable")
    assert products.existing
    deferred = Change("globalIndexes.status-index", ChangeClass.INDEX_CREATE, "status-index", None,
                      "one index per UpdateTable call", deferred=True)
    stack_changes = StackChanges("prod", "DynamoDB", [TableChanges(p, None, [deferred] if p is products else [])
                                                      for p in plans], frozenset())
    import_step = Template("""        {
            "op": "import",
            "urn": "${urn}",
            "provider": "${provider}",
            "detailedDiff": null
        }""").substitute(urn=pulumi_previews.PRODUCTS_URN.replace("urn:pulumi:dev::", "urn:pulumi:prod::"),
                         provider=pulumi_previews.PROVIDER.replace("urn:pulumi:dev::", "urn:pulumi:prod::"))
    preview = tmp_path / "preview.json"
    for steps, agreed in (([pulumi_previews.STACK_STEP.replace(":dev::", ":prod::").replace("-dev", "-prod"),
                            import_step], True),
                          ([], True),
                          ([import_step.replace('"import"', '"replace"')], False)):
        preview.write_text(pulumi_previews.digest(*steps, summary='        "same": 44'))
        comparison = compare_preview(stack_changes, read_preview(preview, "prod"))
        assert (comparison.disagreements() == []) is agreed, comparison.disagreements()
    assert comparison.disagreements() == ["ProductsTable (creator-platform.products): the preview replaces it "
                                          "(deleted, then created empty); the plan leaves it alone"]


def test_a_change_pulumi_up_does_not_apply_agrees_with_a_preview_that_has_no_step_for_it(tmp_path: Path) -> None:
    """A key attribute's type: the provider's CustomizeDiff clears the `attribute` change (pulumi-aws#1057), so
    the engine has no step for the table; a preview that updates it disagrees with the plan."""
    from components.families import plan_from_stack_file
    from scripts.change_plan import Change, ChangeClass, StackChanges, TableChanges
    from scripts.pulumi_preview import compare_preview, read_preview

    plans = plan_from_stack_file(PROJECT_DIR, "dev")
    key_type = Change("keys", ChangeClass.NOT_APPLIED, "id:N HASH", "id:S HASH", "pulumi up changes nothing")
    stack_changes = StackChanges("dev", "DynamoDB", [TableChanges(p, None, [key_type] if p.name == "dev-ProductsTable"
                                                                  else []) for p in plans], frozenset())
    preview = tmp_path / "preview.json"
    preview.write_text(pulumi_previews.digest(pulumi_previews.STACK_STEP, summary='        "same": 44'))
    assert compare_preview(stack_changes, read_preview(preview, "dev")).disagreements() == []
    preview.write_text(pulumi_previews.digest(pulumi_previews.STACK_STEP, pulumi_previews.UPDATE_PRODUCTS,
                                              summary='        "same": 43,\n        "update": 1'))
    assert compare_preview(stack_changes, read_preview(preview, "dev")).disagreements() == [
        "dev-ProductsTable (creator-platform.products): the preview updates it in place because of attributes, "
        "globalSecondaryIndexes; the plan leaves it alone"]
