"""Nothing scaffold generates can run what it read: every name, path and value is escaped, never pasted.

The hostile inputs are the ones a sweep found: a directory whose name closes the docstring and calls
`os.system`, a table name that starts with a digit once the prefix is gone, a Windows path with `\\U`
(a unicode escape in a normal string), an emoji attribute name, and tag and KMS values that YAML would
read as something else (`@platform`, `yes`, a newline followed by a key).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scripts.cli import main

HOSTILE_DIRECTORY = 'x"""; __import__("os").system("touch pwned"); """'
EMOJI = "\U0001f600"
KMS_WITH_NEWLINE = "arn:aws:kms:us-east-1:111122223333:key/abc\n  dynamodb-tables:protect: false"


def orders_schema(name: str = "ce-2023-orders") -> dict[str, object]:
    return {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": f"{EMOJI}id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": f"{EMOJI}id", "AttributeType": "S"},
                                 {"AttributeName": 'say "hi"\\now', "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{"IndexName": "by-greeting",
                                    "KeySchema": [{"AttributeName": 'say "hi"\\now', "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        "SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": KMS_WITH_NEWLINE},
        "Tags": [{"Key": "owner", "Value": "@platform"}, {"Key": "enabled", "Value": "yes"}],
    }


def scaffold(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, str]:
    code = main(["scaffold", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out, captured.err


def a_source(parent: Path, directory: str) -> Path:
    source = parent / directory
    source.mkdir()
    (source / "ce-2023-orders.json").write_text(json.dumps(orders_schema()))
    return source


def import_in_subprocess(module: Path, cwd: Path) -> dict[str, object]:
    """Import the module in a fresh interpreter (from the project, so `components` resolves) and report
    what it holds; a module that ran a command would leave `pwned` in `cwd`."""
    probe = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('scaffolded', {str(module)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "t = m.FAMILY.tables[0]\n"
        "print(json.dumps({'doc': m.__doc__, 'key': t.key, 'base': t.base_name, 'env': t.env_var,\n"
        "                  'partition': t.partition.name, 'index': t.global_indexes[0].partition[0].name,\n"
        "                  'names': [n for n in vars(m) if n.endswith('orders') or n.endswith('_table')]}))\n")
    project = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded: dict[str, object] = json.loads(done.stdout)
    return loaded


def test_a_hostile_directory_name_and_table_name_give_a_module_that_only_declares(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = a_source(tmp_path, HOSTILE_DIRECTORY)
    module_text, _ = scaffold(capsys, "--from", str(source), "--family", "orders", "--prefix", "ce-")
    compile(module_text, "family.py", "exec")  # `> family.py` gives Python, nothing after the module
    module = tmp_path / "family.py"
    module.write_text(module_text)
    workdir = tmp_path / "work"
    workdir.mkdir()
    loaded = import_in_subprocess(module, workdir)
    assert list(workdir.iterdir()) == [] and not (tmp_path / "pwned").exists()
    assert f"from\n'{source}'\n" in str(loaded["doc"])  # the path, quoted: text, not code
    # '2023-orders' after the prefix: a valid identifier and env var, the key and name unchanged.
    assert (loaded["key"], loaded["base"], loaded["env"]) == ("2023-orders", "2023-orders", "TABLE_2023_ORDERS_NAME")
    assert loaded["names"] == ["table_2023_orders"]
    # The emoji is one character, as written; quotes and backslashes are the attribute's own.
    assert (loaded["partition"], loaded["index"]) == (f"{EMOJI}id", 'say "hi"\\now')


def test_a_windows_path_with_a_unicode_escape_is_written_as_text(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    source = a_source(tmp_path, "C:\\Users\\ops\\exports")
    module_text, _ = scaffold(capsys, "--from", str(source), "--family", "orders", "--prefix", "ce-")
    tree = ast.parse(module_text)  # `\U` unescaped would be a SyntaxError ("truncated \UXXXXXXXX escape")
    docstring = ast.get_docstring(tree, clean=False)
    # The literal holds the path's repr, so the docstring reads as the path itself, in quotes.
    assert docstring is not None and f"from\n'{source}'\n" in docstring


def test_the_config_entry_is_yaml_that_reads_back_as_written(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    source = a_source(tmp_path, "orders")
    config_file = tmp_path / "entry.yaml"
    module_text, err = scaffold(capsys, "--from", str(source), "--family", "orders", "--prefix", "ce-",
                                "--config-out", str(config_file))
    assert err == f"wrote {config_file}: the stack-config entry that adopts them\n"
    compile(module_text, "family.py", "exec")
    document = yaml.safe_load("config:\n" + config_file.read_text())
    assert document == {"config": {"dynamodb-tables:families": {"orders": {
        "prefix": "ce-", "existing": True, "pointInTimeRecovery": False, "deletionProtection": False,
        "kmsKeyArn": KMS_WITH_NEWLINE,
        "tags": {"enabled": "yes", "owner": "@platform"}}}}}


def test_without_config_out_the_entry_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = a_source(tmp_path, "orders")
    module_text, err = scaffold(capsys, "--from", str(source), "--family", "orders", "--prefix", "ce-")
    assert "dynamodb-tables:families" not in module_text
    heading, entry = err.split("\n", 1)
    assert heading == "# The stack-config entry that adopts them (under config: in Pulumi.<stack>.yaml):"
    assert yaml.safe_load("config:\n" + entry)["config"]["dynamodb-tables:families"]["orders"]["existing"] is True


def test_an_existing_config_out_is_refused_before_anything_is_read(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    existing = tmp_path / "entry.yaml"
    existing.write_text("kept")
    assert main(["scaffold", "--from", str(tmp_path / "none"), "--family", "orders",
                 "--config-out", str(existing)]) == 2
    assert capsys.readouterr().err == (f"ERROR [FileExists]: {existing} exists; scaffold never overwrites a file, "
                                       "choose another --config-out or remove it\n")
    assert existing.read_text() == "kept"
