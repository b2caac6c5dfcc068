"""The backup and throttle-alarm stack policies: called directly, and over the pack's real gRPC Analyzer."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from pulumi_policy import PolicyResource, StackValidationArgs, StackValidationPolicy
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies.dynamodb.recovery import dynamodb_table_in_backup_plan, dynamodb_table_throttle_alarms_present
from policies.pack import load_environment_config
from scripts.mock_stack import DeclaredResource, DeclaredStack, run_program
from scripts.policy_client import PolicyPackClient, Violation, running_pack
from tests.project import PROJECT_DIR
from tests.test_policies import OPTIONS

TABLE = "aws:dynamodb/table:Table"
SELECTION = "aws:backup/selection:Selection"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/"
BACKUP = dynamodb_table_in_backup_plan
ALARMS = dynamodb_table_throttle_alarms_present


def table(name: str, arn: bool = False, **tags: str) -> PolicyResource:
    props: dict[str, Any] = {"name": name, "tags": {"environment": "prod", **tags}}
    if arn:
        props["arn"] = ARN + name  # outputs, as at `pulumi up`; inputs during a preview have none
    return PolicyResource(TABLE, unknown_checking_proxy(props), f"urn:{name}", name, OPTIONS, None, None, [], {})


def selection(props: dict[str, Any], depends_on: list[PolicyResource] | None = None,
              key: str = "resources") -> PolicyResource:
    base = {"name": "dynamodb-tables-prod", "planId": "plan-id", "iamRoleArn": "arn:aws:iam::1:role/backup"}
    return PolicyResource(SELECTION, unknown_checking_proxy({**base, **props}), "urn:selection", "backup-selection",
                          OPTIONS, None, None, list(depends_on or []), {key: list(depends_on or [])})


def alarm(name: str, props: dict[str, Any]) -> PolicyResource:
    return PolicyResource(ALARM, unknown_checking_proxy(props), f"urn:alarm:{name}", name, OPTIONS, None, None, [], {})


def throttle_alarm(table_name: str, metric: str, **dimensions: str) -> PolicyResource:
    return alarm(f"{table_name}-{metric}", {"namespace": "AWS/DynamoDB", "metricName": metric,
                                            "dimensions": {"TableName": table_name, **dimensions}})


def stack_violations(policy: StackValidationPolicy, resources: list[PolicyResource],
                     **config: Any) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    args = StackValidationArgs(resources, config)
    policy.validate(args, lambda message, urn=None: found.append((message, urn)))  # type: ignore[misc]
    return found


def not_selected(name: str) -> tuple[str, str]:
    return (f"table '{name}' is in no AWS Backup selection of this stack; turn on dynamodb-tables:backup (it selects "
            "every table of the stack by ARN), or select the table by tag.", f"urn:{name}")


# --- dynamodb-table-in-backup-plan, directly --------------------------------------------------------------

def test_a_table_outside_every_selection_is_reported_and_the_selected_one_is_not() -> None:
    items, jobs = table("items-prod", arn=True), table("Jobs-prod", arn=True)
    assert stack_violations(BACKUP, [items, jobs, selection({"resources": [ARN + "items-prod"]})]) == [
        not_selected("Jobs-prod")]


def test_a_stack_without_any_selection_reports_every_table() -> None:
    assert stack_violations(BACKUP, [table("items-prod"), table("Shops-prod")]) == [
        not_selected("items-prod"), not_selected("Shops-prod")]


def test_during_a_preview_a_selection_covers_the_tables_its_resources_depend_on() -> None:
    items, jobs = table("items-prod"), table("Jobs-prod")
    # Both ARNs unknown; the engine says the resources input depends on items only.
    preview = selection({"resources": [UNKNOWN_STRING_VALUE, UNKNOWN_STRING_VALUE]}, depends_on=[items])
    assert stack_violations(BACKUP, [items, jobs, preview]) == [not_selected("Jobs-prod")]


def test_an_unknown_arn_without_a_dependency_covers_nothing() -> None:
    items = table("items-prod")
    assert stack_violations(BACKUP, [items, selection({"resources": [UNKNOWN_STRING_VALUE]})]) == [
        not_selected("items-prod")]


@pytest.mark.parametrize(("pattern", "covered"), [
    ("*", True),
    (ARN + "*", True),
    (ARN + "items-*", True),
    ("arn:aws:dynamodb:*:*:table/items-prod", True),
    (ARN + "jobs-*", False),
    ("arn:aws:s3:::items-prod", False),
])
def test_wildcard_arns_cover_the_tables_they_match_known_arn_or_not(pattern: str, covered: bool) -> None:
    for known in (True, False):
        found = stack_violations(BACKUP, [table("items-prod", arn=known), selection({"resources": [pattern]})])
        assert found == ([] if covered else [not_selected("items-prod")]), (pattern, known)


def test_selection_by_tag_and_conditions_that_narrow_it() -> None:
    items, shops = table("items-prod", backup="daily"), table("Shops-prod", backup="none")
    by_tag = selection({"selectionTags": [{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}]})
    assert stack_violations(BACKUP, [items, shops, by_tag]) == [not_selected("Shops-prod")]
    # resources "*" narrowed by a condition on the environment tag: both tables are tagged prod.
    narrowed = selection({"resources": ["*"], "conditions": [
        {"stringEquals": [{"key": "aws:ResourceTag/environment", "value": "prod"}],
         "stringNotLikes": [{"key": "aws:ResourceTag/backup", "value": "no*"}]}]})
    assert stack_violations(BACKUP, [items, shops, narrowed]) == [not_selected("Shops-prod")]


def test_not_resources_exclude_a_table_even_from_a_wildcard() -> None:
    items, jobs = table("items-prod", arn=True), table("Jobs-prod", arn=True)
    excluding = selection({"resources": ["*"], "notResources": [ARN + "Jobs-prod"]})
    assert stack_violations(BACKUP, [items, jobs, excluding]) == [not_selected("Jobs-prod")]


def test_environment_levels_advisory_in_dev_and_local_mandatory_in_staging_and_prod() -> None:
    levels = {env: load_environment_config(env)["dynamodb-table-in-backup-plan"]["enforcementLevel"]
              for env in ("dev", "local", "staging", "prod")}
    assert levels == {"dev": "advisory", "local": "advisory", "staging": "mandatory", "prod": "mandatory"}


# --- dynamodb-table-throttle-alarms-present, directly -----------------------------------------------------

def test_a_prod_table_needs_read_and_write_throttle_alarms_on_the_table_itself() -> None:
    items, jobs = table("items-prod"), table("Jobs-prod")
    resources = [
        items, jobs,
        throttle_alarm("items-prod", "ReadThrottleEvents"), throttle_alarm("items-prod", "WriteThrottleEvents"),
        throttle_alarm("Jobs-prod", "ReadThrottleEvents"),
        # An index's alarm does not watch the table's own throttles.
        throttle_alarm("Jobs-prod", "WriteThrottleEvents", GlobalSecondaryIndexName="status-createdAt-index"),
    ]
    assert stack_violations(ALARMS, resources, environment="prod") == [
        ("prod table 'Jobs-prod' has no CloudWatch alarm on WriteThrottleEvents (dimension TableName=Jobs-prod); "
         "turn on dynamodb-tables:alarms.", "urn:Jobs-prod")]
    assert stack_violations(ALARMS, [table("Shops-prod")], environment="prod-eu") == [
        ("prod table 'Shops-prod' has no CloudWatch alarm on ReadThrottleEvents or WriteThrottleEvents "
         "(dimension TableName=Shops-prod); turn on dynamodb-tables:alarms.", "urn:Shops-prod")]


def test_a_metric_math_alarm_over_the_throttle_metric_counts() -> None:
    queries = [{"id": metric.lower(), "returnData": False, "metric": {
                    "metricName": metric, "stat": "Sum", "period": 60, "dimensions": {"TableName": "items-prod"}}}
               for metric in ("ReadThrottleEvents", "WriteThrottleEvents")]
    queries.append({"id": "total", "expression": "readthrottleevents + writethrottleevents", "returnData": True})
    assert stack_violations(ALARMS, [table("items-prod"), alarm("both", {"metricQueries": queries})],
                            environment="prod") == []


@pytest.mark.parametrize("environment", ["dev", "staging", "local", ""])
def test_outside_production_the_alarm_policy_does_not_apply(environment: str) -> None:
    with pytest.raises(_NotApplicableError):
        stack_violations(ALARMS, [table("items-dev")], environment=environment)


# --- over the real gRPC Analyzer -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackClient]:
    assert sys.prefix != sys.base_prefix, "tests must run in the project's venv/"
    with running_pack(PROJECT_DIR / "policies", python=sys.executable) as client:
        yield client


@pytest.fixture(scope="module")
def prod() -> DeclaredStack:
    return run_program(PROJECT_DIR, "prod")


def analyze_stack(pack: PolicyPackClient, environment: str, resources: list[DeclaredResource]) -> list[Violation]:
    pack.configure(load_environment_config(environment))
    return pack.analyze_stack(resources)


def without_table_in_selection(declared: DeclaredStack, name: str, preview: bool) -> list[DeclaredResource]:
    """The stack with one table left out of the backup selection, as a preview (ARNs unknown) or an update."""
    left_out = declared.tables[name]
    resources = []
    for resource in declared.resources:
        if resource.type == SELECTION:
            arns = [arn for arn in resource.inputs["resources"] if not arn.endswith(f":table/{name}")]
            urns = [urn for urn in resource.property_dependencies["resources"] if urn != left_out.urn]
            inputs = {**resource.inputs, "resources": [UNKNOWN_STRING_VALUE] * len(arns) if preview else arns}
            resource = replace(resource, inputs=inputs, property_dependencies={**resource.property_dependencies,
                                                                               "resources": urns})
        resources.append(resource)
    return resources


def recovery_violations(found: list[Violation]) -> list[tuple[str, str, str, str]]:
    return [(v.policy, v.level, v.resource_name, v.message) for v in found
            if v.policy in ("dynamodb-table-in-backup-plan", "dynamodb-table-throttle-alarms-present")]


def test_over_grpc_the_shipped_prod_stack_has_every_table_selected_and_alarmed(pack: PolicyPackClient,
                                                                               prod: DeclaredStack) -> None:
    assert recovery_violations(analyze_stack(pack, "prod", prod.resources)) == []


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_over_grpc_a_table_outside_every_selection_fails_in_prod(pack: PolicyPackClient, prod: DeclaredStack,
                                                                 preview: bool) -> None:
    resources = without_table_in_selection(prod, "items-prod", preview)
    assert recovery_violations(analyze_stack(pack, "prod", resources)) == [
        ("dynamodb-table-in-backup-plan", "mandatory", "items-service-items", not_selected("items-prod")[0])]


def test_over_grpc_the_same_stack_passes_in_dev_with_an_advisory(pack: PolicyPackClient, prod: DeclaredStack) -> None:
    resources = without_table_in_selection(prod, "items-prod", preview=True)
    found = analyze_stack(pack, "dev", resources)
    assert recovery_violations(found) == [
        ("dynamodb-table-in-backup-plan", "advisory", "items-service-items", not_selected("items-prod")[0])]
    assert not [v for v in found if v.mandatory and v.policy == "dynamodb-table-in-backup-plan"]


def test_over_grpc_a_preview_without_dependencies_cannot_confirm_coverage(pack: PolicyPackClient,
                                                                          prod: DeclaredStack) -> None:
    # Unknown ARNs and no dependency information: nothing is confirmed, so every table is reported.
    resources = []
    for resource in prod.resources:
        if resource.type == SELECTION:
            resource = replace(resource, inputs={**resource.inputs, "resources": [UNKNOWN_STRING_VALUE] * 22},
                               property_dependencies={})
        resources.append(resource)
    found = recovery_violations(analyze_stack(pack, "prod", resources))
    assert len(found) == 22 and {v[:2] for v in found} == {("dynamodb-table-in-backup-plan", "mandatory")}


def test_over_grpc_a_prod_stack_without_alarms_gets_the_advisory_for_each_table(pack: PolicyPackClient,
                                                                                prod: DeclaredStack) -> None:
    resources = [r for r in prod.resources if r.type != ALARM]
    found = recovery_violations(analyze_stack(pack, "prod", resources))
    assert len(found) == 22
    assert {v[:2] for v in found} == {("dynamodb-table-throttle-alarms-present", "advisory")}
    assert ("dynamodb-table-throttle-alarms-present", "advisory", "items-service-items",
            "prod table 'items-prod' has no CloudWatch alarm on ReadThrottleEvents or WriteThrottleEvents "
            "(dimension TableName=items-prod); turn on dynamodb-tables:alarms.") in found
    # Outside production the policy does not apply.
    in_dev = analyze_stack(pack, "dev", resources)
    assert [v for v in in_dev if v.policy == "dynamodb-table-throttle-alarms-present"] == []


# --- the README's guardrail table ------------------------------------------------------------------------------

def test_the_readme_guardrail_table_lists_every_policy_with_each_environments_level() -> None:
    from policies.pack import POLICIES

    rows = {}
    for line in (PROJECT_DIR / "README.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 5 and cells[0].split("`")[1] in {p.name for p in POLICIES}:
            rows[cells[0].split("`")[1]] = cells[2:]
    assert set(rows) == {p.name for p in POLICIES}
    for policy in POLICIES:
        levels = [load_environment_config(env).get(policy.name, {}).get("enforcementLevel") for env in
                  ("dev", "staging", "prod")]
        assert rows[policy.name] == levels, policy.name
