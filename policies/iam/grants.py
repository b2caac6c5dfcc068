"""What an IAM policy document grants on DynamoDB, judged statement by statement.

A statement is judged by what it grants, not by how it is spelled: `Action`/`NotAction` expand to the
DynamoDB actions of the Service Authorization Reference (policies/iam/actions.py), and
`Resource`/`NotResource` to the stack's tables, indexes and streams. Then:
- a management or restore action, on anything, is a violation unless the grantee is an operator role;
- a data action (item, stream or describe) on a table the grantee is not declared to use is a violation,
  as is one beyond the access kinds it is declared to have there;
- a wildcard in the partition, region, account or table position of a DynamoDB ARN is a violation, and
  so is `NotResource` (it reaches every resource it does not name) and `Resource: "*"`.

Only `Allow` statements are judged, each on its own: a `Deny` beside an `Allow` does not make the
`Allow` safe (the `Deny` can be removed, or attached elsewhere, without anyone revisiting the grant),
and a `Condition` on an identity policy does not narrow what the pack accepts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policies.iam.actions import DynamoDBAction, matching, not_matching, reference_version, unknown_dynamodb_actions

# The wildcard positions of a DynamoDB ARN, in the order they are named in messages.
POSITIONS = ("partition", "region", "account", "table")
SHOWN_ACTIONS = 4


@dataclass(frozen=True)
class StackTables:
    """The tables a stack declares (physical names), and where they live."""

    stack: str
    partition: str
    region: str
    tables: tuple[str, ...]


@dataclass(frozen=True)
class Grantee:
    """Who a document grants to, and which tables (and actions on each) it is declared to have.

    `declared` maps a table name to (the declared access kinds, as words; the DynamoDB actions they
    allow). An operator may manage the stack's tables: `declared` is None and any table of the stack
    is its own.
    """

    label: str
    declared: Mapping[str, tuple[str, frozenset[str]]] | None
    declared_in: str
    operator: bool = False
    not_operator: str = ""  # why it may not manage tables; "<label> is not an operator role" when empty
    # A resource policy's Resource takes effect only where it matches the resource the policy is attached
    # to ("DynamoDB resource-based policy examples", docs.aws.amazon.com/amazondynamodb/latest/developerguide/
    # rbac-examples.html): there a wildcard or NotResource cannot reach another table.
    attached_to: str | None = None


@dataclass
class _Reach:
    """One `Resource` entry, read as a DynamoDB ARN."""

    text: str
    dynamodb: bool = True
    wildcards: list[str] = field(default_factory=list)
    outside: str = ""  # why a literal ARN is not in this stack (another partition or region)
    table: str | None = None
    reached: list[str] = field(default_factory=list)  # the stack's tables a wildcard pattern reaches


def _as_list(value: Any) -> list[Any]:
    """IAM's "one or a list": a string or a statement alone, or a list (a Sequence proxy over gRPC)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [] if value is None else [value]


def _wild(text: str) -> bool:
    return "*" in text or "?" in text or "${" in text


def _glob(pattern: str) -> re.Pattern[str]:
    # Resource ARNs match case-sensitively; `*` and `?` are IAM's wildcards.
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


def read_resource(text: str, scope: StackTables) -> _Reach:
    reach = _Reach(text)
    if text == "*":
        reach.wildcards = ["service", *POSITIONS]
        reach.reached = list(scope.tables)
        return reach
    parts = text.split(":", 5)
    if len(parts) < 6:
        if not text.endswith("*"):
            reach.dynamodb = False  # not an ARN: IAM refuses the document, it grants nothing
            return reach
        # `arn:aws:dynamodb:*` — the trailing wildcard stands for every position after it.
        parts += ["*"] * (6 - len(parts))
    _, partition, service, region, account, resource = parts
    if not _glob(service).fullmatch("dynamodb"):
        reach.dynamodb = False
        return reach
    if service != "dynamodb":
        reach.wildcards.append("service")
    table_part = resource.removeprefix("table/") if resource.startswith("table/") else None
    table_name = table_part.split("/", 1)[0] if table_part is not None else None
    for position, value in (("partition", partition), ("region", region), ("account", account),
                            ("table", resource if table_name is None else table_name)):
        if _wild(value):
            reach.wildcards.append(position)
    if not _wild(partition) and partition != scope.partition:
        reach.outside = f"partition {partition}, not this stack's {scope.partition}"
    elif not _wild(region) and region != scope.region:
        reach.outside = f"region {region}, not this stack's {scope.region}"
    if table_name is not None and not _wild(table_name):
        reach.table = table_name
    elif "table" in reach.wildcards and not reach.outside:
        name_pattern = _glob(resource)
        reach.reached = [t for t in scope.tables
                         if any(name_pattern.fullmatch(f"table/{t}{tail}") for tail in ("", "/index/x", "/stream/x"))]
    return reach


def _names(actions: Sequence[DynamoDBAction]) -> str:
    names = [a.name for a in actions]
    if len(names) <= SHOWN_ACTIONS + 1:
        return ", ".join(names)
    return f"{', '.join(names[:SHOWN_ACTIONS])} and {len(names) - SHOWN_ACTIONS} more"


def _tables(tables: Sequence[str]) -> str:
    shown = ", ".join(f"'{t}'" for t in tables[:3])
    return shown + (f" and {len(tables) - 3} more" if len(tables) > 3 else "")


def _management_kind(actions: Sequence[DynamoDBAction]) -> str:
    restore = any(a.is_restore for a in actions)
    manage = any(not a.is_restore for a in actions)
    return " and ".join(k for k, present in (("table-management", manage), ("restore", restore)) if present)


def judge_statement(statement: Mapping[str, Any], label: str, grantee: Grantee,
                    scope: StackTables) -> Iterator[str]:
    """One message per thing the statement grants that it should not; nothing for a Deny."""
    if statement.get("Effect") != "Allow":
        return
    if "NotAction" in statement:
        actions = not_matching([a for a in _as_list(statement["NotAction"]) if isinstance(a, str)])
    else:
        patterns = [a for a in _as_list(statement.get("Action")) if isinstance(a, str)]
        actions = matching(patterns)
        unknown = unknown_dynamodb_actions(patterns)
        if unknown:
            yield (f"statement {label} allows {', '.join(unknown)}, which AWS's DynamoDB action list as pinned "
                   f"(parliament {reference_version()}) does not define, so what it grants cannot be judged; name "
                   "actions from the list, or update the pin")
    if not actions:
        return  # no DynamoDB action: another service's statement (a KMS key, a log group)
    management = [a for a in actions if not a.is_data]
    # An operator's management actions are judged like data actions: on named tables of the stack.
    judged = actions if grantee.operator else [a for a in actions if a.is_data]
    if "NotResource" in statement:
        excluded = [r for r in _as_list(statement["NotResource"]) if isinstance(r, str)]
        where = f"every resource except {', '.join(excluded)} (NotResource)"
    else:
        excluded = None
        where = ", ".join(r for r in _as_list(statement.get("Resource")) if isinstance(r, str))
    if management and not grantee.operator:
        yield (f"statement {label} allows {_management_kind(management)} actions ({_names(management)}) on "
               f"{where}; only operator roles may manage or restore tables, and "
               f"{grantee.not_operator or grantee.label + ' is not one'}")
    if not judged:
        return
    if grantee.attached_to is not None and (excluded is not None or any(
            read_resource(r, scope).wildcards for r in _as_list(statement.get("Resource")) if isinstance(r, str))):
        # `Resource: "*"` or NotResource in a resource policy: its own table, judged as if named.
        yield from _judge_resource(read_resource(grantee.attached_to, scope), judged, label, grantee, scope)
        return
    if excluded is not None:
        named = [read_resource(r, scope) for r in excluded]
        others = [t for t in scope.tables if not any(n.table == t or t in n.reached for n in named)]
        example = f", among them this stack's {_tables(others)}" if others else ""
        yield (f"statement {label} allows {_names(judged)} on {where}, which reaches every other table and "
               f"stream in every account{example}; name the tables in Resource instead")
        return
    for text in (r for r in _as_list(statement.get("Resource")) if isinstance(r, str)):
        yield from _judge_resource(read_resource(text, scope), judged, label, grantee, scope)


def _judge_resource(reach: _Reach, actions: list[DynamoDBAction], label: str, grantee: Grantee,
                    scope: StackTables) -> Iterator[str]:
    if not reach.dynamodb:
        return
    if reach.wildcards:
        if reach.text == "*":
            what = "every resource of every service"
        else:
            *first, last = reach.wildcards
            what = f"a wildcard in its {', '.join(first) + ' and ' if first else ''}{last}"
        tables = grantee.declared
        beyond = [t for t in reach.reached if tables is not None and t not in tables]
        reaches = f"; it reaches this stack's {_tables(beyond)}, which {grantee.label} is not declared to use" \
            if beyond else ""
        yield (f"statement {label} allows {_names(actions)} on {reach.text}, {what}{reaches}; name each "
               f"table's ARN")
        return
    if reach.outside:
        yield (f"statement {label} allows {_names(actions)} on {reach.text}, which is in {reach.outside}: no "
               f"table {grantee.label} is declared to use")
        return
    if reach.table is None:
        return  # a backup, export or global-table ARN: only management actions apply, judged above
    if grantee.declared is None:
        # An operator manages this stack's tables, not another stack's.
        if reach.table not in scope.tables:
            yield (f"statement {label} allows {_names(actions)} on table '{reach.table}', which is not a table of "
                   f"stack '{scope.stack}', so {grantee.label} has no business with it here")
        return
    declared = grantee.declared.get(reach.table)
    if declared is None:
        yield (f"statement {label} allows {_names(actions)} on table '{reach.table}', which {grantee.label} is "
               f"not declared to use ({grantee.declared_in})")
        return
    kinds, allowed = declared
    extra = [a for a in actions if a.name not in allowed]
    if extra:
        yield (f"statement {label} allows {_names(extra)} on table '{reach.table}', beyond the {kinds} access "
               f"{grantee.label} is declared to have there ({grantee.declared_in})")


def judge_document(document: Any, grantee: Grantee, scope: StackTables) -> Iterator[str]:
    """Every problem with a policy document (a JSON string or a parsed mapping)."""
    try:
        parsed = json.loads(document) if isinstance(document, str) else document
    except json.JSONDecodeError as error:
        yield f"it does not parse as JSON ({error.msg})"
        return
    statements = parsed.get("Statement", []) if isinstance(parsed, Mapping) else []
    for index, statement in enumerate(_as_list(statements)):
        if isinstance(statement, Mapping):
            yield from judge_statement(statement, str(statement.get("Sid", f"#{index}")), grantee, scope)
