"""Stack files: where `Pulumi.<stack>.yaml` lives, which stacks a project has, and its config in the
engine's encoding (the flat map of `namespace:key` to strings that the Pulumi engine hands a program)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.model.spec import ModelError


def engine_encoding(config: Mapping[str, Any]) -> dict[str, str]:
    """Encode YAML config values the way the Pulumi engine passes them to a program."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def stack_names(project_dir: Path) -> list[str]:
    """Every stack that has a `Pulumi.<stack>.yaml` in the project, sorted."""
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice (first on line {seen[key].start_mark.line + 1})",
                key_node.start_mark)
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def load_stack_file(project_dir: Path, stack: str) -> dict[str, str]:
    """A stack file's config in the engine's encoding. Raises ModelError naming the file."""
    path = stack_file(project_dir, stack)
    if not path.is_file():
        available = stack_names(project_dir)
        raise ModelError(f"stack '{stack}': no file {path.name} in {project_dir}; stacks here: "
                         f"{', '.join(available) or 'none'}")
    try:
        document = yaml.load(path.read_text(), Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ModelError(f"{path.name}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise ModelError(f"{path.name}: expected a mapping with a 'config' map at the top")
    return engine_encoding(document.get("config") or {})
