"""A stack's table plan: every declared table, resolved for one environment and checked as a whole.

`plan_stack` is the single step between configuration and anything that acts on tables. The
Pulumi program builds resources from its result; `tables synth|create|drift` render or compare
the same plans.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from components.catalog import FAMILIES
from components.stack_config import StackSettings, config_error, load_stack_file, parse_stack_config
from components.table_spec import NAME_PATTERN, NAME_RULE, TableSpec, table_error, validate_spec

MANAGED_BY = "pulumi"


@dataclass(frozen=True)
class TablePlan:
    """One table as a given stack deploys it."""

    family: str
    spec: TableSpec
    name: str
    environment: str
    tags: dict[str, str]
    kms_key_arn: str | None
    deletion_protection: bool
    pitr_enabled: bool
    pitr_recovery_period_days: int
    protect: bool
    existing: bool

    @property
    def resource_name(self) -> str:
        """The Pulumi logical name: stable across environments, derived from family and table."""
        return f"{self.family}-{self.spec.key}"


def plan_stack(settings: StackSettings) -> list[TablePlan]:
    """Resolve and validate every table the stack deploys. Raises ModelError on the first problem."""
    plans: list[TablePlan] = []
    for family, family_settings in settings.families.items():
        specs = FAMILIES[family].tables
        known_keys = {spec.key for spec in specs}
        unknown = sorted((family_settings.existing_tables or frozenset()) - known_keys)
        if unknown:
            raise config_error(settings.stack, f"families.{family}.existing", unknown,
                               f"table keys of {family}: {', '.join(sorted(known_keys))}")
        for spec in specs:
            validate_spec(family, spec)
            name = f"{family_settings.prefix}{spec.base_name}{family_settings.suffix}"
            if not NAME_PATTERN.match(name):
                raise table_error(family, spec.key, "name", name, NAME_RULE)
            tags = {
                **family_settings.tags,
                **spec.tags,
                "environment": settings.environment,
                "family": family,
                "managed-by": MANAGED_BY,
                "data-classification": spec.data_classification,
            }
            if spec.stream is not None:
                tags["stream-consumers"] = " ".join(spec.stream.consumers)
            plans.append(TablePlan(
                family=family,
                spec=spec,
                name=name,
                environment=settings.environment,
                tags=tags,
                kms_key_arn=family_settings.kms_key_arn,
                deletion_protection=family_settings.deletion_protection,
                pitr_enabled=family_settings.pitr_enabled,
                pitr_recovery_period_days=family_settings.pitr_recovery_period_days,
                protect=settings.protect,
                existing=family_settings.is_existing(spec.key),
            ))
    _check_unique(plans, "name", lambda p: p.name)
    _check_unique(plans, "envVar", lambda p: p.spec.env_var)
    return plans


def _check_unique(plans: list[TablePlan], field_name: str, value_of: Callable[[TablePlan], str]) -> None:
    seen: dict[str, TablePlan] = {}
    for plan in plans:
        value = value_of(plan)
        if value in seen:
            first = seen[value]
            raise table_error(plan.family, plan.spec.key, field_name, value,
                              f"a value not already used by family '{first.family}', table '{first.spec.key}'")
        seen[value] = plan


def known_families() -> list[str]:
    return list(FAMILIES)


def plan_from_config(raw_config: Mapping[str, str], stack: str) -> list[TablePlan]:
    return plan_stack(parse_stack_config(raw_config, stack, known_families()))


def plan_from_stack_file(project_dir: Path, stack: str) -> list[TablePlan]:
    """The plan for `Pulumi.<stack>.yaml`, read without a Pulumi runtime (for the scripts)."""
    return plan_from_config(load_stack_file(project_dir, stack), stack)
