"""Pulumi's own preview as a second opinion on `tables plan`: `tables plan --pulumi-preview FILE`.

The plan works out from the live tables what `pulumi up` will do; `pulumi preview --json` is what the
engine and the provider actually decided. Each table step of the preview is put beside the plan's data
consequence for that table, and every table on which the two disagree (one replaces what the other
updates, a step for a table the stack does not declare, a table the plan changes and the preview leaves
alone) is one line; any disagreement makes the plan exit 3, because one of them is wrong about the data.

The file is the digest `pulumi preview --json` prints (pulumi/pulumi `pkg/backend/display/json.go`,
`ShowPreviewDigest`: `json.MarshalIndent` of `display.PreviewDigest` from `pkg/display/json.go`):

    {"config": {...}, "steps": [{"op": ..., "urn": ..., "provider": ..., "oldState": ..., "newState": ...,
     "diffReasons": [...], "replaceReasons": [...], "detailedDiff": {path: {"kind": ..., "inputDiff": ...}}}],
     "diagnostics": [...], "duration": ..., "changeSummary": {op: count}, "maybeCorrupt": ...}

With PULUMI_ENABLE_STREAMING_JSON_PREVIEW set the CLI prints a stream of engine events instead; that is not
this format and is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from components.model.config_reader import PROJECT
from scripts.change_plan import DESTRUCTIVE_PENDING, ChangeClass, StackChanges, TableChanges
from scripts.errors import ToolError

# The pulumi-aws type token of a table (the `type` part of its URN).
TABLE_TYPE = "aws:dynamodb/table:Table"


class Operation(Enum):
    """What `pulumi up` does to one table resource, as the plan and the preview can both say it."""

    NONE = "none"
    CREATE = "create"
    IMPORT = "import"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"

    @property
    def verb(self) -> str:
        return VERBS[self]


VERBS = {Operation.NONE: "leaves it alone", Operation.CREATE: "creates it", Operation.IMPORT: "adopts (imports) it",
         Operation.UPDATE: "updates it in place", Operation.REPLACE: "replaces it (deleted, then created empty)",
         Operation.DELETE: "deletes it"}

# Every step op the engine knows (pulumi/pulumi pkg/resource/deploy/step.go: the `Op*` constants, listed in
# `StepOps`) and what it does to a table. A replacement appears as the logical `replace` step; its
# `create-replacement` and `delete-replaced` halves are in the digest only with --show-replacement-steps
# (pkg/backend/display/display.go `shouldShow`, deploy.IsReplacementStep). `same` steps only with --show-sames.
OPERATION_OF_STEP = {
    "same": Operation.NONE,
    "create": Operation.CREATE,
    "update": Operation.UPDATE,
    "delete": Operation.DELETE,
    "replace": Operation.REPLACE,
    "create-replacement": Operation.REPLACE,
    "delete-replaced": Operation.REPLACE,
    "read": Operation.NONE,
    "read-replacement": Operation.NONE,
    "refresh": Operation.NONE,
    "discard": Operation.NONE,
    "discard-replaced": Operation.NONE,
    "remove-pending-replace": Operation.REPLACE,
    "import": Operation.IMPORT,
    "import-replacement": Operation.REPLACE,
    "diff": Operation.NONE,
    "extend-parameterize": Operation.NONE,
}
# When several steps touch one table (the halves of a replacement), the one that does most to the data counts.
WEIGHT = {op: n for n, op in enumerate((Operation.NONE, Operation.IMPORT, Operation.UPDATE, Operation.CREATE,
                                         Operation.DELETE, Operation.REPLACE))}

# How `pulumi up` carries out a class of change on the table resource. Every class not listed is carried out
# by the provider's resourceTableUpdate (hashicorp/terraform-provider-aws internal/service/dynamodb/table.go):
# GSI creates, deletes and rebuilds, stream cycles and TTL switches, capacity, tags are all an in-place update
# of the one resource. A ForceNew attribute (name, keys, local indexes) makes the engine replace it. A key
# attribute's type is not applied at all: CustomizeDiff clears an `attribute` change when no GSI changes
# (pulumi-aws#1057), so the preview has no step for it; beside a GSI change the update step lists
# `attributes` too, but the GSI change already makes it an update, and the type still stays.
OPERATION_OF_CLASS: dict[ChangeClass, Operation] = {
    ChangeClass.CREATE: Operation.CREATE,
    ChangeClass.REPLACE: Operation.REPLACE,
    ChangeClass.NOT_APPLIED: Operation.NONE,
}


@dataclass(frozen=True)
class PreviewStep:
    op: str
    urn: str
    stack: str
    resource_type: str
    logical_name: str
    diff_reasons: tuple[str, ...] = ()
    replace_reasons: tuple[str, ...] = ()
    # The resource's inputs before the step (`oldState.inputs`, an apitype.ResourceV3), when the digest has them:
    # what `tables cost --pulumi-preview` prices a deleted or replaced table from.
    old_inputs: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def operation(self) -> Operation:
        return OPERATION_OF_STEP[self.op]

    def reasons(self) -> str:
        """The properties behind the step, as the engine names them: replaceReasons first, else diffReasons."""
        reasons = self.replace_reasons or self.diff_reasons
        return ", ".join(reasons)


@dataclass(frozen=True)
class Preview:
    path: Path
    steps: tuple[PreviewStep, ...]

    def table_steps(self) -> list[PreviewStep]:
        return [s for s in self.steps if s.resource_type == TABLE_TYPE]


def _invalid(path: Path, what: str) -> ToolError:
    return ToolError("InvalidPreview", f"{path}: {what}; give the file `pulumi preview --json --stack <stack>` "
                                       "printed (without PULUMI_ENABLE_STREAMING_JSON_PREVIEW)", where=str(path))


def parse_urn(urn: str) -> tuple[str, str, str, str] | None:
    """(stack, project, type, logical name) of `urn:pulumi:<stack>::<project>::<qualified type>::<name>`; the
    qualified type is `parent-type$...$type` (pulumi/pulumi sdk/go/common/resource/urn.go). None if not a URN."""
    prefix = "urn:pulumi:"
    if not urn.startswith(prefix):
        return None
    parts = urn[len(prefix):].split("::", 3)
    if len(parts) != 4 or not all(parts):
        return None
    stack, project, qualified_type, name = parts
    return stack, project, qualified_type.rsplit("$", 1)[-1], name


def _strings(path: Path, where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid(path, f"{where} is not a list of property names")
    return tuple(value)


def _old_inputs(old_state: Any) -> dict[str, Any] | None:
    inputs = old_state.get("inputs") if isinstance(old_state, dict) else None
    return inputs if isinstance(inputs, dict) else None


def read_preview(path: Path, stack: str) -> Preview:
    """The steps of a preview digest of `stack`; anything else is one InvalidPreview error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ToolError("InvalidPreview", f"{path}: cannot read it ({error.strerror or error}); give the file "
                                          "`pulumi preview --json` wrote", where=str(path)) from None
    except UnicodeDecodeError as error:
        raise _invalid(path, f"not UTF-8 text (byte {error.start})") from None
    try:
        digest = json.loads(text)
    except json.JSONDecodeError as error:
        raise _invalid(path, f"not JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    # The root stack's step is always in the digest (json.go: `shouldShow(m, opts) || isRootStack(m)`), so a
    # real preview always has `steps`, even when nothing changes.
    if not isinstance(digest, dict) or "steps" not in digest:
        raise _invalid(path, "not a Pulumi preview digest (no \"steps\")")
    raw_steps = digest["steps"]
    if not isinstance(raw_steps, list):
        raise _invalid(path, "\"steps\" is not a list")
    steps = []
    for n, raw in enumerate(raw_steps):
        where = f"steps[{n}]"
        if not isinstance(raw, dict):
            raise _invalid(path, f"{where} is not an object")
        op, urn = raw.get("op"), raw.get("urn")
        if op not in OPERATION_OF_STEP:
            raise _invalid(path, f"{where}.op is {json.dumps(op)}, not a step operation of the Pulumi engine "
                                 f"({', '.join(OPERATION_OF_STEP)})")
        parsed = parse_urn(urn) if isinstance(urn, str) else None
        if parsed is None:
            raise _invalid(path, f"{where}.urn is {json.dumps(urn)}, not a Pulumi URN")
        step_stack, project, resource_type, name = parsed
        if project != PROJECT:
            raise _invalid(path, f"{where} is a resource of project '{project}', not '{PROJECT}'")
        if step_stack != stack:
            raise ToolError("InvalidPreview", f"{path}: a preview of stack '{step_stack}' (its URNs say so), not of "
                                              f"'{stack}'; preview stack '{stack}', or plan --stack {step_stack}",
                            where=str(path))
        steps.append(PreviewStep(op=op, urn=str(urn), stack=step_stack, resource_type=resource_type, logical_name=name,
                                 diff_reasons=_strings(path, f"{where}.diffReasons", raw.get("diffReasons")),
                                 replace_reasons=_strings(path, f"{where}.replaceReasons",
                                                          raw.get("replaceReasons")),
                                 old_inputs=_old_inputs(raw.get("oldState"))))
    return Preview(path, tuple(steps))


# --- the plan's side ----------------------------------------------------------------------------

def plan_operation(table: TableChanges) -> Operation:
    """What the plan expects `pulumi up` to do to the table resource."""
    applied = [c for c in table.changes if not c.deferred]
    operations = {OPERATION_OF_CLASS.get(c.change_class, Operation.UPDATE) for c in applied} - {Operation.NONE}
    if Operation.CREATE in operations and table.plan.existing:
        operations = (operations - {Operation.CREATE}) | {Operation.IMPORT}
    return max(operations, key=WEIGHT.__getitem__, default=Operation.NONE)


def _agrees(table: TableChanges, planned: Operation, previewed: Operation) -> bool:
    if planned is previewed:
        return True
    # A table the stack adopts: the preview imports it while it is not yet in the stack's state (the import
    # never changes the table; differences wait for the next up), and after that updates it or leaves it alone.
    return table.plan.existing and previewed is Operation.IMPORT and planned is not Operation.REPLACE


# --- side by side -------------------------------------------------------------------------------

@dataclass
class TableComparison:
    table: TableChanges | None  # None: a table step the stack does not declare
    steps: list[PreviewStep] = field(default_factory=list)

    @property
    def planned(self) -> Operation:
        return plan_operation(self.table) if self.table else Operation.NONE

    @property
    def previewed(self) -> Operation:
        return max((s.operation for s in self.steps), key=WEIGHT.__getitem__, default=Operation.NONE)

    @property
    def reasons(self) -> str:
        return "; ".join(dict.fromkeys(r for s in self.steps if (r := s.reasons())))

    @property
    def op(self) -> str:
        """Pulumi's own word for what it does: the step op (the logical one when a replacement shows its halves)."""
        ops = [s.op for s in self.steps]
        if not ops:
            return "same"
        return "replace" if "replace" in ops else max(ops, key=lambda op: WEIGHT[OPERATION_OF_STEP[op]])

    @property
    def name(self) -> str:
        return self.table.plan.name if self.table else self.steps[0].logical_name

    def disagreement(self, stack: str) -> str | None:
        if self.table is None:
            step = self.steps[0]
            return (f"the preview has a '{step.op}' step for table resource '{step.logical_name}', which stack "
                    f"'{stack}' does not declare ({step.urn}): preview and plan come from different programs or "
                    "configs")
        planned, previewed = self.planned, self.previewed
        if _agrees(self.table, planned, previewed):
            return None
        why = f" because of {self.reasons}" if self.reasons else ""
        return (f"{self.table.plan.name} ({self.table.label}): the preview {previewed.verb}{why}"
                f"{self._cost(previewed)}; the plan {planned.verb}{self._cost(planned)}")

    def _cost(self, operation: Operation) -> str:
        """What an operation that deletes the table costs its live data."""
        live = self.table.live if self.table else None
        if live is not None and operation in (Operation.REPLACE, Operation.DELETE):
            return f": {live.item_count:,} items lost"
        return ""


@dataclass
class PreviewComparison:
    preview: Preview
    stack_changes: StackChanges
    tables: list[TableComparison]

    def disagreements(self) -> list[str]:
        return [d for t in self.tables if (d := t.disagreement(self.stack_changes.stack))]

    def of(self, table: TableChanges) -> TableComparison:
        return next(t for t in self.tables if t.table is table)

    def exit_code(self) -> int:
        return DESTRUCTIVE_PENDING if self.disagreements() else self.stack_changes.exit_code()

    def shown(self) -> list[TableComparison]:
        """Every table a step or the plan changes: the tables where at least one of them does something."""
        return [t for t in self.tables if t.previewed is not Operation.NONE or t.planned is not Operation.NONE]

    def as_json(self) -> dict[str, Any]:
        return {"file": str(self.preview.path),
                "tables": [{"table": t.name, "key": t.table.label if t.table else None, "pulumiOp": t.op,
                            "pulumi": t.previewed.value, "plan": t.planned.value,
                            "reasons": [r for s in t.steps for r in (s.replace_reasons or s.diff_reasons)],
                            "urns": sorted({s.urn for s in t.steps})} for t in self.shown()],
                "disagreements": self.disagreements()}


def compare_preview(stack_changes: StackChanges, preview: Preview) -> PreviewComparison:
    """Match each table step's URN to the declared table of the same logical name (`TablePlan.resource_name`,
    the name components/resources/table.py gives the resource) and put the two side by side."""
    by_resource = {t.plan.resource_name: TableComparison(t) for t in stack_changes.tables}
    unknown: dict[str, TableComparison] = {}
    for step in preview.table_steps():
        known = by_resource.get(step.logical_name)
        comparison = known or unknown.setdefault(step.urn, TableComparison(None))
        comparison.steps.append(step)
    return PreviewComparison(preview, stack_changes, [*by_resource.values(), *unknown.values()])


def format_comparison(comparison: PreviewComparison) -> str:
    """The preview's operation beside the plan's consequences, table by table, then the disagreements."""
    stack_changes = comparison.stack_changes
    lines = [f"Pulumi's preview ({comparison.preview.path}) beside the plan, table by table:"]
    shown = comparison.shown()
    if not shown:
        lines.append("  no table steps, and the plan changes no table: both leave every table alone")
    for table in shown:
        head = f"  {table.op:<18} {table.name}"
        if table.table is not None:
            head += f" ({table.table.label})"
        if table.reasons:
            head += f"  because of {table.reasons}"
        lines.append(head)
        changes = [c for c in table.table.changes if not c.deferred] if table.table else []
        lines += [f"      [{c.change_class}] {c.field}: {c.consequence}" for c in changes]
        if table.table is not None and not changes:
            lines.append("      the plan: nothing to do")
    disagreements = comparison.disagreements()
    if disagreements:
        count = len(disagreements)
        lines += ["", f"The plan and Pulumi's preview disagree on {count} table{'s' if count > 1 else ''} "
                      f"(exit {DESTRUCTIVE_PENDING}; find out which is wrong before pulumi up for stack "
                      f"{stack_changes.stack}):"]
        lines += [f"  {d}" for d in disagreements]
    else:
        lines += ["", "The plan and Pulumi's preview agree on every table."]
    return "\n".join(lines)
