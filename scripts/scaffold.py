"""`tables scaffold`: a family module written from live tables (or their exported schema files).

Adopting tables that already exist should start from what is live, not from a guess: keys, key types,
indexes (multi-attribute keys included), projections, TTL, stream, table class and billing are copied
exactly, so the import matches. What only the team knows is left as a TODO: each table's description
and the access pattern behind each index. The stack-config entry that adopts the tables is printed
beside the module.

The tags this program adds itself (environment, family, managed-by, data-classification,
stream-consumers) are read back into the model instead of being copied as tags.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from components.model.config_reader import PROJECT
from components.model.spec import (
    NAME_PATTERN,
    NAME_RULE,
    ON_DEMAND,
    Capacity,
    GlobalIndex,
    Key,
    LocalIndex,
    Projection,
    Stream,
    TableClass,
    TableSpec,
)
from components.model.tags import tag_problem
from scripts.errors import ToolError
from scripts.schema_files import TableSchema, spec_from_schema

FAMILY_KEY_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
ADDED_TAGS = {"environment", "family", "managed-by", "data-classification", "stream-consumers"}
TODO_DESCRIPTION = "TODO: what this table holds, and who writes it."
# An index's queries are declared as access patterns (components/model/patterns.py) in `patterns=`.
TODO_PATTERNS = "    # TODO: declare each index's queries as AccessPattern (components/model/patterns.py)."
TODO_CONSUMER = "todo-name-the-consumer"
MAX_LINE = 120  # the project's line length: a scaffolded module passes the linter as written


@dataclass(frozen=True)
class Scaffold:
    module: str  # the family module's source
    config: str  # the Pulumi.<stack>.yaml entry that adopts the tables
    specs: tuple[TableSpec, ...]


def _q(text: str) -> str:
    """A Python string literal for any text, in the project's style (double quotes).

    Everything the module quotes came from outside (table, attribute and index names, tags, paths), so
    it is escaped here, never pasted: a backslash or quote cannot end the literal, a control character
    is written as its escape, and an emoji stays one character (JSON's escapes would turn it into two
    lone surrogates)."""
    out = []
    for char in text:
        if char in '\\"':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])  # \n, \x1b, \u2028, a lone surrogate's \udc80
    return '"' + "".join(out) + '"'


def _docstring_line(text: str) -> str:
    """Text from outside (a directory, an endpoint) as one line inside a triple-quoted docstring: as it is
    when it holds no quote, backslash or control character, else its repr with every double quote
    escaped, so no run of quotes can close the docstring and no `\\U` can start an escape."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return text
    return repr(text).replace('"', '\\"')


def _call(name: str, parts: list[str], indent: str) -> str:
    """`name(a, b)` on one line when it fits, else one argument a line, as a formatter would."""
    line = f"{indent}{name}({', '.join(parts)}),"
    if len(line) <= MAX_LINE:
        return line
    return "\n".join([f"{indent}{name}(", *(f"{indent}    {part}," for part in parts), f"{indent}),"])


def table_key(base_name: str) -> str:
    """`ProductsTable` -> `products-table`, `shop_jobs` -> `shop-jobs`: a key for URNs and config."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", base_name)
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", words)
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")


def _identifier(key: str) -> str:
    """The module-level name of a table's spec: `products_table`; `table_2023_orders` for a key that
    starts with a digit (keys are [a-z0-9-], so nothing else can make it invalid)."""
    words = key.replace("-", "_")
    name = f"{words}_table"
    return name if name.isidentifier() else f"table_{words}"


def _env_var(key: str) -> str:
    """The variable that carries the table's name to its services: a valid shell name, never a leading digit."""
    words = key.replace("-", "_").upper()
    return f"{words}_TABLE_NAME" if not words[:1].isdigit() else f"TABLE_{words}_NAME"


def _camel(key: str) -> str:
    return "".join(part.capitalize() for part in key.split("-"))


def _base_name(name: str, prefix: str, suffix: str) -> str:
    if not name.startswith(prefix) or not name.endswith(suffix):
        raise ToolError("PrefixMismatch", f"table {name!r} does not start with --prefix {prefix!r} and end with "
                                          f"--suffix {suffix!r}; every table of a family shares them", where=name)
    return name[len(prefix):len(name) - len(suffix) if suffix else None]


def _key(key: Key) -> str:
    return f"Key({_q(key.name)})" if key.type == "S" else f"Key({_q(key.name)}, {_q(key.type)})"


def _keys(keys: Sequence[Key]) -> str:
    return "(" + ", ".join(_key(k) for k in keys) + ("," if len(keys) == 1 else "") + ")"


def _projection(projection: Projection, non_key: tuple[str, ...]) -> list[str]:
    parts = [] if projection is Projection.ALL else [f"projection=Projection.{projection.name}"]
    if non_key:
        parts.append(f"non_key_attributes=({', '.join(_q(a) for a in non_key)},)")
    return parts


def _capacity(capacity: Capacity) -> str:
    return f"Capacity(read={capacity.read}, write={capacity.write})"


def _global_index(spec: TableSpec, index: GlobalIndex) -> str:
    parts = [_q(index.name), f"partition={_keys(index.partition)}"]
    if index.sort:
        parts.append(f"sort={_keys(index.sort)}")
    parts += _projection(index.projection, index.non_key_attributes)
    if index.capacity is not None and index.capacity != spec.capacity:  # equal: the index inherits the table's
        parts.append(f"capacity={_capacity(index.capacity)}")
    return _call("GlobalIndex", parts, "        ")


def _local_index(index: LocalIndex) -> str:
    parts = [_q(index.name), f"sort={_key(index.sort)}", *_projection(index.projection, index.non_key_attributes)]
    return _call("LocalIndex", parts, "        ")


def _tags(schema: TableSchema) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in schema.create.get("Tags") or [] if not t["Key"].lower().startswith("aws:")}


def _table_source(spec: TableSpec, schema: TableSchema, own_tags: dict[str, str], used: set[str]) -> list[str]:
    tags = _tags(schema)
    lines = [f"{_identifier(spec.key)} = TableSpec(",
             f"    key={_q(spec.key)},",
             f"    base_name={_q(spec.base_name)},",
             f"    env_var={_q(spec.env_var)},",
             f"    description={_q(TODO_DESCRIPTION)},",
             f"    partition={_key(spec.partition)},"]
    used.update({"TableSpec", "Key"})
    if spec.sort is not None:
        lines.append(f"    sort={_key(spec.sort)},")
    if spec.global_indexes:
        used.add("GlobalIndex")
        lines += ["    global_indexes=(", *(_global_index(spec, i) for i in spec.global_indexes), "    ),"]
    if spec.local_indexes:
        used.add("LocalIndex")
        lines += ["    local_indexes=(", *(_local_index(i) for i in spec.local_indexes), "    ),"]
    indexes: list[GlobalIndex | LocalIndex] = [*spec.global_indexes, *spec.local_indexes]
    if any(index.projection is not Projection.ALL for index in indexes):
        used.add("Projection")
    used.update({"Capacity"} if spec.capacity or any(i.capacity for i in spec.global_indexes) else set())
    if spec.ttl_attribute:
        lines.append(f"    ttl_attribute={_q(spec.ttl_attribute)},")
    if spec.stream is not None:
        used.update({"Stream", "StreamViewType"})
        consumers = tuple(tags.get("stream-consumers", TODO_CONSUMER).split())
        lines.append(f"    stream=Stream(StreamViewType.{spec.stream.view_type.name}, "
                     f"consumers=({', '.join(_q(c) for c in consumers)},)),")
    if spec.table_class is not TableClass.STANDARD:
        used.add("TableClass")
        lines.append(f"    table_class=TableClass.{spec.table_class.name},")
    if spec.billing_mode != ON_DEMAND:
        used.add("PROVISIONED")
        lines.append("    billing_mode=PROVISIONED,")
        if spec.capacity is not None:
            lines.append(f"    capacity={_capacity(spec.capacity)},")
    if "data-classification" in tags and tags["data-classification"] != "internal":
        lines.append(f"    data_classification={_q(tags['data-classification'])},")
    if own_tags:
        lines.append(f"    tags={{{', '.join(f'{_q(k)}: {_q(v)}' for k, v in sorted(own_tags.items()))}}},")
    lines.append(")")
    return lines


def _uniform(values: list[object]) -> object | None:
    counts = Counter(values)
    return values[0] if len(counts) == 1 else None


def check_family_key(family: str) -> None:
    if not FAMILY_KEY_PATTERN.fullmatch(family):
        raise ToolError("InvalidFamily", f"--family {family!r}: use lower-case words joined by hyphens, "
                                         "e.g. construction-expenses", where=family)


def scaffold_family(schemas: Sequence[TableSchema], family: str, prefix: str = "", suffix: str = "",
                    source: str = "") -> Scaffold:
    check_family_key(family)
    if not schemas:
        raise ToolError("NoTables", f"no tables to scaffold from {source}")
    specs: list[TableSpec] = []
    keys: dict[str, str] = {}
    for schema in schemas:
        base = _base_name(schema.name, prefix, suffix)
        if not NAME_PATTERN.fullmatch(base):
            raise ToolError("InvalidName", f"table {schema.name!r}: the name left after --prefix/--suffix, "
                                           f"{base!r}, is not {NAME_RULE}", where=schema.name)
        key = table_key(base)
        if not key:
            raise ToolError("InvalidName", f"table {schema.name!r}: the name left after --prefix/--suffix, {base!r}, "
                                           "has no letter or digit to make a table key of", where=schema.name)
        if key in keys:
            raise ToolError("DuplicateKey", f"tables {keys[key]!r} and {schema.name!r} both become table key "
                                            f"{key!r}; rename one key in the module", where=schema.name)
        keys[key] = schema.name
        found = spec_from_schema(schema)
        tags = _tags(schema)
        stream = found.stream
        if stream is not None:
            stream = Stream(stream.view_type, tuple(tags.get("stream-consumers", TODO_CONSUMER).split()))
        specs.append(TableSpec(
            key=key, base_name=base, env_var=_env_var(key),
            description=TODO_DESCRIPTION, partition=found.partition, sort=found.sort,
            global_indexes=found.global_indexes, local_indexes=found.local_indexes,
            ttl_attribute=found.ttl_attribute, stream=stream, table_class=found.table_class,
            billing_mode=found.billing_mode, capacity=found.capacity,
            data_classification=tags.get("data-classification", "internal")))

    # Tags every table carries go to the family's stack config; the rest stay with their table.
    all_tags = [{k: v for k, v in _tags(s).items() if k not in ADDED_TAGS} for s in schemas]
    shared = {k: v for k, v in all_tags[0].items() if all(t.get(k) == v for t in all_tags)}
    for name, value in shared.items():
        if tag_problem(name, value) is not None:
            raise ToolError("InvalidTag", f"tag {name}={value!r} of {schemas[0].name}: {tag_problem(name, value)}")

    used: set[str] = set()
    body: list[str] = []
    for spec, schema, tags in zip(specs, schemas, all_tags, strict=True):
        own = {k: v for k, v in tags.items() if k not in shared}
        body += [*_table_source(spec, schema, own, used), "", ""]
    title = " ".join(word.capitalize() for word in family.split("-"))
    names = ", ".join(_identifier(spec.key) for spec in specs)
    tables = f"    tables=({names},),"
    if len(tables) > MAX_LINE:
        tables = "\n".join(["    tables=(", *(f"        {_identifier(spec.key)}," for spec in specs), "    ),"])
    body += ["FAMILY = FamilyDefinition(",
             f"    key={_q(family)},",
             f"    title={_q(title)},",
             tables,
             f"    component_type={_q(_camel(family))},",
             *([TODO_PATTERNS, "    patterns=(),"] if any(s.global_indexes or s.local_indexes for s in specs) else []),
             ")"]
    spec_names = sorted(used, key=lambda name: (not name.isupper(), name))  # constants first, as isort does
    imports = ["from components.model.family import FamilyDefinition"]
    if len(", ".join(spec_names)) + len("from components.model.spec import ") <= MAX_LINE:
        imports.append(f"from components.model.spec import {', '.join(spec_names)}")
    else:
        imports += ["from components.model.spec import (", *(f"    {n}," for n in spec_names), ")"]
    header = [f'"""{title}: scaffolded by `tables scaffold` from',
              *(_docstring_line(line) for line in (source or "live tables").split("\n")), "",
              "TODO: say what the family is for, describe each table and each index's access pattern.",
              "Keys, indexes, TTL, stream and table class are copied from the live tables: changing them",
              "replaces the table or rebuilds the index (run `tables plan` before `pulumi up`).",
              '"""', "", *imports, ""]
    module = "\n".join(header + body) + "\n"
    check_module(module, family)
    return Scaffold(module=module, config=_config(family, schemas, prefix, suffix, shared), specs=tuple(specs))


def check_module(module: str, family: str) -> None:
    """The module compiles: a bug here (or a name that got past the escaping) is one line, and no file is
    written. Compiling runs nothing, and so proves nothing about imports; the escaping above does that."""
    try:
        compile(module, f"<scaffold of {family}>", "exec")
    except (SyntaxError, ValueError) as error:
        raise ToolError("ScaffoldBug", f"the module scaffolded for family {family!r} does not compile "
                                       f"({error}); nothing written. Please report it with the schema files",
                        where=family) from None


def _config(family: str, schemas: Sequence[TableSchema], prefix: str, suffix: str, tags: dict[str, str]) -> str:
    """The stack-config entry, written by a YAML emitter: a prefix such as `@platform`, a tag value `yes`,
    or a KMS key with a newline in it stays one quoted string and cannot add a key of its own."""
    entry: dict[str, Any] = {}
    if prefix:
        entry["prefix"] = prefix
    if suffix:
        entry["suffix"] = suffix
    entry["existing"] = True
    pitr = _uniform([s.pitr_enabled for s in schemas])
    days = _uniform([s.pitr_days for s in schemas])
    protection = _uniform([bool(s.create.get("DeletionProtectionEnabled")) for s in schemas])
    kms = _uniform([(s.create.get("SSESpecification") or {}).get("KMSMasterKeyId") for s in schemas])
    differ = []
    if pitr is None:
        differ.append("point-in-time recovery")
    elif pitr is False:
        entry["pointInTimeRecovery"] = False
    elif days is not None:
        entry["pitrRecoveryPeriodDays"] = days
    if protection is None:
        differ.append("deletion protection")
    else:
        entry["deletionProtection"] = bool(protection)
    if kms is None and len({(s.create.get("SSESpecification") or {}).get("KMSMasterKeyId") for s in schemas}) > 1:
        differ.append("KMS key")
    elif kms:
        entry["kmsKeyArn"] = str(kms)
    if tags:
        entry["tags"] = dict(sorted(tags.items()))
    document = yaml.safe_dump({"config": {f"{PROJECT}:families": {family: entry}}}, sort_keys=False,
                              allow_unicode=True, width=1_000_000, default_flow_style=False, indent=2)
    lines = ["  # The tables are live already: `existing: true` makes the first pulumi up adopt (import) them.",
             *document.splitlines()[1:]]  # the entry as it sits under config:
    if differ:
        lines.append(f"  # TODO: the tables differ in {', '.join(differ)}; a family sets one value for all, so "
                     "tables plan will list the others as updates")
    return "\n".join(lines)
