"""nnsim run --save, and a scenario made from a CSV file: nnsim data.csv --inputs a,b --targets c."""

import json
import math

import numpy as np
import pytest

from nnsim.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


def error(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1, err
    return out, err.removeprefix("nnsim: error: ").rstrip("\n")


def json_lines(text):
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_run_save_then_run_the_file_is_the_next_step_bit_for_bit(capsys, tmp_path, optimizer):
    source = tmp_path / "s.toml"
    text = (
        '[data]\ngenerate = "xor"\nn = 40\nnoise = 0.1\ntest_fraction = 0.25\n\n'
        '[network]\nhidden = [3, 2]\nactivation = "tanh"\noutput = "sigmoid"\nseed = 5\n\n'
        f'[training]\nloss = "cross_entropy"\nreduction = "mean"\nlearning_rate = 0.3\noptimizer = "{optimizer}"\n'
    )
    source.write_text(text)
    out = tmp_path / "out.toml"
    first, err = run(capsys, "run", str(source), "--steps", "6", "--format", "json", "--save", str(out))
    assert err == f"nnsim: saved step 6 as {out}\n"
    whole, _ = run(capsys, "run", str(source), "--steps", "8", "--format", "json")
    assert json_lines(first)[:6] == json_lines(whole)[:6]
    after, _ = run(capsys, "run", str(out), "--steps", "2", "--format", "json")
    # steps 7 and 8: every number of them, the test loss and accuracy and the optimiser's state too
    assert json_lines(after)[:2] == json_lines(whole)[6:8]
    assert [r["step"] for r in json_lines(after)[:2]] == [7, 8]


def test_run_save_never_overwrites_without_force(capsys, tmp_path):
    out = tmp_path / "out.toml"
    out.write_text("mine")
    stdout, message = error(capsys, "run", "y4x", "--steps", "2", "--save", str(out))
    assert message == f"{out}: already exists (use --force to overwrite)"
    assert stdout == "" and out.read_text() == "mine"  # refused before the run
    run(capsys, "run", "y4x", "--steps", "2", "--save", str(out), "--force")
    assert "[state]\nstep = 2\n" in out.read_text()


@pytest.mark.parametrize(
    "where,problem",
    [
        ("missing/out.toml", "out.toml: cannot write (no such directory: "),
        ("out.json", "out.json: a scenario file's name ends in .toml"),
        ("folder.toml", "folder.toml: is a directory"),
    ],
)
def test_run_save_errors_are_one_line_before_the_run(capsys, tmp_path, where, problem):
    (tmp_path / "folder.toml").mkdir()
    stdout, message = error(capsys, "run", "y4x", "--save", str(tmp_path / where))
    assert problem in message and stdout == ""


def test_force_without_save_is_a_usage_error(capsys):
    assert error(capsys, "run", "y4x", "--force")[1] == "run: --force is for --save (overwrite its file)"


# ----- a scenario from a CSV file ----------------------------------------------------------------
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_zero_one_targets_make_a_sigmoid_classifier_with_cross_entropy(capsys, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a,b,c,unused\n0,0,0,9\n0,1,1,9\n1,0,1,9\n1,1,1,9\n")
    out, err = run(capsys, "run", str(data), "--inputs", "a,b", "--targets", "c", "--steps", "1", "--format", "json")
    assert err == "nnsim: data.csv: 0/1 targets, so a sigmoid output and cross_entropy loss (mean)\n"
    step = json_lines(out)[0]
    w, b = np.array(step["weights"][0]), np.array(step["biases"][0])
    x, y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([[0], [1], [1], [1]])
    p = sigmoid(x @ w + b)
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    assert step["loss"] == pytest.approx(loss, rel=1e-12)
    # mean cross-entropy through a sigmoid: dL/dw = xᵀ(p − y)/n, and the update is w − 0.01·that
    assert np.allclose(step["grad_weights"][0], x.T @ (p - y) / 4, rtol=0, atol=1e-15)
    assert step["accuracy"] == np.mean((p > 0.5) == (y > 0.5))


def test_other_targets_make_a_linear_regression_with_mse(capsys, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,y\n0,0.5\n1,2.5\n2,4.5\n")
    out, err = run(capsys, "run", str(data), "--inputs", "x", "--targets", "y", "--steps", "1", "--format", "json")
    assert "identity output and mse loss" in err
    step = json_lines(out)[0]
    w, b = step["weights"][0][0][0], step["biases"][0][0]
    errors = [w * x + b - y for x, y in ((0, 0.5), (1, 2.5), (2, 4.5))]
    assert step["loss"] == pytest.approx(sum(e * e for e in errors) / 3, rel=1e-12)
    assert step["accuracy"] is None


def test_hidden_layers_take_the_schemas_activation(capsys, tmp_path, monkeypatch):
    from nnsim.tui.app import NNSimApp

    opened = []
    monkeypatch.setattr(NNSimApp, "run", lambda self, **options: opened.append(self))
    data = tmp_path / "d.csv"
    data.write_text("a,b,c\n0,0,0\n1,1,1\n")
    assert main([str(data), "--inputs", "a,b", "--targets", "c", "--hidden", "4,2"]) == 0
    app = opened[0]
    arch = app.scenario.arch
    assert arch.sizes == (2, 4, 2, 1) and (arch.activation, arch.output) == ("sigmoid", "sigmoid")
    assert app.scenario.name == "d" and app.trainer.config.loss == "cross_entropy"
    assert "sigmoid output and cross_entropy" in app.start_notice


@pytest.mark.parametrize(
    "csv_text,args,problem",
    [
        ("a,b,c\n0,0,0\n", ["--inputs", "a,q", "--targets", "c"], "{f}: [data] inputs: column 'q' is not in the data"),
        ("a,b,c\n0,x,1\n", ["--inputs", "a,b", "--targets", "c"], "{f}:2: column 'b': expected numbers, got 'x'"),
        ("a,b,c\n0,0\n", ["--inputs", "a,b", "--targets", "c"], "{f}:2: expected 3 values (one per column), got 2"),
        ("a,b,c\n", ["--inputs", "a,b", "--targets", "c"], "{f}: [data]: the dataset is empty"),
        ("a,b,c\n0,0,0\n", ["--inputs", "a"], "{f}: a CSV file needs --inputs and --targets"),
        ("a,b,c\n0,0,0\n", ["--inputs", "a,,b", "--targets", "c"], "--inputs: expected column names separated by"),
        ("a,b,c\n0,0,0\n", ["--inputs", "a", "--targets", "c", "--hidden", "2,0"], "--hidden: expected layer sizes"),
    ],
)
@pytest.mark.parametrize("command", [[], ["run"]])
def test_csv_errors_are_the_readers_one_line(capsys, tmp_path, csv_text, args, problem, command):
    data = tmp_path / "d.csv"
    data.write_text(csv_text)
    stdout, message = error(capsys, *command, str(data), *args)
    assert problem.format(f=data) in message and stdout == ""


def test_a_missing_csv_file_is_one_line(capsys, tmp_path):
    missing = tmp_path / "nope.csv"
    assert error(capsys, str(missing), "--inputs", "a", "--targets", "b")[1] == f"{missing}: file not found"


@pytest.mark.parametrize("option", [["--inputs", "a"], ["--targets", "c"], ["--hidden", "3"]])
@pytest.mark.parametrize("command", [[], ["run"]])
def test_csv_options_with_a_scenario_are_a_usage_error(capsys, option, command):
    message = error(capsys, *command, "y4x", *option)[1]
    assert message.startswith(f"{option[0]} is for a CSV file (nnsim data.csv --inputs a,b --targets c)")


def test_a_csv_scenario_saves_and_loads(capsys, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,y\n0,0.5\n1,2.5\n2,4.5\n")
    out = tmp_path / "saved.toml"
    run(capsys, "run", str(data), "--inputs", "x", "--targets", "y", "--steps", "3", "--save", str(out))
    text = out.read_text()
    assert 'file = "d.csv"' in text and 'loss = "mse"' in text and "step = 3" in text
    lines, _ = run(capsys, "run", str(out), "--steps", "1", "--format", "json")
    assert json_lines(lines)[0]["step"] == 4 and math.isfinite(json_lines(lines)[0]["loss"])
