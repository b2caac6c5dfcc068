"""The catalog: every table family the program knows, by the key stack configs select it with.

Also the two ways to plan a stack against the catalog: from the engine's config map (the Pulumi
program) and from a `Pulumi.<stack>.yaml` file (the `tables` command).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from components.families import (
    construction_expenses,
    creator_platform,
    items_service,
    migration_history,
    shop_import,
)
from components.model.access import ConsumerPlan, allowed_accounts, plan_consumers
from components.model.family import FamilyDefinition
from components.model.pattern_access import PlannedPattern, check_pattern_grants, planned_patterns
from components.model.patterns import AccessPattern, validate_patterns
from components.model.plan import TablePlan, plan_stack
from components.model.spec import ModelError
from components.model.stack_file import load_stack_file, stack_names
from components.model.stack_settings import StackSettings, parse_stack_config

FAMILIES: dict[str, FamilyDefinition] = {
    definition.key: definition
    for definition in (
        creator_platform.FAMILY,
        shop_import.FAMILY,
        items_service.FAMILY,
        construction_expenses.FAMILY,
        migration_history.FAMILY,
    )
}


def plan_from_config(raw_config: Mapping[str, str], stack: str) -> list[TablePlan]:
    return plan_stack(parse_stack_config(raw_config, stack, list(FAMILIES)), FAMILIES)


def plan_from_stack_file(project_dir: Path, stack: str) -> list[TablePlan]:
    """The plan for `Pulumi.<stack>.yaml`, read without a Pulumi runtime (for the `tables` command)."""
    return plan_from_config(load_stack_file(project_dir, stack), stack)


@dataclass(frozen=True)
class StackPlan:
    """Everything a stack declares, checked: its settings (backup, alarms), its tables and its consumers."""

    settings: StackSettings
    tables: list[TablePlan]
    consumers: list[ConsumerPlan]


def patterns_by_family() -> dict[str, tuple[AccessPattern, ...]]:
    return {key: definition.patterns for key, definition in FAMILIES.items()}


def check_patterns(plans: list[TablePlan]) -> list[PlannedPattern]:
    """Validate the access patterns of every family the stack deploys; the patterns on its tables."""
    for family in dict.fromkeys(plan.family for plan in plans):
        definition = FAMILIES[family]
        validate_patterns(family, definition.patterns, definition.tables)
    return planned_patterns(plans, patterns_by_family())


def stack_from_config(raw_config: Mapping[str, str], stack: str) -> StackPlan:
    settings = parse_stack_config(raw_config, stack, list(FAMILIES))
    plans = plan_stack(settings, FAMILIES)
    consumers = plan_consumers(stack, settings.consumers, plans, allowed_accounts(raw_config))
    planned = check_patterns(plans)
    if settings.consumers:
        # A stack that names its consumers must let each run the patterns it declares.
        check_pattern_grants(stack, consumers, planned)
    return StackPlan(settings=settings, tables=plans, consumers=consumers)


def stack_from_stack_file(project_dir: Path, stack: str) -> StackPlan:
    return stack_from_config(load_stack_file(project_dir, stack), stack)


def consumers_from_config(raw_config: Mapping[str, str], stack: str) -> tuple[list[TablePlan], list[ConsumerPlan]]:
    """The stack's tables and the services granted access to them, both checked."""
    planned = stack_from_config(raw_config, stack)
    return planned.tables, planned.consumers


def consumers_from_stack_file(project_dir: Path, stack: str) -> tuple[list[TablePlan], list[ConsumerPlan]]:
    return consumers_from_config(load_stack_file(project_dir, stack), stack)


def production_tables(project_dir: Path) -> dict[str, list[str]]:
    """Every table name a production stack of the project declares, with the prod stacks declaring it.

    Production names belong to production: a dev stack whose suffix is `-prod`, or a copy of the prod
    stack file under another name and environment, plans the same physical names, and any tool run
    under it would write prod's tables. The tools compare the names they are about to write with
    these. A stack file that does not load declares nothing here: it is refused wherever it is used.
    """
    owners: dict[str, list[str]] = {}
    for stack in stack_names(project_dir):
        try:
            settings = parse_stack_config(load_stack_file(project_dir, stack), stack, list(FAMILIES))
            plans = plan_stack(settings, FAMILIES) if settings.is_prod else []
        except ModelError:
            continue
        for plan in plans:
            owners.setdefault(plan.name, []).append(stack)
    return owners
