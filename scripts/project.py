"""The project the `tables` command works on: found from the working directory, as `pulumi` finds it.

`find_project` walks up from a directory to the nearest `Pulumi.yaml`; `--project-dir` names one
directly. Nothing here depends on where the command's own code is installed, so a plain
`pip install .` works the same as an editable install.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from components.families import StackPlan, plan_from_stack_file, production_tables, stack_from_stack_file
from components.model.plan import TablePlan
from components.model.stack_file import stack_file, stack_names
from scripts.errors import ToolError

PROJECT_FILE = "Pulumi.yaml"


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def migrations_dir(self) -> Path:
        return self.root / "migrations"

    @property
    def policies_dir(self) -> Path:
        return self.root / "policies"

    @property
    def docs_file(self) -> Path:
        return self.root / "docs" / "database-schema.md"

    @property
    def recovery_docs_file(self) -> Path:
        """docs/disaster-recovery.md: its "What protects each table" section is generated."""
        return self.root / "docs" / "disaster-recovery.md"

    @property
    def state_dir(self) -> Path:
        """Where `tables local up` records its endpoint (git-ignored)."""
        return self.root / ".local"

    @property
    def node_modules(self) -> Path:
        return self.root / "node_modules"

    def schemas_dir(self, stack: str) -> Path:
        return self.root / "schemas" / stack

    def stacks(self) -> list[str]:
        return stack_names(self.root)

    def stack_file(self, stack: str) -> Path:
        return stack_file(self.root, stack)

    def plans(self, stack: str) -> list[TablePlan]:
        return plan_from_stack_file(self.root, stack)

    def stack_plan(self, stack: str) -> StackPlan:
        """The stack's settings (backup, alarms), tables and consumers."""
        return stack_from_stack_file(self.root, stack)

    def refuse_production_names(self, stack: str | None, names: Iterable[str], writer: str,
                                verb: str = "write") -> None:
        """Stop before any call when `writer` would write a table a prod stack declares, unless it runs
        under that prod stack (`stack` None: no stack at all, e.g. `create --schemas`)."""
        owners = production_tables(self.root)
        for name in names:
            declaring = owners.get(name, [])
            if declaring and stack not in declaring:
                under = f"{writer} under stack '{stack}'" if stack else f"{writer} without a stack"
                files = " and ".join(self.stack_file(s).name for s in declaring)
                raise ToolError("ProductionTable",
                                f"{under}: table '{name}' is a production table, declared by {files}; only "
                                f"{' or '.join(f'--stack {s}' for s in declaring)} may {verb} it",
                                where=self.stack_file(stack).name if stack else name)


def find_project(start: Path, explicit: bool = False) -> Project:
    """The project at `start` (explicit: --project-dir) or the nearest directory above it with a Pulumi.yaml."""
    start = start.resolve()
    if explicit:
        if not (start / PROJECT_FILE).is_file():
            raise ToolError("NotAProject", f"--project-dir {start}: no {PROJECT_FILE} there; "
                                           "pass the directory that holds the project's Pulumi.yaml")
        return Project(start)
    for directory in (start, *start.parents):
        if (directory / PROJECT_FILE).is_file():
            return Project(directory)
    raise ToolError("NotAProject", f"no {PROJECT_FILE} in {start} or any directory above it; run tables inside the "
                                   "project or pass --project-dir DIR")
