"""What the Pulumi CLI hands a program for a stack file: a test oracle, independent of `tables`' reader.

It covers only the plain subset of YAML on which the rules below are certain, and refuses anything else
(`UnsupportedYamlError`), so a test can never lean on a guess. Expected values for the rest (dates, `!!binary`,
octal, merge keys, ...) are written out by hand in the tests, from the vectors cited there.

The rules, from the Pulumi CLI's own source:
- go-yaml/yaml v3.0.1 `resolve.go` (`resolveMapList`, `resolve`): a plain scalar is a boolean only as
  true/True/TRUE/false/False/FALSE, null as ~/null/Null/NULL or nothing; a decimal integer is an
  integer; a scalar that starts with any other letter is text (so `yes`, `on`, `y` are text).
  Quoted and block scalars are text. `decode.go` `mapping`: a key given twice is an error.
- pulumi/pulumi `sdk/go/common/resource/config/object.go` `MarshalString`: a string passes as it is,
  anything else as JSON; Go's encoding/json writes map keys sorted.
- pulumi/pulumi `pkg/workspace/config.go` `mergeConfig` and `createConfigValue`: a `Pulumi.yaml`
  default fills a key the stack leaves out, a string/int/bool as its `%v` text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)")
BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
NULLS = {"", "~", "null", "Null", "NULL"}
# resolve.go `resolveTable`: a plain scalar that starts otherwise than with a sign, a digit or a dot
# is text unless it is one of the words above.
NUMERIC_FIRST = set("+-0123456789")
NEVER_NUMERIC = set("ghijklmnpqrsuvwyGHIJKLMNPQRSUVWY")
STR_TAG = "tag:yaml.org,2002:str"


class UnsupportedYamlError(Exception):
    """The document uses YAML this oracle does not model; the test must state the expected value itself."""


class EngineRefusedError(Exception):
    """The Pulumi CLI refuses this file before the program runs."""


def _scalar(node: yaml.ScalarNode) -> Any:
    if node.style is not None:  # quoted, literal or folded: text
        return node.value
    if node.tag != STR_TAG:
        raise UnsupportedYamlError(f"explicit tag {node.tag}")
    text = node.value
    if text in BOOLEANS:
        return BOOLEANS[text]
    if text in NULLS:
        return None
    if text.lstrip("+-").startswith(".") or text == "<<":
        raise UnsupportedYamlError(f"plain scalar {text!r}")  # .inf, .nan, .5, merge keys
    if DECIMAL.fullmatch(text):
        return int(text)
    # Starting with a sign or digit, only a letter no integer, float or timestamp can hold makes it text.
    if text[0] in NUMERIC_FIRST and not NEVER_NUMERIC & set(text):
        raise UnsupportedYamlError(f"plain scalar {text!r}")
    return text


def _value(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return [_value(child) for child in node.value]
    assert isinstance(node, yaml.MappingNode)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if key_node.value == "<<" or node.tag != "tag:yaml.org,2002:map":
            raise UnsupportedYamlError("merge keys")
        key = _scalar(key_node)
        if not isinstance(key, str):
            raise UnsupportedYamlError(f"non-string key {key!r}")
        if key in result:
            raise EngineRefusedError(f"key {key!r} is given twice")
        result[key] = _value(value_node)
    return result


def _document(path: Path) -> Any:
    # BaseLoader resolves nothing: every plain scalar keeps the plain-text tag, so _scalar decides.
    node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # type: ignore[arg-type]
    return None if node is None else _value(node)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def engine_config(project_dir: Path, stack: str, project: str = "dynamodb-tables") -> dict[str, str]:
    """The config map the Pulumi CLI passes the program for Pulumi.<stack>.yaml."""
    document = _document(project_dir / f"Pulumi.{stack}.yaml") or {}
    config = {key: _text(value) for key, value in (document.get("config") or {}).items()}
    declarations = (_document(project_dir / "Pulumi.yaml") or {}).get("config") or {}
    for name, body in declarations.items():
        key = name if ":" in name else f"{project}:{name}"
        if key in config or not isinstance(body, dict):
            continue
        if "default" in body:
            default = body["default"]
            config[key] = ("true" if default else "false") if isinstance(default, bool) else _text(default)
        elif key.startswith(f"{project}:"):
            raise EngineRefusedError(f"Stack '{stack}' is missing configuration value '{name}'")
    return config
