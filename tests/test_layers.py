"""The architecture as a specification: imports run one way, and the tools stand on their own.

Layers, lowest first (README, "Architecture"):
  components.model     -> nothing of this project's above it; no Pulumi, no boto3
  components.families  -> the model
  components.resources -> the model and the families; the only project code that imports Pulumi,
                          used by `__main__.py`
  scripts (the `tables` command), migrations/, policies/ -> what is below them, never resources
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.cli import main
from scripts.local_endpoint import Endpoint
from tests.conftest import CREDENTIALS, client_for, delete_all_tables
from tests.project import PROJECT_DIR

PACKAGES = ("components", "scripts", "policies", "migrations")
THIRD_PARTY = ("pulumi", "pulumi_aws", "pulumi_policy", "boto3", "botocore")


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str, root: Path) -> bool:
    base = root / name.replace(".", "/")
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def project_imports(path: Path, root: Path = PROJECT_DIR) -> set[str]:
    """Every module of this project (or pulumi/boto3) a file imports, wherever in the file.

    Parsed with ast: a relative import is resolved against the file's package (`from ..families import
    x` in components/model/access.py is components.families), and `from pkg import name` counts as an
    import of the module pkg.name where that is a module (`from components import families`).
    """
    me = _module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts
                module = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names if _is_module(f"{module}.{alias.name}", root)}
    return {name for name in found if name.split(".")[0] in (*PACKAGES, *THIRD_PARTY)}


def files_of(package: str, root: Path = PROJECT_DIR) -> list[Path]:
    return sorted((root / package).rglob("*.py"))


def offenders(files: list[Path], forbidden: tuple[str, ...], root: Path = PROJECT_DIR) -> list[str]:
    return sorted(f"{path.relative_to(root)} imports {name}" for path in files
                  for name in project_imports(path, root)
                  if any(name == f or name.startswith(f + ".") for f in forbidden))


MODEL_FORBIDDEN = ("pulumi", "pulumi_aws", "boto3", "botocore", "scripts", "policies", "components.families",
                   "components.resources")


def test_the_model_imports_neither_pulumi_nor_boto3_nor_anything_above_it() -> None:
    assert offenders(files_of("components/model"), MODEL_FORBIDDEN) == []


@pytest.mark.parametrize(("file", "line", "offense"), [
    # An upward import that closes a cycle (access -> creator_platform -> ... -> model).
    ("components/model/access.py", "from ..families import creator_platform",
     "components/model/access.py imports components.families"),
    # Loads pulumi into the model through the Pulumi builder.
    ("components/model/family.py", "from ..resources import backup",
     "components/model/family.py imports components.resources"),
    ("components/model/plan.py", "from components import resources",
     "components/model/plan.py imports components.resources"),
])
def test_the_layer_check_catches_relative_and_from_package_imports(file: str, line: str, offense: str,
                                                                   tmp_path: Path) -> None:
    """A copy of the tree with one import added against the arrows: the check must fail on it."""
    for package in PACKAGES:
        shutil.copytree(PROJECT_DIR / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / file
    target.write_text(target.read_text() + f"\n{line}\n")
    assert offense in offenders(files_of("components/model", tmp_path), MODEL_FORBIDDEN, tmp_path)


def test_families_are_data_on_the_model_alone() -> None:
    assert offenders(files_of("components/families"), (
        "pulumi", "pulumi_aws", "boto3", "botocore", "scripts", "policies", "components.resources")) == []


def test_only_the_program_uses_the_pulumi_builder() -> None:
    users = [path for package in ("scripts", "policies", "migrations", "components/model", "components/families")
             for path in files_of(package)]
    assert offenders(users, ("components.resources",)) == []
    assert "components.resources.family" in project_imports(PROJECT_DIR / "__main__.py")


# A family's own live helpers, which a migration may use beside the migration API.
FAMILY_HELPERS = {"scripts.creators"}


def test_migrations_import_only_the_migration_api_table_specs_and_family_helpers() -> None:
    for path in files_of("migrations"):
        imported = project_imports(path)
        assert imported <= {"scripts.migrate", "scripts.migrate.api"} | FAMILY_HELPERS | {
            name for name in imported if name.startswith("components.families")}, path.name


def test_the_migration_api_exports_no_family_helper() -> None:
    assert not project_imports(PROJECT_DIR / "scripts/migrate/api.py") & FAMILY_HELPERS


def test_only_the_runner_and_its_command_import_the_migration_runner() -> None:
    # The item codec lives below both (scripts/item_codec.py): family helpers never reach up into it.
    users = [p for p in files_of("scripts") if p.parent.name != "migrate" and p.name != "migrate.py"]
    assert offenders(users, ("scripts.migrate",)) == []


def test_nothing_hides_an_import_cycle_under_type_checking() -> None:
    # TYPE_CHECKING imports are allowed only for annotations that would cost start-up time or for
    # stub-only packages (mypy_boto3_*), never for a project module that imports the importer back.
    for path in [p for package in PACKAGES for p in files_of(package)]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                for child in ast.walk(node):
                    if isinstance(child, ast.ImportFrom) and child.module and child.module.split(".")[0] in PACKAGES:
                        target = PROJECT_DIR / (child.module.replace(".", "/") + ".py")
                        me = ".".join(path.relative_to(PROJECT_DIR).with_suffix("").parts)
                        assert me not in project_imports(target), f"{path}: {child.module} imports it back"


# --- what running the live tools loads -----------------------------------------------------------

PROBE = """
import json, sys
from scripts.cli import main
loaded = {}
for argv in json.loads(sys.argv[1]):
    code = main(argv)
    loaded[" ".join(argv[:2])] = {"code": code, "pulumi": sorted(m for m in sys.modules if m.split(".")[0]
                                                          in ("pulumi", "pulumi_aws", "pulumi_policy"))}
print(json.dumps(loaded))
"""


def test_the_live_tools_never_import_pulumi(moto: Endpoint, tmp_path: Path) -> None:
    url = moto.url
    commands = [
        ["synth", "--stack", "dev", "--out", str(tmp_path / "schemas")],
        ["create", "--stack", "dev", "--endpoint-url", url],
        ["drift", "--stack", "dev", "--endpoint-url", url],
        ["export", "--prefix", "items-dev", "--out", str(tmp_path / "export"), "--endpoint-url", url],
        ["add-gsi", "--stack", "dev", "--table", "creators", "--index", "slug-index", "--endpoint-url", url],
        ["seed", "--stack", "dev", "--endpoint-url", url],
        ["migrate", "up", "--stack", "dev", "--endpoint-url", url, "--write-api", "update-item"],
        ["migrate", "status", "--stack", "dev", "--endpoint-url", url],
        ["local", "status"],
        ["access", "--stack", "dev"],
        ["docs", "--check"],
    ]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **CREDENTIALS,
           "TABLES_STATE_DIR": str(tmp_path / "state")}
    try:
        done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(commands)], cwd=PROJECT_DIR, env=env,
                              capture_output=True, text=True, timeout=300)
    finally:
        delete_all_tables(client_for(moto))  # the moto server is shared by the whole session
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert {name: result["pulumi"] for name, result in loaded.items()} == {name: [] for name in loaded}
    # Each ran for real (local status exits 1: nothing is running under this state directory).
    assert {name: result["code"] for name, result in loaded.items()} == {**{name: 0 for name in loaded},
                                                                        "local status": 1}


def test_tables_help_does_not_import_boto3_or_the_model() -> None:
    probe = ("import sys\nfrom scripts.cli import main\ntry:\n    main(['drift', '--help'])\nexcept SystemExit:\n"
             "    pass\nprint(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('boto3', 'botocore', 'pulumi', 'rich', 'components')))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]"


# --- finding the project -------------------------------------------------------------------------

def test_a_subdirectory_finds_the_project_above_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(PROJECT_DIR / "docs")
    assert main(["synth", "--stack", "dev", "--out", str(tmp_path), "--json"]) == 0
    assert (tmp_path / "items-dev.json").is_file()


def test_outside_any_project_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["synth", "--stack", "dev"]) == 2
    assert capsys.readouterr().err == (
        f"ERROR [NotAProject]: no Pulumi.yaml in {tmp_path.resolve()} or any directory above it; run tables inside "
        "the project or pass --project-dir DIR\n")


def test_project_dir_must_hold_a_project_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", "--stack", "dev", "--project-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"ERROR [NotAProject]: --project-dir {tmp_path.resolve()}: no Pulumi.yaml there; pass the directory that "
        "holds the project's Pulumi.yaml\n")


def test_project_dir_works_from_anywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["synth", "--stack", "dev", "--project-dir", str(PROJECT_DIR), "--out", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s" / "items-dev.json").is_file()


def test_a_plain_install_finds_the_project_from_the_working_directory(tmp_path: Path) -> None:
    """`pip install .` (not editable): the installed code still works on the project it is run in."""
    # Built from a copy of the sources, so the build leaves no build/ directory in the checkout.
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(PROJECT_DIR / "pyproject.toml", source)
    for package in ("components", "scripts", "policies"):
        shutil.copytree(PROJECT_DIR / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--target", str(target), str(source)], check=True, capture_output=True, timeout=300)
    site_packages = next(p for p in sys.path if p.endswith("site-packages"))
    # -S: no .pth files, so the editable finder of the development venv stays out; the dependencies
    # come from its site-packages, the project's code only from the plain install.
    probe = (f"import sys; sys.path[:0] = [{str(target)!r}, {site_packages!r}]\n"
             "import scripts; assert scripts.__file__.startswith(sys.path[0]), scripts.__file__\n"
             "from scripts.cli import main\n"
             f"sys.exit(main(['synth', '--stack', 'dev', '--out', {str(tmp_path / 'installed')!r}]))")
    done = subprocess.run([sys.executable, "-S", "-c", probe], cwd=PROJECT_DIR, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert main(["synth", "--stack", "dev", "--out", str(tmp_path / "editable")]) == 0
    installed = {p.name: p.read_text() for p in (tmp_path / "installed").iterdir()}
    editable = {p.name: p.read_text() for p in (tmp_path / "editable").iterdir()}
    assert installed == editable and len(installed) == 2 * 22
    assert (target / "scripts" / "java" / "LoopbackDynamoDBLocal.java").is_file()  # package data ships too
