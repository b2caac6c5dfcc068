"""The offline policy check: the real program under mocks, judged by the real pack over gRPC.

For CI and for people without cloud credentials: `tables policy-check --stack prod` evaluates
what `pulumi preview --policy-pack policies --policy-pack-config policies/config/prod.json` would,
and prints it in the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi

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


def evaluate(declared: DeclaredStack, environment: str, pack_dir: Path) -> PolicyReport:
    try:
        pack_config = load_environment_config(environment, pack_dir / "config")
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
    try:
        declared = run_program(project_dir, stack)
    except pulumi.RunError as error:
        # What `pulumi preview` would print as the program's error: a bad stack config or table model.
        raise ToolError("InvalidConfig", str(error)) from None
    return evaluate(declared, str(declared.outputs["environment"]), project_dir / "policies")


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
