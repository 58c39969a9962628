"""The headless command: list, check, run in every format."""

import csv
import io
import json

import pytest

from nnsim.cli import main


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
    lines = [json.loads(x) for x in run(capsys, "run", "y4x", "--format", "json", "--steps", "2", "--lr", "0.02").splitlines()]
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
        assert float(r["new_value"]) == pytest.approx(float(r["value"]) - float(r["learning_rate"]) * float(r["gradient"]))


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
    assert "1777 more rows" in out and "more parameters" in out


def test_seed_and_batch_options(capsys):
    a = run(capsys, "run", "y4x", "--format", "json", "--steps", "1", "--seed", "4")
    b = run(capsys, "run", "y4x", "--format", "json", "--steps", "1", "--seed", "4")
    assert a == b and json.loads(a.splitlines()[0])["weights"] != [[[2.0]]]
    first = json.loads(run(capsys, "run", "y4x", "--format", "json", "--steps", "1", "--batch", "sample").splitlines()[0])
    assert first["rows"] == [0]


def test_module_entry_point():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "nnsim", "check", "y4x"], capture_output=True, text=True)
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
        "import sys, os; from nnsim.cli import main; "
        "main(['check', 'y4x']); "
        "print(os.environ['OPENBLAS_NUM_THREADS'])"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "1"
