"""`tables cost`: what a stack's tables cost a month, and what a change does to it.

The arithmetic is the model's (components/model/cost.py); this module gathers its inputs (the stack's
plans, each table's traffic, what each table stores, live or declared, and the region's price file),
prices the stack before a change (`--base-ref REF`: the model at another commit; `--against live`: the
tables as they are) and renders the result as text, Markdown (the pull-request comment) or JSON.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from components.families import FAMILIES, StackPlan, stack_from_config
from components.model.cost import (
    CLASS_LABELS,
    Requests,
    StackCost,
    StoredData,
    TableDelta,
    class_advice,
    compare,
    declared_requests,
    declared_storage,
    estimate_table,
)
from components.model.plan import TablePlan
from components.model.prices import PriceError, PriceSheet, load_prices
from components.model.spec import Capacity, GlobalIndex, Key, LocalIndex, TableClass
from components.model.stack_file import load_stack_file
from scripts.aws import DynamoDBClient, find_table
from scripts.errors import ToolError
from scripts.pulumi_preview import WEIGHT, Operation, Preview, PreviewStep, read_preview

logger = logging.getLogger(__name__)

DEFAULT_REGION = "us-east-1"


def stack_region(raw_config: dict[str, str]) -> str:
    return raw_config.get("aws:region", DEFAULT_REGION)


def live_storage(client: DynamoDBClient, plan: TablePlan) -> StoredData | None:
    """What the live table stores (DescribeTable's ItemCount and sizes, refreshed by AWS about every six
    hours), or None when the table does not exist."""
    table = find_table(client, plan.name)
    if table is None:
        return None
    indexes = {index["IndexName"]: (int(index.get("ItemCount", 0)), float(index.get("IndexSizeBytes", 0)))
               for index in [*(table.get("GlobalSecondaryIndexes") or []), *(table.get("LocalSecondaryIndexes") or [])]}
    return StoredData(source="live", items=int(table.get("ItemCount", 0)),
                      table_bytes=float(table.get("TableSizeBytes", 0)), index_items=indexes)


def stack_requests(stack: StackPlan) -> dict[str, list[Requests]]:
    """Each table's traffic from its family's declared access patterns, by physical name."""
    return {plan.name: declared_requests(plan, FAMILIES[plan.family].patterns) for plan in stack.tables}


def price_stack(stack: StackPlan, prices: PriceSheet, client: DynamoDBClient | None = None,
                storage: dict[str, StoredData] | None = None,
                requests_by_table: dict[str, list[Requests]] | None = None) -> StackCost:
    """Every table of the stack priced; storage measured live where `client` finds the table; traffic from
    the declared patterns unless `requests_by_table` gives it."""
    tables = []
    advice = {}
    measured = dict(storage or {})
    traffic = stack_requests(stack) if requests_by_table is None else requests_by_table
    for plan in stack.tables:
        if plan.name not in measured:
            live = live_storage(client, plan) if client is not None else None
            measured[plan.name] = live or declared_storage(plan)
        requests = traffic.get(plan.name, [])
        tables.append(estimate_table(plan, requests, measured[plan.name], stack.settings.backup, prices))
        advice[plan.name] = class_advice(plan, requests, measured[plan.name], stack.settings.backup, prices)
    return StackCost(stack=stack.settings.stack, region=prices.region, tables=tuple(tables), advice=advice)


def load_stack(project_dir: Path, stack: str) -> tuple[StackPlan, str]:
    raw = load_stack_file(project_dir, stack)
    return stack_from_config(raw, stack), stack_region(raw)


# --- the model at another commit -----------------------------------------------------------------------

# Runs inside an export of the other commit, with that commit's code: prints its stack plan as JSON, in
# the few fields the estimate reads, so this process never imports two versions of one module.
_DUMP_SCRIPT = r"""
import dataclasses, json, sys
from pathlib import Path
from components.families import FAMILIES, stack_from_config
try:
    from components.model.stack_file import load_stack_file
except ImportError:  # a commit from before the stack config was split by concept
    from components.model.config import load_stack_file
stack = sys.argv[1]
raw = load_stack_file(Path.cwd(), stack)
plan = stack_from_config(raw, stack)
def capacity(c):
    return None if c is None else {"read": c.read, "write": c.write}
def sizing(spec):
    s = getattr(spec, "sizing", None)
    return None if s is None else {"items": s.items, "averageItemBytes": s.average_item_bytes}
backup = plan.settings.backup
print(json.dumps({
    "region": raw.get("aws:region"),
    "backup": None if backup is None else {
        "schedule": backup.schedule, "retentionDays": backup.retention_days,
        "coldStorageAfterDays": backup.cold_storage_after_days,
        "copyTo": None if backup.copy_to is None else {"vaultArn": backup.copy_to.vault_arn,
                                                       "retentionDays": backup.copy_to.retention_days}},
    "tables": [{
        "name": t.name, "family": t.family, "key": t.spec.key,
        "billingMode": t.spec.billing_mode, "tableClass": str(getattr(t.spec.table_class, "value", t.spec.table_class)),
        "capacity": capacity(t.spec.capacity),
        "globalIndexes": [{"name": g.name, "capacity": capacity(g.capacity)} for g in t.spec.global_indexes],
        "localIndexes": [l.name for l in t.spec.local_indexes],
        "pitrEnabled": t.settings.pitr_enabled, "pitrDays": t.settings.pitr_recovery_period_days,
        "sizing": sizing(t.spec),
    } for t in plan.tables],
    "patterns": None if not any(hasattr(f, "patterns") for f in FAMILIES.values()) else [{
        "family": family, "table": p.table.key, "name": p.name,
        "operation": str(getattr(p.operation, "value", p.operation)),
        "perSecond": p.rate.per_second, "itemBytes": p.rate.item_bytes,
        "itemsPerRequest": getattr(p.rate, "items_per_request", 1),
        "consistency": str(getattr(p.consistency, "value", p.consistency)),
    } for family, definition in FAMILIES.items() for p in getattr(definition, "patterns", ())],
}))
"""


def export_commit(project_dir: Path, ref: str, into: Path) -> None:
    """The project's files at `ref` (git archive), unpacked into `into`."""
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=project_dir, check=True,
                             capture_output=True, text=True).stdout.strip()
        prefix = subprocess.run(["git", "rev-parse", "--show-prefix"], cwd=project_dir, check=True,
                                capture_output=True, text=True).stdout.strip()
        archive = subprocess.run(["git", "archive", "--format=tar", f"{ref}:{prefix}" if prefix else ref],
                                 cwd=top, check=True, capture_output=True).stdout
    except subprocess.CalledProcessError as error:
        said = error.stderr if isinstance(error.stderr, str) else error.stderr.decode()
        raise ToolError("BadRef", f"--base-ref {ref}: git could not export it ({said.strip()}); give a branch, "
                                  "tag or commit of this repository", where=str(project_dir)) from None
    archive_path = into / "base.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(into / "tree", filter="data")


def base_stack(project_dir: Path, ref: str, stack: str) -> tuple[StackPlan, dict[str, list[Requests]] | None]:
    """The stack as the model at `ref` declares it, rebuilt into this version's types, and its tables' traffic
    from that commit's access patterns (None when that commit declares none: today's traffic stands)."""
    with tempfile.TemporaryDirectory(prefix="tables-cost-") as temp:
        export_commit(project_dir, ref, Path(temp))
        tree = Path(temp) / "tree"
        if not (tree / f"Pulumi.{stack}.yaml").is_file():
            raise ToolError("BadRef", f"--base-ref {ref}: no Pulumi.{stack}.yaml at that commit",
                            where=str(project_dir))
        done = subprocess.run([sys.executable, "-c", _DUMP_SCRIPT, stack], cwd=tree, capture_output=True,
                              text=True, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise ToolError("BadRef", f"--base-ref {ref}: the model at that commit did not load: {last}",
                            where=f"Pulumi.{stack}.yaml")
    dumped = json.loads(done.stdout)
    base = _rebuild(project_dir, stack, dumped)
    return base, _requests(base, dumped.get("patterns"))


WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem"}


def _requests(base: StackPlan, patterns: list[dict[str, Any]] | None) -> dict[str, list[Requests]] | None:
    if patterns is None:
        return None
    traffic: dict[str, list[Requests]] = {plan.name: [] for plan in base.tables}
    for plan in base.tables:
        for pattern in patterns:
            if (pattern["family"], pattern["table"]) != (plan.family, plan.spec.key):
                continue
            traffic[plan.name].append(Requests(
                name=pattern["name"], operation="write" if pattern["operation"] in WRITE_OPERATIONS else "read",
                per_second=pattern["perSecond"], item_bytes=pattern["itemBytes"],
                strongly_consistent=pattern["consistency"] == "strong", items_per_request=pattern["itemsPerRequest"],
                rounds_total=pattern["operation"] in ("Query", "Scan")))
    return traffic


def _capacity(value: dict[str, int] | None) -> Capacity | None:
    return None if value is None else Capacity(read=value["read"], write=value["write"])


def _rebuild(project_dir: Path, stack: str, dumped: dict[str, Any]) -> StackPlan:
    """Today's stack plan with each table's priced fields replaced by the other commit's; its tables only."""
    from components.model.backup_settings import BackupCopy, BackupSettings
    from components.model.spec import Sizing

    current, _ = load_stack(project_dir, stack)
    template = current.tables[0]
    plans = []
    for table in dumped["tables"]:
        spec_now = next((p.spec for p in current.tables if p.name == table["name"]), template.spec)
        settings_now = next((p.settings for p in current.tables if p.name == table["name"]), template.settings)
        sizing = table["sizing"]
        spec = replace(
            spec_now, key=table["key"], billing_mode=table["billingMode"], table_class=TableClass(table["tableClass"]),
            capacity=_capacity(table["capacity"]),
            global_indexes=tuple(GlobalIndex(g["name"], partition=(Key("pk"),), capacity=_capacity(g["capacity"]))
                                 for g in table["globalIndexes"]),
            local_indexes=tuple(LocalIndex(name, sort=Key("sk")) for name in table["localIndexes"]),
            sizing=None if sizing is None else Sizing(sizing["items"], sizing["averageItemBytes"]))
        family_settings = replace(settings_now, pitr_enabled=table["pitrEnabled"],
                                  pitr_recovery_period_days=table["pitrDays"])
        plans.append(replace(template, family=table["family"], spec=spec, name=table["name"],
                             settings=family_settings))
    backup = dumped["backup"]
    settings = replace(current.settings, backup=None if backup is None else BackupSettings(
        schedule=backup["schedule"], retention_days=backup["retentionDays"],
        cold_storage_after_days=backup["coldStorageAfterDays"],
        copy_to=None if backup["copyTo"] is None else BackupCopy(vault_arn=backup["copyTo"]["vaultArn"],
                                                                 retention_days=backup["copyTo"]["retentionDays"])))
    return StackPlan(settings=settings, tables=plans, consumers=current.consumers)


def live_stack(client: DynamoDBClient, declared: StackPlan) -> StackPlan:
    """The stack's tables as they are live (billing mode, capacity, class, indexes, PITR); a declared table
    that does not exist yet is left out. Backups are not read live: the declared plan stands for them."""
    from scripts.live import read_live

    plans = []
    for plan in declared.tables:
        live = read_live(client, plan.name)
        if live is None:
            continue
        create = live.schema.create

        def capacity(entry: dict[str, Any]) -> Capacity | None:
            throughput = entry.get("ProvisionedThroughput")
            return None if not throughput else Capacity(read=throughput["ReadCapacityUnits"],
                                                        write=throughput["WriteCapacityUnits"])

        spec = replace(
            plan.spec, billing_mode=create["BillingMode"], table_class=TableClass(create["TableClass"]),
            capacity=capacity(create),
            global_indexes=tuple(GlobalIndex(g["IndexName"], partition=(Key("pk"),), capacity=capacity(g))
                                 for g in create.get("GlobalSecondaryIndexes") or []),
            local_indexes=tuple(LocalIndex(index["IndexName"], sort=Key("sk"))
                                for index in create.get("LocalSecondaryIndexes") or []))
        pitr = live.schema.pitr_enabled if "pitr" not in live.unsupported else plan.settings.pitr_enabled
        settings = replace(plan.settings, pitr_enabled=pitr,
                           pitr_recovery_period_days=live.schema.pitr_days or plan.settings.pitr_recovery_period_days)
        plans.append(replace(plan, spec=spec, settings=settings))
    return StackPlan(settings=declared.settings, tables=plans, consumers=declared.consumers)


# --- the change a `pulumi preview --json` shows ------------------------------------------------------------


def _plan_from_inputs(template: TablePlan, inputs: dict[str, Any], logical_name: str) -> TablePlan:
    """A table as the pulumi-aws inputs of its old state declare it, in the fields the estimate reads. Defaults
    are the provider's (hashicorp/terraform-provider-aws internal/service/dynamodb/table.go, resourceTable:
    billing_mode PROVISIONED, table_class STANDARD, point_in_time_recovery off with a 35-day period)."""
    billing = inputs.get("billingMode") or "PROVISIONED"

    def capacity(entry: dict[str, Any]) -> Capacity | None:
        if billing != "PROVISIONED":
            return None
        return Capacity(read=int(entry.get("readCapacity") or 0), write=int(entry.get("writeCapacity") or 0))

    pitr = inputs.get("pointInTimeRecovery") or {}
    spec = replace(
        template.spec, billing_mode=billing, table_class=TableClass(inputs.get("tableClass") or "STANDARD"),
        capacity=capacity(inputs), sizing=None,
        global_indexes=tuple(GlobalIndex(g["name"], partition=(Key("pk"),), capacity=capacity(g))
                             for g in inputs.get("globalSecondaryIndexes") or []),
        local_indexes=tuple(LocalIndex(index["name"], sort=Key("sk"))
                            for index in inputs.get("localSecondaryIndexes") or []))
    settings = replace(template.settings, pitr_enabled=bool(pitr.get("enabled")),
                       pitr_recovery_period_days=int(pitr.get("recoveryPeriodInDays") or 35))
    return replace(template, spec=spec, settings=settings, name=str(inputs.get("name") or logical_name))


def preview_base(declared: StackPlan, preview: Preview, client: DynamoDBClient | None
                 ) -> tuple[StackPlan, dict[str, list[Requests]], list[str]]:
    """The stack before the change the preview shows, its traffic, and what could not be priced. A table the
    preview creates is not there before; one it replaces or deletes is as its step's old inputs declare it
    (else, replaced, as it is live or declared); every other table is the same on both sides."""
    traffic = stack_requests(declared)
    steps: dict[str, PreviewStep] = {}
    for each in preview.table_steps():
        held = steps.get(each.logical_name)
        if held is None or WEIGHT[each.operation] > WEIGHT[held.operation]:
            steps[each.logical_name] = each
    live = {plan.name: plan for plan in live_stack(client, declared).tables} if client is not None else {}
    plans: list[TablePlan] = []
    unpriced: list[str] = []
    for plan in declared.tables:
        step: PreviewStep | None = steps.pop(plan.resource_name) if plan.resource_name in steps else None
        operation = step.operation if step else Operation.NONE
        if operation is Operation.CREATE:
            continue
        if step is not None and operation is Operation.REPLACE:
            old = _plan_from_inputs(plan, step.old_inputs, step.logical_name) if step.old_inputs else None
            plans.append(old or live.get(plan.name) or plan)
            continue
        plans.append(plan)
    for step in steps.values():  # table resources the stack does not declare
        if step.operation not in (Operation.DELETE, Operation.REPLACE):
            continue
        if step.old_inputs is None:
            unpriced.append(f"{step.logical_name} (the preview {step.operation.verb}; its step has no oldState)")
            continue
        old = _plan_from_inputs(declared.tables[0], step.old_inputs, step.logical_name)
        plans.append(old)
        traffic[old.name] = []  # no declared access pattern reaches a table the stack does not declare
    return StackPlan(settings=declared.settings, tables=plans, consumers=declared.consumers), traffic, unpriced


# --- rendering -----------------------------------------------------------------------------------------


def money(value: float) -> str:
    return f"${value:,.2f}"


def signed(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}{money(abs(value))}"


@dataclass(frozen=True)
class CostReport:
    after: StackCost
    prices: PriceSheet
    before: StackCost | None = None
    before_label: str = ""
    budget_usd: float | None = None
    budget_mandatory: bool = False
    unpriced: tuple[str, ...] = ()  # tables the change deletes whose cost before it is not known

    @property
    def deltas(self) -> list[TableDelta]:
        return compare(self.before, self.after) if self.before is not None else []

    @property
    def over_budget(self) -> bool:
        return self.budget_usd is not None and self.after.total > self.budget_usd

    def exit_code(self) -> int:
        """0, or 3 when the stack is over a mandatory budget (as `tables plan` exits 3 on what stops a deploy)."""
        return 3 if self.over_budget and self.budget_mandatory else 0

    def budget_line(self) -> str | None:
        if self.budget_usd is None:
            return None
        if not self.over_budget:
            return f"budget: {money(self.after.total)} of {money(self.budget_usd)} a month"
        named = ", ".join(f"{t.name} {money(t.total)}" for t in sorted(self.after.tables, key=lambda t: -t.total)
                          if t.total > 0)
        level = "mandatory" if self.budget_mandatory else "advisory"
        return (f"OVER BUDGET ({level}): {money(self.after.total)} a month is above the stack's costBudget of "
                f"{money(self.budget_usd)}; tables: {named or 'none with a cost'}")

    def as_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "stack": self.after.stack, "region": self.after.region,
            "prices": {"file": str(self.prices.path.name), "date": self.prices.date, "source": self.prices.source},
            "totalUsd": self.after.total,
            "tables": [dict(t.as_json(), classAdvice=self.after.advice[t.name].summary()) for t in self.after.tables],
        }
        if self.before is not None:
            result["before"] = {"label": self.before_label, "totalUsd": self.before.total}
            result["deltaUsd"] = self.after.total - self.before.total
            result["notPriced"] = list(self.unpriced)
            result["deltas"] = [{"name": d.name, "beforeUsd": d.before_usd, "afterUsd": d.after_usd,
                                 "deltaUsd": d.delta,
                                 "changed": [{"item": item, "beforeUsd": b, "afterUsd": a}
                                             for item, b, a in d.changed_lines()]}
                                for d in self.deltas]
        if self.budget_usd is not None:
            result["budget"] = {"monthlyUsd": self.budget_usd, "mandatory": self.budget_mandatory,
                                "over": self.over_budget}
        return result


def format_text(report: CostReport) -> str:
    cost = report.after
    lines = [f"stack {cost.stack} ({cost.region}), prices {report.prices.path.name} of {report.prices.date}: "
             f"{money(cost.total)} a month"]
    for table in cost.tables:
        lines.append(f"  {table.name} ({table.billing_mode}, {CLASS_LABELS[table.table_class]}): {money(table.total)}")
        for line in table.lines:
            lines.append(f"    {line.item:<28} {money(line.usd):>12}  {line.basis}")
        for note in table.notes:
            lines.append(f"    note: {note}")
        lines.append(f"    table class: {cost.advice[table.name].summary()}")
    if report.before is not None:
        lines.append(f"change against {report.before_label}: {money(report.before.total)} -> {money(cost.total)} "
                     f"({signed(cost.total - report.before.total)} a month)")
        for delta in report.deltas:
            if abs(delta.delta) < 0.005 and not delta.changed_lines():
                continue
            changed = "; ".join(f"{item} {money(b)} -> {money(a)}" for item, b, a in delta.changed_lines())
            lines.append(f"  {delta.name}: {money(delta.before_usd)} -> {money(delta.after_usd)} "
                         f"({signed(delta.delta)}){': ' + changed if changed else ''}")
        if report.unpriced:
            lines.append(f"  not priced before the change: {'; '.join(report.unpriced)}")
    budget = report.budget_line()
    if budget:
        lines.append(budget)
    return "\n".join(lines)


def format_markdown(report: CostReport) -> str:
    cost = report.after
    out = [f"### Monthly cost: stack `{cost.stack}` ({cost.region})", ""]
    if report.before is not None:
        out += [f"**{money(report.before.total)} → {money(cost.total)}** "
                f"({signed(cost.total - report.before.total)} a month) against {report.before_label}", "",
                "| Table | Before | After | Delta | What changed |", "|---|---:|---:|---:|---|"]
        unchanged = 0
        for delta in report.deltas:
            changed = "; ".join(f"{item} {money(b)} → {money(a)}" for item, b, a in delta.changed_lines())
            if not changed and delta.before is not None and delta.after is not None:
                unchanged += 1
                continue
            state = " (new)" if delta.before is None else " (removed)" if delta.after is None else ""
            out.append(f"| `{delta.name}`{state} | {money(delta.before_usd)} | {money(delta.after_usd)} | "
                       f"{signed(delta.delta)} | {changed or '—'} |")
        out += [f"| {unchanged} other tables | | | +$0.00 | unchanged |" if unchanged else "", ""]
        if report.unpriced:
            out += [f"Not priced before the change: {'; '.join(report.unpriced)}.", ""]
    else:
        out += [f"**{money(cost.total)} a month**", ""]
    out += ["| Table | Mode | Class | Requests | Storage | PITR | Backups | Total | Table class |",
            "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for table in cost.tables:
        backups = sum(line.usd for line in table.lines if "backup" in line.item.lower())
        out.append(f"| `{table.name}` | {'on-demand' if table.billing_mode == 'PAY_PER_REQUEST' else 'provisioned'} "
                   f"| {CLASS_LABELS[table.table_class]} | {money(table.throughput)} | "
                   f"{money(table.storage) + (' (no size declared)' if table.notes else '')} | "
                   f"{money(table.line('point-in-time recovery'))} | {money(backups)} | {money(table.total)} | "
                   f"{cost.advice[table.name].summary()} |")
    out += ["", f"Prices: `prices/{report.prices.path.name}` ({report.prices.date}). Storage from declared sizes or "
                "live tables; requests from the access patterns' declared peak rates, held all month (an upper bound). "
                "What the estimate leaves out: docs/cost.md."]
    budget = report.budget_line()
    if budget:
        out += ["", f"**{budget}**" if report.over_budget else budget]
    return "\n".join(out)


def build_report(project_dir: Path, stack: str, prices_dir: Path, client: DynamoDBClient | None,
                 base_ref: str | None = None, against_live: bool = False,
                 pulumi_preview: Path | None = None) -> CostReport:
    """The stack priced (and the change, with base_ref, against_live or pulumi_preview). A bad price file is
    one line."""
    try:
        return _build_report(project_dir, stack, prices_dir, client, base_ref, against_live, pulumi_preview)
    except PriceError as error:
        raise ToolError("InvalidPrices", str(error), where=str(prices_dir)) from None


def _build_report(project_dir: Path, stack: str, prices_dir: Path, client: DynamoDBClient | None,
                  base_ref: str | None, against_live: bool, pulumi_preview: Path | None) -> CostReport:
    declared, region = load_stack(project_dir, stack)
    preview = read_preview(pulumi_preview, stack) if pulumi_preview is not None else None
    prices = load_prices(prices_dir, region)
    storage: dict[str, StoredData] = {}
    if client is not None:
        for plan in declared.tables:
            live = live_storage(client, plan)
            if live is not None:
                storage[plan.name] = live
    after = price_stack(declared, prices, storage=storage)
    before = None
    label = ""
    unpriced: list[str] = []
    if preview is not None:
        old, old_traffic, unpriced = preview_base(declared, preview, client)
        before = price_stack(old, prices, client=client, storage=storage, requests_by_table=old_traffic)
        label = f"Pulumi's preview ({preview.path.name})"
    elif base_ref is not None:
        base, base_traffic = base_stack(project_dir, base_ref, stack)
        before = price_stack(base, prices, storage=storage, requests_by_table=base_traffic)
        label = f"`{base_ref}`" + ("" if base_traffic is not None else " (which declares no access patterns: "
                                                                         "today's traffic priced on both sides)")
    elif against_live:
        if client is None:
            raise ToolError("NoEndpoint", "--against live needs the live tables: give --endpoint-url, --local or "
                                          "AWS credentials")
        before, label = price_stack(live_stack(client, declared), prices, storage=storage), "the live tables"
    budget = declared.settings.cost_budget
    return CostReport(after=after, prices=prices, before=before, before_label=label,
                      budget_usd=budget.monthly_usd if budget else None,
                      budget_mandatory=bool(budget and budget.mandatory), unpriced=tuple(unpriced))
