"""`tables plan --format markdown`: the plan as a pull-request comment, where reviewers read it.

One section per stack: a table of the changes that matter (those `pulumi up` applies now; changes an
adoption defers are left out), those that stop the deploy first, each with what it does to the gate; with
`--pulumi-preview`, Pulumi's own operation beside each table and the disagreements under the table.
The pull-request workflow joins the stacks' sections into one comment under a hidden marker.
"""

from __future__ import annotations

from scripts.change_plan import DESTRUCTIVE_PENDING, Change, StackChanges, TableChanges
from scripts.pulumi_preview import PreviewComparison

# The first line of the pull-request comment: the workflow finds the comment to update by it.
COMMENT_MARKER = "<!-- dynamodb-tables plan -->"


def cell(text: str) -> str:
    """Text safe inside a GitHub table cell: a pipe would end the cell, a newline the row."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def _row(*cells: str) -> str:
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"


def _stops(stack_changes: StackChanges, table: TableChanges, change: Change | None, allowed: bool) -> bool:
    """Whether this one change (None: the table's import check) stops the deploy, by the plan's own exit rules:
    a probe stack holding only it, with the table named by --allow-replace or not. Whatever classes the plan
    has, the comment says of each what `tables plan` exits on."""
    probe = TableChanges(table.plan, table.live, [change] if change else [],
                         import_check=None if change else table.import_check)
    names = frozenset({table.plan.name}) if allowed else frozenset()
    return StackChanges(stack_changes.stack, stack_changes.where, [probe], names).exit_code() == DESTRUCTIVE_PENDING


def _gate(stack_changes: StackChanges, table: TableChanges, change: Change | None) -> str:
    if _stops(stack_changes, table, change, allowed=True):
        return "**stops the deploy**; --allow-replace does not lift it"
    if _stops(stack_changes, table, change, allowed=False):
        if table.plan.name in stack_changes.allowed:
            return "allowed by --allow-replace"
        return f"**stops the deploy** unless allowed: `--allow-replace {table.plan.name}`"
    return ""


def _rows(stack_changes: StackChanges) -> list[tuple[TableChanges, Change | None]]:
    """(table, change) in the order a reviewer needs them: what stops the deploy first, table order kept; an
    import check that fails is a row of its own (change None)."""
    rows: list[tuple[int, int, int, TableChanges, Change | None]] = []
    for t, table in enumerate(stack_changes.tables):
        for c, change in enumerate(table.changes):
            if not change.deferred:
                stops = _stops(stack_changes, table, change, allowed=False)
                rows.append((0 if stops else 1, t, c, table, change))
        if table.import_check is not None and not table.import_check.adoptable:
            stops = _stops(stack_changes, table, None, allowed=False)
            rows.append((0 if stops else 1, t, len(table.changes), table, None))
    return [(table, change) for *_, table, change in sorted(rows, key=lambda r: r[:3])]


def _import_text(table: TableChanges) -> str:
    check = table.import_check
    assert check is not None
    if check.impossible:
        return (f"pulumi up cannot adopt the table: {', '.join(check.impossible)} differ and no option can leave "
                "them as they are live")
    return (f"the import fails as declared: {', '.join(check.differing)} differ; adopt it with importIgnoreChanges "
            f"[{', '.join(check.needed)}] (`tables plan` prints the entry)")


def format_markdown(stack_changes: StackChanges, comparison: PreviewComparison | None = None) -> str:
    """One stack's section of the pull-request comment."""
    changed = [t for t in stack_changes.tables if t.symbol.strip()]
    total = len(stack_changes.tables)
    lines = [f"### Stack `{stack_changes.stack}`: {len(changed)} of {total} table{'' if total == 1 else 's'} change",
             ""]
    rows = _rows(stack_changes)
    if rows:
        pulumi = comparison is not None
        lines.append(_row("Table", *(["Pulumi"] if pulumi else []), "Change", "Consequence", "Gate"))
        lines.append("|---" * (5 if pulumi else 4) + "|")
        for table, change in rows:
            name = f"`{table.plan.name}` ({cell(table.label)})"
            if table.live is not None:
                name += f", {table.live.item_count:,} items"
            op = [f"`{comparison.of(table).op}`"] if comparison is not None else []
            if change is None:
                lines.append(_row(name, *op, "import check", cell(_import_text(table)),
                                  _gate(stack_changes, table, None)))
            else:
                lines.append(_row(name, *op, f"{change.change_class} `{cell(change.field)}`", cell(change.consequence),
                                  _gate(stack_changes, table, change)))
        lines.append("")
    if comparison is not None:
        # Preview steps on tables without a row above: the plan has nothing there that this up applies.
        in_rows = {id(table) for table, _ in rows}
        unplanned = [t for t in comparison.shown() if t.table is None or id(t.table) not in in_rows]
        for step in unplanned:
            key = f" ({step.table.label})" if step.table else ""
            lines.append(f"- Pulumi's preview: `{step.op}` `{step.name}`{cell(key)}, where the plan has "
                         "nothing to do")
        disagreements = comparison.disagreements()
        if disagreements:
            lines += ([""] if unplanned else []) + [
                f"**The plan and Pulumi's preview disagree** on {len(disagreements)} "
                f"table{'s' if len(disagreements) > 1 else ''}; the deploy stops until they agree:", ""]
            lines += [f"- {cell(d)}" for d in disagreements]
        else:
            lines += ([""] if unplanned else []) + ["Pulumi's preview agrees with the plan on every table."]
        lines.append("")
    lines.append(f"{stack_changes.summary()}")
    return "\n".join(lines) + "\n"
