"""The GitHub workflows users get: valid against GitHub's schema, and wired to the policy pack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.plan_markdown import COMMENT_MARKER
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


def _step(steps: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(s for s in steps if s.get("name") == name)


def test_pull_requests_preview_every_deployable_stack_with_its_policy_config() -> None:
    preview = load("pull-request.yml")["jobs"]["preview"]
    assert preview["needs"] == "test"
    stacks = preview["strategy"]["matrix"]["stack"]
    assert set(stacks) == {s for s in shipped_stacks() if s != "local"}
    steps = preview["steps"]
    # pulumi/actions without a command only installs the CLI; the preview itself is the JSON digest.
    install = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("pulumi/actions@"))
    assert "with" not in steps[install]
    pulumi_preview = _step(steps, "pulumi preview")
    assert steps.index(pulumi_preview) > install
    assert pulumi_preview["run"].split() == [
        "pulumi", "preview", "--json", "--stack", '"$PULUMI_ORG/$STACK"', "--policy-pack", "policies", "\\",
        "--policy-pack-config", '"policies/config/$STACK.json"', ">", "pulumi-preview.json"]
    assert pulumi_preview["env"]["STACK"] == "${{ matrix.stack }}"
    for stack in stacks:
        assert (PROJECT_DIR / "policies" / "config" / f"{stack}.json").is_file()


def test_each_stacks_plan_reads_the_preview_and_writes_its_markdown_section() -> None:
    steps = load("pull-request.yml")["jobs"]["preview"]["steps"]
    plan = _step(steps, "tables plan")
    assert steps.index(_step(steps, "pulumi preview")) < steps.index(plan)
    assert ('venv/bin/tables plan --stack "$STACK" --pulumi-preview pulumi-preview.json --format markdown'
            in plan["run"])
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert upload["with"]["name"] == "plan-${{ matrix.stack }}"


@pytest.mark.parametrize(("plan_exit", "step_exit"), [(0, 0), (1, 0), (3, 0), (2, 2)])
def test_the_pull_request_plan_step_fails_only_on_an_error_and_keeps_it_for_the_comment(
        tmp_path: Path, plan_exit: int, step_exit: int) -> None:
    plan = _step(load("pull-request.yml")["jobs"]["preview"]["steps"], "tables plan")
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    tables = tmp_path / "venv" / "bin" / "tables"
    tables.write_text(f'#!/bin/sh\necho "$@" > args.txt\necho "### Stack dev"\n'
                      f'[ {plan_exit} -ne 2 ] || echo "ERROR [InvalidPreview]: bad" >&2\nexit {plan_exit}\n')
    tables.chmod(0o755)
    result = subprocess.run(["bash", "-e", "-c", plan["run"]], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "STACK": "dev"}, check=False)
    assert result.returncode == step_exit, result.stderr
    assert (tmp_path / "args.txt").read_text() == (
        "plan --stack dev --pulumi-preview pulumi-preview.json --format markdown\n")
    section = (tmp_path / "plan" / "dev.md").read_text()
    if plan_exit == 2:
        assert section == "### Stack `dev`: the plan failed\n\n```\nERROR [InvalidPreview]: bad\n```\n"
    else:
        assert section == "### Stack dev\n"


def _comment_step() -> tuple[dict[str, Any], dict[str, Any]]:
    workflow = load("pull-request.yml")
    job = workflow["jobs"]["comment"]
    return job, _step(job["steps"], "post or update the plan comment")


def test_one_comment_job_collects_every_stacks_section_after_the_previews() -> None:
    workflow = load("pull-request.yml")
    job, step = _comment_step()
    assert job["needs"] == "preview"
    # Posted even when a stack's preview failed (its section says so); not on forks, whose token cannot write.
    assert job["if"] == "always() && github.event.pull_request.head.repo.full_name == github.repository"
    assert workflow["permissions"]["pull-requests"] == "write"
    download = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/download-artifact@"))
    assert download["with"] == {"pattern": "plan-*", "path": "plan", "merge-multiple": True}
    assert step["env"]["STACKS"].split() == workflow["jobs"]["preview"]["strategy"]["matrix"]["stack"]
    assert step["env"]["PR"] == "${{ github.event.pull_request.number }}"
    assert "${{" not in step["run"]


GH_STAND_IN = """#!/bin/bash
# Records each call; answers the comment listing from comments.json through jq, as gh's --jq does.
echo "$@" >> gh-calls.txt
if [ "$1 $2" = "api repos/o/r/issues/7/comments" ]; then
  while [ "$1" != "--jq" ]; do shift; done
  jq -r "$2" comments.json
fi
for arg in "$@"; do case "$arg" in body=@*) cp "${arg#body=@}" posted.md ;; esac; done
"""


@pytest.mark.parametrize(("comments", "expected_call"), [
    ([], "api --method POST repos/o/r/issues/7/comments -F body=@comment.md"),
    ([{"id": 11, "user": {"login": "a-reviewer"}, "body": "<!-- dynamodb-tables plan --> quoted by a person"},
      {"id": 12, "user": {"login": "github-actions[bot]"}, "body": "another bot comment"},
      {"id": 13, "user": {"login": "github-actions[bot]"}, "body": "<!-- dynamodb-tables plan -->\nold plan"}],
     "api --method PATCH repos/o/r/issues/comments/13 -F body=@comment.md"),
])
def test_the_comment_is_updated_when_its_marker_is_found_and_posted_otherwise(
        tmp_path: Path, comments: list[dict[str, Any]], expected_call: str) -> None:
    """The step's own script, run by bash against a stand-in `gh`; the jq filter runs in real jq."""
    import json

    _, step = _comment_step()
    (tmp_path / "bin").mkdir()
    gh = tmp_path / "bin" / "gh"
    gh.write_text(GH_STAND_IN)
    gh.chmod(0o755)
    (tmp_path / "comments.json").write_text(json.dumps(comments))
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "dev.md").write_text("### Stack `dev`: 0 of 22 tables change\n\n22 tables: 22 unchanged\n")
    (tmp_path / "plan" / "prod.md").write_text("### Stack `prod`: 1 of 22 tables change\n")
    result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, capture_output=True, text=True,
                            check=False, env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "GH_REPO": "o/r", "PR": "7",
                                 "STACKS": "dev staging prod", "RUN_URL": "https://example.invalid/run/1"})
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "gh-calls.txt").read_text().splitlines()
    assert calls[0].startswith("api repos/o/r/issues/7/comments --paginate --jq ")
    assert calls[1:] == [expected_call]
    assert (tmp_path / "posted.md").read_text() == "\n".join([
        COMMENT_MARKER,
        "## What `pulumi up` will do to the tables",
        "",
        "### Stack `dev`: 0 of 22 tables change",
        "",
        "22 tables: 22 unchanged",
        "",
        "### Stack `staging`: no plan (its preview job did not finish; see https://example.invalid/run/1)",
        "",
        "### Stack `prod`: 1 of 22 tables change",
        ""])


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
    up = next(s for s in job["steps"] if s.get("with", {}).get("command") == "up")
    assert up["uses"].startswith("pulumi/actions@")
    assert up["with"]["policyPacks"] == "policies"


def _plan_step() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    steps = load("deploy.yml")["jobs"]["deploy"]["steps"]
    return steps, next(s for s in steps if s.get("name") == "tables plan")


def test_deploy_previews_then_plans_with_the_preview_after_credentials_and_before_up() -> None:
    steps, plan = _plan_step()
    names = [s.get("name", s.get("with", {}).get("command", s.get("uses", s.get("run", "")).split("@")[0]))
             for s in steps]
    assert names.index("aws-actions/configure-aws-credentials") < names.index("pulumi/actions") < names.index(
        "pulumi preview") < names.index("tables plan") < names.index("up")
    preview = _step(steps, "pulumi preview")
    assert '--json --stack "$PULUMI_ORG/$STACK"' in preview["run"]
    assert preview["run"].rstrip().endswith('> "pulumi-preview-$STACK.json"')
    # The saved preview is kept with the run, even when the plan stops the deploy.
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "pulumi-preview-${{ matrix.stack }}.json"
    assert '--pulumi-preview "pulumi-preview-$STACK.json"' in plan["run"]
    # The inputs reach the script as environment variables, never spliced into the script's text.
    assert "${{" not in plan["run"]


def test_deploy_takes_allowed_replacements_per_stack_and_wires_each_to_its_own_stack() -> None:
    deploy = load("deploy.yml")
    stacks = deploy["jobs"]["deploy"]["strategy"]["matrix"]["stack"]
    inputs = deploy[True]["workflow_dispatch"]["inputs"]
    assert set(inputs) == {f"allow_replace_{stack}" for stack in stacks}  # no input spans every stack
    for stack in stacks:
        assert inputs[f"allow_replace_{stack}"]["type"] == "string"
        assert inputs[f"allow_replace_{stack}"]["description"].startswith(f"{stack}: ")
    _, plan = _plan_step()
    assert plan["env"] == {"STACK": "${{ matrix.stack }}",
                           **{f"ALLOW_REPLACE_{s.upper()}": f"${{{{ inputs.allow_replace_{s} }}}}" for s in stacks}}


ALL_STACKS_EMPTY = {"ALLOW_REPLACE_DEV": "", "ALLOW_REPLACE_STAGING": "", "ALLOW_REPLACE_PROD": ""}


@pytest.mark.parametrize(("stack", "allow", "plan_exit", "step_exit", "args"), [
    ("prod", {}, 0, 0, ""),
    ("prod", {}, 1, 0, ""),
    ("prod", {}, 3, 3, ""),
    ("prod", {}, 2, 2, ""),
    ("prod", {"ALLOW_REPLACE_PROD": "ProductsTable creator-platform.creators"}, 1, 0,
     " --allow-replace ProductsTable creator-platform.creators"),
    ("prod", {"ALLOW_REPLACE_PROD": "*"}, 3, 3, " --allow-replace *"),
    # Another stack's input never reaches this stack's plan: a dev name neither lifts nor breaks prod's gate.
    ("prod", {"ALLOW_REPLACE_DEV": "dev-ProductsTable creator-platform.products"}, 3, 3, ""),
    ("staging", {"ALLOW_REPLACE_DEV": "dev-ProductsTable", "ALLOW_REPLACE_PROD": "ProductsTable"}, 1, 0, ""),
    ("dev", {"ALLOW_REPLACE_DEV": "dev-ProductsTable", "ALLOW_REPLACE_PROD": "ProductsTable"}, 1, 0,
     " --allow-replace dev-ProductsTable"),
])
def test_the_plan_step_passes_safe_plans_and_stops_destructive_ones(
        tmp_path: Path, stack: str, allow: dict[str, str], plan_exit: int, step_exit: int, args: str) -> None:
    """The step's own script, run by bash against a stand-in `tables` that records its arguments."""
    _, plan = _plan_step()
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "afile").write_text("a glob must not expand to me")
    tables = tmp_path / "venv" / "bin" / "tables"
    tables.write_text(f'#!/bin/sh\necho "$@" > args.txt\nexit {plan_exit}\n')
    tables.chmod(0o755)
    result = subprocess.run(["bash", "-e", "-c", plan["run"]], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "STACK": stack, **ALL_STACKS_EMPTY, **allow}, check=False)
    assert result.returncode == step_exit, result.stderr
    assert (tmp_path / "args.txt").read_text() == (
        f"plan --stack {stack} --pulumi-preview pulumi-preview-{stack}.json{args}\n")


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
