"""Issue 10, classes 9 and 10: deep nesting, huge numbers and lenient values give one line, never a traceback.

Weights must be arrays of numbers (not strings or booleans); inputs times scale, data values, weights and biases
are finite and at most 1e15 in size; whole numbers have an upper bound; a UTF-8 BOM is not part of a name.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnsim.scenario import ScenarioError, load, parse

BASE = """\
[data]
inputs = ["x"]
targets = ["y"]
columns = ["x", "y"]
rows = [[0, 0], [1, 4]]
"""
NET = BASE + "[network]\nbias = false\n"
BIG = "1" + "0" * 400  # an integer no float can hold
MEMORY = 2 << 30
TIMEOUT = 120


def error(text: str) -> str:
    with pytest.raises(ScenarioError) as e:
        parse(text, Path("s.toml"))
    message = str(e.value)
    assert message.startswith("s.toml: ") and message.isprintable(), message
    return message[len("s.toml: ") :]


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def check_in_a_subprocess(path: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "nnsim", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=limited,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2 and result.stdout == "", result.stderr[-2000:]
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr[-2000:]
    return result.stderr


# --- class 9: one line, not a traceback ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 5000 + "]" * 5000 + "\n",
        "a = " + "{b = " * 5000 + "}" * 5000 + "\n",
        BASE.replace("rows = [[0, 0], [1, 4]]", "rows = " + "[" * 5000 + "]" * 5000),
        NET + "weights = " + "[" * 3000 + "]" * 3000 + "\n",
    ],
    ids=["array", "inline_table", "rows", "weights"],
)
def test_toml_nested_thousands_deep_is_one_line(tmp_path, text):
    path = tmp_path / "deep.toml"
    path.write_text(text)
    assert check_in_a_subprocess(path) == f"nnsim: error: {path}: invalid TOML: nested too deeply\n"


@pytest.mark.parametrize("depth", [10, 100, 300])
def test_arrays_nested_less_deeply_are_refused_too(depth):
    nested = "[" * depth + "]" * depth
    assert error(NET + f"weights = [{nested}]\n").startswith("[network] weights[0]: expected 1 × 1 numbers, got ")
    assert error(BASE.replace("[[0, 0], [1, 4]]", f"[{nested}]")).startswith("[data] rows[0]: expected 2 numbers")


def test_an_integer_of_5000_digits_is_one_line(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(NET + "seed = " + "9" * 5000 + "\n")
    assert check_in_a_subprocess(path) == f"nnsim: error: {path}: invalid TOML: a number with too many digits\n"


@pytest.mark.parametrize(
    "change,message",
    [
        (f"[network]\nseed = {BIG}", "[network] seed: expected a whole number <= 4,294,967,295, got a number of more"),
        (f"[network]\nhidden = [{BIG}]", "[network] hidden: expected a list of layer sizes (whole numbers > 0, at"),
        ("[network]\nhidden = [" + "1, " * 101 + "]", "[network] hidden: expected a list of layer sizes"),
        (f"[training]\nmax_steps = {BIG}", "[training] max_steps: expected a whole number <= 1,000,000,000, got a"),
        ("[training]\nmax_steps = 1e400", "[training] max_steps: expected a whole number, got a number inf"),
        ("[training]\nmax_steps = 1000000001", "[training] max_steps: expected a whole number <= 1,000,000,000, got"),
        (f"[training]\nlearning_rate = {BIG}", "[training] learning_rate: expected a finite number, got a number of"),
        (f"[training]\nepsilon = -{BIG}", "[training] epsilon: expected a finite number, got a number of more"),
        (f"[training]\nbatch = {BIG}", '[training] batch: expected "full", "sample" or a whole number from 1 to 2'),
        ("[training]\nstop_loss = 1e400", "[training] stop_loss: expected a finite number, got a number inf"),
    ],
)
def test_huge_numbers_in_keys_are_refused(change, message):
    assert error(BASE + change + "\n").startswith(message)


def test_huge_numbers_in_data_and_weights_are_refused():
    assert error(BASE.replace("[1, 4]", f"[1, {BIG}]")) == (
        "[data] rows[1]: expected finite numbers at most 1e15 in size, got a number of more than 20 digits"
    )
    assert error(BASE.replace("[1, 4]", "[1, 1e16]")) == (
        "[data] rows[1]: expected finite numbers at most 1e15 in size, got 1e+16"
    )
    assert error(BASE.replace("[1, 4]", "[1, -inf]")).startswith("[data] rows[1]: expected finite numbers")
    assert (
        error(NET + f"weights = [[[{BIG}]]]\n") == "[network] weights[0]: expected finite numbers at most 1e15 in size"
    )
    assert (
        error(NET + "weights = [[[-1e300]]]\n") == "[network] weights[0]: expected finite numbers at most 1e15 in size"
    )
    with_bias = BASE + "[network]\nweights = [[[1]]]\nbiases = [[1e16]]\n"
    assert error(with_bias) == "[network] biases[0]: expected finite numbers at most 1e15 in size"


# --- class 10: lenient values -------------------------------------------------------------------


@pytest.mark.parametrize(
    "weights,got",
    [
        ('"2"', "expected 1 arrays (one per layer for layers 1 → 1), got '2'"),
        ("true", "expected 1 arrays (one per layer for layers 1 → 1), got True"),
        ('[[["2"]]]', "expected 1 × 1 numbers, got a ragged or non-numeric array [['2']]"),
        ("[[[true]]]", "expected 1 × 1 numbers, got a ragged or non-numeric array [[True]]"),
        ("[[[false, 1]]]", "expected 1 × 1 numbers, got a ragged or non-numeric array [[False, 1]]"),
        ("[[2]]", "expected 1 × 1 numbers, got a ragged or non-numeric array [2]"),
        ("[[[[2]]]]", "expected 1 × 1 numbers, got a ragged or non-numeric array [[[2]]]"),
        ("[[[{a = 1}]]]", "expected 1 × 1 numbers, got a ragged or non-numeric array [[{'a': 1}]]"),
    ],
)
def test_weights_must_be_arrays_of_numbers(weights, got):
    message = error(NET + f"weights = {weights}\n")
    assert message.startswith("[network] weights") and message.endswith(got), message


@pytest.mark.parametrize("biases", ['[["1"]]', "[[true]]", '"1"', "[[[1]]]"])
def test_biases_must_be_arrays_of_numbers(biases):
    assert error(BASE + f"[network]\nweights = [[[1]]]\nbiases = {biases}\n").startswith("[network] biases")


def test_numbers_are_still_welcome():
    s = parse(BASE + "[network]\nweights = [[[2]]]\nbiases = [[-0.5]]\n", Path("s.toml"))
    assert s.initial is not None and s.initial.weights[0].tolist() == [[2.0]] and s.initial.biases[0].tolist() == [-0.5]


@pytest.mark.parametrize(
    "scale,message",
    [
        ("1e308", "[data] scale: inputs times scale reach 1e+308, more than 1e15 (expected a smaller scale)"),
        ("-1e16", "[data] scale: inputs times scale reach 1e+16, more than 1e15 (expected a smaller scale)"),
        ("1e400", "[data] scale: expected a finite number, got a number inf"),
    ],
)
def test_a_scale_whose_inputs_overflow_is_refused(scale, message):
    assert error(BASE + f"scale = {scale}\n") == message


def test_a_large_scale_with_small_inputs_is_fine():
    s = parse(BASE.replace("[1, 4]", "[1e-300, 4]") + "scale = 1e300\n", Path("s.toml"))
    assert s.data.x.tolist() == [[0.0], [pytest.approx(1.0)]] and np.isfinite(s.data.x).all()


def test_a_csv_value_too_big_names_its_line(tmp_path):
    (tmp_path / "s.toml").write_text('[data]\ninputs = ["x"]\ntargets = ["y"]\nfile = "d.csv"\nscale = 2\n')
    (tmp_path / "d.csv").write_text("x,y\n0,0\n\n1,4\n2,1e16\n3,5\n")
    with pytest.raises(ScenarioError) as e:
        load(tmp_path / "s.toml")
    assert str(e.value) == f"{tmp_path / 'd.csv'}:5: column 'y': expected numbers at most 1e15 in size, got '1e16'"
    (tmp_path / "d.csv").write_text("x,y\n0,0\n1e15,4\n")
    with pytest.raises(ScenarioError) as e:
        load(tmp_path / "s.toml")
    assert str(e.value).endswith(
        "[data] scale: inputs times scale reach 2e+15, more than 1e15 (expected a smaller scale)"
    )


def test_a_bom_in_a_csv_header_is_not_part_of_the_first_name(tmp_path):
    (tmp_path / "s.toml").write_text('[data]\ninputs = ["x"]\ntargets = ["y"]\nfile = "d.csv"\n')
    (tmp_path / "d.csv").write_bytes(b"\xef\xbb\xbfx,y\r\n0,0\r\n1,4\r\n")
    s = load(tmp_path / "s.toml")
    assert s.data.inputs == ("x",) and s.data.x.tolist() == [[0.0], [1.0]] and s.data.y.tolist() == [[0.0], [4.0]]


def test_a_bom_at_the_start_of_a_scenario_file_is_ignored(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert len(load(path).data) == 2


def test_invisible_characters_in_a_name_are_shown(tmp_path):
    (tmp_path / "s.toml").write_text('[data]\ninputs = ["x"]\ntargets = ["y"]\nfile = "d.csv"\n')
    (tmp_path / "d.csv").write_text("x\u200b,y\n0,0\n")
    with pytest.raises(ScenarioError) as e:
        load(tmp_path / "s.toml")
    assert str(e.value).endswith("[data] inputs: column 'x' is not in the data (columns: x\\u200b, y)")


def test_a_csv_with_too_many_columns_is_refused_before_it_is_split(tmp_path):
    (tmp_path / "s.toml").write_text('[data]\ninputs = ["x"]\ntargets = ["y"]\nfile = "d.csv"\n')
    (tmp_path / "d.csv").write_text("x,y\n0,0\n" + "," * 2_000_000 + "\n")
    with pytest.raises(ScenarioError) as e:
        load(tmp_path / "s.toml")
    assert str(e.value) == f"{tmp_path / 'd.csv'}:3: more than 10,000 values in a row"


def test_a_32_mb_csv_loads_in_bounded_memory(tmp_path):
    """The largest data file allowed by default: 8 million rows, read in a subprocess under 2 GB."""
    (tmp_path / "s.toml").write_text(
        '[data]\ninputs = ["x"]\ntargets = ["y"]\nfile = "d.csv"\n[training]\nmax_steps = 1\n'
    )
    rows = (32 * 2**20 - 4) // 4
    (tmp_path / "d.csv").write_text("x,y\n" + "1,2\n" * rows)
    code = (
        "import resource, sys\n"
        "from nnsim.scenario import load\n"
        f"s = load({str(tmp_path / 's.toml')!r})\n"
        "print(len(s.data), s.data.x.sum(), s.data.y.sum(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=limited,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    n, xs, ys, peak_kb = result.stdout.split()
    assert (int(n), float(xs), float(ys)) == (rows, rows, 2 * rows)
    assert int(peak_kb) < 1024 * 1024  # under 1 GB (about 350 MB today)
