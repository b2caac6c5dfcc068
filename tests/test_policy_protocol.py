"""The policy pack over its real gRPC Analyzer interface, started as the engine's Python host starts it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies.pack import PACK_NAME, load_environment_config
from scripts.mock_stack import DeclaredResource, run_program
from scripts.policy_client import PolicyPackClient, Violation, running_pack
from tests.project import PROJECT_DIR, shipped_stacks

ENVIRONMENTS = ["dev", "staging", "prod"]
CONFIGURABLE = ["dynamodb-table-deletion-protection-enabled", "dynamodb-table-required-tags-present",
                "dynamodb-table-ttl-not-key-attribute", "dynamodb-table-name-environment-prefixed",
                "dynamodb-resource-policy-no-public-access", "dynamodb-table-stream-enabled-for-consumers",
                "iam-policy-dynamodb-least-privilege", "dynamodb-table-in-backup-plan",
                "dynamodb-table-kms-key-allowed", "dynamodb-table-backup-vault-locked"]
ALWAYS_MANDATORY = ["dynamodb-table-encryption-enabled", "dynamodb-table-point-in-time-recovery-enabled",
                    "dynamodb-table-billing-mode-on-demand", "dynamodb-table-name-not-production"]
# The stack's costBudget can make the budget policy mandatory (`tables policy-check` applies it).
ALWAYS_ADVISORY = ["dynamodb-table-throttle-alarms-present", "dynamodb-table-gsi-partition-key-not-hot",
                   "dynamodb-table-class-cost-effective", "dynamodb-stack-cost-within-budget"]
STACK_POLICIES = {"dynamodb-table-name-environment-prefixed", "dynamodb-table-in-backup-plan",
                  "dynamodb-table-throttle-alarms-present", "dynamodb-table-backup-vault-locked",
                  "dynamodb-stack-cost-within-budget", "dynamodb-table-name-not-production"}


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackClient]:
    # The engine runs <venv>/bin/python <pack dir> <engine address>; the tests run in that venv.
    assert sys.prefix != sys.base_prefix, "tests must run in the project's venv/"
    assert Path(sys.executable).parent.parent.name == "venv"
    with running_pack(PROJECT_DIR / "policies", python=sys.executable) as client:
        yield client


def analyze_all(pack: PolicyPackClient, resources: list[DeclaredResource]) -> list[Violation]:
    found: list[Violation] = []
    for resource in resources:
        found += pack.analyze(resource)
    return found + pack.analyze_stack(resources)


def test_get_analyzer_info_describes_the_pack(pack: PolicyPackClient) -> None:
    info = pack.info()
    assert info.name == PACK_NAME
    assert info.supportsConfig is True
    kinds = {p.name: p.policy_type for p in info.policies}
    assert set(kinds) == set(CONFIGURABLE + ALWAYS_MANDATORY + ALWAYS_ADVISORY)
    assert {k for k, v in kinds.items() if v == 2} == STACK_POLICIES  # POLICY_TYPE_STACK
    resource_policies = set(CONFIGURABLE + ALWAYS_MANDATORY + ALWAYS_ADVISORY) - STACK_POLICIES
    assert {k for k, v in kinds.items() if v == 1} == resource_policies


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_configure_sends_each_environments_levels_and_schema_defaults(pack: PolicyPackClient,
                                                                      environment: str) -> None:
    sent = pack.configure(load_environment_config(environment))
    expected_level = "advisory" if environment == "dev" else "mandatory"
    assert {name: sent[name][0] for name in CONFIGURABLE} == dict.fromkeys(CONFIGURABLE, expected_level)
    assert {name: sent[name][0] for name in ALWAYS_MANDATORY} == dict.fromkeys(ALWAYS_MANDATORY, "mandatory")
    assert {name: sent[name][0] for name in ALWAYS_ADVISORY} == dict.fromkeys(ALWAYS_ADVISORY, "advisory")
    assert sent["dynamodb-table-throttle-alarms-present"][1]["environment"] == environment
    assert sent["dynamodb-table-required-tags-present"][1]["requiredTags"] == ["environment", "family", "owner"]
    assert sent["dynamodb-table-name-environment-prefixed"][1]["exemptEnvironments"] == ["prod"]  # schema default


@pytest.mark.parametrize("stack", shipped_stacks())
def test_every_shipped_stack_has_no_mandatory_violations(pack: PolicyPackClient, stack: str) -> None:
    declared = run_program(PROJECT_DIR, stack)
    pack.configure(load_environment_config(str(declared.outputs["environment"])))
    mandatory = [v for v in analyze_all(pack, declared.resources) if v.mandatory]
    assert mandatory == []


def test_dev_reports_its_missing_deletion_protection_and_backup_as_advisory_only(pack: PolicyPackClient) -> None:
    declared = run_program(PROJECT_DIR, "dev")
    pack.configure(load_environment_config("dev"))
    found = analyze_all(pack, declared.resources)
    assert {(v.policy, v.level) for v in found} == {("dynamodb-table-deletion-protection-enabled", "advisory"),
                                                    ("dynamodb-table-in-backup-plan", "advisory")}
    assert len(found) == 2 * len(declared.tables)


def bad(name: str, **inputs: object) -> DeclaredResource:
    good = dict(run_program(PROJECT_DIR, "prod").tables["items-prod"].inputs)
    good.update(name=name, **inputs)
    for key in [k for k, v in good.items() if v is None]:
        del good[key]
    return DeclaredResource(type="aws:dynamodb/table:Table", name=name, urn=f"urn:pulumi:prod::p::t::{name}",
                            inputs=good, custom=True, parent="", protect=True, retain_on_delete=True, import_id="")


def recoverable(tables: list[DeclaredResource]) -> list[DeclaredResource]:
    """The tables, a backup selection that depends on each (as during a preview: ARNs unknown), its plan
    targeting a locked vault, and throttle alarms on each, so that only the tables' own problems are reported."""
    def backup(kind: str, name: str, inputs: dict[str, object], **depends: str) -> DeclaredResource:
        return DeclaredResource(type=f"aws:backup/{kind}", name=name, urn=f"urn:pulumi:prod::p::b::{name}",
                                inputs=inputs, custom=True, parent="", protect=False, retain_on_delete=False,
                                import_id="", property_dependencies={k: [v] for k, v in depends.items()},
                                dependencies=list(depends.values()))
    vault = backup("vault:Vault", "backup-vault", {"name": "dynamodb-tables-prod"})
    lock = backup("vaultLockConfiguration:VaultLockConfiguration", "backup-vault-lock",
                  {"backupVaultName": "dynamodb-tables-prod", "minRetentionDays": 35}, backupVaultName=vault.urn)
    plan = backup("plan:Plan", "backup-plan", {"name": "dynamodb-tables-prod", "rules": [
        {"ruleName": "scheduled", "targetVaultName": "dynamodb-tables-prod", "schedule": "cron(0 5 ? * * *)"}]},
        rules=vault.urn)
    selection = DeclaredResource(
        type="aws:backup/selection:Selection", name="backup-selection", urn="urn:pulumi:prod::p::s::backup-selection",
        inputs={"name": "dynamodb-tables-prod", "planId": "plan", "iamRoleArn": "arn:aws:iam::1:role/backup",
                "resources": [UNKNOWN_STRING_VALUE for _ in tables]},
        custom=True, parent="", protect=False, retain_on_delete=False, import_id="",
        property_dependencies={"resources": [t.urn for t in tables], "planId": [plan.urn]},
        dependencies=[*(t.urn for t in tables), plan.urn])
    alarms = [DeclaredResource(
        type="aws:cloudwatch/metricAlarm:MetricAlarm", name=f"{t.name}-{metric}", urn=f"urn:a::{t.name}-{metric}",
        inputs={"metricName": metric, "namespace": "AWS/DynamoDB", "dimensions": {"TableName": t.inputs["name"]}},
        custom=True, parent="", protect=False, retain_on_delete=False, import_id="")
        for t in tables for metric in ("ReadThrottleEvents", "WriteThrottleEvents")]
    return [*tables, vault, lock, plan, selection, *alarms]


def test_deliberately_bad_tables_get_exactly_the_expected_violations(pack: PolicyPackClient) -> None:
    resources = [
        bad("no-encryption", serverSideEncryption=None),
        bad("no-pitr", pointInTimeRecovery={"enabled": False}),
        bad("provisioned", billingMode="PROVISIONED", readCapacity=5, writeCapacity=5),
        bad("unprotected", deletionProtectionEnabled=False),
        bad("untagged", tags={"environment": "prod"}),
        bad("ttl-on-key", ttl={"attributeName": "id", "enabled": True}),
        bad("no-stream", tags={"environment": "prod", "family": "f", "owner": "o",
                               "stream-consumers": "aggregator"}),
    ]
    pack.configure(load_environment_config("prod"))
    found = {(v.resource_name, v.policy, v.level) for v in analyze_all(pack, recoverable(resources))}
    assert found == {
        ("no-encryption", "dynamodb-table-encryption-enabled", "mandatory"),
        ("no-pitr", "dynamodb-table-point-in-time-recovery-enabled", "mandatory"),
        ("provisioned", "dynamodb-table-billing-mode-on-demand", "mandatory"),
        ("unprotected", "dynamodb-table-deletion-protection-enabled", "mandatory"),
        ("untagged", "dynamodb-table-required-tags-present", "mandatory"),
        ("ttl-on-key", "dynamodb-table-ttl-not-key-attribute", "mandatory"),
        ("no-stream", "dynamodb-table-stream-enabled-for-consumers", "mandatory"),
    }


def test_the_same_bad_table_is_advisory_in_dev(pack: PolicyPackClient) -> None:
    pack.configure(load_environment_config("dev"))
    # Without prod's customer-managed key, which dev's kmsKeyArns does not list.
    found = analyze_all(pack, recoverable([bad("dev-unprotected", deletionProtectionEnabled=False,
                                               serverSideEncryption={"enabled": True})]))
    assert [(v.policy, v.level, v.message) for v in found] == [
        ("dynamodb-table-deletion-protection-enabled", "advisory",
         "deletionProtectionEnabled must be true; it is false.")]


def test_naming_stack_policy_reports_a_dev_table_without_the_environment(pack: PolicyPackClient) -> None:
    pack.configure(load_environment_config("dev"))
    found = pack.analyze_stack(recoverable([bad("items-dev"), bad("CreatorsTable")]))
    # CreatorsTable is also the prod stack's name for the creators table: in a dev stack, a mandatory violation.
    assert [(v.policy, v.level, v.resource_name) for v in found] == [
        ("dynamodb-table-name-environment-prefixed", "advisory", "CreatorsTable"),
        ("dynamodb-table-name-not-production", "mandatory", "CreatorsTable")]


def test_unknown_kms_key_during_preview_is_reported_not_crashed_or_passed(pack: PolicyPackClient) -> None:
    pack.configure(load_environment_config("prod"))
    table = bad("Shops-prod")
    table.inputs["tags"] = {**table.inputs["tags"], "data-classification": "sensitive"}
    table.inputs["serverSideEncryption"] = {"enabled": True, "kmsKeyArn": UNKNOWN_STRING_VALUE}
    found = pack.analyze(table)
    assert [(v.policy, v.level, v.message) for v in found] == [(
        "dynamodb-table-encryption-enabled", "advisory",
        "can't run policy 'dynamodb-table-encryption-enabled' from policy pack 'dynamodb-guardrails@v0.0.1' "
        "during preview: string value at .serverSideEncryption.kmsKeyArn can't be known during preview"), (
        # The key allow-list cannot be confirmed either: the same notice, and a real check at `pulumi up`.
        "dynamodb-table-kms-key-allowed", "advisory",
        "can't run policy 'dynamodb-table-kms-key-allowed' from policy pack 'dynamodb-guardrails@v0.0.1' "
        "during preview: string value at .serverSideEncryption.kmsKeyArn can't be known during preview")]


def test_unknown_encryption_flag_fails_the_mandatory_rule(pack: PolicyPackClient) -> None:
    pack.configure(load_environment_config("prod"))
    table = bad("items-prod")
    table.inputs["serverSideEncryption"] = {"enabled": UNKNOWN_STRING_VALUE}
    assert [(v.policy, v.level) for v in pack.analyze(table)] == [("dynamodb-table-encryption-enabled",
                                                                   "mandatory")]
