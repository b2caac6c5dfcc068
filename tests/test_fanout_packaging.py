"""The container image and the AWS Batch / Step Functions definitions that fan a migration out.

Nothing here needs Docker or AWS: the Dockerfile and .dockerignore are read as Docker reads them,
the job definition is checked against botocore's own model of the RegisterJobDefinition request,
and the job role's policy against the policy pack's least-privilege rule and the prod tables the
migration touches. The build context is also laid out as the Dockerfile's COPY lines would lay it,
and the command is run from it, so a file the command reads but the image lacks fails here.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from components.families import plan_from_stack_file
from components.families.migration_history import migrations_table
from components.model.plan import TablePlan, find_plan
from components.model.spec import TableSpec
from components.model.stack_file import load_stack_file
from policies.iam.access import document_problems
from policies.pack import load_environment_config
from scripts.migrate.registry import discover
from tests.project import MIGRATIONS_DIR, PROJECT_DIR, shipped_stacks

DEPLOY_DIR = PROJECT_DIR / "deploy" / "aws-batch"
JOB_DEFINITION_FILE = DEPLOY_DIR / "job-definition.json"
STATE_MACHINE_FILE = DEPLOY_DIR / "fan-out.asl.json"
ROLE_POLICY_FILE = DEPLOY_DIR / "job-role-policy.json"
DOCS = PROJECT_DIR / "docs" / "migrations.md"
FANOUT_HEADING = "## Fanning out across machines"
# The migration the job role's policy is written for.
POLICY_MIGRATION = "0001"


# --- reading the files as their tools do -------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: comments dropped, backslash continuations joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in (PROJECT_DIR / "Dockerfile").read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, arguments = whole.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def instruction_words(arguments: str) -> list[str]:
    """An instruction's arguments in exec form (a JSON array) or shell form, without --flags."""
    words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
    return [word for word in words if not word.startswith("--")]


def copies() -> list[tuple[list[str], str]]:
    """Each COPY's (sources, destination)."""
    found = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "COPY":
            words = instruction_words(arguments)
            found.append((words[:-1], words[-1]))
    return found


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go's filepath.Match, plus `**` for any number of directories)."""
    out = ""
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out += "(?:.*/)?"
            index += 3
        elif pattern.startswith("**", index):
            out += ".*"
            index += 2
        elif pattern[index] == "*":
            out += "[^/]*"
            index += 1
        elif pattern[index] == "?":
            out += "[^/]"
            index += 1
        else:
            out += re.escape(pattern[index])
            index += 1
    return re.compile(out)


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in (PROJECT_DIR / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        rules.append((keep, _glob_regex(pattern)))
    return rules


def ignored(path: str) -> bool:
    """Whether Docker leaves `path` (relative to the context) out: the last matching rule wins, and a
    rule that matches a directory covers everything in it."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    verdict = False
    for keep, rule in dockerignore_rules():
        if any(rule.fullmatch(prefix) for prefix in prefixes):
            verdict = not keep
    return verdict


def fanout_section() -> str:
    text = DOCS.read_text()
    start = text.index(FANOUT_HEADING)
    end = text.find("\n## ", start + len(FANOUT_HEADING))
    return text[start:end if end != -1 else len(text)]


def json_blocks(markdown: str) -> list[Any]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", markdown, flags=re.DOTALL)]


def job_definition() -> dict[str, Any]:
    return json.loads(JOB_DEFINITION_FILE.read_text())


def state_machine() -> dict[str, Any]:
    return json.loads(STATE_MACHINE_FILE.read_text())


def role_policy() -> dict[str, Any]:
    return json.loads(ROLE_POLICY_FILE.read_text())


def worker_count(command: list[str]) -> int:
    """N of `--worker batch/N` in a job's command."""
    assert "--worker" in command, command
    match = re.fullmatch(r"batch/(\d+)", command[command.index("--worker") + 1])
    assert match, f"the job definition's command should take its index from AWS Batch: {command}"
    return int(match[1])


def job_stack() -> str:
    command = job_definition()["containerProperties"]["command"]
    return str(command[command.index("--stack") + 1])


# --- the AWS Batch job definition ----------------------------------------------------------------

def test_the_job_definition_is_a_register_job_definition_request() -> None:
    """The file is exactly what `aws batch register-job-definition --cli-input-json` takes."""
    model = botocore.session.get_session().get_service_model("batch")
    shape = model.operation_model("RegisterJobDefinition").input_shape
    report = ParamValidator().validate(job_definition(), shape)
    assert not report.has_errors(), report.generate_report()


def test_the_job_runs_migrate_up_as_one_of_n_batch_workers() -> None:
    command = job_definition()["containerProperties"]["command"]
    assert command[:2] == ["migrate", "up"]
    assert job_stack() in shipped_stacks()
    workers = worker_count(command)
    assert 2 <= workers <= 16, "the fan-out shares the default 16 segments between its workers"


def test_the_job_command_is_one_the_tables_command_takes_and_every_index_gets_a_share() -> None:
    from scripts.cli import build_parser
    from scripts.commands.migrate import worker_segments

    command = job_definition()["containerProperties"]["command"]
    args = build_parser().parse_args(command)
    workers = worker_count(command)
    assert (args.action, args.worker) == ("up", ("batch", workers))
    shares = [worker_segments(args.worker, args.total_segments, {"AWS_BATCH_JOB_ARRAY_INDEX": str(i)})
              for i in range(workers)]
    assert all(shares) and sorted(s for share in shares for s in share) == list(range(args.total_segments))


def test_the_documented_submit_job_array_size_equals_the_worker_count() -> None:
    commands = re.findall(r"aws batch submit-job(?:\\\n|[^\n])*", fanout_section())
    assert commands, "the docs show the submit-job command"
    definition = job_definition()
    for command in commands:
        words = shlex.split(command.replace("\\\n", " "))
        assert words[words.index("--job-definition") + 1] == definition["jobDefinitionName"]
        size = words[words.index("--array-properties") + 1]
        assert size == f"size={worker_count(definition['containerProperties']['command'])}"


def test_the_docs_quote_the_job_definition_and_the_role_policy_as_they_are() -> None:
    quoted = json_blocks(fanout_section())
    assert job_definition() in quoted
    assert role_policy() in quoted


def test_the_job_sets_the_region_of_its_stack() -> None:
    """The command reads its region from the environment, not from the stack file."""
    environment = {e["name"]: e["value"] for e in job_definition()["containerProperties"]["environment"]}
    assert environment["AWS_REGION"] == load_stack_file(PROJECT_DIR, job_stack())["aws:region"]


def test_the_job_is_retried_on_a_spot_reclaim_or_a_stop_and_on_nothing_else() -> None:
    strategy = job_definition()["retryStrategy"]
    assert strategy["attempts"] > 1
    rules = strategy["evaluateOnExit"]
    assert {"onStatusReason": "Host EC2*", "action": "RETRY"} in rules
    # 143 (128 + SIGTERM's 15): stopped by SIGTERM with the checkpoints saved; a retry resumes. 130 is
    # SIGINT's, or a migration that raised KeyboardInterrupt: not retried.
    assert {"onExitCode": "143", "action": "RETRY"} in rules
    assert not any(rule.get("onExitCode") == "130" for rule in rules)
    # Without a final EXIT rule, AWS Batch retries whatever matches nothing: a failed verification too.
    assert rules[-1] == {"onReason": "*", "action": "EXIT"}
    assert job_definition()["timeout"]["attemptDurationSeconds"] >= 60  # AWS Batch's minimum


# --- the Step Functions alternative --------------------------------------------------------------

def _worker_task(machine: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    workers = machine["States"][machine["StartAt"]]
    assert workers["Type"] == "Map"
    processor = workers["ItemProcessor"]
    return workers, processor["States"][processor["StartAt"]]


def test_the_map_state_runs_every_worker_index_once() -> None:
    machine = state_machine()
    workers, task = _worker_task(machine)
    command = task["Arguments"]["ContainerOverrides"]["Command"]
    assert command[:5] == ["migrate", "up", "--stack", job_stack(), "--worker"]
    match = re.fullmatch(r"\{% \$string\(\$states\.input\.index\) & '/(\d+)' %\}", command[5])
    assert match, f"the worker option should be I/N with I the item: {command[5]}"
    count = int(match[1])
    assert workers["Items"] == list(range(count))
    assert workers["ItemSelector"] == {"index": "{% $states.context.Map.Item.Value %}"}
    assert 1 <= workers["MaxConcurrency"] <= count
    assert count == worker_count(job_definition()["containerProperties"]["command"])


def test_the_map_state_submits_the_job_definition_and_checks_the_status_at_the_end() -> None:
    machine = state_machine()
    workers, task = _worker_task(machine)
    name = job_definition()["jobDefinitionName"]
    assert task["Resource"] == "arn:aws:states:::batch:submitJob.sync"
    assert task["Arguments"]["JobDefinition"] == name
    status = machine["States"][workers["Next"]]
    assert status["Arguments"]["JobDefinition"] == name
    assert status["Arguments"]["ContainerOverrides"]["Command"] == ["migrate", "status", "--stack", job_stack()]
    assert status["End"] is True


# --- the job role --------------------------------------------------------------------------------

def _plans() -> list[TablePlan]:
    return plan_from_stack_file(PROJECT_DIR, job_stack())


def _table_arn(plan: TablePlan, account: str) -> str:
    region = load_stack_file(PROJECT_DIR, job_stack())["aws:region"]
    return f"arn:aws:dynamodb:{region}:{account}:table/{plan.name}"


def _migrated_tables() -> list[TablePlan]:
    """The tables the policy's migration works on: the table specs its module uses."""
    (migration,) = [m for m in discover(MIGRATIONS_DIR) if m.id == POLICY_MIGRATION]
    specs = [v for v in migration.run.__globals__.values() if isinstance(v, TableSpec)]
    found = [find_plan(_plans(), spec) for spec in specs]
    assert specs and all(found), f"{POLICY_MIGRATION} uses tables the stack does not deploy"
    return [plan for plan in found if plan is not None]


def _grants(service: str) -> dict[str, set[str]]:
    """Resource ARN -> the actions of `service` the policy allows on it."""
    grants: dict[str, set[str]] = {}
    for statement in role_policy()["Statement"]:
        assert statement["Effect"] == "Allow"
        for resource in statement["Resource"]:
            grants.setdefault(resource, set()).update(
                a for a in statement["Action"] if a.startswith(f"{service}:"))
    return {resource: actions for resource, actions in grants.items() if actions}


def test_the_job_role_passes_the_policy_packs_least_privilege_rule() -> None:
    role = job_definition()["containerProperties"]["jobRoleArn"]
    # The job runs the stack's migrations: prod's operatorRoles name it, and it names prod's tables only.
    operators = load_environment_config("prod")["iam-policy-dynamodb-least-privilege"]["operatorRoles"]
    assert list(document_problems(role_policy(), role, operators, "prod")) == []
    # Not as an operator, it reaches tables no consumer declaration gives it.
    assert next(document_problems(role_policy(), role, [], "prod")).startswith(
        "statement MigrationHistory allows dynamodb:DeleteItem, dynamodb:DescribeContinuousBackups, "
        "dynamodb:DescribeTable, dynamodb:GetItem and 5 more on table 'dynamodb-tables-prod-migrations', which role "
        "'dynamodb-tables-migrate-prod' is not declared to use")


def test_the_job_role_reaches_exactly_the_history_and_the_migrated_tables() -> None:
    account = job_definition()["containerProperties"]["jobRoleArn"].split(":")[4]
    history = find_plan(_plans(), migrations_table)
    assert history is not None
    migrated = _migrated_tables()
    grants = _grants("dynamodb")
    assert set(grants) == {_table_arn(plan, account) for plan in [history, *migrated]}
    # The runner's reads on every table, and the PITR check before it writes.
    for plan in [history, *migrated]:
        assert {"dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:GetItem",
                "dynamodb:Scan"} <= grants[_table_arn(plan, account)]
    history_actions = grants[_table_arn(history, account)]
    assert {"dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem"} <= history_actions
    # The default write API sends PartiQL UPDATEs; IAM checks PartiQLUpdate on each one's table.
    backfilled = [arn for arn, actions in grants.items() if "dynamodb:PartiQLUpdate" in actions]
    assert backfilled and all("dynamodb:UpdateItem" in grants[arn] for arn in backfilled)


def test_the_job_role_may_use_the_key_of_the_tables_it_touches() -> None:
    history = find_plan(_plans(), migrations_table)
    assert history is not None
    keys = {plan.settings.kms_key_arn for plan in [history, *_migrated_tables()]}
    assert set(_grants("kms")) == {key for key in keys if key}


# --- the image ---------------------------------------------------------------------------------

def test_the_image_starts_from_python_3_11_slim_and_installs_the_project_with_pip() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(arguments for keyword, arguments in instructions if keyword == "RUN")
    assert re.search(r"pip install\b[^&]*\s\.(\s|$)", runs), "the image installs the project itself with pip"


def test_the_entrypoint_is_the_tables_console_script() -> None:
    scripts = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]["scripts"]
    entrypoints = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "ENTRYPOINT"]
    assert entrypoints, "the Dockerfile has an ENTRYPOINT"
    # Exec form, so `tables` itself receives the SIGTERM that stops a job.
    assert entrypoints[-1].startswith("["), "ENTRYPOINT in exec form (a JSON array)"
    command = json.loads(entrypoints[-1])
    assert command == ["tables"] and command[0] in scripts


def _sources() -> list[str]:
    return [source.rstrip("/") for sources, _ in copies() for source in sources]


def test_the_image_copies_what_the_command_reads_into_its_workdir() -> None:
    workdirs = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "WORKDIR"]
    assert workdirs and workdirs[-1].startswith("/")
    needed = ["components", "scripts", "policies", "migrations", "pyproject.toml", "Pulumi.yaml",
              *(p.name for p in sorted(PROJECT_DIR.glob("Pulumi.*.yaml")))]
    for path in needed:
        assert (PROJECT_DIR / path).exists(), path
        assert any(fnmatch.fnmatchcase(path, source) for source in _sources()), f"the image lacks {path}"
        assert not ignored(path), f".dockerignore leaves {path} out of the build context"
    # Into the project root (WORKDIR), where the command looks for Pulumi.yaml.
    for sources, destination in copies():
        assert destination in ("./", ".") or destination == sources[0].rstrip("/") + "/", (sources, destination)


def test_every_copied_source_exists() -> None:
    """A COPY of a file that is gone fails the build."""
    for source in _sources():
        assert list(PROJECT_DIR.glob(source)), f"COPY {source}: no such file in the repository"


def test_the_image_runs_as_a_user_that_is_not_root() -> None:
    instructions = dockerfile_instructions()
    users = [(index, arguments) for index, (keyword, arguments) in enumerate(instructions) if keyword == "USER"]
    assert users, "the Dockerfile sets a USER"
    index, user = users[-1]
    assert user.split(":")[0] not in ("root", "0")
    assert all(keyword != "RUN" for keyword, _ in instructions[index + 1:]), "USER comes after the last RUN"
    created = " ".join(arguments for keyword, arguments in instructions[:index] if keyword == "RUN")
    assert re.search(rf"useradd\b[^&]*\s{re.escape(user)}(\s|$)", created), f"the image creates user {user}"


def test_the_image_holds_no_aws_credentials() -> None:
    text = (PROJECT_DIR / "Dockerfile").read_text()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        assert name not in text
    assert not any(source.startswith(".aws") for source in _sources())
    assert ignored(".aws/credentials") and ignored(".env")


@pytest.mark.parametrize("path", ["venv", "venv/bin/python", ".git", ".git/config", "node_modules",
                                  "scripts/__pycache__/cli.cpython-311.pyc", ".pytest_cache", ".mypy_cache",
                                  ".ruff_cache", ".local/endpoint.json", "dynamodb_tables.egg-info", "schemas/dev"])
def test_the_build_context_leaves_out_environments_caches_and_local_state(path: str) -> None:
    assert ignored(path), f".dockerignore keeps {path} in the build context"


def _lay_out_image(root: Path) -> Path:
    """The WORKDIR as the Dockerfile's COPY lines fill it from the build context (.dockerignore applied).

    As Docker does: a file goes into the destination directory, a directory's contents into the destination.
    """
    workdir = root / "workdir"
    workdir.mkdir()

    def left_out(directory: str, names: list[str]) -> list[str]:
        return [name for name in names if ignored(str((Path(directory) / name).relative_to(PROJECT_DIR)))]

    for sources, destination in copies():
        for source in sources:
            for found in sorted(PROJECT_DIR.glob(source.rstrip("/"))):
                if ignored(str(found.relative_to(PROJECT_DIR))):
                    continue
                if found.is_dir():
                    shutil.copytree(found, workdir / destination, ignore=left_out, dirs_exist_ok=True)
                else:
                    shutil.copy2(found, workdir / destination / found.name)
    return workdir


def test_the_command_finds_every_stack_and_the_migrations_in_the_image_layout(tmp_path: Path) -> None:
    workdir = _lay_out_image(tmp_path)
    tables = Path(sys.executable).parent / "tables"
    for stack in shipped_stacks():
        result = subprocess.run([str(tables), "synth", "--stack", stack, "--out", str(tmp_path / "out" / stack)],
                                cwd=workdir, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    image_migrations = {(m.id, m.checksum) for m in discover(workdir / "migrations")}
    assert image_migrations == {(m.id, m.checksum) for m in discover(MIGRATIONS_DIR)}
