"""The one place a `TablePlan` becomes a `pulumi_aws.dynamodb.Table`."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.model.plan import TablePlan, on_demand_limits
from components.model.spec import ON_DEMAND, GlobalIndex, attribute_definitions, index_capacity, index_key_schema


def _gsi_args(plan: TablePlan, index: GlobalIndex) -> aws.dynamodb.TableGlobalSecondaryIndexArgs:
    # key_schemas, not hash_key/range_key: pulumi-aws deprecates the latter, and only key_schemas
    # can express multi-attribute keys.
    key_schemas = [aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name=k["AttributeName"],
                                                                       key_type=k["KeyType"])
                   for k in index_key_schema(plan.spec, index)]
    capacity = index_capacity(plan.spec, index)
    limits = on_demand_limits(plan, index)
    warm = index.warm_throughput
    return aws.dynamodb.TableGlobalSecondaryIndexArgs(
        name=index.name,
        key_schemas=key_schemas,
        projection_type=index.projection.value,
        non_key_attributes=list(index.non_key_attributes) or None,
        read_capacity=capacity.read if capacity else None,
        write_capacity=capacity.write if capacity else None,
        on_demand_throughput=aws.dynamodb.TableGlobalSecondaryIndexOnDemandThroughputArgs(
            max_read_request_units=limits.max_read_request_units,
            max_write_request_units=limits.max_write_request_units) if limits else None,
        warm_throughput=aws.dynamodb.TableGlobalSecondaryIndexWarmThroughputArgs(
            read_units_per_second=warm.read_units_per_second,
            write_units_per_second=warm.write_units_per_second) if warm else None,
    )


def declare_table(plan: TablePlan, parent: pulumi.Resource) -> aws.dynamodb.Table:
    spec, settings = plan.spec, plan.settings
    limits = on_demand_limits(plan)
    options = pulumi.ResourceOptions(
        parent=parent,
        protect=plan.protect,
        retain_on_delete=plan.protect,
        # An existing table is adopted into state instead of created; its inputs must match it.
        import_=plan.name if plan.existing else None,
        # Only while adopting: the listed properties stay as they are live so the import matches exactly;
        # removing them from the stack config lets the next `up` apply the model (`tables plan` prints both).
        ignore_changes=list(plan.import_ignore_changes) or None,
    )
    return aws.dynamodb.Table(
        plan.resource_name,
        name=plan.name,
        hash_key=spec.partition.name,
        range_key=spec.sort.name if spec.sort else None,
        attributes=[aws.dynamodb.TableAttributeArgs(name=k.name, type=k.type) for k in attribute_definitions(spec)],
        global_secondary_indexes=[_gsi_args(plan, index) for index in spec.global_indexes] or None,
        local_secondary_indexes=[
            aws.dynamodb.TableLocalSecondaryIndexArgs(
                name=index.name,
                range_key=index.sort.name,
                projection_type=index.projection.value,
                non_key_attributes=list(index.non_key_attributes) or None,
            )
            for index in spec.local_indexes
        ] or None,
        billing_mode=spec.billing_mode,
        read_capacity=spec.capacity.read if spec.capacity and spec.billing_mode != ON_DEMAND else None,
        write_capacity=spec.capacity.write if spec.capacity and spec.billing_mode != ON_DEMAND else None,
        point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(
            enabled=settings.pitr_enabled,
            recovery_period_in_days=settings.pitr_recovery_period_days if settings.pitr_enabled else None),
        # No kms_key_arn means the AWS-managed key (alias/aws/dynamodb).
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True,
                                                                          kms_key_arn=settings.kms_key_arn),
        # TTL off is declared, never omitted: the provider suppresses a missing `ttl` block
        # (terraform-provider-aws table.go: ttl's DiffSuppressFunc SuppressMissingOptionalConfigurationBlock),
        # so an omitted block would leave TTL on. pulumi-aws: attribute_name must not be set while disabled.
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=spec.ttl_attribute, enabled=True) if spec.ttl_attribute
        else aws.dynamodb.TableTtlArgs(enabled=False),
        stream_enabled=spec.stream is not None,
        stream_view_type=spec.stream.view_type.value if spec.stream else None,
        table_class=spec.table_class.value,
        on_demand_throughput=aws.dynamodb.TableOnDemandThroughputArgs(
            max_read_request_units=limits.max_read_request_units,
            max_write_request_units=limits.max_write_request_units) if limits else None,
        # A floor, not an exact value: drift and plan accept live >= declared (AWS raises it on its own).
        warm_throughput=aws.dynamodb.TableWarmThroughputArgs(
            read_units_per_second=spec.warm_throughput.read_units_per_second,
            write_units_per_second=spec.warm_throughput.write_units_per_second) if spec.warm_throughput else None,
        deletion_protection_enabled=settings.deletion_protection,
        tags=plan.tags,
        opts=options,
    )
