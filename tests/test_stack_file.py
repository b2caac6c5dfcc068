"""Stack files read exactly as the Pulumi CLI reads them (components/model/stack_file.py).

Expected values come from Pulumi's and yaml.v3's own test vectors (cited beside each table), from the
engine's rules worked out by hand, or from tests/pulumi_engine.py, an oracle that shares no code with
the command's reader.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from components.families import FAMILIES
from components.model.spec import ModelError
from components.model.stack_file import load_stack_file
from components.model.stack_settings import parse_stack_config
from scripts.cli import main
from scripts.mock_stack import run_program
from tests.project import PROJECT_DIR
from tests.pulumi_engine import engine_config

DEV = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
PROD = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()


def engine_value(tmp_path: Path, written: str, key: str = "random:v") -> str:
    """The text the engine passes for `key: <written>` in a stack file of a project without declarations."""
    (tmp_path / "Pulumi.s.yaml").write_text(f"config:\n  {key}: {written}\n")
    return load_stack_file(tmp_path, "s")[key]


def a_project(tmp_path: Path, stack: str, text: str) -> Path:
    for file in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(PROJECT_DIR / file, tmp_path / file)
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(text)
    return tmp_path


def command_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.rstrip("\n")


# pulumi/pulumi sdk/go/common/resource/config/testdata/repr/<n>.yaml, with the `decrypt:` map of
# <n>.expected.yaml: the text `Value.Value` gives the program for each key.
PULUMI_REPR = {
    0: ("my:anotherTestKey: anotherTestValue\nmy:testKey: testValue",
        {"my:anotherTestKey": "anotherTestValue", "my:testKey": "testValue"}),
    1: ("my:parent:\n  nested: 12321123131", {"my:parent": '{"nested":12321123131}'}),
    2: ("my:parent:\n  nested:\n  - 12321123131", {"my:parent": '{"nested":[12321123131]}'}),
    3: ("my:parent:\n  nested:\n    foo: 12321123131", {"my:parent": '{"nested":{"foo":12321123131}}'}),
    4: ("my:parent:\n  nested: 4.2", {"my:parent": '{"nested":4.2}'}),
    5: ("my:parent:\n  nested:\n  - 4.2", {"my:parent": '{"nested":[4.2]}'}),
    8: ("my:arrayKey:\n- a\n- b\n- c", {"my:arrayKey": '["a","b","c"]'}),
    9: ("my:mapKey:\n  a: b\n  c: d", {"my:mapKey": '{"a":"b","c":"d"}'}),
    10: ("my:servers:\n- host: example\n  port: 80", {"my:servers": '[{"host":"example","port":80}]'}),
    11: ("my:mapKey:\n  nums:\n  - 1\n  - 2\n  - 3", {"my:mapKey": '{"nums":[1,2,3]}'}),
    22: ("my:0: testValue", {"my:0": "testValue"}),
    25: ("my:outer:\n  inner: true", {"my:outer": '{"inner":true}'}),
    26: ("my:outer:\n  inner: false", {"my:outer": '{"inner":false}'}),
    28: ("my:outer:\n  inner: -2", {"my:outer": '{"inner":-2}'}),
    38: ("my:true: testValue", {"my:true": "testValue"}),
    39: ("my:nested:\n  test.Key: value", {"my:nested": '{"test.Key":"value"}'}),
}


@pytest.mark.parametrize("vector", PULUMI_REPR, ids=[f"repr-{n}" for n in PULUMI_REPR])
def test_pulumis_repr_vectors(vector: int, tmp_path: Path) -> None:
    written, expected = PULUMI_REPR[vector]
    (tmp_path / "Pulumi.s.yaml").write_text("config:\n" + "".join(f"  {line}\n" for line in written.splitlines()))
    assert load_stack_file(tmp_path, "s") == expected


# go-yaml/yaml v3.0.1 decode_test.go `unmarshalTests` (decoded into interface{}), then the text Pulumi
# passes: object.go `MarshalString` (strings as they are, the rest as Go's encoding/json writes it) and
# `unmarshalObject` (a time.Time as Go's time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST").
YAML_V3 = [
    ("hi", "hi"), ("true", "true"), ("10", "10"), ("0b10", "2"), ("0xA", "10"), ("0.1", "0.1"), (".1", "0.1"),
    ("-10", "-10"), ("-.1", "-0.1"), ("6.8523e+5", "685230"), ("685.230_15e+03", "685230.15"),
    ("685_230.15", "685230.15"), ("True", "true"), ("False", "false"), ("TRUE", "true"), ("685230", "685230"),
    ("+685_230", "685230"), ("02472256", "685230"), ("-02472256", "-685230"), ("0o2472256", "685230"),
    ("-0o2472256", "-685230"), ("0x_0A_74_AE", "685230"), ("0b1010_0111_0100_1010_1110", "685230"),
    ("-0b101010", "-42"), ("~", "null"), ("null", "null"), ("", "null"), ("-b_c", "-b_c"), ("+b_c", "+b_c"),
    ("50cent_of_dollar", "50cent_of_dollar"), ("{b: https://github.com/go-yaml/yaml}",
                                               '{"b":"https://github.com/go-yaml/yaml"}'),
    ("[https://github.com/go-yaml/yaml]", '["https://github.com/go-yaml/yaml"]'), ("1:1", "1:1"),
    ("!!float '1.1'", "1.1"), ("!!float 0", "0"), ("!!float -1", "-1"), ("!!null ''", "null"), ("! test", "test"),
    ("2015-01-01", "2015-01-01 00:00:00 +0000 UTC"), ("2015-02-24T18:19:39.12Z", "2015-02-24 18:19:39.12 +0000 UTC"),
    ("2015-2-3T3:4:5Z", "2015-02-03 03:04:05 +0000 UTC"), ("2015-02-24t18:19:39Z", "2015-02-24 18:19:39 +0000 UTC"),
    ("2015-02-24 18:19:39", "2015-02-24 18:19:39 +0000 UTC"), ("!!str 2015-01-01", "2015-01-01"),
    ('!!timestamp "2015-01-01"', "2015-01-01 00:00:00 +0000 UTC"),
    # decode_test.go "option: on" and friends decode as booleans only into a Go bool; Pulumi decodes
    # into interface{}, where YAML 1.2 keeps them text.
    ("on", "on"), ("y", "y"), ("Off", "Off"), ("No", "No"), ("yes", "yes"),
]


@pytest.mark.parametrize(("written", "expected"), YAML_V3, ids=[w or "empty" for w, _ in YAML_V3])
def test_yaml_v3_vectors(written: str, expected: str, tmp_path: Path) -> None:
    assert engine_value(tmp_path, written) == expected


@pytest.mark.parametrize(("written", "problem"), [
    # decode_test.go `unmarshalErrorTests`: "yaml: cannot decode !!str `error` as a !!float".
    ("!!float 'error'", "line 2: not valid YAML (cannot decode !!str `error` as a !!float)"),
    ("!!bool yes", "line 2: not valid YAML (cannot decode !!str `yes` as a !!bool)"),
    # Go's encoding/json has no infinity or NaN: the CLI cannot encode the value for the program.
    (".inf", ", config key 'random:v': +Inf is not a number the Pulumi CLI can pass (JSON has no infinity or NaN); "
             "write a number or quote it as text"),
    ("{a: .nan}", ", config key 'random:v.a': NaN is not a number the Pulumi CLI can pass (JSON has no infinity or "
                  "NaN); write a number or quote it as text"),
])
def test_what_the_cli_refuses_is_one_line_naming_file_and_key(written: str, problem: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        engine_value(tmp_path, written)
    assert str(caught.value) == f"Pulumi.s.yaml{problem}" if problem.startswith(",") else (
        str(caught.value) == f"Pulumi.s.yaml {problem}")


def test_merge_keys_merge_and_the_mapping_s_own_keys_win(tmp_path: Path) -> None:
    # decode.go `merge`: keys written in the mapping win; of several merged maps, the first wins.
    (tmp_path / "Pulumi.s.yaml").write_text(
        "shared: &owner {owner: platform-team, cost-center: engineering}\n"
        "other: &other {owner: nobody, team: core}\n"
        "config:\n  random:tags:\n    <<: [*owner, *other]\n    cost-center: research\n")
    assert load_stack_file(tmp_path, "s") == {
        "random:tags": '{"cost-center":"research","owner":"platform-team","team":"core"}'}


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.s.yaml").write_text("config:\n  random:a: 1\n  random:a: 2\n")
    with pytest.raises(ModelError, match=r"^Pulumi\.s\.yaml line 3: not valid YAML \(key 'random:a' is given twice "
                                         r"\(first on line 2\)\)$"):
        load_stack_file(tmp_path, "s")


def test_a_date_tag_is_one_line_naming_key_and_file_in_the_command_and_the_program(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = a_project(tmp_path, "dev", DEV.replace("    cost-center: engineering",
                                                     "    cost-center: engineering\n    created: 2024-05-01"))
    expected = ("stack 'dev', config key 'dynamodb-tables:tags.created': given \"2024-05-01 00:00:00 +0000 UTC\"; "
                "allowed: text; in Pulumi.dev.yaml write the date in quotes: the Pulumi CLI passes an unquoted YAML "
                "date to the program as this timestamp text")
    assert command_error(capsys, "synth", "--stack", "dev", "--project-dir", str(project)) == (
        f"ERROR [InvalidConfig]: {expected}")
    # The program receives the timestamp text (worked out above from yaml.v3 and time.Time.String).
    config = {**engine_config(PROJECT_DIR, "dev")}
    tags = json.loads(config["dynamodb-tables:tags"])
    config["dynamodb-tables:tags"] = json.dumps({**tags, "created": "2024-05-01 00:00:00 +0000 UTC"})
    with pytest.raises(pulumi.RunError) as caught:
        run_program(project, "dev", config)
    assert str(caught.value) == expected


def test_a_binary_value_is_one_line_naming_key_and_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = a_project(tmp_path, "dev", DEV.replace("dynamodb-tables:environment: dev",
                                                     "dynamodb-tables:environment: !!binary ZGV2"))
    assert command_error(capsys, "synth", "--stack", "dev", "--project-dir", str(project)) == (
        "ERROR [InvalidConfig]: Pulumi.dev.yaml, config key 'dynamodb-tables:environment': a !!binary value: the "
        "program would receive its decoded bytes (\"dev\"), not what the file shows; write the text itself")


def test_a_file_that_is_not_utf8_is_one_line_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = a_project(tmp_path, "dev", "")
    (project / "Pulumi.dev.yaml").write_bytes(DEV.encode().replace(b"owner: platform-team", b"owner: \xff"))
    message = command_error(capsys, "synth", "--stack", "dev", "--project-dir", str(project))
    assert message.startswith("ERROR [InvalidConfig]: Pulumi.dev.yaml: not UTF-8 text (byte 0xff at offset ")
    assert message.endswith("); save it as UTF-8")


def test_other_providers_namespaces_pass_through(tmp_path: Path) -> None:
    text = DEV.replace("config:\n", "config:\n  aws-native:region: us-east-1\n  random:seed: 42\n", 1)
    project = a_project(tmp_path, "dev", text)
    config = load_stack_file(project, "dev")
    assert (config["aws-native:region"], config["random:seed"]) == ("us-east-1", "42")
    run_program(project, "dev", engine_config(project, "dev"))  # the program accepts them too


def test_pulumi_yaml_defaults_are_applied_as_the_engine_applies_them(tmp_path: Path) -> None:
    project = a_project(tmp_path, "dev", DEV.replace("  dynamodb-tables:pitrRecoveryPeriodDays: 7\n", ""))
    (project / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text()
                                         + "  pitrRecoveryPeriodDays:\n    type: integer\n    default: 9\n")
    # createConfigValue: an int default passes as its %v text, as if the stack had set it.
    assert load_stack_file(project, "dev")["dynamodb-tables:pitrRecoveryPeriodDays"] == "9"
    assert load_stack_file(project, "dev")["dynamodb-tables:pointInTimeRecovery"] == "true"
    settings = parse_stack_config(load_stack_file(project, "dev"), "dev", list(FAMILIES))
    assert settings.families["items-service"].pitr_recovery_period_days == 9


def test_a_declared_key_without_default_must_be_set(tmp_path: Path) -> None:
    project = a_project(tmp_path, "dev", DEV)
    (project / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text()
                                         + "  kmsKeyArn:\n    type: string\n")
    with pytest.raises(ModelError) as caught:
        load_stack_file(project, "dev")
    # pkg/workspace/config.go `missingStackConfigurationKeysError`
    assert str(caught.value) == (
        "stack 'dev': Pulumi.yaml declares 'dynamodb-tables:kmsKeyArn' with no default and Pulumi.dev.yaml does not "
        "set it; the Pulumi CLI stops there (Stack 'dev' is missing configuration value 'kmsKeyArn')")


# The prod protection flag as people write it: the text the engine passes (yaml.v3 resolve.go and
# object.go MarshalString), and whether `pulumi up` gets past Pulumi.yaml's `type: boolean`
# (project.go `ValidateConfigValue`: "true"/"false" text or a boolean).
PROTECT_SPELLINGS = {
    "yes": ("yes", False),
    "on": ("on", False),
    "True": ("true", True),
    '"true"': ("true", True),
    "1": ("1", False),
    "!!bool true": ("true", True),
}


@pytest.mark.parametrize("written", PROTECT_SPELLINGS)
def test_the_prod_protection_flag_reads_as_the_engine_reads_it(written: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    passed, accepted = PROTECT_SPELLINGS[written]
    project = a_project(tmp_path, "prod", PROD.replace("dynamodb-tables:protect: true",
                                                       f"dynamodb-tables:protect: {written}"))
    if accepted:
        assert load_stack_file(project, "prod")["dynamodb-tables:protect"] == passed
        assert main(["synth", "--stack", "prod", "--project-dir", str(project), "--out", str(tmp_path / "s")]) == 0
        return
    assert command_error(capsys, "synth", "--stack", "prod", "--project-dir", str(project)) == (
        f"ERROR [InvalidConfig]: stack 'prod', config key 'dynamodb-tables:protect': given {json.dumps(passed)}; "
        "allowed: a boolean (Pulumi.yaml declares its type, and the Pulumi CLI refuses the stack before the program "
        "runs: Stack 'prod' with configuration key 'protect' must be of type 'boolean')")
    # Run past the engine's check (--skip-config-validation), the program refuses the text as well.
    config = {**engine_config(PROJECT_DIR, "prod"), "dynamodb-tables:protect": passed}
    with pytest.raises(pulumi.RunError, match="config key 'dynamodb-tables:protect': given "):
        run_program(project, "prod", config)


# --- any document: the same settings in the command and the program, or one line naming the key ---------

# (as written in YAML, the value the engine holds as JSON, or None where the CLI refuses the file);
# each pair from the vectors above.
SCALARS = [
    ("yes", '"yes"'), ("on", '"on"'), ("True", "true"), ('"true"', '"true"'), ("1", "1"), ("!!bool true", "true"),
    ("false", "false"), ("35", "35"), ("7.0", "7"), ("0o7", "7"), ("07", "7"), ("0x7", "7"), ("1_4", "14"),
    ("~", "null"), ("prod", '"prod"'), ("'dev'", '"dev"'), ("Prod", '"Prod"'), ("-dev", '"-dev"'), ("1e3", "1000"),
    ("2024-05-01", '"2024-05-01 00:00:00 +0000 UTC"'), ("!!str 2024-05-01", '"2024-05-01"'), ("[1, 2]", "[1,2]"),
    ("{a: b}", '{"a":"b"}'), (".inf", None), ("!!bool yes", None), ("owner", '"owner"'),
    ("$(rm -rf ~)", '"$(rm -rf ~)"'),
]
KEYS = ["environment", "protect", "deletionProtection", "pointInTimeRecovery", "pitrRecoveryPeriodDays", "kmsKeyArn",
        "tags.owner", "families.items-service.suffix", "families.items-service.pitrRecoveryPeriodDays",
        "migrations.maxWritesPerSecond", "alarms.enabled"]
DEV_DOCUMENT = yaml.safe_load(DEV)  # plain YAML on which 1.1 and 1.2 agree: the oracle's own check below


BOOLEAN_KEYS = {"protect", "deletionProtection", "pointInTimeRecovery"}  # Pulumi.yaml: type boolean


def _put(config: dict[str, Any], path: str, value: Any) -> None:
    """Set `a.b.c` under config["dynamodb-tables:a"], making maps on the way as YAML would."""
    top, *rest = path.split(".")
    key = f"dynamodb-tables:{top}"
    if not rest:
        config[key] = value
        return
    if not isinstance(config.get(key), dict):
        config[key] = {}
    target = config[key]
    for part in rest[:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    target[rest[-1]] = value


def _outcome(run: Any) -> tuple[str, Any]:
    try:
        return "settings", run()
    except ModelError as error:
        return "error", str(error)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(SCALARS)), min_size=1, max_size=3))
@example(edits=[("environment", (".inf", None)), ("environment", ("yes", '"yes"'))])  # the last edit wins
def test_any_document_gives_the_command_and_the_program_the_same_settings(
        edits: list[tuple[str, tuple[str, str | None]]], tmp_path: Path) -> None:
    project = a_project(tmp_path, "dev", DEV)
    # The oracle: the engine's config for the unedited file, then each edit's value as the engine holds it.
    held: dict[str, Any] = {k: json.loads(v) if k.startswith("dynamodb-tables:") and v[:1] in "{[" else v
                            for k, v in engine_config(project, "dev").items()}
    document = json.loads(json.dumps(DEV_DOCUMENT))
    markers: dict[str, str] = {}
    cli_refuses: dict[str, bool] = {}  # per key: the last edit of a key is what the file says
    for i, (key, (written, engine_json)) in enumerate(edits):
        markers[f"VALUE{i}MARKER"] = written
        _put(document["config"], key, f"VALUE{i}MARKER")
        cli_refuses[key] = engine_json is None
        if engine_json is not None:
            _put(held, key, json.loads(engine_json))
    refused = any(cli_refuses.values())
    text = yaml.safe_dump(document, sort_keys=False, width=1000)
    for marker, written in markers.items():
        text = text.replace(marker, written)
    (project / "Pulumi.dev.yaml").write_text(text)
    # pkg/workspace/config.go `validateStackConfigValue`: a typed key the engine refuses before the program.
    refused = refused or any(not isinstance(held[f"dynamodb-tables:{k}"], bool)
                             and held[f"dynamodb-tables:{k}"] not in ("true", "false")
                             for k in BOOLEAN_KEYS if f"dynamodb-tables:{k}" in held)
    # type: string: an object value (a map, a list, null) is not text.
    refused = refused or (isinstance(held.get("dynamodb-tables:environment", ""), dict | list)
                          or held.get("dynamodb-tables:environment", "") is None)

    command = _outcome(lambda: parse_stack_config(load_stack_file(project, "dev"), "dev", list(FAMILIES)))
    if command[0] == "error":
        # One line, naming the file or the key.
        assert "\n" not in command[1]
        assert "Pulumi.dev.yaml" in command[1] or "config key 'dynamodb-tables:" in command[1], command[1]
    if refused:
        assert command[0] == "error", text
        return
    engine = {k: v if isinstance(v, str) else json.dumps(v, sort_keys=True, separators=(",", ":"))
              for k, v in held.items()}
    program = _outcome(lambda: parse_stack_config(engine, "dev", list(FAMILIES)))
    assert command == program, text
