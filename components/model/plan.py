"""A stack's table plan: every declared table, resolved for one environment and checked as a whole.

`plan_stack` is the single step between configuration and anything that acts on tables. The
Pulumi program builds resources from its result; `tables synth|create|drift|plan` render or
compare the same plans. It takes the catalog of families as an argument, so the model never
imports the families built on top of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from components.model.config_reader import config_error
from components.model.family import FamilyDefinition
from components.model.spec import (
    NAME_PATTERN,
    NAME_RULE,
    ON_DEMAND,
    GlobalIndex,
    OnDemandLimits,
    TableSpec,
    table_error,
    validate_spec,
)
from components.model.stack_settings import FamilySettings, StackSettings
from components.model.tags import MAX_TAGS

MANAGED_BY = "pulumi"


@dataclass(frozen=True)
class TablePlan:
    """One table as a given stack deploys it: its spec, its physical name and its family's settings."""

    family: str
    spec: TableSpec
    name: str
    environment: str
    tags: dict[str, str]
    settings: FamilySettings
    protect: bool
    # The stack's onDemandMaximum, for a table or index that declares no maximum of its own.
    default_on_demand_limits: OnDemandLimits | None = None

    @property
    def resource_name(self) -> str:
        """The Pulumi logical name: stable across environments, derived from family and table."""
        return f"{self.family}-{self.spec.key}"

    @property
    def existing(self) -> bool:
        """The table is live already: the program adopts (imports) it instead of creating it."""
        return self.settings.is_existing(self.spec.key)

    @property
    def import_ignore_changes(self) -> tuple[str, ...]:
        """Properties the adoption leaves as they are live; the `pulumi up` after it applies them."""
        return self.settings.import_ignore_changes.get(self.spec.key, ()) if self.existing else ()


def on_demand_limits(plan: TablePlan, index: GlobalIndex | None = None) -> OnDemandLimits | None:
    """The on-demand maximum of the table (or one of its GSIs): its own, else the stack's; None when
    provisioned or unbounded."""
    if plan.spec.billing_mode != ON_DEMAND:
        return None
    own = index.on_demand_limits if index is not None else plan.spec.on_demand_limits
    return own or plan.default_on_demand_limits


def plan_stack(settings: StackSettings, families: Mapping[str, FamilyDefinition]) -> list[TablePlan]:
    """Resolve and validate every table the stack deploys. Raises ModelError on the first problem."""
    plans: list[TablePlan] = []
    for family, family_settings in settings.families.items():
        specs = families[family].tables
        known_keys = {spec.key for spec in specs}
        for option, keys in (("existing", family_settings.existing_tables or frozenset()),
                             ("importIgnoreChanges", set(family_settings.import_ignore_changes))):
            unknown = sorted(set(keys) - known_keys)
            if unknown:
                raise config_error(settings.stack, f"families.{family}.{option}", unknown,
                                   f"table keys of {family}: {', '.join(sorted(known_keys))}")
        for spec in specs:
            validate_spec(family, spec)
            name = f"{family_settings.prefix}{spec.base_name}{family_settings.suffix}"
            if not NAME_PATTERN.fullmatch(name):
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
            if len(tags) > MAX_TAGS:
                raise table_error(family, spec.key, "tags", f"{len(tags)} tags with the ones this program adds",
                                  f"at most {MAX_TAGS} tags on a table (AWS's limit)")
            maximum = settings.on_demand_maximum
            default_limits = None
            if maximum is not None and (maximum.max_read_request_units or maximum.max_write_request_units):
                default_limits = OnDemandLimits(maximum.max_read_request_units, maximum.max_write_request_units)
            plan = TablePlan(family=family, spec=spec, name=name, environment=settings.environment,
                             tags=tags, settings=family_settings, protect=settings.protect,
                             default_on_demand_limits=default_limits)
            if maximum is not None and maximum.required and spec.billing_mode == ON_DEMAND:
                for index in (None, *spec.global_indexes):
                    if on_demand_limits(plan, index) is None:
                        where = "onDemandLimits" if index is None else f"globalIndexes.{index.name}.onDemandLimits"
                        raise table_error(family, spec.key, where, None,
                                          "an on-demand maximum: the stack's onDemandMaximum.required asks every "
                                          "on-demand table and index for one (declare it on the spec, or set "
                                          "onDemandMaximum.maxReadRequestUnits/maxWriteRequestUnits)")
            plans.append(plan)
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


def find_plan(plans: Iterable[TablePlan], spec: TableSpec) -> TablePlan | None:
    """The stack's plan for a table spec, or None when the stack does not deploy that table."""
    return next((plan for plan in plans if plan.spec == spec), None)


def by_family(plans: Sequence[TablePlan]) -> dict[str, list[TablePlan]]:
    grouped: dict[str, list[TablePlan]] = {}
    for plan in plans:
        grouped.setdefault(plan.family, []).append(plan)
    return grouped
