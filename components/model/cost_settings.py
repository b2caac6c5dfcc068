"""`costBudget`: what a stack's tables may cost a month, and whether going over stops a deploy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.model.config_reader import ConfigReader

COST_BUDGET_KEYS = ["monthlyUsd", "enforcement"]


@dataclass(frozen=True)
class CostBudget:
    """Monthly USD, as `tables cost` estimates it; `mandatory`: over budget stops a deploy, else it warns."""

    monthly_usd: float
    mandatory: bool = False


def parse_cost_budget(read: ConfigReader, value: Any) -> CostBudget:
    """A number of USD a month, or {monthlyUsd, enforcement: advisory|mandatory}."""
    body = value if isinstance(value, dict) else {"monthlyUsd": value}
    read.mapping("costBudget", body, COST_BUDGET_KEYS)
    usd = body.get("monthlyUsd")
    if isinstance(usd, bool) or not isinstance(usd, (int, float)) or usd <= 0:
        raise read.fail("costBudget.monthlyUsd" if isinstance(value, dict) else "costBudget", usd,
                        "a number of US dollars a month above 0")
    enforcement = body.get("enforcement", "advisory")
    if enforcement not in ("advisory", "mandatory"):
        raise read.fail("costBudget.enforcement", enforcement, "advisory or mandatory")
    return CostBudget(monthly_usd=float(usd), mandatory=enforcement == "mandatory")
