"""`tables policy-check`: the offline check CI runs for every stack."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from scripts.cli import main
from tests.project import PROJECT_DIR, shipped_stacks


@pytest.mark.parametrize("stack", shipped_stacks())
def test_shipped_stacks_pass(stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy-check", "--stack", stack]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Policies:\n")
    assert " 0 mandatory and " in out


def project_with_stack(tmp_path: Path, name: str, **config: object) -> Path:
    # A project of its own: the program, the project file and the policy pack it is checked with.
    for file in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(PROJECT_DIR / file, tmp_path / file)
    shutil.copytree(PROJECT_DIR / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    document = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    document["config"].update(config)
    document["config"] = {key: value for key, value in document["config"].items() if value is not None}
    (tmp_path / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document))
    return tmp_path


def test_a_stack_that_turns_pitr_off_fails_with_the_preview_style_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = project_with_stack(tmp_path, "nopitr", **{"dynamodb-tables:pointInTimeRecovery": False,
                                                        "dynamodb-tables:pitrRecoveryPeriodDays": None})
    assert main(["policy-check", "--stack", "nopitr", "--project-dir", str(project)]) == 1
    out = capsys.readouterr().out
    assert "    ❌ dynamodb-guardrails@v0.1.0 (local: policies)\n" in out
    assert ("        - [mandatory]  dynamodb-table-point-in-time-recovery-enabled  "
            "(aws:dynamodb/table:Table: items-service-items)\n"
            "          Checks whether DynamoDB tables have point-in-time recovery enabled with at least the "
            "minimum recovery period.\n"
            "          pointInTimeRecovery.enabled must be true; it is false.\n") in out
    # 22 tables and 5 family components, 6 consumer components and their 6 role policies; advisory in
    # dev: no deletion protection and no backup plan, for each table.
    assert out.rstrip().endswith("39 resources, 22 mandatory and 44 advisory violations")


def test_json_output_lists_the_violations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = project_with_stack(tmp_path, "short", **{"dynamodb-tables:pitrRecoveryPeriodDays": 3,
                                                       "dynamodb-tables:environment": "staging"})
    assert main(["policy-check", "--stack", "short", "--project-dir", str(project), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["environment"] == "staging"
    by_policy: dict[str, set[str]] = {}
    for violation in report["violations"]:
        by_policy.setdefault(violation["policy"], set()).add(violation["message"])
    assert by_policy["dynamodb-table-point-in-time-recovery-enabled"] == {
        "pointInTimeRecovery.recoveryPeriodInDays must be at least 7 days; it is 3."}
    # The dev file's names, deletion protection and backup (off in dev), judged as staging: all mandatory there.
    assert set(by_policy) == {"dynamodb-table-point-in-time-recovery-enabled",
                              "dynamodb-table-name-environment-prefixed",
                              "dynamodb-table-deletion-protection-enabled",
                              "dynamodb-table-in-backup-plan"}
    assert {v["level"] for v in report["violations"]} == {"mandatory"}


def test_unknown_stack_is_one_error_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy-check", "--stack", "qa"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"ERROR [InvalidConfig]: stack 'qa': no file Pulumi.qa.yaml in {PROJECT_DIR}; "
                            f"stacks here: {', '.join(shipped_stacks())}\n")
    assert captured.out == ""


def test_environment_without_a_policy_config_is_one_error_line(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    project = project_with_stack(tmp_path, "qa", **{"dynamodb-tables:environment": "qa"})
    assert main(["policy-check", "--stack", "qa", "--project-dir", str(project)]) == 2
    assert capsys.readouterr().err == (
        f"ERROR [PolicyConfig]: no policy config for environment 'qa' at {project}/policies/config/qa.json; "
        "known: dev, local, prod, staging\n")


def test_bad_stack_config_is_one_error_line_without_traceback(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    project = project_with_stack(tmp_path, "typo", **{"dynamodb-tables:protekt": True})
    assert main(["policy-check", "--stack", "typo", "--project-dir", str(project)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ERROR [InvalidConfig]: stack 'typo', config key 'dynamodb-tables:protekt': given ")
    assert "(did you mean 'protect'?)" in err
    assert "Traceback" not in err and err.count("\n") == 1
