"""`tables plan` protects access patterns: an index a declared pattern uses is not deleted or rebuilt.

Deleting a GSI, or changing its keys or projection (which DynamoDB can only do by deleting it and
building it again), makes every query on it fail until a new index is ACTIVE. When a family still
declares a pattern on that index, a consumer service still runs that query: the plan stops (exit 3)
and names the pattern and its consumer. For a deletion nothing but removing the pattern in the same
change lifts it (the safe order: build the new index, move the pattern to it, then delete the old).
A rebuild leaves an index the pattern can use once it is ACTIVE again: a person who accepts the
outage names the table with `--allow-replace`, and the plan still names the pattern it interrupts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components.model.pattern_access import PlannedPattern
from scripts.change_plan import StackChanges
from scripts.table_settings import ChangeClass

BREAKING = {ChangeClass.INDEX_DELETE: "deletes", ChangeClass.INDEX_REBUILD: "deletes and rebuilds"}


@dataclass(frozen=True)
class PatternBreak:
    table: str
    index: str
    change_class: ChangeClass
    family: str
    pattern: str
    consumer: str
    allowed: bool = False  # a rebuild on a table named with --allow-replace

    def text(self) -> str:
        text = (f"{self.table}: this change {BREAKING[self.change_class]} index {self.index}, which access pattern "
                f"'{self.pattern}' (consumer {self.consumer}) queries; its calls fail until an index serves them "
                f"again. ")
        if self.allowed:
            return text + "Accepted with --allow-replace: the calls resume once the rebuilt index is ACTIVE"
        if self.change_class is ChangeClass.INDEX_REBUILD:
            return text + (f"Keep the index as it is, remove the pattern from the {self.family} family in the same "
                           f"change, or accept the outage with --allow-replace {self.table}")
        return text + f"Keep the index, or remove the pattern from the {self.family} family in the same change"

    def as_json(self) -> dict[str, Any]:
        return {"table": self.table, "index": self.index, "class": self.change_class.value, "family": self.family,
                "pattern": self.pattern, "consumer": self.consumer, "allowed": self.allowed}


def pattern_breaks(stack_changes: StackChanges, planned: Sequence[PlannedPattern]) -> list[PatternBreak]:
    """Every declared pattern whose index this plan deletes or rebuilds (importIgnoreChanges-deferred ones aside)."""
    found = []
    for table in stack_changes.tables:
        for change in table.changes:
            if change.change_class not in BREAKING or change.deferred:
                continue
            index = change.field.split(".")[1]
            for item in planned:
                if item.plan.name == table.plan.name and item.pattern.index == index:
                    allowed = (change.change_class is ChangeClass.INDEX_REBUILD
                               and table.plan.name in stack_changes.allowed)
                    found.append(PatternBreak(table.plan.name, index, change.change_class, item.family,
                                              item.pattern.name, item.pattern.consumer, allowed))
    return found
