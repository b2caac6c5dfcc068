"""The offline policy check: the real program under mocks, judged by the real pack over gRPC.

For CI and for people without cloud credentials: `tables policy-check --stack prod` evaluates
what `pulumi preview --policy-pack policies --policy-pack-config policies/config/prod.json` would,
and prints it in the same shape.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from components.families import FAMILIES
from components.model.cost_settings import CostBudget
from components.model.spec import ModelError
from components.model.stack_file import load_stack_file
from components.model.stack_settings import parse_stack_config
from policies.pack import PACK_NAME, load_environment_config, pack_version
from scripts.errors import ToolError
from scripts.mock_stack import DeclaredStack, run_program
from scripts.policy_client import PolicyPackError, Violation, running_pack


@dataclass
class PolicyReport:
    stack: str
    environment: str
    config_file: str
    resources: int
    violations: list[Violation]

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.mandatory]


BUDGET_POLICY = "dynamodb-stack-cost-within-budget"


def with_cost_budget(pack_config: dict[str, Any], budget: CostBudget | None) -> dict[str, Any]:
    """The environment's pack config with the stack's costBudget: its amount, and mandatory where the stack
    says so (the environment's level otherwise)."""
    if budget is None:
        return pack_config
    entry = dict(pack_config.get(BUDGET_POLICY, {}), monthlyUsd=budget.monthly_usd)
    if budget.mandatory:
        entry["enforcementLevel"] = "mandatory"
    return {**pack_config, BUDGET_POLICY: entry}


def evaluate(declared: DeclaredStack, environment: str, pack_dir: Path,
             budget: CostBudget | None = None) -> PolicyReport:
    try:
        pack_config = with_cost_budget(load_environment_config(environment, pack_dir / "config"), budget)
        with running_pack(pack_dir) as pack:
            pack.configure(pack_config)
            violations: list[Violation] = []
            for resource in declared.resources:
                violations += pack.analyze(resource)
            violations += pack.analyze_stack(declared.resources)
    except (FileNotFoundError, ValueError) as error:
        raise ToolError("PolicyConfig", str(error)) from None
    except PolicyPackError as error:
        raise ToolError("PolicyPack", str(error)) from None
    return PolicyReport(stack=declared.stack, environment=environment,
                        config_file=f"policies/config/{environment}.json",
                        resources=len(declared.resources), violations=violations)


def check_stack(stack: str, project_dir: Path) -> PolicyReport:
    from scripts.project import Project

    project = Project(project_dir)
    # Before the program runs: a non-prod stack that plans a prod table's name fails however its
    # resources look (the pack sees one stack; the project's stack files say whose names these are).
    # A bad stack file is left to the program, which reports it below as `pulumi preview` would.
    with contextlib.suppress(ModelError):
        project.refuse_production_names(stack, [plan.name for plan in project.plans(stack)], "policy-check",
                                        verb="declare")
    try:
        declared = run_program(project_dir, stack)
    except pulumi.RunError as error:
        # What `pulumi preview` would print as the program's error: a bad stack config or table model.
        raise ToolError("InvalidConfig", str(error)) from None
    settings = parse_stack_config(load_stack_file(project_dir, stack), stack, list(FAMILIES))
    return evaluate(declared, str(declared.outputs["environment"]), project_dir / "policies",
                    settings.cost_budget)


def format_report(report: PolicyReport) -> str:
    """The `Policies:` block of `pulumi preview --policy-pack`, for one pack."""
    mark = "❌" if report.mandatory else ("⚠️ " if report.violations else "✅")
    lines = ["Policies:", f"    {mark} {PACK_NAME}@v{pack_version()} (local: policies)"]
    for violation in sorted(report.violations, key=lambda v: (not v.mandatory, v.policy, v.resource_name)):
        lines.append(f"        - [{violation.level}]  {violation.policy}  "
                     f"({violation.resource_type}: {violation.resource_name})")
        lines.append(f"          {violation.description}")
        lines.append(f"          {violation.message}")
    lines.append("")
    lines.append(f"stack {report.stack} (environment {report.environment}, config {report.config_file}): "
                 f"{report.resources} resources, {len(report.mandatory)} mandatory and "
                 f"{len(report.violations) - len(report.mandatory)} advisory violations")
    return "\n".join(lines)
