"""The KMS keys a stack's tables may be encrypted with: AWS Config's `dynamodb-table-encrypted-kms`.

AWS Config's managed rule (https://docs.aws.amazon.com/config/latest/developerguide/dynamodb-table-encrypted-kms.html)
takes `kmsKeyArns`, "a comma separated list of AWS KMS key ARNs allowed for encrypting Amazon DynamoDB
Tables", and is NON_COMPLIANT for a table whose key is not in it. This policy checks the same before
deploying, for every table that declares a customer-managed key (`serverSideEncryption.kmsKeyArn`); a
table on the AWS-owned or AWS-managed key is `dynamodb-table-encryption-enabled`'s business. The list is
per environment, in policies/config/<environment>.json; an empty list allows no customer-managed key.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from policies.dynamodb.tables import AWS_MANAGED_KEY_ALIAS, config_value, read, table_validator


@table_validator
def _kms_key_allowed(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    sse = read(args.props, "serverSideEncryption")
    if not isinstance(sse, Mapping) or "kmsKeyArn" not in sse:
        args.not_applicable("the table declares no customer-managed key")
    # Deliberately not read(): an unknown ARN (a key created in the same update) raises UnknownValueError,
    # which pulumi-policy reports as "can't run during preview"; `pulumi up` checks the resolved ARN.
    key = sse["kmsKeyArn"]
    if not key or AWS_MANAGED_KEY_ALIAS in str(key):
        args.not_applicable("the table uses the AWS-managed key")
    allowed = list(config_value(args, "kmsKeyArns", []))
    if key not in allowed:
        shown = ", ".join(allowed) if allowed else "none (policies/config lists no key for this environment)"
        name = read(args.props, "name")
        report_violation(f"table '{name}' is encrypted with KMS key {key}, which is not in this environment's "
                         f"kmsKeyArns: {shown}; use an allowed key or add this one to "
                         f"dynamodb-table-kms-key-allowed.kmsKeyArns.", None)


dynamodb_table_kms_key_allowed = ResourceValidationPolicy(
    name="dynamodb-table-kms-key-allowed",
    description="Checks whether a DynamoDB table that declares a customer-managed KMS key uses one of the "
                "environment's allowed keys (AWS Config dynamodb-table-encrypted-kms with kmsKeyArns).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_kms_key_allowed,
    config_schema=PolicyConfigSchema(properties={
        "kmsKeyArns": {"type": "array", "items": {"type": "string"}, "default": []},
    }),
)

KEY_POLICIES = [dynamodb_table_kms_key_allowed]
