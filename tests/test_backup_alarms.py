"""AWS Backup and CloudWatch alarms: the real program under mocks for every shipped stack, and the config
that turns them on, checked at program start with one line per mistake."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.families import FAMILIES, stack_from_stack_file
from components.model.alarm_settings import AlarmSettings
from components.model.alarms import READ_OPERATIONS, WRITE_OPERATIONS
from components.model.backup_settings import BackupCopy, BackupSettings, VaultLock
from components.model.spec import ModelError
from components.model.stack_file import load_stack_file
from components.model.stack_settings import parse_stack_config
from scripts.mock_stack import FAKE_ACCOUNT, DeclaredResource, DeclaredStack, run_program
from tests.project import PROJECT_DIR, shipped_stacks

VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
BACKUP_COMPONENT = "dynamodbTables:backup:StackBackup"
ALARMS_COMPONENT = "dynamodbTables:alarms:StackAlarms"
BACKUP_STACKS = ["prod", "staging"]  # dev and local leave backup and alarms off
PROD_KEY = "arn:aws:kms:us-east-1:111122223333:key/0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c"
TOPICS = {"prod": "arn:aws:sns:us-east-1:111122223333:dynamodb-tables-alarms-prod",
          "staging": "arn:aws:sns:us-east-1:444455556666:dynamodb-tables-alarms-staging"}
Mutation = Callable[[dict[str, str]], None]


@pytest.fixture(scope="module", params=shipped_stacks())
def declared(request: pytest.FixtureRequest) -> DeclaredStack:
    return run_program(PROJECT_DIR, request.param)


def component(stack: DeclaredStack, type_token: str) -> DeclaredResource:
    [found] = [r for r in stack.resources if r.type == type_token]
    return found


def only(stack: DeclaredStack, type_token: str) -> DeclaredResource:
    [found] = stack.of_type(type_token)
    return found


# --- backup ------------------------------------------------------------------------------------------

def test_dev_and_local_declare_no_backup_and_no_alarms(declared: DeclaredStack) -> None:
    kinds = {r.type for r in declared.resources}
    backup_kinds = {VAULT, PLAN, SELECTION, LOCK, ROLE, ATTACHMENT, ALARM, BACKUP_COMPONENT, ALARMS_COMPONENT}
    if declared.stack in BACKUP_STACKS:
        assert backup_kinds - kinds == ({LOCK} if declared.stack == "staging" else set())
    else:
        assert kinds & backup_kinds == set()
        assert "backup" not in declared.outputs and "alarms" not in declared.outputs


@pytest.mark.parametrize("stack", BACKUP_STACKS)
def test_the_vault_plan_and_selection_back_up_every_table_by_arn(stack: str) -> None:
    declared = run_program(PROJECT_DIR, stack)
    backup = component(declared, BACKUP_COMPONENT)
    children = [r for r in declared.resources if r.parent == backup.urn]
    assert sorted((r.type, r.name) for r in children) == sorted([
        (VAULT, "backup-vault"), (PLAN, "backup-plan"), (ROLE, "backup-role"), (SELECTION, "backup-selection"),
        (ATTACHMENT, "backup-role-backup-policy"), (ATTACHMENT, "backup-role-restore-policy"),
        *([(LOCK, "backup-vault-lock")] if stack == "prod" else [])])

    vault = only(declared, VAULT)
    assert vault.inputs["name"] == f"dynamodb-tables-{stack}"
    assert vault.inputs.get("kmsKeyArn") == (PROD_KEY if stack == "prod" else None)
    # The recovery points are as protected as the tables in prod.
    assert (vault.protect, vault.retain_on_delete) == ((True, True) if stack == "prod" else (False, False))

    [rule] = only(declared, PLAN).inputs["rules"]
    retention = {"prod": 35, "staging": 14}[stack]
    assert rule == {"ruleName": "scheduled", "targetVaultName": f"dynamodb-tables-{stack}",
                    "schedule": "cron(0 5 ? * * *)", "lifecycle": {"deleteAfter": retention}}

    selection = only(declared, SELECTION)
    tables = declared.tables
    assert len(tables) == 22
    assert sorted(selection.inputs["resources"]) == sorted(
        f"arn:aws:dynamodb:us-east-1:{FAKE_ACCOUNT}:table/{name}" for name in tables)
    # During a preview the ARNs are unknown; the dependencies say which tables they belong to.
    assert sorted(selection.property_dependencies["resources"]) == sorted(t.urn for t in tables.values())
    assert selection.inputs["planId"] == declared.outputs["backup"]["planId"]
    assert selection.inputs["iamRoleArn"] == f"arn:aws:iam::{FAKE_ACCOUNT}:role/dynamodb-tables-{stack}-backup"
    if stack == "prod":  # the adopted tables are backed up too
        adopted = [name for name, table in tables.items() if table.import_id]
        assert len(adopted) == 14
        assert all(f"arn:aws:dynamodb:us-east-1:{FAKE_ACCOUNT}:table/{name}" in selection.inputs["resources"]
                   for name in adopted)

    assert declared.outputs["backup"] == {
        "vaultName": f"dynamodb-tables-{stack}",
        "vaultArn": f"arn:aws:backup:us-east-1:{FAKE_ACCOUNT}:backup-vault:dynamodb-tables-{stack}",
        "planId": declared.outputs["backup"]["planId"],
        "planArn": f"arn:aws:backup:us-east-1:{FAKE_ACCOUNT}:backup-plan:{declared.outputs['backup']['planId']}"}


@pytest.mark.parametrize("stack", BACKUP_STACKS)
def test_the_backup_role_is_assumable_by_aws_backup_with_both_managed_policies(stack: str) -> None:
    declared = run_program(PROJECT_DIR, stack)
    role = only(declared, ROLE)
    assert json.loads(role.inputs["assumeRolePolicy"]) == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    assert "inlinePolicies" not in role.inputs
    assert sorted((a.inputs["role"], a.inputs["policyArn"]) for a in declared.of_type(ATTACHMENT)) == [
        (f"dynamodb-tables-{stack}-backup", "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"),
        (f"dynamodb-tables-{stack}-backup",
         "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"),
    ]
    # AWS Backup assumes the role as soon as a job starts: the policies are attached first.
    selection = only(declared, SELECTION)
    assert {a.urn for a in declared.of_type(ATTACHMENT)} <= set(selection.dependencies)


def test_prod_locks_its_vault_in_governance_mode() -> None:
    lock = only(run_program(PROJECT_DIR, "prod"), LOCK)
    assert lock.inputs == {"backupVaultName": "dynamodb-tables-prod", "minRetentionDays": 35, "maxRetentionDays": 365}
    assert (lock.protect, lock.retain_on_delete) == (True, True)


def with_backup(stack: str, **backup: Any) -> dict[str, str]:
    config = load_stack_file(PROJECT_DIR, stack)
    config["dynamodb-tables:backup"] = json.dumps(backup)
    return config


def test_cold_storage_copy_and_compliance_lock_reach_the_plan_and_the_lock() -> None:
    config = with_backup("staging", enabled=True, schedule="cron(30 2 ? * SUN *)", retentionDays=120,
                         coldStorageAfterDays=30,
                         copyTo={"vaultArn": "arn:aws:backup:us-west-2:444455556666:backup-vault:dr-copy",
                                 "retentionDays": 60},
                         vaultLock={"minRetentionDays": 7, "maxRetentionDays": 400, "changeableForDays": 3})
    declared = run_program(PROJECT_DIR, "staging", config)
    [rule] = only(declared, PLAN).inputs["rules"]
    copy_vault = "arn:aws:backup:us-west-2:444455556666:backup-vault:dr-copy"
    assert rule == {"ruleName": "scheduled", "targetVaultName": "dynamodb-tables-staging",
                    "schedule": "cron(30 2 ? * SUN *)", "lifecycle": {"deleteAfter": 120, "coldStorageAfter": 30},
                    "copyActions": [{"destinationVaultArn": copy_vault, "lifecycle": {"deleteAfter": 60}}]}
    assert only(declared, LOCK).inputs == {"backupVaultName": "dynamodb-tables-staging", "minRetentionDays": 7,
                                           "maxRetentionDays": 400, "changeableForDays": 3}


# --- alarms ------------------------------------------------------------------------------------------

def alarms_by_name(declared: DeclaredStack) -> dict[str, dict[str, Any]]:
    return {a.inputs["name"]: a.inputs for a in declared.of_type(ALARM)}


@pytest.mark.parametrize("stack", BACKUP_STACKS)
def test_every_table_and_index_has_read_and_write_throttle_alarms(stack: str) -> None:
    declared = run_program(PROJECT_DIR, stack)
    alarms = alarms_by_name(declared)
    parent = component(declared, ALARMS_COMPONENT)
    assert all(a.parent == parent.urn for a in declared.of_type(ALARM))
    expected: set[str] = set()
    for name, table in declared.tables.items():
        indexes = [gsi["name"] for gsi in table.inputs.get("globalSecondaryIndexes") or []]
        for kind, metric in (("read", "ReadThrottleEvents"), ("write", "WriteThrottleEvents")):
            for index in [None, *indexes]:
                alarm_name = f"{name}-{index}-{kind}-throttles" if index else f"{name}-{kind}-throttles"
                dimensions = {"TableName": name, **({"GlobalSecondaryIndexName": index} if index else {})}
                alarm = alarms[alarm_name]
                assert {k: alarm[k] for k in ("namespace", "metricName", "dimensions", "statistic", "period",
                                              "threshold", "evaluationPeriods", "comparisonOperator",
                                              "treatMissingData", "alarmActions", "okActions")} == {
                    "namespace": "AWS/DynamoDB", "metricName": metric, "dimensions": dimensions, "statistic": "Sum",
                    "period": 300, "threshold": 10, "evaluationPeriods": 1,
                    "comparisonOperator": "GreaterThanOrEqualToThreshold", "treatMissingData": "notBreaching",
                    "alarmActions": [TOPICS[stack]], "okActions": [TOPICS[stack]]}, alarm_name
                expected.add(alarm_name)
        expected |= {f"{name}-read-system-errors", f"{name}-write-system-errors"}
    assert set(alarms) == expected
    # 22 tables and 20 GSIs: 2 throttle alarms each, and 2 system-error alarms per table.
    assert len(alarms) == 2 * (22 + 20) + 2 * 22
    assert declared.outputs["alarms"] == {"snsTopicArn": TOPICS[stack], "names": sorted(expected)}


def test_system_error_alarms_sum_every_operation_of_the_table() -> None:
    declared = run_program(PROJECT_DIR, "prod")
    alarms = alarms_by_name(declared)
    covered: list[str] = []
    for kind, operations in (("read", READ_OPERATIONS), ("write", WRITE_OPERATIONS)):
        alarm = alarms[f"items-prod-{kind}-system-errors"]
        # No table-wide SystemErrors series exists: the metric lives in the queries, per operation.
        assert not {"metricName", "namespace", "dimensions", "statistic", "period"} & set(alarm)
        *metrics, total = alarm["metricQueries"]
        assert len(metrics) <= 10  # CloudWatch's limit on the metrics of one metric-math alarm
        assert [m["metric"] for m in metrics] == [
            {"namespace": "AWS/DynamoDB", "metricName": "SystemErrors", "stat": "Sum", "period": 300,
             "dimensions": {"TableName": "items-prod", "Operation": operation}} for operation in operations]
        assert all(m["returnData"] is False for m in metrics)
        assert total == {"id": "total", "expression": f"SUM([{', '.join(m['id'] for m in metrics)}])",
                         "label": f"SystemErrors ({len(operations)} operations)", "returnData": True}
        assert (alarm["threshold"], alarm["treatMissingData"]) == (1, "notBreaching")
        covered += [m["metric"]["dimensions"]["Operation"] for m in metrics]
    # Every data-plane operation DynamoDB reports SystemErrors for, once.
    assert sorted(covered) == sorted(["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "GetRecords",
                                      "ExecuteStatement", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
                                      "TransactWriteItems", "ExecuteTransaction", "BatchExecuteStatement"])


def test_alarm_thresholds_come_from_config() -> None:
    config = load_stack_file(PROJECT_DIR, "staging")
    config["dynamodb-tables:alarms"] = json.dumps({"enabled": True, "snsTopicArn": TOPICS["staging"],
                                                   "throttledRequests": 3, "systemErrors": 2, "periodSeconds": 60,
                                                   "evaluationPeriods": 5})
    alarms = alarms_by_name(run_program(PROJECT_DIR, "staging", config))
    throttle = alarms["Jobs-staging-status-createdAt-index-write-throttles"]
    errors = alarms["Jobs-staging-read-system-errors"]
    assert (throttle["threshold"], throttle["period"], throttle["evaluationPeriods"]) == (3, 60, 5)
    assert throttle["dimensions"] == {"TableName": "Jobs-staging", "GlobalSecondaryIndexName": "status-createdAt-index"}
    assert (errors["threshold"], errors["evaluationPeriods"]) == (2, 5)
    assert {q["metric"]["period"] for q in errors["metricQueries"] if "metric" in q} == {60}


def test_adding_backup_and_alarms_leaves_every_table_urn_as_it_was() -> None:
    config = load_stack_file(PROJECT_DIR, "staging")
    without = dict(config)
    del without["dynamodb-tables:backup"], without["dynamodb-tables:alarms"]
    before = {r.urn for r in run_program(PROJECT_DIR, "staging", without).resources}
    after = {r.urn for r in run_program(PROJECT_DIR, "staging", config).resources}
    assert before < after
    assert all(":backup:StackBackup" in urn or ":alarms:StackAlarms" in urn for urn in after - before)


# --- bad config: one RunError each, exactly this line -----------------------------------------------

def set_config(key: str, value: Any) -> Mutation:
    return lambda config: config.__setitem__(f"dynamodb-tables:{key}", json.dumps(value))


def edit_config(key: str, **changes: Any) -> Mutation:
    def mutate(config: dict[str, str]) -> None:
        body = json.loads(config[f"dynamodb-tables:{key}"])
        body.update(changes)
        for name in [k for k, v in body.items() if v is None]:
            del body[name]
        config[f"dynamodb-tables:{key}"] = json.dumps(body)
    return mutate


def drop_config(key: str) -> Mutation:
    return lambda config: config.__delitem__(f"dynamodb-tables:{key}")


PROD = "stack 'prod', config key 'dynamodb-tables:"
STAGING = "stack 'staging', config key 'dynamodb-tables:"
DEV = "stack 'dev', config key 'dynamodb-tables:"
CRON_RULE = ("an AWS Backup cron expression cron(minutes hours day-of-month month day-of-week year) with one minute "
             "value and ? in exactly one of day-of-month and day-of-week, for example cron(0 5 ? * * *)")
ONE_QUESTION_MARK = "? in exactly one of day-of-month and day-of-week"

BAD_CONFIGS = [
    pytest.param("prod", edit_config("backup", retentionDays=14),
                 PROD + "backup.retentionDays': given 14; allowed: at least 35 days in the prod environment",
                 id="prod retention below 35"),
    pytest.param("prod", drop_config("backup"),
                 PROD + "backup.enabled': given nothing; allowed: true in the prod environment: every prod table is "
                        "in an AWS Backup plan", id="prod without backup"),
    pytest.param("prod", edit_config("backup", enabled=False),
                 PROD + "backup.enabled': given false; allowed: true in the prod environment: every prod table is "
                        "in an AWS Backup plan", id="prod backup off"),
    pytest.param("staging", edit_config("backup", schedule="rate(1 day)"),
                 STAGING + f"backup.schedule': given \"rate(1 day)\"; allowed: {CRON_RULE}", id="not cron"),
    pytest.param("staging", edit_config("backup", schedule="cron(0 5 * * * *)"),
                 STAGING + f"backup.schedule': given \"cron(0 5 * * * *)\"; allowed: {CRON_RULE} ({ONE_QUESTION_MARK})",
                 id="cron without a question mark"),
    pytest.param("staging", edit_config("backup", schedule="cron(0 5 ? * ? *)"),
                 STAGING + f"backup.schedule': given \"cron(0 5 ? * ? *)\"; allowed: {CRON_RULE} ({ONE_QUESTION_MARK})",
                 id="cron with two question marks"),
    pytest.param("staging", edit_config("backup", schedule="cron(*/15 * ? * * *)"),
                 STAGING + f"backup.schedule': given \"cron(*/15 * ? * * *)\"; allowed: {CRON_RULE}",
                 id="cron more often than hourly"),
    pytest.param("staging", edit_config("backup", schedule="cron(0 5 ? * *)"),
                 STAGING + f"backup.schedule': given \"cron(0 5 ? * *)\"; allowed: {CRON_RULE}",
                 id="cron with five fields"),
    pytest.param("staging", edit_config("backup", coldStorageAfterDays=30),
                 STAGING + "backup.retentionDays': given 14; allowed: at least coldStorageAfterDays + 90 = 120 days "
                           "(AWS Backup keeps a recovery point in cold storage for 90 days)", id="cold storage rule"),
    pytest.param("staging", edit_config("backup", retentionDays=0),
                 STAGING + "backup.retentionDays': given 0; allowed: a whole number of days of at least 1",
                 id="retention zero"),
    pytest.param("staging", edit_config("backup", schedule=None),
                 STAGING + "backup.schedule': given nothing; allowed: a value; this key is required in a backup plan",
                 id="no schedule"),
    pytest.param("staging", edit_config("backup", retension=14),
                 STAGING + "backup.retension': given 14; allowed: one of the keys enabled, schedule, retentionDays, "
                           "coldStorageAfterDays, copyTo, vaultLock (did you mean 'retentionDays'?)",
                 id="misspelt key"),
    pytest.param("staging", edit_config("backup", copyTo={
        "vaultArn": "arn:aws:backup:us-east-1:444455556666:backup-vault:dr-copy"}),
                 STAGING + "backup.copyTo.vaultArn': given \"arn:aws:backup:us-east-1:444455556666:backup-vault:"
                           "dr-copy\"; allowed: a backup vault in another region than the stack's (us-east-1): a copy "
                           "protects against losing the region", id="copy to the same region"),
    pytest.param("staging", edit_config("backup", copyTo={"vaultArn": "arn:aws:s3:::dr-bucket"}),
                 STAGING + "backup.copyTo.vaultArn': given \"arn:aws:s3:::dr-bucket\"; allowed: a backup vault ARN "
                           "(arn:aws:backup:<region>:<account>:backup-vault:<name>)", id="copy to something else"),
    pytest.param("staging", edit_config("backup", vaultLock={"minRetentionDays": 7, "maxRetentionDays": 30,
                                                             "changeableForDays": 2}),
                 STAGING + "backup.vaultLock.changeableForDays': given 2; allowed: a whole number of days from 3 to "
                           "36500", id="lock grace time below 3 days"),
    pytest.param("staging", edit_config("backup", vaultLock={"minRetentionDays": 30, "maxRetentionDays": 60}),
                 STAGING + "backup.retentionDays': given 14; allowed: from vaultLock.minRetentionDays to "
                           "vaultLock.maxRetentionDays (30 to 60 days): the locked vault refuses other retentions",
                 id="retention outside the lock"),
    pytest.param("staging", edit_config("alarms", snsTopicArn=None),
                 STAGING + "alarms.snsTopicArn': given nothing; allowed: a value; this key is required for alarms",
                 id="missing snsTopicArn"),
    pytest.param("staging", edit_config("alarms", snsTopicArn="on-call"),
                 STAGING + "alarms.snsTopicArn': given \"on-call\"; allowed: an SNS topic ARN "
                           "(arn:aws:sns:<region>:<account>:<topic>)", id="topic not an ARN"),
    pytest.param("staging", edit_config("alarms", periodSeconds=90),
                 STAGING + "alarms.periodSeconds': given 90; allowed: a multiple of 60 seconds (DynamoDB reports per "
                           "minute)", id="period not a minute multiple"),
    pytest.param("staging", edit_config("alarms", periodSeconds=3600, evaluationPeriods=25),
                 STAGING + "alarms.evaluationPeriods': given 25; allowed: at most 24 periods of 3600 seconds "
                           "(CloudWatch evaluates at most 86400 seconds)", id="evaluation longer than a day"),
    pytest.param("staging", edit_config("alarms", throttledRequests=0),
                 STAGING + "alarms.throttledRequests': given 0; allowed: a whole number of events of at least 1",
                 id="zero threshold"),
    pytest.param("dev", set_config("alarms", {"enabled": "yes", "snsTopicArn": TOPICS["staging"]}),
                 DEV + "alarms.enabled': given \"yes\"; allowed: true or false", id="enabled not a boolean"),
    pytest.param("dev", set_config("backup", {"enabled": False, "schedule": "cron(0 5 * * * *)", "retentionDays": 7}),
                 DEV + f"backup.schedule': given \"cron(0 5 * * * *)\"; allowed: {CRON_RULE} ({ONE_QUESTION_MARK})",
                 id="a switched-off plan is still checked"),
    pytest.param("dev", set_config("alarms", {"enabled": False, "throttledRequests": 5}),
                 DEV + "alarms.snsTopicArn': given nothing; allowed: a value; this key is required for alarms",
                 id="switched-off alarms are still checked"),
    pytest.param("dev", set_config("backup", True),
                 DEV + "backup': given true; allowed: a map with keys enabled, schedule, retentionDays, "
                       "coldStorageAfterDays, copyTo, vaultLock", id="backup not a map"),
]


@pytest.mark.parametrize(("stack", "mutate", "message"), BAD_CONFIGS)
def test_bad_backup_or_alarm_config_stops_the_program_with_one_run_error(stack: str, mutate: Mutation,
                                                                        message: str) -> None:
    config = load_stack_file(PROJECT_DIR, stack)
    mutate(config)
    with pytest.raises(pulumi.RunError) as caught:
        run_program(PROJECT_DIR, stack, config)
    assert str(caught.value) == message


@pytest.mark.parametrize(("stack", "mutate", "message"), BAD_CONFIGS)
def test_the_parser_refuses_the_same_config_with_the_same_line(stack: str, mutate: Mutation, message: str) -> None:
    config = load_stack_file(PROJECT_DIR, stack)
    mutate(config)
    with pytest.raises(ModelError) as caught:
        parse_stack_config(config, stack, list(FAMILIES))
    assert str(caught.value) == message


def test_the_parser_reads_the_shipped_stacks_settings() -> None:
    prod = stack_from_stack_file(PROJECT_DIR, "prod").settings
    assert prod.backup == BackupSettings(schedule="cron(0 5 ? * * *)", retention_days=35,
                                         vault_lock=VaultLock(35, 365, None))
    assert prod.alarms == AlarmSettings(sns_topic_arn=TOPICS["prod"])
    assert prod.kms_key_arn == PROD_KEY
    staging = stack_from_stack_file(PROJECT_DIR, "staging").settings
    assert staging.backup == BackupSettings(schedule="cron(0 5 ? * * *)", retention_days=14)
    assert (staging.alarms, staging.kms_key_arn) == (AlarmSettings(sns_topic_arn=TOPICS["staging"]), None)
    for stack in ("dev", "local"):
        settings = stack_from_stack_file(PROJECT_DIR, stack).settings
        assert (settings.backup, settings.alarms) == (None, None)


def test_copy_retention_defaults_to_the_plans_and_defaults_apply_to_alarms() -> None:
    config = with_backup("staging", enabled=True, schedule="cron(0 3 1 * ? *)", retentionDays=400,
                         coldStorageAfterDays=310,
                         copyTo={"vaultArn": "arn:aws-us-gov:backup:us-gov-west-1:444455556666:backup-vault:dr"})
    settings = parse_stack_config(config, "staging", list(FAMILIES))
    assert settings.backup == BackupSettings(
        schedule="cron(0 3 1 * ? *)", retention_days=400, cold_storage_after_days=310,
        copy_to=BackupCopy(vault_arn="arn:aws-us-gov:backup:us-gov-west-1:444455556666:backup-vault:dr",
                           retention_days=400))
    assert settings.alarms == AlarmSettings(sns_topic_arn=TOPICS["staging"], throttled_requests=10, system_errors=1,
                                            period_seconds=300, evaluation_periods=1)


@pytest.mark.parametrize("keep_settings", [False, True])
def test_a_disabled_block_declares_nothing(keep_settings: bool) -> None:
    config = load_stack_file(PROJECT_DIR, "staging")
    for key in ("backup", "alarms"):
        body = json.loads(config[f"dynamodb-tables:{key}"]) if keep_settings else {}
        config[f"dynamodb-tables:{key}"] = json.dumps({**body, "enabled": False})
    declared = run_program(PROJECT_DIR, "staging", config)
    assert not declared.of_type(VAULT) and not declared.of_type(ALARM)
    assert "backup" not in declared.outputs and "alarms" not in declared.outputs
