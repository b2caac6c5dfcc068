"""Consumers: least-privilege IAM policies, table-name environments, and the pack's IAM guard."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from parliament import analyze_policy_string
from pulumi_policy import EnforcementLevel

from components.families import consumers_from_stack_file
from components.model.access import READ_ACTIONS, STREAM_ACTIONS, WRITE_ACTIONS
from components.model.spec import ModelError
from components.model.stack_file import load_stack_file
from policies.iam.access import iam_policy_dynamodb_least_privilege as least_privilege
from policies.pack import load_environment_config
from scripts.cli import main
from scripts.mock_stack import FAKE_ACCOUNT, DeclaredResource, DeclaredStack, run_program
from scripts.policy_client import PolicyPackClient, running_pack
from tests.project import PROJECT_DIR, shipped_stacks
from tests.test_policies import violations

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
CONSUMER = "dynamodbTables:access:Consumer"
STACKS_WITH_CONSUMERS = ["dev", "prod", "staging"]
PROD_KEY = "arn:aws:kms:us-east-1:111122223333:key/0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c"
SHOPS_KEY = "arn:aws:kms:us-east-1:111122223333:key/7c1e2f3a-0b4d-4e5f-8a9b-0c1d2e3f4a5b"


def arn(table: str) -> str:
    return f"arn:aws:dynamodb:us-east-1:{FAKE_ACCOUNT}:table/{table}"


@pytest.fixture(scope="module", params=shipped_stacks())
def declared(request: pytest.FixtureRequest) -> DeclaredStack:
    return run_program(PROJECT_DIR, request.param)


def documents(stack: DeclaredStack) -> dict[str, dict[str, Any]]:
    components = {r.urn: r for r in stack.resources if r.type == CONSUMER}
    found = {}
    for policy in stack.of_type(ROLE_POLICY):
        assert policy.parent in components, f"{policy.urn} is not a child of its consumer component"
        found[components[policy.parent].name] = {"role": policy.inputs["role"], "name": policy.inputs["name"],
                                                 "document": json.loads(policy.inputs["policy"])}
    return found


def test_the_creator_apis_dev_policy_is_read_write_on_its_four_tables_and_nothing_else() -> None:
    policy = documents(run_program(PROJECT_DIR, "dev"))["creator-api"]
    tables = ["dev-AnalyticsEventsTable", "dev-AnalyticsSummariesTable", "dev-CreatorsTable", "dev-ProductsTable"]
    assert policy["role"] == "creator-api-lambda-dev"
    assert policy["name"] == "dynamodb-tables-creator-api"
    assert policy["document"] == {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadTables", "Effect": "Allow", "Action": list(READ_ACTIONS),
         "Resource": sorted([arn(t) for t in tables] + [f"{arn(t)}/index/*" for t in tables])},
        {"Sid": "WriteTables", "Effect": "Allow", "Action": list(WRITE_ACTIONS),
         "Resource": [arn(t) for t in tables]},
    ]}
    assert READ_ACTIONS == ("dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
                            "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan")
    assert WRITE_ACTIONS == ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable",
                             "dynamodb:PutItem", "dynamodb:UpdateItem")


def test_the_prod_aggregator_reads_the_stream_and_uses_the_tables_key() -> None:
    policy = documents(run_program(PROJECT_DIR, "prod"))["analytics-aggregator"]
    assert policy["role"] == "analytics-aggregator-lambda-prod"  # from the role ARN in the stack file
    summaries = arn("AnalyticsSummariesTable")
    assert policy["document"]["Statement"] == [
        {"Sid": "ReadTables", "Effect": "Allow", "Action": list(READ_ACTIONS),
         "Resource": [summaries, f"{summaries}/index/*"]},
        {"Sid": "WriteTables", "Effect": "Allow", "Action": list(WRITE_ACTIONS), "Resource": [summaries]},
        {"Sid": "ReadStreams", "Effect": "Allow", "Action": list(STREAM_ACTIONS),
         "Resource": [f"{arn('AnalyticsEventsTable')}/stream/*"]},
        {"Sid": "DecryptWithTableKeys", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:DescribeKey"],
         "Resource": [PROD_KEY]},
        {"Sid": "EncryptWithTableKeys", "Effect": "Allow",
         "Action": ["kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], "Resource": [PROD_KEY]},
    ]


def test_shop_import_grants_use_the_shop_tables_own_key_and_read_only_stays_decrypt_only() -> None:
    statements = {s["Sid"]: s for s in documents(run_program(PROJECT_DIR, "prod"))["shop-import-jobs"]["document"][
        "Statement"]}
    assert statements["ReadTables"]["Resource"] == sorted(
        [arn("Shops-prod"), f"{arn('Shops-prod')}/index/*", arn("Jobs-prod"), f"{arn('Jobs-prod')}/index/*"])
    assert statements["WriteTables"]["Resource"] == sorted([arn("Jobs-prod"), arn("ImportHistory-prod")])
    assert statements["DecryptWithTableKeys"]["Resource"] == [SHOPS_KEY]
    assert statements["EncryptWithTableKeys"]["Resource"] == [SHOPS_KEY]


def test_every_consumer_policy_names_only_its_tables(declared: DeclaredStack) -> None:
    _, consumers = consumers_from_stack_file(PROJECT_DIR, declared.stack)
    docs = documents(declared)
    assert set(docs) == {c.name for c in consumers}
    for consumer in consumers:
        resources = {r for s in docs[consumer.name]["document"]["Statement"] for r in s["Resource"]}
        tables = {r.split(":table/")[1].split("/")[0] for r in resources if ":table/" in r}
        assert tables == set(consumer.levels()), consumer.name
        actions = {a for s in docs[consumer.name]["document"]["Statement"] for a in s["Action"]}
        assert "*" not in resources and not any(a.endswith("*") and a.startswith("dynamodb:") for a in actions)


def test_each_consumers_environment_is_exported_for_its_service_stack(declared: DeclaredStack) -> None:
    _, consumers = consumers_from_stack_file(PROJECT_DIR, declared.stack)
    assert declared.outputs["consumers"] == {
        c.name: {"role": c.role_name, "environment": c.environment()} for c in consumers}
    if declared.stack == "dev":
        assert declared.outputs["consumers"]["creator-api"]["environment"] == {
            "CREATORS_TABLE_NAME": "dev-CreatorsTable", "PRODUCTS_TABLE_NAME": "dev-ProductsTable",
            "ANALYTICS_EVENTS_TABLE_NAME": "dev-AnalyticsEventsTable",
            "ANALYTICS_SUMMARIES_TABLE_NAME": "dev-AnalyticsSummariesTable"}


@pytest.mark.parametrize("stack", STACKS_WITH_CONSUMERS)
def test_every_generated_policy_passes_parliament_with_no_findings(stack: str) -> None:
    for name, policy in documents(run_program(PROJECT_DIR, stack)).items():
        findings = analyze_policy_string(json.dumps(policy["document"])).findings
        assert [(f.issue, f.detail) for f in findings] == [], f"{stack}/{name}"


def test_parliament_does_flag_a_broad_policy() -> None:
    broad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}
    assert {f.issue for f in analyze_policy_string(json.dumps(broad)).findings} == {"RESOURCE_STAR"}


def test_a_family_grant_in_code_gives_the_same_policy_as_config() -> None:
    from components.families import FAMILIES, plan_from_stack_file
    from components.resources.family import TableFamily, TableFamilyArgs
    from scripts.mock_stack import _CloudMocks, _RecordingMonitor

    plans = [p for p in plan_from_stack_file(PROJECT_DIR, "dev") if p.family == "items-service"]
    monitor = _RecordingMonitor(_CloudMocks("us-east-1"))
    pulumi.runtime.set_all_config({"aws:region": "us-east-1"})
    pulumi.runtime.set_mocks(monitor.mocks, project="p", stack="dev", preview=True, monitor=monitor)

    @pulumi.runtime.test
    def declare() -> pulumi.Output:
        family = TableFamily(FAMILIES["items-service"], TableFamilyArgs(plans=plans))
        return family.grant("items-service-lambda-dev", "read-write", name="items-service").urn

    declare()
    [policy] = [r for r in monitor.declared if r.type == ROLE_POLICY]
    from_config = documents(run_program(PROJECT_DIR, "dev"))["items-service"]["document"]
    assert json.loads(policy.inputs["policy"]) == from_config
    assert policy.inputs["role"] == "items-service-lambda-dev"


def declare_grant(role: Any, level: Any) -> DeclaredResource:
    """The role policy `TableFamily.grant(role, level)` declares for dev's items-service family, under mocks."""
    from components.families import FAMILIES, plan_from_stack_file
    from components.resources.family import TableFamily, TableFamilyArgs
    from scripts.mock_stack import _CloudMocks, _RecordingMonitor

    plans = [p for p in plan_from_stack_file(PROJECT_DIR, "dev") if p.family == "items-service"]
    monitor = _RecordingMonitor(_CloudMocks("us-east-1"))
    pulumi.runtime.set_all_config({"aws:region": "us-east-1"})
    pulumi.runtime.set_mocks(monitor.mocks, project="p", stack="dev", preview=False, monitor=monitor)

    @pulumi.runtime.test
    def declare() -> pulumi.Output:
        family = TableFamily(FAMILIES["items-service"], TableFamilyArgs(plans=plans))
        given = role() if callable(role) else role
        return family.grant(given, level, name="items-service").urn

    declare()
    [policy] = [r for r in monitor.declared if r.type == ROLE_POLICY]
    return policy


def test_grant_takes_an_iam_role_resource_and_attaches_to_its_name() -> None:
    import pulumi_aws as aws

    policy = declare_grant(lambda: aws.iam.Role("items-lambda", name="items-lambda-role", assume_role_policy="{}"),
                           "read")
    assert policy.inputs["role"] == "items-lambda-role"
    assert json.loads(policy.inputs["policy"])["Statement"][0]["Resource"] == [arn("items-dev"),
                                                                            f"{arn('items-dev')}/index/*"]


def test_grant_takes_an_output_holding_a_role_arn() -> None:
    policy = declare_grant(lambda: pulumi.Output.from_input(f"arn:aws:iam::{FAKE_ACCOUNT}:role/team/items-lambda"),
                           ["read", "write"])
    assert policy.inputs["role"] == "items-lambda"
    assert [s["Sid"] for s in json.loads(policy.inputs["policy"])["Statement"]] == ["ReadTables", "WriteTables"]


def run_with_config(stack: str, mutate: Mutation) -> DeclaredStack:
    config = load_stack_file(PROJECT_DIR, stack)
    consumers = json.loads(config["dynamodb-tables:consumers"])
    mutate(consumers)
    # As the engine passes it: Go's encoding/json sorts map keys.
    config["dynamodb-tables:consumers"] = json.dumps(consumers, sort_keys=True)
    return run_program(PROJECT_DIR, stack, config)


def test_a_consumer_may_read_a_table_and_its_stream() -> None:
    def read_and_stream(consumers: dict[str, Any]) -> None:
        consumers["analytics-aggregator"]["access"]["creator-platform.analytics-events"] = ["read", "stream"]

    policy = documents(run_with_config("dev", read_and_stream))["analytics-aggregator"]
    events, summaries = arn("dev-AnalyticsEventsTable"), arn("dev-AnalyticsSummariesTable")
    # aws-cdk's grantReadData and grantStreamRead on one table: both sets, each on its own resources.
    assert policy["document"]["Statement"] == [
        {"Sid": "ReadTables", "Effect": "Allow",
         "Action": ["dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
                    "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"],
         "Resource": [events, f"{events}/index/*", summaries, f"{summaries}/index/*"]},
        {"Sid": "WriteTables", "Effect": "Allow",
         "Action": ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:PutItem",
                    "dynamodb:UpdateItem"],
         "Resource": [summaries]},
        {"Sid": "ReadStreams", "Effect": "Allow",
         "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
         "Resource": [f"{events}/stream/*"]},
    ]


def test_a_role_arn_in_the_deploying_account_attaches_to_that_role() -> None:
    policy = documents(run_with_config("dev", lambda c: c["items-service"].update(
        {"role": f"arn:aws:iam::{FAKE_ACCOUNT}:role/service/items-service-lambda-dev"})))["items-service"]
    assert policy["role"] == "items-service-lambda-dev"


def test_a_role_arn_from_another_account_is_refused_at_deploy_time() -> None:
    # dev names no aws:allowedAccountIds: the deploying account is the caller's (the mocks' 123456789012).
    assert run_with_consumers(lambda c: c["items-service"].update(
        {"role": "arn:aws:iam::999988887777:role/items-service-lambda-dev"})) == (
        KEY + "items-service.role': given \"arn:aws:iam::999988887777:role/items-service-lambda-dev\"; allowed: a "
        "role in the account this stack deploys to (partition aws, account 123456789012): an inline policy can only "
        "be attached to a role there; grant another account's role through a table resource policy")


def test_a_role_arn_outside_the_allowed_accounts_is_refused_by_the_plan() -> None:
    # prod names aws:allowedAccountIds, so the plan (and `tables access`) refuses it before anything runs.
    from components.families import stack_from_config

    config = load_stack_file(PROJECT_DIR, "prod")
    consumers = json.loads(config["dynamodb-tables:consumers"])
    consumers["items-service"]["role"] = "arn:aws:iam::999988887777:role/items-service-lambda-prod"
    # As the engine passes it: Go's encoding/json sorts map keys.
    config["dynamodb-tables:consumers"] = json.dumps(consumers, sort_keys=True)
    with pytest.raises(ModelError) as caught:
        stack_from_config(config, "prod")
    assert str(caught.value) == (
        "stack 'prod', config key 'dynamodb-tables:consumers.items-service.role': given "
        "\"arn:aws:iam::999988887777:role/items-service-lambda-prod\"; allowed: a role in the account this stack "
        "deploys to (account 111122223333): an inline policy can only be attached to a role there; grant another "
        "account's role through a table resource policy")


# --- bad consumer config -------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def run_with_consumers(mutate: Mutation) -> str:
    config = load_stack_file(PROJECT_DIR, "dev")
    consumers = json.loads(config["dynamodb-tables:consumers"])
    mutate(consumers)
    # As the engine passes it: Go's encoding/json sorts map keys.
    config["dynamodb-tables:consumers"] = json.dumps(consumers, sort_keys=True)
    with pytest.raises(pulumi.RunError) as caught:
        run_program(PROJECT_DIR, "dev", config)
    return str(caught.value)


KEY = "stack 'dev', config key 'dynamodb-tables:consumers."


@pytest.mark.parametrize(("mutate", "message"), [
    pytest.param(lambda c: c["creator-api"]["access"].update({"creator-platfrom": "read"}),
                 KEY + "creator-api.access.creator-platfrom': given \"read\"; allowed: a family this stack deploys: "
                 "construction-expenses, creator-platform, items-service, migration-history, shop-import",
                 id="unknown family"),
    pytest.param(lambda c: c["shop-import-jobs"]["access"].update({"shop-import.jobz": "read"}),
                 KEY + "shop-import-jobs.access.shop-import.jobz': given \"read\"; allowed: a table of shop-import: "
                 "shops, jobs, import-history", id="unknown table"),
    pytest.param(lambda c: c["items-service"]["access"].update({"items-service": "admin"}),
                 KEY + "items-service.access.items-service': given \"admin\"; allowed: one of read, write, "
                 "read-write, stream, or a list of them (read and stream, for a service that reads a table and its "
                 "stream)", id="unknown level"),
    pytest.param(lambda c: c["items-service"]["access"].update({"items-service": ["read", "read"]}),
                 KEY + "items-service.access.items-service': given [\"read\", \"read\"]; allowed: one of read, "
                 "write, read-write, stream, or a list of them (read and stream, for a service that reads a table "
                 "and its stream)", id="a level twice"),
    pytest.param(lambda c: c["items-service"].update({"role": "arn:aws:iam::123:role/x"}),
                 KEY + "items-service.role': given \"arn:aws:iam::123:role/x\"; allowed: an IAM role ARN "
                 "(arn:aws:iam::<account>:role/<name>) or a role name of 1 to 64 [A-Za-z0-9_+=,.@-]",
                 id="malformed role ARN"),
    pytest.param(lambda c: c["items-service"].update({"role": "items service"}),
                 KEY + "items-service.role': given \"items service\"; allowed: an IAM role ARN "
                 "(arn:aws:iam::<account>:role/<name>) or a role name of 1 to 64 [A-Za-z0-9_+=,.@-]",
                 id="role name with a space"),
    pytest.param(lambda c: c["creator-api"]["access"].update({"creator-platform.products": "stream"}),
                 KEY + "creator-api.access.creator-platform.products': given \"stream\"; allowed: a table with a "
                 "stream; 'products' has none, so consumer 'creator-api' cannot read one", id="stream without stream"),
    pytest.param(lambda c: c["items-service"].update({"rol": "x"}),
                 KEY + "items-service': given {\"access\": {\"items-service\": \"read-write\"}, \"rol\": \"x\", "
                 "\"role\": \"items-service-lambda-dev\"}; allowed: a map with keys role and access", id="unknown key"),
])
def test_bad_consumer_config_is_one_message_naming_the_key(mutate: Mutation, message: str) -> None:
    assert run_with_consumers(mutate) == message


# --- the policy pack's IAM guard -----------------------------------------------------------------

GOOD_DOCUMENT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ReadTables", "Effect": "Allow", "Action": list(READ_ACTIONS),
     "Resource": [arn("items-dev"), f"{arn('items-dev')}/index/*"]}]}


def role_policy(**changes: Any) -> dict[str, Any]:
    props = {"role": "items-service-lambda-dev", "name": "dynamodb-tables-items-service",
             "policy": json.dumps(GOOD_DOCUMENT)}
    props.update(changes)
    return props


def with_statement(**statement: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "S", "Effect": "Allow", **statement}]})


def test_a_least_privilege_policy_passes() -> None:
    assert violations(least_privilege, role_policy(), resource_type=ROLE_POLICY) == []


def test_an_unparseable_document_is_a_violation() -> None:
    assert violations(least_privilege, role_policy(policy="{not json"), resource_type=ROLE_POLICY) == [
        "policy: it does not parse as JSON (Expecting property name enclosed in double quotes)."]


def test_an_operator_role_may_manage_tables() -> None:
    props = role_policy(role="deployer", policy=with_statement(Action=["dynamodb:UpdateTable"],
                                                               Resource=arn("items-dev")))
    assert violations(least_privilege, props, resource_type=ROLE_POLICY, operatorRoles=["deployer"]) == []


def test_an_unknown_policy_document_does_not_pass() -> None:
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    assert violations(least_privilege, role_policy(policy=UNKNOWN_STRING_VALUE), resource_type=ROLE_POLICY) == [
        "policy is unknown during preview, so its DynamoDB access cannot be checked; build it from known values "
        "(table names, region, account ID)."]


MANAGEMENT_ON_STAR = ("statement S allows table-management and restore actions (dynamodb:CreateBackup, "
                      "dynamodb:CreateGlobalTable, dynamodb:CreateTable, dynamodb:CreateTableReplica and 26 more) "
                      "on *; only operator roles may manage or restore tables, and {who}.")
DATA_ON_STAR = ("statement S allows dynamodb:BatchGetItem, dynamodb:BatchWriteItem, dynamodb:ConditionCheckItem, "
                "dynamodb:DeleteItem and 37 more on *, every resource of every service; it reaches this stack's "
                "'construction-expenses-dev-companies', 'construction-expenses-dev-company-users', "
                "'construction-expenses-dev-company-expenses' and 19 more, which {who} is not "
                "declared to use; name each table's ARN.")


def test_managed_policies_and_role_inline_policies_are_checked_too() -> None:
    broad = with_statement(Action="dynamodb:*", Resource="*")
    assert violations(least_privilege, {"name": "p", "policy": broad}, resource_type="aws:iam/policy:Policy") == [
        "policy: " + MANAGEMENT_ON_STAR.format(who="a managed policy is not one"),
        "policy: " + DATA_ON_STAR.format(who="a managed policy")]
    role = {"name": "r", "assumeRolePolicy": "{}", "inlinePolicies": [{"name": "a", "policy": broad}]}
    assert violations(least_privilege, role, resource_type="aws:iam/role:Role")[0] == (
        "inlinePolicies[0]: " + MANAGEMENT_ON_STAR.format(who="role 'r' is not one"))


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackClient]:
    with running_pack(PROJECT_DIR / "policies", python=sys.executable) as client:
        yield client


def iam_resource(environment: str, name: str, policy: str) -> DeclaredResource:
    return DeclaredResource(type=ROLE_POLICY, name=name, urn=f"urn:pulumi:{environment}::p::{ROLE_POLICY}::{name}",
                            inputs=role_policy(policy=policy, role=f"items-service-lambda-{environment}"),
                            custom=True, parent="", protect=False, retain_on_delete=False, import_id="")


@pytest.mark.parametrize(("environment", "level"), [("dev", "advisory"), ("staging", "mandatory"),
                                                    ("prod", "mandatory")])
def test_over_grpc_the_guard_is_mandatory_in_staging_and_prod(pack: PolicyPackClient, environment: str,
                                                             level: str) -> None:
    pack.configure(load_environment_config(environment))
    table = arn(f"items-{environment}")
    good = {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadTables", "Effect": "Allow", "Action": list(READ_ACTIONS),
         "Resource": [table, f"{table}/index/*"]}]}
    assert pack.analyze(iam_resource(environment, "good", json.dumps(good))) == []
    broad = pack.analyze(iam_resource(environment, "broad", with_statement(Action="dynamodb:DeleteTable",
                                                                           Resource=table)))
    assert [(v.policy, v.level, v.message) for v in broad] == [
        ("iam-policy-dynamodb-least-privilege", level,
         f"policy: statement S allows table-management actions (dynamodb:DeleteTable) on {table}; only operator "
         f"roles may manage or restore tables, and role 'items-service-lambda-{environment}' is not one.")]
    assert least_privilege.enforcement_level == EnforcementLevel.ADVISORY  # the pack's default; config decides


def test_the_offline_policy_check_fails_a_stack_that_adds_a_broad_policy(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    for file in ("Pulumi.yaml", "Pulumi.prod.yaml"):
        shutil.copy(PROJECT_DIR / file, tmp_path / file)
    shutil.copytree(PROJECT_DIR / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    # A hand-written grant in the program, the kind this project exists to replace.
    (tmp_path / "__main__.py").write_text((PROJECT_DIR / "__main__.py").read_text() + '''
import json as _json
import pulumi_aws as _aws
_aws.iam.RolePolicy("legacy-lambda-dynamodb", role="legacy-lambda", policy=_json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}))
''')
    assert main(["policy-check", "--stack", "prod", "--project-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "- [mandatory]  iam-policy-dynamodb-least-privilege  (aws:iam/rolePolicy:RolePolicy: " \
           "legacy-lambda-dynamodb)" in out
    assert out.rstrip().endswith("2 mandatory and 0 advisory violations")


def test_tables_access_prints_the_dev_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "--stack", "dev"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # In the order the program gets them: the engine passes the consumers map as JSON with sorted keys.
    assert lines[:2] == ["[1] analytics-aggregator: role analytics-aggregator-lambda-dev",
                         "[2] construction-expenses-api: role construction-expenses-lambda-dev"]
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.startswith(("dev-", "Shops-", "Jobs-"))}
    assert rows["dev-AnalyticsEventsTable"] == ["S", ".", "RW", ".", ".", "."]
    assert rows["Shops-dev"] == [".", ".", ".", ".", "RW", "R"]
    assert lines[-1] == ("6 consumers, 22 tables; R read, W write, RW read-write, S stream; "
                         "no consumer: dynamodb-tables-dev-migrations")


def test_tables_access_json_lists_each_consumers_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "--stack", "dev", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["consumers"]["shop-import-jobs"]["tables"] == {"Shops-dev": "read", "Jobs-dev": "read-write",
                                                              "ImportHistory-dev": "write"}
    assert data["tables"]["dev-AnalyticsEventsTable"] == {"creator-api": "read-write",
                                                         "analytics-aggregator": "stream"}


def test_docs_access_lists_each_kinds_actions_as_granted() -> None:
    from components.model.access import LEVEL_ACTIONS, AccessLevel

    rows = {}
    for line in (PROJECT_DIR / "docs" / "access.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 4 and cells[0] in {"`read`", "`write`", "`stream`"}:
            rows[cells[0].strip("`")] = {f"dynamodb:{a.strip().strip('`')}" for a in cells[1].split(",")}
    assert rows == {level.value: set(LEVEL_ACTIONS[level])
                    for level in (AccessLevel.READ, AccessLevel.WRITE, AccessLevel.STREAM)}


def test_read_and_stream_on_one_table_shows_in_the_matrix_and_passes_the_pack(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for file in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / file, tmp_path / file)
    shutil.copytree(PROJECT_DIR / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    stack_file = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    assert "      creator-platform.analytics-events: stream\n" in stack_file
    (tmp_path / "Pulumi.dev.yaml").write_text(stack_file.replace(
        "      creator-platform.analytics-events: stream\n",
        "      creator-platform.analytics-events: [read, stream]\n"))
    assert main(["access", "--stack", "dev", "--project-dir", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["consumers"]["analytics-aggregator"]["tables"] == {
        "dev-AnalyticsEventsTable": "read+stream", "dev-AnalyticsSummariesTable": "read-write"}
    # The pack reads the same stack file: the generated read and stream statements are the declared access.
    main(["policy-check", "--stack", "dev", "--project-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "dynamodb-table-deletion-protection-enabled" in out  # the pack ran: dev's advisory findings
    assert "iam-policy-dynamodb-least-privilege" not in out
