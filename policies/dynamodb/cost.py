"""Cost policies: a table whose class costs more than the other, and a stack over its monthly budget.

Both price what the program declares with the same engine as `tables cost` (components/model/cost.py):
each table resource is matched to its model spec by its `family` tag and logical name
(`<family>-<table key>`), so the declared sizes and traffic come from the model, and billing mode,
class, indexes and PITR from the resource's own inputs. Storage is the declared one (a preview sees no
live table); `tables cost --endpoint-url` measures it live.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.families import FAMILIES
from components.model.backup_settings import BackupCopy, BackupSettings
from components.model.cost import (
    CLASS_LABELS,
    class_advice,
    declared_requests,
    declared_storage,
    estimate_table,
)
from components.model.plan import TablePlan
from components.model.prices import PriceError, PriceSheet, load_prices, price_file
from components.model.spec import ON_DEMAND, Capacity, GlobalIndex, Key, TableClass
from components.model.stack_settings import FamilySettings
from policies.dynamodb.tables import TABLE_TYPE, read, table_validator

PRICES_DIR = Path(__file__).resolve().parents[2] / "prices"
DEFAULT_REGION = "us-east-1"
BACKUP_PLAN_TYPE = "aws:backup/plan:Plan"


def _known(value: Any, default: Any) -> Any:
    return default if value is None or type(value).__name__ in ("Unset", "Unknown") else value


def table_plan(logical_name: str, props: Any) -> TablePlan | None:
    """The model's plan of a table resource, with the resource's priced inputs; None when no family
    declares it (a table the model does not know is not priced)."""
    family = _known(read(props, "tags", "family"), None)
    if not isinstance(family, str) or family not in FAMILIES or not logical_name.startswith(f"{family}-"):
        return None
    try:
        spec = FAMILIES[family].table(logical_name[len(family) + 1:])
    except KeyError:
        return None
    billing = _known(read(props, "billingMode"), ON_DEMAND)
    klass = _known(read(props, "tableClass"), TableClass.STANDARD.value)

    def capacity(node: Any) -> Capacity | None:
        read_units, write_units = _known(read(node, "readCapacity"), 0), _known(read(node, "writeCapacity"), 0)
        return Capacity(read=int(read_units), write=int(write_units)) if read_units and write_units else None

    indexes = _known(read(props, "globalSecondaryIndexes"), [])
    spec = replace(spec, billing_mode=billing, table_class=TableClass(klass), capacity=capacity(props),
                   global_indexes=tuple(GlobalIndex(str(_known(read(index, "name"), f"index-{number}")),
                                                    partition=(Key("pk"),), capacity=capacity(index))
                                        for number, index in enumerate(indexes)))
    pitr = _known(read(props, "pointInTimeRecovery", "enabled"), False) is True
    days = _known(read(props, "pointInTimeRecovery", "recoveryPeriodInDays"), 35)
    settings = FamilySettings(prefix="", suffix="", existing_tables=None, adopt_all=False, import_ignore_changes={},
                              tags={}, kms_key_arn=None, deletion_protection=True, pitr_enabled=pitr,
                              pitr_recovery_period_days=int(days))
    return TablePlan(family=family, spec=spec, name=str(_known(read(props, "name"), logical_name)), environment="",
                     tags={}, settings=settings, protect=False)


def _prices(region: Any) -> PriceSheet:
    return load_prices(PRICES_DIR, str(region or DEFAULT_REGION))


def _no_prices(region: Any) -> str | None:
    """Why nothing can be priced (no price file for the region next to the pack), or None."""
    path = price_file(PRICES_DIR, str(region or DEFAULT_REGION))
    return None if path.is_file() else f"no price file {path.name} in {PRICES_DIR}: nothing is priced"


@table_validator
def _class_cost_effective(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    plan = table_plan(args.name, args.props)
    if plan is None:
        args.not_applicable("no table of the model is declared under this name")
        return
    missing = _no_prices(args.get_config().get("region"))
    if missing:
        args.not_applicable(missing)
        return
    requests = declared_requests(plan, FAMILIES[plan.family].patterns)
    stored = declared_storage(plan)
    if not requests and stored.source == "none":
        args.not_applicable("the model declares neither traffic nor a size for this table")
        return
    try:
        advice = class_advice(plan, requests, stored, None, _prices(args.get_config().get("region")))
    except PriceError as error:
        report_violation(f"cannot price the table: {error}", None)
        return
    if advice.costs_more:
        report_violation(
            f"table class {CLASS_LABELS[advice.current]} costs ${advice.current_usd:,.2f} a month for the declared "
            f"traffic and size, {CLASS_LABELS[advice.cheaper]} ${advice.other_usd:,.2f}: "
            f"{advice.summary()}; set table_class on its TableSpec.", None)


dynamodb_table_class_cost_effective = ResourceValidationPolicy(
    name="dynamodb-table-class-cost-effective",
    description="Checks whether a DynamoDB table's class (Standard or Standard-IA) is the cheaper one for its "
                "declared traffic and size, by AWS's table class rule.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_class_cost_effective,
    config_schema=PolicyConfigSchema(properties={"region": {"type": "string", "default": DEFAULT_REGION}}),
)


def backup_from_resources(resources: list[PolicyResource]) -> BackupSettings | None:
    """The stack's AWS Backup rule, read back from its plan resource (components/resources/backup.py)."""
    for resource in resources:
        if resource.resource_type != BACKUP_PLAN_TYPE:
            continue
        rules = _known(read(resource.props, "rules"), [])
        if not rules:
            continue
        rule = rules[0]
        schedule = _known(read(rule, "schedule"), None)
        retention = _known(read(rule, "lifecycle", "deleteAfter"), None)
        if not isinstance(schedule, str) or retention is None:
            continue
        copies = _known(read(rule, "copyActions"), [])
        copy_to = None
        if copies:
            vault = _known(read(copies[0], "destinationVaultArn"), "arn:aws:backup:unknown:0:backup-vault:copy")
            copy_to = BackupCopy(vault_arn=str(vault), retention_days=int(
                _known(read(copies[0], "lifecycle", "deleteAfter"), retention)))
        cold = _known(read(rule, "lifecycle", "coldStorageAfter"), None)
        return BackupSettings(schedule=schedule, retention_days=int(retention),
                              cold_storage_after_days=int(cold) if cold else None, copy_to=copy_to)
    return None


def _within_budget(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    budget = config.get("monthlyUsd")
    if not budget:
        args.not_applicable("the stack sets no costBudget")
        return
    missing = _no_prices(config.get("region"))
    if missing:
        args.not_applicable(missing)
        return
    try:
        prices = _prices(config.get("region"))
        backup = backup_from_resources(list(args.resources))
        costs = []
        for resource in args.resources:
            if resource.resource_type != TABLE_TYPE:
                continue
            plan = table_plan(resource.name, resource.props)
            if plan is not None:
                costs.append(estimate_table(plan, declared_requests(plan, FAMILIES[plan.family].patterns),
                                             declared_storage(plan), backup, prices))
    except PriceError as error:
        report_violation(f"cannot price the stack: {error}", None)
        return
    total = sum(cost.total for cost in costs)
    if total > float(budget):
        named = ", ".join(f"{cost.name} ${cost.total:,.2f}" for cost in sorted(costs, key=lambda c: -c.total)
                          if cost.total > 0)
        report_violation(f"the stack's tables cost ${total:,.2f} a month (declared traffic and sizes), above its "
                         f"costBudget of ${float(budget):,.2f}; tables: {named}. `tables cost` itemizes them.", None)


dynamodb_stack_cost_within_budget = StackValidationPolicy(
    name="dynamodb-stack-cost-within-budget",
    description="Checks whether the monthly cost of a stack's DynamoDB tables, estimated from their declared traffic "
                "and sizes, stays within the stack's costBudget.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_within_budget,
    config_schema=PolicyConfigSchema(properties={
        "monthlyUsd": {"type": ["number", "null"], "default": None},
        "region": {"type": "string", "default": DEFAULT_REGION},
    }),
)

COST_POLICIES = [dynamodb_table_class_cost_effective, dynamodb_stack_cost_within_budget]
