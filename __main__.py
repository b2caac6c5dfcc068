"""The Pulumi program: plan this stack's tables from its config, then build one component per family.

All checking happens in `plan_from_config` before any resource is registered, so a bad config or
table definition stops `pulumi preview` with one line and nothing half-declared.
"""

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from components.families import FAMILIES, stack_from_config
from components.model.plan import by_family
from components.model.spec import ModelError
from components.resources.access import ConsumerAccess
from components.resources.alarms import StackAlarms
from components.resources.backup import StackBackup
from components.resources.family import TableFamily, TableFamilyArgs


def engine_config() -> dict[str, str]:
    # The SDK has no public way to list config keys, and unknown keys must be caught (typos), so
    # read the map the language host fills in (or PULUMI_CONFIG, when run outside the engine).
    return {**get_config_env(), **CONFIG.get()}


def main() -> None:
    try:
        planned = stack_from_config(engine_config(), pulumi.get_stack())
    except ModelError as error:
        raise pulumi.RunError(str(error)) from None
    settings, plans, consumers = planned.settings, planned.tables, planned.consumers

    tables: dict[str, pulumi.Output] = {}
    table_resources = {}
    for family, family_plans in by_family(plans).items():
        component = TableFamily(FAMILIES[family], TableFamilyArgs(plans=family_plans))
        tables[family] = component.tables
        for plan in family_plans:
            table_resources[plan.resource_name] = component.table_resources[plan.spec.key]
            pulumi.export(plan.spec.env_var, component.table_resources[plan.spec.key].name)

    if settings.backup is not None:
        backup = StackBackup(settings.backup, settings.environment, table_resources,
                             kms_key_arn=settings.kms_key_arn, protect=settings.protect)
        pulumi.export("backup", {"vaultName": backup.vault.name, "vaultArn": backup.vault.arn,
                                 "planId": backup.plan.id, "planArn": backup.plan.arn})
    if settings.alarms is not None:
        alarms = StackAlarms(settings.alarms, plans)
        pulumi.export("alarms", {"snsTopicArn": settings.alarms.sns_topic_arn, "names": sorted(alarms.alarms)})

    # Each service's table names, for its own stack: StackReference(...).get_output("consumers").
    exported: dict[str, dict[str, object]] = {}
    for consumer in consumers:
        access = ConsumerAccess(consumer)
        exported[consumer.name] = {"role": consumer.role_name, "environment": access.environment}

    pulumi.export("environment", plans[0].environment if plans else None)
    pulumi.export("tables", tables)
    pulumi.export("consumers", exported)


main()
