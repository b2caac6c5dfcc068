"""The GitHub workflows users get: valid against GitHub's schema, and wired to the policy pack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.project import PROJECT_DIR, shipped_stacks

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def validate(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
                          capture_output=True, text=True, check=False)


def load(name: str) -> dict[str, Any]:
    # PyYAML reads the `on:` key as True; GitHub reads it as "on".
    return yaml.safe_load((WORKFLOWS / name).read_text())


def test_the_workflows_validate_against_githubs_schema() -> None:
    result = validate(WORKFLOWS / "pull-request.yml", WORKFLOWS / "deploy.yml", WORKFLOWS / "restore-drill.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = load("deploy.yml")
    broken["jobs"]["deploy"]["steps"].append({"name": "a step that neither runs nor uses anything"})
    (tmp_path / "broken.yml").write_text(yaml.safe_dump({"on": broken[True], "jobs": broken["jobs"]}))
    assert validate(tmp_path / "broken.yml").returncode != 0


def test_pull_requests_preview_every_deployable_stack_with_its_policy_config() -> None:
    preview = load("pull-request.yml")["jobs"]["preview"]
    assert preview["needs"] == "test"
    stacks = preview["strategy"]["matrix"]["stack"]
    assert set(stacks) == {s for s in shipped_stacks() if s != "local"}
    pulumi_step = next(s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi_step["with"]["command"] == "preview"
    assert pulumi_step["with"]["policyPacks"] == "policies"
    assert pulumi_step["with"]["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"
    for stack in stacks:
        assert (PROJECT_DIR / "policies" / "config" / f"{stack}.json").is_file()


def test_tests_job_runs_the_ci_script() -> None:
    steps = load("pull-request.yml")["jobs"]["test"]["steps"]
    assert {"run": "bash .ci/run"} in steps


def test_deploy_runs_up_per_stack_in_order_through_github_environments() -> None:
    deploy = load("deploy.yml")
    assert deploy[True]["push"] == {"branches": ["main"]}
    job = deploy["jobs"]["deploy"]
    assert job["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    assert job["strategy"]["max-parallel"] == 1
    assert job["environment"] == "${{ matrix.stack }}"  # prod's environment carries the required approval
    up = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert up["with"]["command"] == "up"
    assert up["with"]["policyPacks"] == "policies"


def _plan_step() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    steps = load("deploy.yml")["jobs"]["deploy"]["steps"]
    return steps, next(s for s in steps if s.get("name") == "tables plan")


def test_deploy_runs_tables_plan_after_credentials_and_before_up() -> None:
    steps, plan = _plan_step()
    names = [s.get("uses", s.get("name", s.get("run", ""))).split("@")[0] for s in steps]
    assert names.index("aws-actions/configure-aws-credentials") < names.index("tables plan") < names.index(
        "pulumi/actions")
    inputs = load("deploy.yml")[True]["workflow_dispatch"]["inputs"]
    assert inputs["allow_replace"]["type"] == "string"
    # The input reaches the script as an environment variable, never spliced into the script's text.
    assert plan["env"]["ALLOW_REPLACE"] == "${{ inputs.allow_replace }}"
    assert "${{" not in plan["run"]


@pytest.mark.parametrize(("allow", "plan_exit", "step_exit", "args"), [
    ("", 0, 0, "plan --stack prod"),
    ("", 1, 0, "plan --stack prod"),
    ("", 3, 3, "plan --stack prod"),
    ("", 2, 2, "plan --stack prod"),
    ("ProductsTable creator-platform.creators", 1, 0,
     "plan --stack prod --allow-replace ProductsTable creator-platform.creators"),
    ("*", 3, 3, "plan --stack prod --allow-replace *"),
])
def test_the_plan_step_passes_safe_plans_and_stops_destructive_ones(
        tmp_path: Path, allow: str, plan_exit: int, step_exit: int, args: str) -> None:
    """The step's own script, run by bash against a stand-in `tables` that records its arguments."""
    _, plan = _plan_step()
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "afile").write_text("a glob must not expand to me")
    tables = tmp_path / "venv" / "bin" / "tables"
    tables.write_text(f'#!/bin/sh\necho "$@" > args.txt\nexit {plan_exit}\n')
    tables.chmod(0o755)
    result = subprocess.run(["bash", "-e", "-c", plan["run"]], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "STACK": "prod", "ALLOW_REPLACE": allow}, check=False)
    assert result.returncode == step_exit, result.stderr
    assert (tmp_path / "args.txt").read_text() == args + "\n"


def test_restore_drill_runs_weekly_against_staging_with_oidc_and_keeps_its_report() -> None:
    drill = load("restore-drill.yml")
    assert set(drill[True]) == {"schedule", "workflow_dispatch"}
    (schedule,) = drill[True]["schedule"]
    minute, hour, day_of_month, month, day_of_week = schedule["cron"].split()
    assert (day_of_month, month) == ("*", "*") and day_of_week.isdigit()  # once a week, on one weekday
    assert minute.isdigit() and hour.isdigit()
    assert drill["permissions"] == {"contents": "read", "id-token": "write"}
    job = drill["jobs"]["drill"]
    assert job["environment"] == "staging"
    steps = job["steps"]
    credentials = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("aws-actions/configure-aws-"
                                                                                     "credentials@"))
    assert steps[credentials]["with"]["role-to-assume"].startswith("${{ secrets.")
    assert "aws-access-key-id" not in steps[credentials]["with"]  # OIDC, no stored keys
    run = next(i for i, s in enumerate(steps) if "tables restore-drill" in s.get("run", ""))
    assert credentials < run
    command = steps[run]["run"].split()
    assert command[:4] == ["venv/bin/tables", "restore-drill", "--stack", "staging"]
    report = command[command.index("--report") + 1]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"  # a failed drill's report matters most
    assert report in upload["with"]["path"].split()
    assert (PROJECT_DIR / "Pulumi.staging.yaml").is_file()
