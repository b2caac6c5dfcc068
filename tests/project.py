"""The repository under test, found from this file: tests read only files inside the repository."""

from __future__ import annotations

from pathlib import Path

from components.model.stack_file import stack_names
from scripts.project import Project

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT = Project(PROJECT_DIR)
MIGRATIONS_DIR = PROJECT.migrations_dir
DATA_DIR = Path(__file__).resolve().parent / "data"


def shipped_stacks() -> list[str]:
    return stack_names(PROJECT_DIR)
