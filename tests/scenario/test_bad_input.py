"""Every kind of bad scenario gives exit code 2 and one line naming the file, the key and what was expected."""

import subprocess
import sys
from pathlib import Path

import pytest

from nnsim.cli import main

GOOD = """\
name = "t"
[data]
inputs = ["x"]
targets = ["y"]
columns = ["x", "y"]
rows = [[0, 0], [1, 4]]
[network]
hidden = []
bias = false
[training]
learning_rate = 0.01
"""


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def check(path, capsys) -> str:
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nnsim: error: ")
    assert "Traceback" not in err
    return lines[0]


def test_good_file_passes(tmp_path, capsys):
    assert main(["check", str(write(tmp_path, GOOD))]) == 0
    out = capsys.readouterr().out
    assert "layers 1 → 1" in out and "1 parameter" in out and "2 rows" in out


CASES = [
    # (name, how to change GOOD, what the message must contain)
    ("malformed_toml", lambda t: t.replace('name = "t"', "name = "), ["invalid TOML", "line 1"]),
    ("unknown_top_key", lambda t: "colour = 1\n" + t, ["colour", "unknown key"]),
    (
        "unknown_training_key",
        lambda t: t + "learning_rat = 0.1\n",
        ["[training] learning_rat", "unknown key", "learning_rate"],
    ),
    (
        "wrong_type_lr",
        lambda t: t.replace("learning_rate = 0.01", 'learning_rate = "fast"'),
        ["[training] learning_rate", "expected a finite number", "'fast'"],
    ),
    (
        "wrong_type_hidden",
        lambda t: t.replace("hidden = []", 'hidden = "2"'),
        ["[network] hidden", "expected a list of layer sizes"],
    ),
    ("wrong_type_bias", lambda t: t.replace("bias = false", "bias = 1"), ["[network] bias", "expected true or false"]),
    (
        "zero_lr",
        lambda t: t.replace("learning_rate = 0.01", "learning_rate = 0"),
        ["[training] learning_rate", "expected a number > 0, got 0"],
    ),
    (
        "negative_lr",
        lambda t: t.replace("learning_rate = 0.01", "learning_rate = -0.5"),
        ["[training] learning_rate", "> 0", "-0.5"],
    ),
    (
        "missing_column",
        lambda t: t.replace('targets = ["y"]', 'targets = ["z"]'),
        ["[data] targets", "'z'", "columns: x, y"],
    ),
    ("ragged_inline_row", lambda t: t.replace("[1, 4]]", "[1]]"), ["[data] rows[1]", "expected 2 numbers"]),
    ("empty_dataset", lambda t: t.replace("rows = [[0, 0], [1, 4]]", "rows = []"), ["[data]", "empty"]),
    (
        "softmax_one_output",
        lambda t: t.replace("bias = false", 'bias = false\noutput = "softmax"'),
        ["[network] output", "softmax needs at least 2 outputs"],
    ),
    (
        "weights_wrong_shape",
        lambda t: t.replace("bias = false", "bias = false\nweights = [[[1.0, 2.0]]]"),
        ["[network] weights[0]", "expected 1 × 1 numbers", "1 × 2"],
    ),
    (
        "weights_wrong_layers",
        lambda t: t.replace("hidden = []", "hidden = [2]\nweights = [[[1.0, 2.0]]]"),
        ["[network] weights", "expected 2 arrays"],
    ),
    ("bad_batch", lambda t: t + 'batch = "half"\n', ["[training] batch", '"full", "sample"']),
    (
        "bad_choice",
        lambda t: t + 'loss = "l1"\n',
        ["[training] loss", "expected one of sse, half_sse, mse, cross_entropy", "'l1'"],
    ),
    (
        "ce_needs_softmax",
        lambda t: t + 'loss = "cross_entropy"\n',
        ["[training] loss", "cross_entropy needs a softmax or sigmoid output"],
    ),
    ("reduction_only_ce", lambda t: t + 'reduction = "mean"\n', ["[training] reduction", "only to cross_entropy"]),
    ("no_data", lambda t: 'name = "t"\n', ["[data]", "missing"]),
    ("rows_and_file", lambda t: t.replace("rows = ", 'file = "d.csv"\nrows = '), ["[data]", "exactly one of rows"]),
]


@pytest.mark.parametrize("name,change,wants", CASES, ids=[c[0] for c in CASES])
def test_bad_scenario(tmp_path, capsys, name, change, wants):
    path = write(tmp_path, change(GOOD))
    line = check(path, capsys)
    assert str(path) in line
    for want in wants:
        assert want in line, line


CSV_SCENARIO = GOOD.replace('columns = ["x", "y"]\nrows = [[0, 0], [1, 4]]', 'file = "d.csv"')


@pytest.mark.parametrize(
    "csv_text,wants",
    [
        ("x,y\n0,0\n1,4,5\n", ["d.csv:3", "expected 2 values", "got 3"]),
        ("x,y\n0,0\n1,four\n", ["d.csv:3: column 'y': expected numbers", "'four'"]),
        ("x,y\n0,nan\n", ["d.csv:2", "finite"]),
        ("", ["d.csv", "empty CSV file"]),
        ("x,y\n", ["[data]", "empty"]),
        ("x,w\n0,0\n", ["[data] targets", "'y' is not in the data"]),
    ],
    ids=["ragged", "non_numeric", "nan", "empty_file", "header_only", "missing_column"],
)
def test_bad_csv(tmp_path, capsys, csv_text, wants):
    (tmp_path / "d.csv").write_text(csv_text)
    line = check(write(tmp_path, CSV_SCENARIO), capsys)
    for want in wants:
        assert want in line, line


def test_missing_data_file(tmp_path, capsys):
    line = check(write(tmp_path, CSV_SCENARIO), capsys)
    assert "[data] file" in line and "d.csv" in line and "not found" in line


def test_unreadable_data_file(tmp_path, capsys):
    (tmp_path / "d.csv").write_bytes(b"x,y\n\xff\xfe,1\n")
    line = check(write(tmp_path, CSV_SCENARIO), capsys)
    assert "[data] file" in line and "cannot read" in line


def test_data_file_is_a_directory(tmp_path, capsys):
    (tmp_path / "d.csv").mkdir()
    line = check(write(tmp_path, CSV_SCENARIO), capsys)
    assert "[data] file" in line and "d.csv: is a directory" in line


def test_missing_scenario_file(tmp_path, capsys):
    line = check(tmp_path / "nothing.toml", capsys)
    assert "nothing.toml: file not found" in line


def test_unknown_scenario_name(capsys):
    code = main(["run", "y5x"])
    err = capsys.readouterr().err
    assert code == 2
    assert (
        err.strip() == "nnsim: error: y5x: no such scenario (shipped: y4x, linear, hidden, xor, circle, spiral, "
        "digits; or give a path to a .toml file)"
    )


def test_not_utf8(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_bytes(b'name = "\xff"\n')
    assert "not UTF-8" in check(path, capsys)


def test_no_traceback_from_the_real_command(tmp_path):
    path = write(tmp_path, GOOD.replace("learning_rate = 0.01", "learning_rate = -1"))
    result = subprocess.run([sys.executable, "-m", "nnsim", "run", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"nnsim: error: {path}: [training] learning_rate: expected a number > 0, got -1\n"


def test_bad_command_line_options(capsys):
    assert main(["run", "y4x", "--batch", "99"]) == 2
    assert "--batch: expected a size from 1 to 5" in capsys.readouterr().err
    assert main(["run", "y4x", "--lr", "0"]) == 2
    assert capsys.readouterr().err == "nnsim: error: run: argument --lr: expected a number > 0, got '0'\n"
