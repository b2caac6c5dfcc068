"""Migration modules: `migrations/NNNN_name.py`, each with ID, DESCRIPTION and run(ctx).

Modules are loaded by path (their names start with digits); the checksum is the sha256 of the
source, so `validate` notices an applied migration that was edited afterwards. A migration whose
source was changed without changing what it does (its imports moved, say) lists the checksums it
replaces in `EQUIVALENT_CHECKSUMS`, so environments that applied the old source still agree.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.errors import ToolError

FILE_PATTERN = re.compile(r"(?P<id>\d{4})_[a-z0-9_]+\.py")


@dataclass(frozen=True)
class Migration:
    id: str
    description: str
    path: Path
    checksum: str
    run: Callable[[Any], None]
    equivalent_checksums: frozenset[str] = frozenset()

    def matches(self, recorded_checksum: str) -> bool:
        return recorded_checksum == self.checksum or recorded_checksum in self.equivalent_checksums


def checksum_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_migration(path: Path) -> Migration:
    match = FILE_PATTERN.fullmatch(path.name)
    if not match:
        raise ToolError("InvalidMigration", f"{path}: file names are NNNN_lower_snake_case.py")
    spec = importlib.util.spec_from_file_location(f"migrations.m{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ToolError("InvalidMigration", f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except (SystemExit, KeyboardInterrupt) as error:
        # Loading must not end the command: nothing has run yet, and nothing is recorded.
        what = f"sys.exit({error.code!r})" if isinstance(error, SystemExit) else "KeyboardInterrupt"
        raise ToolError("InvalidMigration", f"{path}: {what} while being imported; a migration module only "
                                            "defines ID, DESCRIPTION and run(ctx)") from None
    except Exception as error:
        raise ToolError("InvalidMigration", f"{path}: {type(error).__name__}: {error}") from None
    for attribute in ("ID", "DESCRIPTION", "run"):
        if not hasattr(module, attribute):
            raise ToolError("InvalidMigration", f"{path}: missing {attribute} (see migrations/TEMPLATE.py)")
    if match["id"] != module.ID:
        raise ToolError("InvalidMigration", f"{path}: ID {module.ID!r} does not match the file name's {match['id']!r}")
    equivalent = getattr(module, "EQUIVALENT_CHECKSUMS", ())
    if not isinstance(equivalent, tuple | list | frozenset | set) or not all(
            isinstance(c, str) and len(c) == 64 for c in equivalent):
        raise ToolError("InvalidMigration", f"{path}: EQUIVALENT_CHECKSUMS must be a tuple of sha256 hex digests")
    return Migration(id=module.ID, description=module.DESCRIPTION, path=path, checksum=checksum_of(path),
                     run=module.run, equivalent_checksums=frozenset(equivalent))


def discover(directory: Path) -> list[Migration]:
    migrations = [load_migration(p) for p in sorted(directory.glob("*.py")) if FILE_PATTERN.fullmatch(p.name)]
    seen: set[str] = set()
    for migration in migrations:
        if migration.id in seen:
            raise ToolError("InvalidMigration", f"{directory}: two migrations with ID {migration.id}")
        seen.add(migration.id)
    return migrations
