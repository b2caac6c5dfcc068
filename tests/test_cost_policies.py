"""The cost policies, called directly: the table-class rule and the stack budget, with exact messages.

The tables are the model's own, found by family tag and logical name, with their declared access patterns:
the creator platform stores 100 raw analytics events a second of 256 bytes (one write unit each, no
index): 100 x 2,628,000 s = 262,800,000 WRU a month, $164.25 at Standard prices ($0.625/million) and
$204.984 at Standard-IA's ($0.78). The tests declare a size on the events table.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any

import pytest
from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import unknown_checking_proxy

from components.families import FAMILIES, creator_platform
from components.model.cost_settings import CostBudget
from components.model.spec import Sizing
from policies.dynamodb import cost
from scripts.policy_check import BUDGET_POLICY, with_cost_budget
from tests.test_policies import OPTIONS, TABLE_TYPE, schema_defaults

GB = 1024 ** 3
EVENTS_PROPS: dict[str, Any] = {
    "name": "AnalyticsEventsTable",
    "billingMode": "PAY_PER_REQUEST",
    "pointInTimeRecovery": {"enabled": True, "recoveryPeriodInDays": 35},
    "tags": {"family": "creator-platform", "environment": "prod"},
}
BACKUP_PLAN: dict[str, Any] = {"rules": [{"ruleName": "scheduled", "schedule": "cron(0 5 ? * * *)",
                                          "lifecycle": {"deleteAfter": 35}}]}


def size_events(monkeypatch: pytest.MonkeyPatch, items: int) -> None:
    events = replace(creator_platform.analytics_events_table, sizing=Sizing(items, 400))
    family = FAMILIES["creator-platform"]
    tables = tuple(events if spec.key == events.key else spec for spec in family.tables)
    monkeypatch.setattr(cost, "FAMILIES", {**FAMILIES, "creator-platform": replace(family, tables=tables)})


@pytest.fixture
def fifty_million_events(monkeypatch: pytest.MonkeyPatch) -> None:
    # 50,000,000 x (400 + 100) B = 2.5e10 B = 23.2831 GB: $5.8208 a month at Standard, $2.3283 at Standard-IA
    size_events(monkeypatch, 50_000_000)


@pytest.fixture
def five_billion_events(monkeypatch: pytest.MonkeyPatch) -> None:
    # 5,000,000,000 x 500 B = 2.5e12 B = 2,328.31 GB: $582.08 a month at Standard, $232.83 at Standard-IA
    size_events(monkeypatch, 5_000_000_000)


def class_violations(props: dict[str, Any], logical_name: str = "creator-platform-analytics-events") -> list[str]:
    policy = cost.dynamodb_table_class_cost_effective
    found: list[str] = []
    args = ResourceValidationArgs(TABLE_TYPE, unknown_checking_proxy(props), f"urn:{logical_name}", logical_name,
                                  OPTIONS, None, schema_defaults(policy))
    with contextlib.suppress(_NotApplicableError):
        policy.validate(args, lambda message, urn=None: found.append(message))  # type: ignore[misc]
    return found


def test_a_storage_heavy_table_in_standard_is_reported(five_billion_events: None) -> None:
    # Standard: $164.25 + $582.0766 = $746.3266; Standard-IA: $204.984 + $232.8306 = $437.8146; saves $308.512.
    # Storage is 582.08 / 164.25 = 354% of throughput: above AWS's 50%.
    assert class_violations(EVENTS_PROPS) == [
        "table class Standard costs $746.33 a month for the declared traffic and size, Standard-IA $437.81: "
        "Standard-IA saves $308.51/month (storage is 354% of throughput at Standard prices; AWS: Standard-IA "
        "pays off above 50%); set table_class on its TableSpec."]
    assert class_violations({**EVENTS_PROPS, "tableClass": "STANDARD_INFREQUENT_ACCESS"}) == []


def test_a_write_heavy_table_in_standard_ia_is_reported(fifty_million_events: None) -> None:
    # Standard: $164.25 + $5.82077 = $170.07077; Standard-IA: $204.984 + $2.32831 = $207.31231;
    # Standard saves $37.24154.
    assert class_violations(EVENTS_PROPS) == []
    assert class_violations({**EVENTS_PROPS, "tableClass": "STANDARD_INFREQUENT_ACCESS"}) == [
        "table class Standard-IA costs $207.31 a month for the declared traffic and size, Standard $170.07: "
        "Standard saves $37.24/month (storage is 4% of throughput at Standard prices; AWS: Standard-IA pays off "
        "above 50%); set table_class on its TableSpec."]


def test_a_table_the_model_does_not_declare_is_not_applicable(fifty_million_events: None) -> None:
    assert class_violations(EVENTS_PROPS, logical_name="creator-platform-not-a-table") == []
    assert class_violations({**EVENTS_PROPS, "tags": {}}) == []


def budget_violations(monthly_usd: float | None) -> list[str]:
    policy = cost.dynamodb_stack_cost_within_budget
    resources = [
        PolicyResource(TABLE_TYPE, unknown_checking_proxy(EVENTS_PROPS), "urn:events",
                       "creator-platform-analytics-events", OPTIONS, None, None, [], {}),
        PolicyResource("aws:backup/plan:Plan", unknown_checking_proxy(BACKUP_PLAN), "urn:plan", "backup-plan",
                       OPTIONS, None, None, [], {}),
    ]
    found: list[str] = []
    args = StackValidationArgs(resources, {**schema_defaults(policy), "monthlyUsd": monthly_usd})
    with contextlib.suppress(_NotApplicableError):
        policy.validate(args, lambda message, urn=None: found.append(message))  # type: ignore[misc]
    return found


def test_a_stack_over_its_budget_names_its_tables(fifty_million_events: None) -> None:
    # writes $164.25; storage 23.2831 GB x $0.25 = $5.8208; PITR 23.2831 x $0.20 = $4.6566;
    # daily backups kept 35 days: 35 x 23.2831 x $0.10 = $81.4907; total $256.22
    total = 164.25 + 23.283064 * (0.25 + 0.20 + 35 * 0.10)
    assert f"{total:,.2f}" == "256.22"
    assert budget_violations(50) == [
        "the stack's tables cost $256.22 a month (declared traffic and sizes), above its costBudget of $50.00; "
        "tables: AnalyticsEventsTable $256.22. `tables cost` itemizes them."]
    assert budget_violations(300) == []
    assert budget_violations(None) == []


def test_policy_check_carries_the_stack_budget_and_its_enforcement() -> None:
    environment = {BUDGET_POLICY: {"enforcementLevel": "advisory", "region": "us-east-1"}, "other": {}}
    assert with_cost_budget(environment, None) == environment
    assert with_cost_budget(environment, CostBudget(120.0))[BUDGET_POLICY] == {
        "enforcementLevel": "advisory", "region": "us-east-1", "monthlyUsd": 120.0}
    assert with_cost_budget(environment, CostBudget(120.0, mandatory=True))[BUDGET_POLICY] == {
        "enforcementLevel": "mandatory", "region": "us-east-1", "monthlyUsd": 120.0}
