"""Stack files read the way the Pulumi CLI reads them, into the config map the engine hands a program.

The Pulumi CLI parses `Pulumi.<stack>.yaml` with Go's yaml.v3 into untyped values, turns each value into
the text the program receives (pulumi/pulumi `sdk/go/common/resource/config/object.go`:
`unmarshalObject`, `MarshalString`), then applies `Pulumi.yaml`'s `config:` declarations: defaults for
keys the stack leaves out, and type checks (pulumi/pulumi `pkg/workspace/config.go`: `mergeConfig`,
`validateStackConfigValue`; `sdk/go/common/workspace/project.go`: `ValidateConfigValue`,
`RewriteShorthandConfigValues`). `tables` must see exactly what the program sees, so this module does
the same, rule by rule:

- YAML 1.2 syntax through ruamel.yaml's parser; scalars resolved as yaml.v3 v3.0.1 resolves them
  (go-yaml/yaml `resolve.go`: `resolve`, `parseTimestamp`; `decode.go`: `scalar`, `mapping`, `merge`):
  `true`/`True`/`TRUE` are booleans but `yes`, `on` and `y` are text; `0o17`, `0x1F`, `0b1`, `017`
  and `1_000` are integers; an unquoted `2024-05-01` is a timestamp; merge keys (`<<`) merge, keys
  written in the mapping itself winning; a key given twice is an error.
- The text the engine passes: strings as they are; booleans and numbers as Go's `encoding/json` writes
  them (`35.0` becomes `35`); maps and lists as JSON; a timestamp as Go's `time.Time.String()`
  (`2024-05-01 00:00:00 +0000 UTC`); a `!!binary` value as its decoded bytes.

What the CLI would refuse (a key given twice, `.inf` or `.nan`, which JSON cannot carry, a typed key of
the wrong type, a declared key that is missing) is one `ModelError` line naming the file or stack and
the key. So is a `!!binary` value: the program would receive bytes the file does not show.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

from components.model.spec import ModelError

PROJECT_FILE = "Pulumi.yaml"

# yaml.v3 short tags (go-yaml/yaml resolve.go).
NULL_TAG, BOOL_TAG, STR_TAG, INT_TAG = "!!null", "!!bool", "!!str", "!!int"
FLOAT_TAG, TIMESTAMP_TAG, BINARY_TAG, MERGE_TAG = "!!float", "!!timestamp", "!!binary", "!!merge"
LONG_TAG_PREFIX = "tag:yaml.org,2002:"
RESOLVABLE_TAGS = ("", STR_TAG, BOOL_TAG, INT_TAG, FLOAT_TAG, NULL_TAG, TIMESTAMP_TAG)
# go-yaml/yaml resolve.go `resolveMapList`: the only words that are not text.
RESOLVE_MAP: dict[str, tuple[str, Any]] = {
    **{word: (BOOL_TAG, True) for word in ("true", "True", "TRUE")},
    **{word: (BOOL_TAG, False) for word in ("false", "False", "FALSE")},
    **{word: (NULL_TAG, None) for word in ("", "~", "null", "Null", "NULL")},
    **{word: (FLOAT_TAG, math.nan) for word in (".nan", ".NaN", ".NAN")},
    **{word: (FLOAT_TAG, math.inf) for word in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{word: (FLOAT_TAG, -math.inf) for word in ("-.inf", "-.Inf", "-.INF")},
    "<<": (MERGE_TAG, "<<"),
}
# resolve.go `resolveTable`: the first character decides what a plain scalar may be.
HINT_SIGN, HINT_DIGIT, HINT_MAP, HINT_DOT = "S", "D", "M", "."
YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# resolve.go `allowedTimestampFormats`, as Go's time.Parse reads those layouts.
TIMESTAMP = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})"
                       r"(?:(?P<sep>[Tt ])(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{1,2}):(?P<second>[0-9]{1,2})"
                       r"(?:\.(?P<fraction>[0-9]+))?(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?")
INT64_MIN, INT64_MAX, UINT64_MAX = -(2 ** 63), 2 ** 63 - 1, 2 ** 64 - 1


class StackFileError(ModelError):
    """A stack file the Pulumi CLI would refuse, or that would not reach the program as written."""


@dataclass(frozen=True)
class GoTime:
    """A YAML timestamp as yaml.v3 decodes it; `text` is Go's `time.Time.String()` of it."""

    text: str


@dataclass(frozen=True)
class GoKey:
    """A non-string map key (yaml.v3 decodes such a mapping as map[interface{}]interface{})."""

    value: Any


@dataclass
class _Node:
    kind: str  # "scalar", "mapping", "sequence" or "alias"
    tag: str  # yaml.v3's Node.Tag: the short explicit tag, or the tag its parser assigns
    value: str = ""
    line: int = 0
    quoted: bool = False  # single- or double-quoted, literal or folded: yaml.v3's indicatedString styles
    children: list[_Node] = field(default_factory=list)
    alias: _Node | None = None


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(LONG_TAG_PREFIX):] if tag.startswith(LONG_TAG_PREFIX) else tag


class _DecodeError(Exception):
    """A decoding failure, reported with the key path where it happened."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


def _hint(text: str) -> str | None:
    if text == "":
        return "N"
    first = text[0]
    if first in "+-":
        return HINT_SIGN
    if first.isdigit() and first.isascii():
        return HINT_DIGIT
    if first in "yYnNtTfFoO~":
        return HINT_MAP
    if first == ".":
        return HINT_DOT
    return None


def _go_parse_int(text: str, base: int = 0) -> int | None:
    """Go's strconv.ParseInt(text, base, 64) without its range check (base 0: 0x, 0o, 0b or a leading 0)."""
    sign, digits = (text[0], text[1:]) if text[:1] in ("+", "-") else ("", text)
    if base == 0:
        prefix = digits[:2].lower()
        if prefix in ("0x", "0o", "0b"):
            base, digits = {"0x": 16, "0o": 8, "0b": 2}[prefix], digits[2:]
        elif len(digits) > 1 and digits[0] == "0":
            base, digits = 8, digits[1:]
        else:
            base = 10
    allowed = "0123456789abcdef"[:base]
    if not digits or any(ch.lower() not in allowed for ch in digits):
        return None
    value = int(digits, base)
    return -value if sign == "-" else value


def _go_parse_uint(text: str, base: int = 0) -> int | None:
    if text[:1] in "+-":
        return None
    value = _go_parse_int(text, base)
    return value if value is not None and 0 <= value <= UINT64_MAX else None


def _go_parse_float(text: str) -> float | None:
    """strconv.ParseFloat for the decimal forms yaml.v3 hands it; out of range is an error, as in Go."""
    if "_" in text or not re.fullmatch(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", text):
        return None
    value = float(text)
    return None if math.isinf(value) else value


def _parse_timestamp(text: str) -> GoTime | None:
    """resolve.go `parseTimestamp`: Go's time.Parse with the layouts yaml.v3 allows, as time.Time.String()."""
    match = TIMESTAMP.fullmatch(text)
    if match is None or (match["sep"] is not None and match["sep"] in "Tt" and match["zone"] is None) or (
            match["sep"] == " " and match["zone"] is not None):
        return None
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    hour = int(match["hour"] or 0)
    minute = int(match["minute"] or 0)
    second = int(match["second"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    # Go keeps nanoseconds and prints the fraction without trailing zeros (layout .999999999).
    fraction = (match["fraction"] or "")[:9].rstrip("0")
    zone = match["zone"]
    if zone is None or zone == "Z" or zone in ("+00:00", "-00:00"):
        # A zone-less time is UTC; an offset of zero is the local zone, UTC on a build machine.
        suffix = "+0000 UTC"
    else:
        offset = zone.replace(":", "")
        suffix = f"{offset} {offset}"  # time.FixedZone("", offset): Go prints the offset as the zone name
    clock = f"{hour:02d}:{minute:02d}:{second:02d}" + (f".{fraction}" if fraction else "")
    return GoTime(f"{year:04d}-{month:02d}-{day:02d} {clock} {suffix}")


def resolve(tag: str, text: str) -> tuple[str, Any]:
    """go-yaml/yaml v3.0.1 resolve.go `resolve`: a scalar's tag and value. Raises _DecodeError as yaml.v3 fails."""
    tag = _short_tag(tag)
    if tag not in RESOLVABLE_TAGS:
        return tag, text
    resolved_tag, value = _resolve_plain(tag, text)
    if tag in ("", resolved_tag, STR_TAG, BINARY_TAG):
        return resolved_tag, value
    if tag == FLOAT_TAG and resolved_tag == INT_TAG:
        return FLOAT_TAG, float(value)
    raise _DecodeError(f"cannot decode {resolved_tag} `{text}` as a {tag}")


def _resolve_plain(tag: str, text: str) -> tuple[str, Any]:
    hint = _hint(text)
    if hint is not None and tag not in (STR_TAG, BINARY_TAG):
        if text in RESOLVE_MAP:
            return RESOLVE_MAP[text]
        if hint == HINT_DOT:
            number = _go_parse_float(text)
            if number is not None:
                return FLOAT_TAG, number
        elif hint in (HINT_DIGIT, HINT_SIGN):
            if tag in ("", TIMESTAMP_TAG):
                timestamp = _parse_timestamp(text)
                if timestamp is not None:
                    return TIMESTAMP_TAG, timestamp
            plain = text.replace("_", "")
            integer = _go_parse_int(plain)
            if integer is not None and INT64_MIN <= integer <= INT64_MAX:
                return INT_TAG, integer
            unsigned = _go_parse_uint(plain)
            if unsigned is not None:
                return INT_TAG, unsigned
            if YAML_STYLE_FLOAT.fullmatch(plain):
                number = _go_parse_float(plain)
                if number is not None:
                    return FLOAT_TAG, number
            # resolve.go then retries 0b and 0o digits alone, which base 0 above has already read.
    return STR_TAG, text


# --- parsing: ruamel.yaml's YAML 1.2 parser, nodes shaped as yaml.v3's parser shapes them ---------------

def _parse(text: str) -> _Node | None:
    """The first document of text as a node tree (decode.go `parser`), or None for an empty stream."""
    events = iter(YAML(typ="safe", pure=True).parse(text))
    anchors: dict[str, _Node] = {}

    def node(event: Event) -> _Node:
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        raw_tag = getattr(event, "tag", None)
        explicit = "" if raw_tag is None or str(raw_tag) == "!" else str(raw_tag)
        if isinstance(event, AliasEvent):
            target = anchors.get(str(event.anchor))
            if target is None:
                raise _DecodeError(f"unknown anchor '{event.anchor}' referenced")
            return _Node("alias", "", str(event.anchor), line, alias=target)
        if isinstance(event, ScalarEvent):
            quoted = event.style is not None and event.style in "'\"|>"
            if explicit:
                tag = _short_tag(explicit)
            elif quoted:
                tag = STR_TAG
            elif event.value == "<<":
                tag = MERGE_TAG
            else:
                tag = resolve("", event.value)[0]
            result = _Node("scalar", tag, event.value, line, quoted=quoted and not explicit)
        elif isinstance(event, MappingStartEvent | SequenceStartEvent):
            kind = "mapping" if isinstance(event, MappingStartEvent) else "sequence"
            result = _Node(kind, _short_tag(explicit), "", line)
            end = MappingEndEvent if kind == "mapping" else SequenceEndEvent
            if event.anchor is not None:
                anchors[str(event.anchor)] = result
            while True:
                child = next(events)
                if isinstance(child, end):
                    break
                result.children.append(node(child))
            return result
        else:
            raise _DecodeError(f"unexpected {type(event).__name__}")
        if event.anchor is not None:
            anchors[str(event.anchor)] = result
        return result

    for event in events:
        if isinstance(event, StreamStartEvent | DocumentEndEvent):
            continue
        if isinstance(event, StreamEndEvent):
            return None
        if isinstance(event, DocumentStartEvent):
            return node(next(events))
    return None


# --- decoding: yaml.v3 into interface{}, then Pulumi's config object -----------------------------------

def _short(node: _Node) -> str:
    """yaml.go `Node.ShortTag`."""
    if node.kind == "alias" and node.alias is not None:
        return _short(node.alias)
    if node.kind == "scalar" and (node.tag == STR_TAG or node.quoted):
        return STR_TAG
    return node.tag or {"mapping": "!!map", "sequence": "!!seq"}.get(node.kind, "")


def _is_merge(node: _Node) -> bool:
    """decode.go `isMerge`."""
    return node.kind == "scalar" and node.value == "<<" and not node.quoted and node.tag in ("", MERGE_TAG)


def _decode(node: _Node, path: str) -> Any:
    """decode.go `unmarshal` into an empty interface."""
    if node.kind == "alias":
        assert node.alias is not None
        return _decode(node.alias, path)
    if node.kind == "sequence":
        return [_decode(child, f"{path}[{i}]") for i, child in enumerate(node.children)]
    if node.kind == "mapping":
        return _mapping(node, path, None, None)
    if node.tag == STR_TAG or node.quoted:  # `indicatedString`
        return node.value
    try:
        tag, value = resolve(node.tag, node.value)
    except _DecodeError as failure:
        raise _DecodeError(f"line {node.line}: {failure}", path) from None
    if tag == BINARY_TAG:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _DecodeError(f"line {node.line}: !!binary value contains invalid base64 data", path) from None
    return value


def _key_of(value: Any) -> Any:
    if isinstance(value, dict | list):
        raise _DecodeError(f"invalid map key: {json.dumps(value, default=str)}")
    return value if isinstance(value, str) else GoKey(value)


def _mapping(node: _Node, path: str, out: dict[Any, Any] | None, merged: set[Any] | None) -> dict[Any, Any]:
    """decode.go `mapping` and `merge`: duplicate keys fail; keys written here win over merged ones."""
    pairs = list(zip(node.children[::2], node.children[1::2], strict=True))
    for i, (first, _) in enumerate(pairs):
        for later, _ in pairs[i + 1:]:
            if first.kind == later.kind and first.value == later.value:
                raise _DecodeError(f"line {later.line}: key '{later.value}' is given twice "
                                   f"(first on line {first.line})")
    out = {} if out is None else out
    merge_node = None
    for key_node, value_node in pairs:
        if _is_merge(key_node):
            merge_node = value_node
            continue
        key = _key_of(_decode(key_node, path))
        if merged is not None:
            if key in merged:
                continue
            merged.add(key)
        out[key] = _decode(value_node, _join(path, key))
    if merge_node is not None:
        if merged is None:
            merged = {_key_of(_decode(k, path)) for k, _ in pairs}
        sources = merge_node.children if merge_node.kind == "sequence" else [merge_node]
        for source in sources:
            target = source.alias if source.kind == "alias" else source
            if target is None or target.kind != "mapping":
                raise _DecodeError("map merge requires map or sequence of maps as the value")
            _mapping(target, path, out, merged)
    return out


def _join(path: str, key: Any) -> str:
    return f"{path}.{_go_sprint(key)}" if path else _go_sprint(key)


def _go_sprint(value: Any) -> str:
    """fmt.Sprintf("%v", k) for a decoded map key (object.go `unmarshalObject`, case map[any]any)."""
    value = value.value if isinstance(value, GoKey) else value
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float_text(value, "g")
    if isinstance(value, GoTime):
        return value.text
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _go_float_text(value: float, style: str) -> str:
    """Go's strconv.FormatFloat(value, style, -1, 64): the shortest digits that read back, in 'f', 'e' or
    'g' form ('g' with the shortest digits switches to 'e' below 1e-4 and from 1e6, as Go's %v does)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        digits, exponent = "0", 0
    else:
        shortest = Decimal(repr(abs(value))).normalize()
        digits, exponent = "".join(map(str, shortest.as_tuple().digits)), shortest.adjusted()
    if style == "g":
        style = "e" if exponent < -4 or exponent >= 6 else "f"
    if style == "e":
        mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if exponent >= 0:
        whole, fraction = digits[:exponent + 1].ljust(exponent + 1, "0"), digits[exponent + 1:]
    else:
        whole, fraction = "0", "0" * (-exponent - 1) + digits
    return sign + whole + (f".{fraction}" if fraction else "")


def go_json_float(value: float) -> str:
    """Go's encoding/json float64 text (encode.go `floatEncoder`): 'f' form, 'e' below 1e-6 or from 1e21."""
    if math.isnan(value) or math.isinf(value):
        raise _DecodeError(f"json: unsupported value: {_go_float_text(value, 'f')}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = _go_float_text(value, "e")
        # encode.go: clean up e-09 to e-9
        return re.sub(r"e-0(\d)$", r"e-\1", text)
    return _go_float_text(value, "f")


def _to_config_object(value: Any, path: str) -> Any:
    """object.go `unmarshalObject`: what Pulumi keeps of a decoded YAML value."""
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            raise _DecodeError("a !!binary value that is not UTF-8 text: the Pulumi CLI cannot pass it to the "
                        "program", path) from None
        raise _DecodeError(f"a !!binary value: the program would receive its decoded bytes ({json.dumps(text)}), "
                    "not what the file shows; write the text itself", path)
    if isinstance(value, GoTime):
        return value.text
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise _DecodeError(f"{_go_float_text(value, 'f')} is not a number the Pulumi CLI can pass (JSON has no "
                    "infinity or NaN); write a number or quote it as text", path)
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            text_key = _go_sprint(key)
            result[text_key] = _to_config_object(item, _join(path, text_key))
        return result
    if isinstance(value, list):
        return [_to_config_object(item, f"{path}[{i}]") for i, item in enumerate(value)]
    return value


def go_json(value: Any) -> str:
    """Go's json.Marshal of a config object: map keys sorted, floats in Go's form."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_json_float(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{go_json(v)}" for k, v in sorted(value.items())) + "}"


def engine_text(value: Any) -> str:
    """object.go `MarshalString`: strings as they are, everything else as JSON."""
    return value if isinstance(value, str) else go_json(value)


def engine_encoding(config: Mapping[str, Any]) -> dict[str, str]:
    """Encode already-decoded config values (plain Python values) the way the Pulumi engine passes them."""
    return {key: engine_text(value) for key, value in config.items()}


# --- the files -------------------------------------------------------------------------------------------

def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def stack_names(project_dir: Path) -> list[str]:
    """Every stack that has a `Pulumi.<stack>.yaml` in the project, sorted."""
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def read_yaml_file(path: Path) -> Any:
    """A YAML file's first document as yaml.v3 decodes it. Raises StackFileError naming the file."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StackFileError(f"{path.name}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
                             f"{error.start}); save it as UTF-8") from None
    try:
        root = _parse(text)
        return None if root is None else _decode(root, "")
    except MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise StackFileError(f"{path.name}{where}: not valid YAML ({error.problem})") from None
    except YAMLError as error:
        raise StackFileError(f"{path.name}: not valid YAML ({error})") from None
    except _DecodeError as failure:
        reason = str(failure)
        match = re.match(r"line (\d+): (.*)", reason)
        if match:
            raise StackFileError(f"{path.name} line {match[1]}: not valid YAML ({match[2]})") from None
        raise StackFileError(f"{path.name}: not valid YAML ({reason})") from None


def _config_section(path: Path, document: Any) -> dict[str, Any]:
    if document is None:
        return {}
    if not isinstance(document, dict) or not isinstance(document.get("config", {}) or {}, dict):
        raise StackFileError(f"{path.name}: expected a mapping with a 'config' map at the top")
    section = document.get("config") or {}
    return {(k if isinstance(k, str) else _go_sprint(k)): v for k, v in section.items()}


@dataclass(frozen=True)
class ConfigDeclaration:
    """One `config:` entry of Pulumi.yaml (workspace/project.go `ProjectConfigType`)."""

    key: str  # namespace:name
    type: str | None
    default: Any
    value: Any
    items: Any = None


def project_config(project_dir: Path, project: str) -> list[ConfigDeclaration]:
    """Pulumi.yaml's `config:` declarations, shorthand values rewritten as the CLI rewrites them."""
    path = project_dir / PROJECT_FILE
    if not path.is_file():
        return []
    document = read_yaml_file(path)
    declarations = []
    for name, body in _config_section(path, document).items():
        key = name if ":" in name else f"{project}:{name}"
        # project.go `RewriteShorthandConfigValues`: a bare value is the project key's default, or another
        # namespace's value.
        if not isinstance(body, dict):
            body = {"default": body} if key.startswith(f"{project}:") else {"value": body}
        declarations.append(ConfigDeclaration(key=key, type=body.get("type"), default=body.get("default"),
                                              value=body.get("value"), items=body.get("items")))
    return sorted(declarations, key=lambda d: d.key)


def _validate_type(type_name: str, items: Any, value: Any) -> bool:
    """project.go `ValidateConfigValue`, on the value as the engine holds it (text, or decoded JSON)."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int) or (isinstance(value, float) and value == math.trunc(value)):
            return True
        return isinstance(value, str) and re.fullmatch(r"[-+]?[0-9]+", value) is not None
    if type_name == "boolean":
        return value in ("true", "false") or isinstance(value, bool)
    if type_name == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or not isinstance(items, dict):
        return False
    return all(_validate_type(str(items.get("type")), items.get("items"), item) for item in value)


def _create_config_value(raw: Any) -> tuple[str, bool]:
    """workspace/config.go `createConfigValue`: a default's text, and whether it is an object value."""
    if isinstance(raw, str | bool) or (isinstance(raw, int) and not isinstance(raw, bool)):
        return (("true" if raw else "false") if isinstance(raw, bool) else str(raw)), False
    return go_json(_to_config_object(raw, "")), True


def load_stack_file(project_dir: Path, stack: str, project: str = "dynamodb-tables") -> dict[str, str]:
    """A stack file's config as the engine passes it to the program. Raises ModelError naming the file."""
    path = stack_file(project_dir, stack)
    if not path.is_file():
        available = stack_names(project_dir)
        raise ModelError(f"stack '{stack}': no file {path.name} in {project_dir}; stacks here: "
                         f"{', '.join(available) or 'none'}")
    section = _config_section(path, read_yaml_file(path))
    config: dict[str, str] = {}
    is_object: dict[str, bool] = {}
    for key, value in section.items():
        try:
            converted = _to_config_object(value, key)
        except _DecodeError as failure:
            raise StackFileError(f"{path.name}, config key '{failure.path or key}': {failure}") from None
        config[key] = engine_text(converted)
        is_object[key] = not isinstance(converted, str | bool | int | float)
    _apply_project_config(project_dir, stack, project, config, is_object)
    return config


def _apply_project_config(project_dir: Path, stack: str, project: str, config: dict[str, str],
                          is_object: dict[str, bool]) -> None:
    """workspace/config.go `mergeConfig` with validation on, as `pulumi preview` and `up` run it."""
    declarations = project_config(project_dir, project)
    missing = []
    for declaration in declarations:
        has_default, has_value = declaration.default is not None, declaration.value is not None
        if declaration.key not in config:
            if has_default or has_value:
                raw = declaration.default if has_default else declaration.value
                try:
                    config[declaration.key], is_object[declaration.key] = _create_config_value(raw)
                except _DecodeError as failure:
                    raise StackFileError(f"{PROJECT_FILE}, config key '{failure.path or declaration.key}': "
                                         f"{failure}") from None
            elif declaration.key.startswith(f"{project}:"):
                missing.append(declaration.key)
    if missing:
        names = [key.partition(":")[2] for key in missing]
        raise StackFileError(
            f"stack '{stack}': {PROJECT_FILE} declares {', '.join(repr(k) for k in missing)} with no default and "
            f"Pulumi.{stack}.yaml does not set {'it' if len(missing) == 1 else 'them'}; the Pulumi CLI stops "
            f"there (Stack '{stack}' is missing configuration value{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(n) for n in names)})")
    for declaration in declarations:
        if declaration.type is None or not declaration.key.startswith(f"{project}:"):
            continue
        text = config.get(declaration.key)
        if text is None:
            continue
        content: Any = json.loads(text) if is_object.get(declaration.key) else text
        if not _validate_type(str(declaration.type), declaration.items, content):
            shown = json.dumps(content)
            raise StackFileError(
                f"stack '{stack}', config key '{declaration.key}': given {shown}; allowed: a {declaration.type} "
                f"({PROJECT_FILE} declares its type, and the Pulumi CLI refuses the stack before the program "
                f"runs: Stack '{stack}' with configuration key '{declaration.key.partition(':')[2]}' must be of "
                f"type '{declaration.type}')")
