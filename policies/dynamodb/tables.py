"""Resource policies on `aws:dynamodb/table:Table`.

Mandatory rules treat an unknown flag as a violation: a preview must not pass a table whose
encryption, PITR or billing cannot be confirmed. An unknown KMS key ARN (a key created in the same
update) is left to pulumi-policy's own handling: an advisory "can't run during preview" diagnostic,
and a real check at `pulumi up`, when the engine analyzes the resolved inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

TABLE_TYPE = "aws:dynamodb/table:Table"
AWS_MANAGED_KEY_ALIAS = "alias/aws/dynamodb"

UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "<unknown>"})()
UNSET: Any = type("Unset", (), {"__repr__": lambda self: "<unset>"})()


def read(props: Mapping[str, Any], *path: str) -> Any:
    """The value at `path`: UNSET where any step is missing or null, UNKNOWN where not yet known."""
    value: Any = props
    try:
        for step in path:
            if not isinstance(value, Mapping) or value.get(step) is None:
                return UNSET
            value = value[step]
    except UnknownValueError:
        return UNKNOWN
    return value


def plain(value: Any) -> Any:
    """Whole numbers as ints: values that crossed gRPC as protobuf Struct numbers arrive as floats."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def describe(value: Any) -> str:
    if value is UNSET:
        return "it is unset"
    if value is UNKNOWN:
        return "its value is unknown during preview, so it cannot be confirmed"
    return f"it is {str(value).lower()}" if isinstance(value, bool) else f"it is {plain(value)!r}"


def config_value(args: ResourceValidationArgs, key: str, default: Any) -> Any:
    # The engine fills JSON-schema defaults; direct callers (tests) may not, so default here too.
    return args.get_config().get(key, default)


def table_validator(check: Callable[[ResourceValidationArgs, ReportViolation], None]) -> Callable[
        [ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type != TABLE_TYPE:
            return
        check(args, report_violation)
    return validate


# --- encryption -----------------------------------------------------------------------------------

SENSITIVE_CLASSIFICATIONS = ["sensitive", "restricted"]


@table_validator
def _encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    enabled = read(args.props, "serverSideEncryption", "enabled")
    if enabled is not True:
        report_violation(f"serverSideEncryption.enabled must be true; {describe(enabled)}.", None)
        return
    if not config_value(args, "requireCustomerManagedKeyForSensitive", True):
        return
    classification = read(args.props, "tags", "data-classification")
    if classification not in config_value(args, "sensitiveClassifications", SENSITIVE_CLASSIFICATIONS):
        return
    # Deliberately not read(): an unknown ARN raises UnknownValueError for pulumi-policy to report.
    sse = args.props["serverSideEncryption"]
    key_arn = sse.get("kmsKeyArn") if isinstance(sse, Mapping) else None
    if not key_arn or AWS_MANAGED_KEY_ALIAS in str(key_arn):
        shown = "it is unset (the AWS-managed key)" if not key_arn else f"it is {key_arn!r} (the AWS-managed key)"
        report_violation(
            f"serverSideEncryption.kmsKeyArn must be a customer-managed KMS key for a table tagged "
            f"data-classification={classification}; {shown}.", None)


dynamodb_table_encryption_enabled = ResourceValidationPolicy(
    name="dynamodb-table-encryption-enabled",
    description="Checks whether DynamoDB tables have server-side encryption explicitly enabled, with a "
                "customer-managed KMS key for sensitive data.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_encryption,
    config_schema=PolicyConfigSchema(properties={
        "requireCustomerManagedKeyForSensitive": {"type": "boolean", "default": True},
        "sensitiveClassifications": {"type": "array", "items": {"type": "string"},
                                     "default": SENSITIVE_CLASSIFICATIONS},
    }),
)


# --- point-in-time recovery -----------------------------------------------------------------------

DEFAULT_MINIMUM_RECOVERY_DAYS = 7
AWS_DEFAULT_RECOVERY_DAYS = 35


@table_validator
def _pitr(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    enabled = read(args.props, "pointInTimeRecovery", "enabled")
    if enabled is not True:
        report_violation(f"pointInTimeRecovery.enabled must be true; {describe(enabled)}.", None)
        return
    minimum = plain(config_value(args, "minimumRecoveryPeriodDays", DEFAULT_MINIMUM_RECOVERY_DAYS))
    period = read(args.props, "pointInTimeRecovery", "recoveryPeriodInDays")
    if period is UNSET:
        period = AWS_DEFAULT_RECOVERY_DAYS  # DynamoDB's default when the period is not given
    if period is UNKNOWN or period < minimum:
        report_violation(
            f"pointInTimeRecovery.recoveryPeriodInDays must be at least {minimum} days; {describe(period)}.", None)


dynamodb_table_point_in_time_recovery_enabled = ResourceValidationPolicy(
    name="dynamodb-table-point-in-time-recovery-enabled",
    description="Checks whether DynamoDB tables have point-in-time recovery enabled with at least the "
                "minimum recovery period.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_pitr,
    config_schema=PolicyConfigSchema(properties={
        "minimumRecoveryPeriodDays": {"type": "integer", "minimum": 1, "maximum": 35,
                                      "default": DEFAULT_MINIMUM_RECOVERY_DAYS},
    }),
)


# --- on-demand billing ----------------------------------------------------------------------------

ON_DEMAND = "PAY_PER_REQUEST"
CAPACITY_FIELDS = ("readCapacity", "writeCapacity")


@table_validator
def _billing(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    mode = read(args.props, "billingMode")
    if mode != ON_DEMAND:
        shown = "it is unset (PROVISIONED)" if mode is UNSET else describe(mode)
        report_violation(f"billingMode must be {ON_DEMAND}; {shown}.", None)
    for field in CAPACITY_FIELDS:
        value = read(args.props, field)
        if value is not UNSET:
            report_violation(f"{field} must not be set with on-demand billing; {describe(value)}.", None)
    indexes = read(args.props, "globalSecondaryIndexes")
    for index in indexes if isinstance(indexes, Sequence) else ():
        for field in CAPACITY_FIELDS:
            value = read(index, field)
            if value is not UNSET:
                report_violation(f"globalSecondaryIndexes[{read(index, 'name')}].{field} must not be set with "
                                 f"on-demand billing; {describe(value)}.", None)


dynamodb_table_billing_mode_on_demand = ResourceValidationPolicy(
    name="dynamodb-table-billing-mode-on-demand",
    description="Checks whether DynamoDB tables use on-demand (PAY_PER_REQUEST) billing with no provisioned "
                "capacity on the table or its indexes.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_billing,
)


# --- deletion protection --------------------------------------------------------------------------

@table_validator
def _deletion_protection(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    enabled = read(args.props, "deletionProtectionEnabled")
    if enabled is not True:
        report_violation(f"deletionProtectionEnabled must be true; {describe(enabled)}.", None)


dynamodb_table_deletion_protection_enabled = ResourceValidationPolicy(
    name="dynamodb-table-deletion-protection-enabled",
    description="Checks whether DynamoDB tables have deletion protection enabled.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_deletion_protection,
)


# --- required tags --------------------------------------------------------------------------------

DEFAULT_REQUIRED_TAGS = ["environment", "family", "owner"]


@table_validator
def _required_tags(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    tags = read(args.props, "tags")
    if tags is UNKNOWN:
        report_violation(f"tags must include {', '.join(config_value(args, 'requiredTags', DEFAULT_REQUIRED_TAGS))}; "
                         f"{describe(tags)}.", None)
        return
    present = tags if isinstance(tags, Mapping) else {}
    missing = [name for name in config_value(args, "requiredTags", DEFAULT_REQUIRED_TAGS)
               if read(present, name) in (UNSET, "")]
    if missing:
        report_violation(f"tags must include non-empty {', '.join(missing)}; missing: {', '.join(missing)}.", None)


dynamodb_table_required_tags_present = ResourceValidationPolicy(
    name="dynamodb-table-required-tags-present",
    description="Checks whether DynamoDB tables carry the required tags with non-empty values.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_required_tags,
    config_schema=PolicyConfigSchema(properties={
        "requiredTags": {"type": "array", "items": {"type": "string"}, "default": DEFAULT_REQUIRED_TAGS},
    }),
)


# --- TTL ------------------------------------------------------------------------------------------

@table_validator
def _ttl_not_key(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if read(args.props, "ttl", "enabled") is not True:
        return
    attribute = read(args.props, "ttl", "attributeName")
    keys = {read(args.props, "hashKey"), read(args.props, "rangeKey")} - {UNSET}
    if attribute is UNKNOWN or attribute in keys:
        report_violation(f"ttl.attributeName must not be a key attribute ({', '.join(sorted(map(str, keys)))}); "
                         f"{describe(attribute)}.", None)


dynamodb_table_ttl_not_key_attribute = ResourceValidationPolicy(
    name="dynamodb-table-ttl-not-key-attribute",
    description="Checks whether a DynamoDB table's TTL attribute is not one of its key attributes.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_ttl_not_key,
)


# --- streams for declared consumers ---------------------------------------------------------------

STREAM_CONSUMERS_TAG = "stream-consumers"


@table_validator
def _stream_for_consumers(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    consumers = read(args.props, "tags", STREAM_CONSUMERS_TAG)
    if consumers in (UNSET, ""):
        return
    enabled = read(args.props, "streamEnabled")
    view_type = read(args.props, "streamViewType")
    if enabled is not True or view_type in (UNSET, UNKNOWN, ""):
        report_violation(
            f"streamEnabled must be true with a streamViewType for the declared consumers ({consumers}); "
            f"streamEnabled: {describe(enabled)}; streamViewType: {describe(view_type)}.", None)


dynamodb_table_stream_enabled_for_consumers = ResourceValidationPolicy(
    name="dynamodb-table-stream-enabled-for-consumers",
    description="Checks whether DynamoDB tables whose family declares stream consumers (tag stream-consumers) "
                "have a stream enabled.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_stream_for_consumers,
)


TABLE_POLICIES = [
    dynamodb_table_encryption_enabled,
    dynamodb_table_point_in_time_recovery_enabled,
    dynamodb_table_billing_mode_on_demand,
    dynamodb_table_deletion_protection_enabled,
    dynamodb_table_required_tags_present,
    dynamodb_table_ttl_not_key_attribute,
    dynamodb_table_stream_enabled_for_consumers,
]
