"""Each policy called directly: one known-good table, one mutation per test, exact message and level.

Properties go through pulumi-policy's own unknown-checking proxy, as the pack server does.
"""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import PolicyCustomTimeouts, _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from policies.dynamodb import resource_policies, stack, tables
from policies.pack import POLICIES

GOOD_TABLE: dict[str, Any] = {
    "name": "items-dev",
    "hashKey": "id",
    "attributes": [{"name": "id", "type": "S"}, {"name": "status", "type": "S"}],
    "billingMode": "PAY_PER_REQUEST",
    "globalSecondaryIndexes": [{"name": "status-index", "projectionType": "ALL",
                                "keySchemas": [{"attributeName": "status", "keyType": "HASH"}]}],
    "pointInTimeRecovery": {"enabled": True, "recoveryPeriodInDays": 35},
    "serverSideEncryption": {"enabled": True},
    "deletionProtectionEnabled": True,
    "ttl": {"attributeName": "ttl", "enabled": True},
    "streamEnabled": False,
    "tags": {"environment": "dev", "family": "items-service", "owner": "items-team",
             "data-classification": "internal"},
}
TABLE_TYPE = "aws:dynamodb/table:Table"
OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def schema_defaults(policy: ResourceValidationPolicy | StackValidationPolicy) -> dict[str, Any]:
    schema = policy.config_schema.properties if policy.config_schema else {}
    return {key: spec["default"] for key, spec in schema.items() if "default" in spec}


def violations(policy: ResourceValidationPolicy, props: dict[str, Any], resource_type: str = TABLE_TYPE,
               **config: Any) -> list[str]:
    found: list[str] = []
    args = ResourceValidationArgs(resource_type, unknown_checking_proxy(props), "urn:pulumi:dev::p::t::x", "x",
                                  OPTIONS, None, {**schema_defaults(policy), **config})
    # A policy that says it does not apply to this resource reports no violations.
    with contextlib.suppress(_NotApplicableError):
        policy.validate(args, lambda message, urn=None: found.append(message))  # type: ignore[misc]
    return found


def mutated(path: str, value: Any) -> dict[str, Any]:
    """GOOD_TABLE with one field changed; value DELETE removes it."""
    props = copy.deepcopy(GOOD_TABLE)
    *parents, last = path.split(".")
    target = props
    for step in parents:
        target = target[step]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return props


DELETE = object()


def test_the_pack_has_the_documented_policies_and_default_levels() -> None:
    assert {p.name: p.enforcement_level for p in POLICIES} == {
        "dynamodb-table-encryption-enabled": EnforcementLevel.MANDATORY,
        "dynamodb-table-point-in-time-recovery-enabled": EnforcementLevel.MANDATORY,
        "dynamodb-table-billing-mode-on-demand": EnforcementLevel.MANDATORY,
        "dynamodb-table-deletion-protection-enabled": EnforcementLevel.ADVISORY,
        "dynamodb-table-required-tags-present": EnforcementLevel.ADVISORY,
        "dynamodb-table-ttl-not-key-attribute": EnforcementLevel.ADVISORY,
        "dynamodb-table-stream-enabled-for-consumers": EnforcementLevel.ADVISORY,
        "dynamodb-resource-policy-no-public-access": EnforcementLevel.ADVISORY,
        "iam-policy-dynamodb-least-privilege": EnforcementLevel.ADVISORY,
        "dynamodb-table-name-environment-prefixed": EnforcementLevel.ADVISORY,
        "dynamodb-table-in-backup-plan": EnforcementLevel.ADVISORY,
        "dynamodb-table-throttle-alarms-present": EnforcementLevel.ADVISORY,
        "dynamodb-table-kms-key-allowed": EnforcementLevel.ADVISORY,
        "dynamodb-table-backup-vault-locked": EnforcementLevel.ADVISORY,
        "dynamodb-table-class-cost-effective": EnforcementLevel.ADVISORY,
        "dynamodb-stack-cost-within-budget": EnforcementLevel.ADVISORY,
        "dynamodb-table-gsi-partition-key-not-hot": EnforcementLevel.ADVISORY,
        "dynamodb-table-name-not-production": EnforcementLevel.MANDATORY,
    }
    assert all(p.description.startswith("Checks whether") for p in POLICIES)


@pytest.mark.parametrize("policy", [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)],
                         ids=lambda p: p.name)
def test_the_known_good_table_passes_every_resource_policy(policy: ResourceValidationPolicy) -> None:
    assert violations(policy, GOOD_TABLE) == []


# --- encryption: unset fails, unlike AWSGuard --------------------------------------------------------

ENCRYPTION = tables.dynamodb_table_encryption_enabled


@pytest.mark.parametrize(("value", "message"), [
    (DELETE, "serverSideEncryption.enabled must be true; it is unset."),
    (False, "serverSideEncryption.enabled must be true; it is false."),
    (UNKNOWN_BOOLEAN_VALUE, "serverSideEncryption.enabled must be true; "
                            "its value is unknown during preview, so it cannot be confirmed."),
])
def test_encryption_must_be_explicitly_enabled(value: Any, message: str) -> None:
    assert violations(ENCRYPTION, mutated("serverSideEncryption.enabled", value)) == [message]


def test_encryption_block_missing_entirely_fails() -> None:
    assert violations(ENCRYPTION, mutated("serverSideEncryption", DELETE)) == [
        "serverSideEncryption.enabled must be true; it is unset."]


def test_sensitive_table_with_the_aws_managed_key_fails() -> None:
    props = mutated("tags.data-classification", "sensitive")
    assert violations(ENCRYPTION, props) == [
        "serverSideEncryption.kmsKeyArn must be a customer-managed KMS key for a table tagged "
        "data-classification=sensitive; it is unset (the AWS-managed key)."]
    props["serverSideEncryption"]["kmsKeyArn"] = "arn:aws:kms:us-east-1:111122223333:alias/aws/dynamodb"
    assert violations(ENCRYPTION, props) == [
        "serverSideEncryption.kmsKeyArn must be a customer-managed KMS key for a table tagged "
        "data-classification=sensitive; it is 'arn:aws:kms:us-east-1:111122223333:alias/aws/dynamodb' "
        "(the AWS-managed key)."]


def test_sensitive_table_with_a_customer_managed_key_passes() -> None:
    props = mutated("tags.data-classification", "sensitive")
    props["serverSideEncryption"]["kmsKeyArn"] = "arn:aws:kms:us-east-1:111122223333:key/abc"
    assert violations(ENCRYPTION, props) == []


def test_customer_managed_key_requirement_can_be_switched_off_by_config() -> None:
    props = mutated("tags.data-classification", "sensitive")
    assert violations(ENCRYPTION, props, requireCustomerManagedKeyForSensitive=False) == []


def test_unknown_kms_key_is_left_to_pulumi_policy_not_passed_silently() -> None:
    props = mutated("tags.data-classification", "sensitive")
    props["serverSideEncryption"]["kmsKeyArn"] = UNKNOWN_STRING_VALUE
    with pytest.raises(UnknownValueError):
        violations(ENCRYPTION, props)


# --- point-in-time recovery --------------------------------------------------------------------------

PITR = tables.dynamodb_table_point_in_time_recovery_enabled


@pytest.mark.parametrize(("value", "message"), [
    (DELETE, "pointInTimeRecovery.enabled must be true; it is unset."),
    (False, "pointInTimeRecovery.enabled must be true; it is false."),
    (UNKNOWN_BOOLEAN_VALUE, "pointInTimeRecovery.enabled must be true; "
                            "its value is unknown during preview, so it cannot be confirmed."),
])
def test_pitr_must_be_enabled(value: Any, message: str) -> None:
    assert violations(PITR, mutated("pointInTimeRecovery.enabled", value)) == [message]


def test_pitr_period_below_the_configured_minimum_fails() -> None:
    assert violations(PITR, mutated("pointInTimeRecovery.recoveryPeriodInDays", 3)) == [
        "pointInTimeRecovery.recoveryPeriodInDays must be at least 7 days; it is 3."]
    assert violations(PITR, mutated("pointInTimeRecovery.recoveryPeriodInDays", 14),
                      minimumRecoveryPeriodDays=35) == [
        "pointInTimeRecovery.recoveryPeriodInDays must be at least 35 days; it is 14."]


def test_unset_pitr_period_counts_as_dynamodbs_default_of_35_days() -> None:
    assert violations(PITR, mutated("pointInTimeRecovery.recoveryPeriodInDays", DELETE),
                      minimumRecoveryPeriodDays=35) == []


# --- on-demand billing -------------------------------------------------------------------------------

BILLING = tables.dynamodb_table_billing_mode_on_demand


@pytest.mark.parametrize(("value", "message"), [
    (DELETE, "billingMode must be PAY_PER_REQUEST; it is unset (PROVISIONED)."),
    ("PROVISIONED", "billingMode must be PAY_PER_REQUEST; it is 'PROVISIONED'."),
    (UNKNOWN_STRING_VALUE, "billingMode must be PAY_PER_REQUEST; "
                           "its value is unknown during preview, so it cannot be confirmed."),
])
def test_billing_must_be_on_demand(value: Any, message: str) -> None:
    assert violations(BILLING, mutated("billingMode", value)) == [message]


def test_capacity_on_the_table_or_an_index_fails() -> None:
    props = mutated("readCapacity", 5)
    props["globalSecondaryIndexes"][0]["writeCapacity"] = 1
    assert violations(BILLING, props) == [
        "readCapacity must not be set with on-demand billing; it is 5.",
        "globalSecondaryIndexes[status-index].writeCapacity must not be set with on-demand billing; it is 1."]


# --- deletion protection, tags, TTL, streams ---------------------------------------------------------

@pytest.mark.parametrize(("value", "message"), [
    (DELETE, "deletionProtectionEnabled must be true; it is unset."),
    (False, "deletionProtectionEnabled must be true; it is false."),
    (UNKNOWN_BOOLEAN_VALUE, "deletionProtectionEnabled must be true; "
                            "its value is unknown during preview, so it cannot be confirmed."),
])
def test_deletion_protection_must_be_enabled(value: Any, message: str) -> None:
    assert violations(tables.dynamodb_table_deletion_protection_enabled,
                      mutated("deletionProtectionEnabled", value)) == [message]


def test_missing_or_empty_required_tags_fail() -> None:
    props = mutated("tags.owner", DELETE)
    props["tags"]["family"] = ""
    assert violations(tables.dynamodb_table_required_tags_present, props) == [
        "tags must include non-empty family, owner; missing: family, owner."]


def test_required_tags_are_configurable() -> None:
    assert violations(tables.dynamodb_table_required_tags_present, GOOD_TABLE, requiredTags=["cost-center"]) == [
        "tags must include non-empty cost-center; missing: cost-center."]


def test_ttl_on_a_key_attribute_fails_and_disabled_ttl_is_ignored() -> None:
    policy = tables.dynamodb_table_ttl_not_key_attribute
    assert violations(policy, mutated("ttl.attributeName", "id")) == [
        "ttl.attributeName must not be a key attribute (id); it is 'id'."]
    disabled = mutated("ttl", {"attributeName": "id", "enabled": False})
    assert violations(policy, disabled) == []


def test_table_with_stream_consumers_must_have_a_stream() -> None:
    policy = tables.dynamodb_table_stream_enabled_for_consumers
    props = mutated("tags.stream-consumers", "analytics-aggregator")
    assert violations(policy, props) == [
        "streamEnabled must be true with a streamViewType for the declared consumers (analytics-aggregator); "
        "streamEnabled: it is false; streamViewType: it is unset."]
    props.update(streamEnabled=True, streamViewType="NEW_IMAGE")
    assert violations(policy, props) == []


def test_policies_ignore_other_resource_types() -> None:
    for policy in tables.TABLE_POLICIES:
        assert violations(policy, {}, resource_type="aws:s3/bucket:Bucket") == [], policy.name


# --- resource policies -------------------------------------------------------------------------------

PUBLIC = resource_policies.dynamodb_resource_policy_no_public_access
RESOURCE_POLICY_TYPE = "aws:dynamodb/resourcePolicy:ResourcePolicy"


def resource_policy(statement: dict[str, Any]) -> dict[str, Any]:
    return {"resourceArn": "arn:aws:dynamodb:us-east-1:111122223333:table/items-dev",
            "policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::1:root", "*"]}])
def test_resource_policy_granting_everyone_without_condition_fails(principal: Any) -> None:
    props = resource_policy({"Sid": "Open", "Effect": "Allow", "Principal": principal, "Action": "dynamodb:*",
                             "Resource": "*"})
    assert violations(PUBLIC, props, resource_type=RESOURCE_POLICY_TYPE) == [
        'policy statement Open allows Principal "*" and no condition restricts it to specific values of a key AWS '
        "trusts, so AWS treats it as public; use StringEquals or ArnEquals on aws:PrincipalOrgID, "
        "aws:PrincipalAccount, aws:SourceAccount, aws:SourceVpce, ... with values without wildcards."]


def test_resource_policy_with_a_condition_or_a_named_principal_passes() -> None:
    conditioned = resource_policy({"Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem",
                                   "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}})
    named = resource_policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                             "Action": "dynamodb:GetItem"})
    denied = resource_policy({"Effect": "Deny", "Principal": "*", "Action": "dynamodb:DeleteTable"})
    for props in (conditioned, named, denied):
        assert violations(PUBLIC, props, resource_type=RESOURCE_POLICY_TYPE) == []


def test_unparseable_resource_policy_fails() -> None:
    assert violations(PUBLIC, {"policy": "{not json"}, resource_type=RESOURCE_POLICY_TYPE) == [
        "policy must be a JSON policy document; it does not parse (Expecting property name enclosed in "
        "double quotes)."]


# --- stack policy: environment in table names --------------------------------------------------------

NAMING = stack.dynamodb_table_name_environment_prefixed


def stack_violations(names: list[str], **config: Any) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    resources = [PolicyResource(TABLE_TYPE, unknown_checking_proxy({"name": name}), f"urn:{name}", name,
                                OPTIONS, None, None, [], {}) for name in names]
    args = StackValidationArgs(resources, {**schema_defaults(NAMING), **config})
    NAMING.validate(args, lambda message, urn=None: found.append((message, urn)))  # type: ignore[misc]
    return found


def test_non_prod_table_names_must_carry_the_environment_token() -> None:
    names = ["items-dev", "dev-CreatorsTable", "construction-expenses-dev-companies", "CreatorsTable", "devices"]
    assert stack_violations(names, environment="dev") == [
        ("table name 'CreatorsTable' must carry the environment 'dev' as a prefix or suffix token "
         "(for example dev-CreatorsTable or CreatorsTable-dev).", "urn:CreatorsTable"),
        ("table name 'devices' must carry the environment 'dev' as a prefix or suffix token "
         "(for example dev-devices or devices-dev).", "urn:devices"),
    ]


def test_prod_is_exempt_from_the_naming_rule() -> None:
    with pytest.raises(_NotApplicableError):
        stack_violations(["CreatorsTable"], environment="prod")
