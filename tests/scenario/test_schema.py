"""The schema is the one description of a scenario's keys: the reader, the defaults and the README follow it."""

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from nnsim.engine import Architecture, Config
from nnsim.scenario import ScenarioError, parse
from nnsim.scenario.schema import (
    README_END,
    README_START,
    REQUIRED,
    TABLES,
    defaults,
    key,
    markdown_table,
    readme_table,
    toml_value,
)

README = Path(__file__).resolve().parents[2] / "README.md"
MINIMAL = """\
[data]
inputs = ["x"]
targets = ["y"]
columns = ["x", "y"]
rows = [[0, 0], [1, 4]]
"""


def test_readme_table_is_the_schemas():
    """The README's table of keys is exactly what the schema renders (python -m nnsim.scenario --write README.md)."""
    assert readme_table(README.read_text(encoding="utf-8")) == markdown_table()


def test_the_table_names_every_key_once():
    table = markdown_table()
    rows = table.splitlines()[2:]
    names = [row.split(" | ")[0].removeprefix("| ") for row in rows]
    assert names[:3] == ["`name`", "`description`", "`[data] inputs`"]
    assert names[-1] == "`[state] t`"
    assert len(names) == len(set(names)) == sum(1 for keys in TABLES.values() for k in keys if k.type != "table")
    assert "| `[training] learning_rate` | a finite number > 0 | " in table
    assert (
        "| `[network] activation` | one of `identity`, `relu`, `sigmoid`, `tanh`, or a list of them "
        '| hidden activation: one for every hidden layer, or a list with one each | `"sigmoid"` |' in table
    )


def test_python_m_prints_the_table():
    out = subprocess.run([sys.executable, "-m", "nnsim.scenario"], capture_output=True, text=True, check=True).stdout
    assert out == markdown_table()


def test_python_m_writes_the_readme_table(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n\n{README_START}\n| old | table |\n{README_END}\n\nafter\n")
    subprocess.run([sys.executable, "-m", "nnsim.scenario", "--write", str(readme)], check=True)
    assert readme.read_text() == f"# x\n\nbefore\n\n{README_START}\n{markdown_table()}{README_END}\n\nafter\n"


def engine_defaults(cls) -> dict:
    return {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}


def test_engine_dataclasses_have_the_schemas_defaults():
    """Config and Architecture (the engine) and the schema (the scenario reader) agree on every default."""
    schema = {**defaults("network"), **defaults("training")}
    compared = []
    for cls in (Config, Architecture):
        for name, value in engine_defaults(cls).items():
            if name == "mean":  # Config.mean is [training] reduction = "mean"
                assert value == (schema["reduction"] == "mean")
            else:
                assert name in schema, f"{cls.__name__}.{name} has a default the schema does not describe"
                assert schema[name] == value, f"{cls.__name__}.{name}: engine {value!r}, schema {schema[name]!r}"
            compared.append(name)
    assert sorted(compared) == sorted(
        ["loss", "mean", "learning_rate", "batch", "stop_loss", "max_steps", "epsilon", "init", "seed"]
        + ["optimizer", "momentum", "beta1", "beta2", "adam_eps", "l2", "l1"]
        + ["activation", "output", "bias"]
    )
    assert Architecture((1, 1)).activation == key("network", "activation").default == "sigmoid"


def test_a_minimal_file_gets_every_default():
    s = parse(MINIMAL, Path("m.toml"))
    assert s.name == "m" and s.description == ""
    assert s.config == Config()  # the engine's defaults, which the test above ties to the schema's
    assert s.arch == Architecture((1, 1))
    assert s.initial is None
    assert s.data.x[:, 0].tolist() == [0.0, 1.0]  # scale 1.0


@pytest.mark.parametrize("table", ["network", "training"])
def test_every_default_written_out_reads_the_same(table):
    """Writing each default into the file gives the same scenario as leaving it out (the README's defaults are TOML)."""
    text = (
        MINIMAL
        + f"[{table}]\n"
        + "".join(f"{name} = {toml_value(value)}\n" for name, value in defaults(table).items() if name != "reduction")
    )
    written, left_out = parse(text, Path("m.toml")), parse(MINIMAL, Path("m.toml"))
    assert (written.arch, written.config, written.initial) == (left_out.arch, left_out.config, left_out.initial)
    assert written.arch == Architecture((1, 1)) and written.config == Config()


def test_defaults_render_as_toml():
    for keys in TABLES.values():
        for k in keys:
            if k.default is not None and k.default is not REQUIRED and k.type != "table":
                assert tomllib.loads(f"v = {toml_value(k.default)}")["v"] == k.default, k.name
    assert toml_value(1e-6) == "1e-6" and toml_value(True) == "true" and toml_value([2, 3]) == "[2, 3]"


def test_unknown_key_lists_the_schemas_keys():
    with pytest.raises(ScenarioError) as e:
        parse(MINIMAL + "[network]\nhiden = [2]\n", Path("m.toml"))
    assert str(e.value) == (
        "m.toml: [network] hiden: unknown key "
        "(expected one of: hidden, activation, output, bias, weights, biases, init, seed)"
    )


@pytest.mark.parametrize(
    "line,message",
    [
        (
            'activation = "swish"',
            "[network] activation: expected one of identity, relu, sigmoid, tanh (or a list of them); got 'swish'",
        ),
        ('init = "ones"', "[network] init: expected one of xavier, he, normal, uniform, zeros; got 'ones'"),
        ("seed = -1", "[network] seed: expected a whole number >= 0, got -1"),
        ("seed = 1.5", "[network] seed: expected a whole number, got a number 1.5"),
        (
            "hidden = [2, 0]",
            "[network] hidden: expected a list of layer sizes (whole numbers > 0, at most 100 layers), got [2, 0]",
        ),
    ],
)
def test_checks_come_from_the_schema(line, message):
    with pytest.raises(ScenarioError) as e:
        parse(MINIMAL + "[network]\n" + line + "\n", Path("m.toml"))
    assert str(e.value) == "m.toml: " + message


@pytest.mark.parametrize(
    "line,message",
    [
        ("stop_loss = -1", "[training] stop_loss: expected a number >= 0, got -1"),
        ("max_steps = 0", "[training] max_steps: expected a whole number >= 1, got 0"),
        ("epsilon = 0", "[training] epsilon: expected a number > 0, got 0"),
    ],
)
def test_number_checks_come_from_the_schema(line, message):
    with pytest.raises(ScenarioError) as e:
        parse(MINIMAL + "[training]\n" + line + "\n", Path("m.toml"))
    assert str(e.value) == "m.toml: " + message


def test_missing_required_key_says_what_is_expected():
    with pytest.raises(ScenarioError) as e:
        parse(MINIMAL.replace('targets = ["y"]\n', ""), Path("m.toml"))
    assert str(e.value) == "m.toml: [data] targets: missing (expected a non-empty list of column names)"


def test_a_value_that_reads_required_is_just_a_string():
    with pytest.raises(ScenarioError) as e:
        parse(MINIMAL.replace('targets = ["y"]', 'targets = "required"'), Path("m.toml"))
    assert "[data] targets: expected a non-empty list of column names, got 'required'" in str(e.value)
