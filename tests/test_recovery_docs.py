"""docs/disaster-recovery.md: its "What protects each table" section is generated and kept current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from scripts import recovery_docs
from scripts.cli import main
from tests.project import PROJECT, PROJECT_DIR, shipped_stacks


def section_of(text: str) -> str:
    start, end = text.index(recovery_docs.BEGIN), text.index(recovery_docs.END)
    return text[start:end + len(recovery_docs.END)] + "\n"


def current_section(project_dir: Path = PROJECT_DIR) -> str:
    project = PROJECT if project_dir == PROJECT_DIR else type(PROJECT)(project_dir)
    return recovery_docs.render_section([project.stack_plan(stack) for stack in project.stacks()])


def test_the_committed_section_matches_the_stack_files() -> None:
    text = PROJECT.recovery_docs_file.read_text()
    assert section_of(text) == current_section(), "docs/disaster-recovery.md is stale: run make docs"
    # It comes first, after the title and its one-line introduction; the restore procedures follow it.
    assert text.startswith(f"{recovery_docs.TITLE}\n\n")
    assert text.index(f"{recovery_docs.BEGIN}\n## What protects each table\n") < text.index("## Restoring a table")
    assert text.count("\n## ", 0, text.index(recovery_docs.BEGIN)) == 0


def test_every_table_of_every_stack_is_listed_with_its_protections() -> None:
    text = PROJECT.recovery_docs_file.read_text()
    for stack in shipped_stacks():
        planned = PROJECT.stack_plan(stack)
        start = text.index(f"### Stack `{stack}` ")
        block = text[start:text.find("\n### ", start + 1)]
        retention = f"{planned.settings.backup.retention_days} days" if planned.settings.backup else "none"
        for plan in planned.tables:
            adopted = " (adopted)" if plan.existing else ""
            row = (f"| `{plan.name}`{adopted} | {plan.family} | {plan.settings.pitr_recovery_period_days} days | "
                   f"{retention} | {'on' if plan.settings.deletion_protection else 'off'} | "
                   f"{'on' if plan.protect else 'off'} |")
            assert row in block, row
    prod = text[text.index("### Stack `prod` "):text.index("### Stack `staging` ")]
    assert "| `ProductsTable` (adopted) | creator-platform | 35 days | 35 days | on | on |" in prod
    assert "vault lock in governance mode: retention 35 to 365 days" in prod
    dev = text[text.index("### Stack `dev` "):]
    assert "- AWS Backup: off (`dynamodb-tables:backup` is not enabled)" in dev
    assert "| `items-dev` | items-service | 7 days | none | off | off |" in dev


def test_docs_check_reports_a_stale_section_after_a_stack_file_changes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for file in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml"):
        (tmp_path / file).write_text((PROJECT_DIR / file).read_text())
    docs = tmp_path / "docs"
    docs.mkdir()
    # The restore procedures are written by hand below the generated section, and kept.
    hand_written = "\n## Restoring a table\n\nBy hand.\n"
    (docs / "disaster-recovery.md").write_text(f"{recovery_docs.TITLE}\n\n{hand_written}")
    assert main(["docs", "--project-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    written = (docs / "disaster-recovery.md").read_text()
    assert written == f"{recovery_docs.TITLE}\n\n{current_section(tmp_path)}\n{hand_written.lstrip()}"
    assert main(["docs", "--check", "--project-dir", str(tmp_path)]) == 0

    document = yaml.safe_load((tmp_path / "Pulumi.staging.yaml").read_text())
    document["config"]["dynamodb-tables:backup"]["retentionDays"] = 21
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump(document))
    capsys.readouterr()
    assert main(["docs", "--check", "--project-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (f"{docs / 'disaster-recovery.md'} does not match the stack files; "
                                       "run make docs\n")
    assert main(["docs", "--project-dir", str(tmp_path)]) == 0
    rewritten = (docs / "disaster-recovery.md").read_text()
    assert "recovery points kept 21 days" in rewritten and rewritten.endswith(hand_written.lstrip())
    assert rewritten.count(recovery_docs.BEGIN) == 1


def test_cold_storage_copy_and_compliance_lock_are_described() -> None:
    from components.families import stack_from_config
    from components.model.stack_file import load_stack_file

    config = load_stack_file(PROJECT_DIR, "staging")
    config["dynamodb-tables:backup"] = json.dumps({
        "enabled": True, "schedule": "cron(0 5 ? * * *)", "retentionDays": 120, "coldStorageAfterDays": 30,
        "copyTo": {"vaultArn": "arn:aws:backup:us-west-2:444455556666:backup-vault:dr", "retentionDays": 60},
        "vaultLock": {"minRetentionDays": 7, "maxRetentionDays": 400, "changeableForDays": 3}})
    section = recovery_docs.render_section([stack_from_config(config, "staging")])
    assert ("recovery points kept 120 days in vault `dynamodb-tables-staging` (vault key: AWS Backup's); moved to "
            "cold storage after 30 days; copied to `arn:aws:backup:us-west-2:444455556666:backup-vault:dr` and kept "
            "there 60 days; vault lock in compliance mode once 3 days have passed: retention 7 to 400 days") in section
