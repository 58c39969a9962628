"""The headless command: list, check, run in every format."""

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from nnsim.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_list_shows_every_scenario(capsys):
    out = run(capsys, "list")
    for name in ("y4x", "linear", "hidden", "xor", "digits"):
        assert name in out
    assert "64 → 16 → 10" in out


def test_check_summary(capsys):
    out = run(capsys, "check", "hidden")
    assert out.startswith("ok ")
    assert "layers 4 → 2 → 1" in out and "13 parameters" in out and "10 rows" in out


def test_json_reproduces_the_worked_example(capsys):
    lines = [json.loads(line) for line in run(capsys, "run", "y4x", "--format", "json").splitlines()]
    first = lines[0]
    assert first["step"] == 1
    assert first["loss"] == 120
    assert first["weights"] == [[[2.0]]] and first["biases"] is None
    assert first["outputs"] == [[0.0], [2.0], [4.0], [6.0], [8.0]]
    assert first["grad_weights"] == [[[-120.0]]]
    assert first["new_weights"][0][0][0] == pytest.approx(3.2)
    assert lines[1]["weights"] == first["new_weights"]
    last = lines[-1]
    assert last["stop"] == "converged" and last["steps"] == 11 and last["loss"] < 1e-6
    assert len(lines) == 12


def test_json_steps_limit_and_overrides(capsys):
    lines = [
        json.loads(x)
        for x in run(capsys, "run", "y4x", "--format", "json", "--steps", "2", "--lr", "0.02").splitlines()
    ]
    assert [x.get("step") for x in lines[:-1]] == [1, 2]
    assert lines[0]["new_weights"][0][0][0] == pytest.approx(2 + 0.02 * 120)
    assert lines[-1]["stop"] == "steps" and lines[-1]["steps"] == 2


def test_json_divergence_is_reported_not_crashed(capsys):
    lines = [json.loads(x) for x in run(capsys, "run", "y4x", "--format", "json", "--lr", "1").splitlines()]
    assert lines[-1]["stop"] == "diverged"
    assert lines[-1]["loss"] in ("inf", "nan")


def test_csv_one_row_per_step_and_parameter(capsys):
    rows = list(csv.DictReader(io.StringIO(run(capsys, "run", "xor", "--format", "csv", "--steps", "3"))))
    assert len(rows) == 3 * 9
    assert {r["parameter"] for r in rows} >= {"w[0][0,0]", "b[1][0]"}
    for r in rows:
        assert float(r["new_value"]) == pytest.approx(
            float(r["value"]) - float(r["learning_rate"]) * float(r["gradient"])
        )


def test_csv_y4x_first_row(capsys):
    rows = list(csv.DictReader(io.StringIO(run(capsys, "run", "y4x", "--format", "csv", "--steps", "1"))))
    assert rows[0]["parameter"] == "w" and float(rows[0]["loss"]) == 120 and float(rows[0]["gradient"]) == -120
    assert float(rows[0]["new_value"]) == pytest.approx(3.2)


def test_table_has_the_worked_example_table(capsys):
    out = run(capsys, "run", "y4x", "--steps", "1")
    assert "TOTAL" in out and "120" in out and "-120" in out and "3.2" in out
    assert "(y′−y)²" in out


def test_table_big_scenario_is_abbreviated(capsys):
    out = run(capsys, "run", "digits", "--steps", "1")
    assert "1238 more rows" in out and "more parameters" in out


def test_seed_and_batch_options(capsys):
    a = run(capsys, "run", "y4x", "--format", "json", "--steps", "1", "--seed", "4")
    b = run(capsys, "run", "y4x", "--format", "json", "--steps", "1", "--seed", "4")
    assert a == b and json.loads(a.splitlines()[0])["weights"] != [[[2.0]]]
    first = json.loads(
        run(capsys, "run", "y4x", "--format", "json", "--steps", "1", "--batch", "sample").splitlines()[0]
    )
    assert first["rows"] == [0]


def test_module_entry_point():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "nnsim", "check", "y4x"], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0 and "y4x" in result.stdout


def test_one_blas_thread_unless_the_user_chose(monkeypatch):
    """nnsim asks BLAS for one thread (its spinning threads cost 4× the CPU of a key), but a user's setting stands."""
    import os

    import nnsim

    for var in nnsim.BLAS_THREAD_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    nnsim.one_blas_thread()

    assert os.environ["OPENBLAS_NUM_THREADS"] == "1" and os.environ["MKL_NUM_THREADS"] == "1"
    assert os.environ["OMP_NUM_THREADS"] == "3"


def test_the_nnsim_command_runs_numpy_on_one_thread():
    """What `nnsim` starts (the app, SSH sessions) inherits the setting; checked in a fresh process."""
    import os
    import subprocess
    import sys

    import nnsim

    env = {k: v for k, v in os.environ.items() if k not in nnsim.BLAS_THREAD_VARS}
    code = (
        "import sys, os; from nnsim.cli import main; main(['check', 'y4x']); print(os.environ['OPENBLAS_NUM_THREADS'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "1"


# ----- the last JSON line: the loss over every row at the final parameters -------------------------

Y4X_X = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
LINEAR_X = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]], float)
LINEAR_Y = 2 * LINEAR_X[:, 0] - 3 * LINEAR_X[:, 1] + 0.5 * LINEAR_X[:, 2] + 1


def json_lines(capsys, *args):
    return [json.loads(line) for line in run(capsys, "run", *args, "--format", "json").splitlines()]


def y4x_loss(w: float) -> float:
    """sse of y′ = w·x against y = 4x over all five rows."""
    return float(np.sum((w * Y4X_X - 4 * Y4X_X) ** 2))


@pytest.mark.parametrize(
    "args, reason, steps",
    [
        ((), "converged", 11),
        (("--steps", "3"), "steps", 3),
        (("--batch", "2", "--steps", "4"), "steps", 4),
        (("--batch", "sample", "--seed", "5", "--steps", "7"), "steps", 7),
    ],
)
def test_last_line_loss_is_over_every_row_at_the_final_weight(capsys, args, reason, steps):
    lines = json_lines(capsys, "y4x", *args)
    last, final_w = lines[-1], lines[-2]["new_weights"][0][0][0]
    assert (last["stop"], last["steps"], len(lines)) == (reason, steps, steps + 1)
    assert last["loss"] == pytest.approx(y4x_loss(final_w), rel=1e-12)
    if "--batch" in args:  # the last step's own loss was over its batch only, before the update
        assert last["loss"] != lines[-2]["loss"]


def test_last_line_loss_at_max_steps(tmp_path, capsys):
    path = tmp_path / "short.toml"
    path.write_text((ROOT / "scenarios" / "y4x.toml").read_text().replace("max_steps = 1000", "max_steps = 4"))
    lines = json_lines(capsys, str(path))
    last = lines[-1]
    assert (last["stop"], last["steps"], len(lines)) == ("max_steps", 4, 5)
    w = 2.0
    for _ in range(4):  # w ← w − lr·dL/dw with dL/dw = Σ 2(w·x − 4x)·x
        w = w - 0.01 * float(np.sum(2 * (w * Y4X_X - 4 * Y4X_X) * Y4X_X))
    assert lines[-2]["new_weights"][0][0][0] == pytest.approx(w, rel=1e-12)
    assert last["loss"] == pytest.approx(y4x_loss(w), rel=1e-12)


def test_last_line_loss_with_a_bias_and_mini_batches(capsys):
    """linear: mean squared error over all eight rows at the last weights and bias, not the last batch's."""
    lines = json_lines(capsys, "linear", "--batch", "3", "--steps", "5")
    step = lines[-2]
    w = np.array(step["new_weights"][0])[:, 0]
    b = step["new_biases"][0][0]
    assert len(step["rows"]) == 3
    assert lines[-1]["loss"] == pytest.approx(float(np.mean((LINEAR_X @ w + b - LINEAR_Y) ** 2)), rel=1e-12)


def test_without_biases_the_bias_fields_are_null(capsys):
    first = json_lines(capsys, "y4x", "--steps", "1")[0]
    assert first["biases"] is None and first["grad_biases"] is None and first["new_biases"] is None
    with_bias = json_lines(capsys, "linear", "--steps", "1")[0]
    assert with_bias["biases"] == [[0.0]] and len(with_bias["grad_biases"][0]) == 1


def test_table_stop_line_has_the_loss_over_every_row(capsys):
    out = run(capsys, "run", "y4x", "--steps", "2")
    w = 2 + 0.01 * 120
    w = w - 0.01 * float(np.sum(2 * (w * Y4X_X - 4 * Y4X_X) * Y4X_X))
    assert out.splitlines()[-1] == f"Stopped after the requested 2 steps; loss over all rows {y4x_loss(w):.6g}"
