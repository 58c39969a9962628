"""Exporting a run: the CSV (10 digits) and the exact JSON with its action records, file names and failures."""

import csv
import errno
import itertools
import json
import threading

import numpy as np
import pytest

import nnsim.export
from nnsim.engine import actions, param_refs
from nnsim.export import export, safe_name
from nnsim.scenario import load
from nnsim.trace import step_record

X = np.array([0.0, 1.0, 2.0, 3.0, 4.0])  # y4x: y = 4x, one weight, first guess 2, lr 0.01, sse


def strict_json(path):
    """The file as JSON, refusing NaN and Infinity (which are not JSON)."""

    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    return json.loads(path.read_text(), parse_constant=refuse)


def read_csv(path):
    with path.open(newline="") as fh:
        return list(csv.reader(fh))


def trained(name, steps=None, **overrides):
    trainer = load(name).trainer(**overrides)
    trainer.run(steps)
    return trainer


def ten_digits(value):
    """The float a CSV cell holds for ``value``: rounded to 10 significant digits."""
    return float(f"{value:.9e}")  # one digit before the point, nine after


def significant_digits(cell):
    """How many significant digits a CSV number is written with (0.00125 and 1.25e-05 both have 3)."""
    mantissa = cell.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa)


def rebuilt_from(data, name, **overrides):
    """The run rebuilt from the export's action records, through JSON, on a new trainer of the scenario."""
    records = [actions.from_json(record) for record in data["actions"]]
    return load(name).trainer(**overrides).rebuilt(records)


def assert_same_run(rebuilt, trainer):
    """Bit-identical: every parameter's bytes and the whole loss history."""
    assert [a.tobytes() for a in rebuilt.params.arrays()] == [a.tobytes() for a in trainer.params.arrays()]
    assert rebuilt.loss_history() == trainer.loss_history()
    assert rebuilt.step_count == trainer.step_count


def test_y4x_export_has_the_worked_example_numbers(tmp_path):
    trainer = trained("y4x", 3)
    csv_path, json_path = export(trainer, "y4x", tmp_path)
    assert (csv_path.name, json_path.name) == ("nnsim-y4x-1.csv", "nnsim-y4x-1.json")

    # the same three steps worked out here: loss Σ(w·x − 4x)², dL/dw = Σ 2(w·x − 4x)·x, w ← w − 0.01·dL/dw
    w, expected = 2.0, []
    for step in (1, 2, 3):
        loss, grad = float(np.sum((w * X - 4 * X) ** 2)), float(np.sum(2 * (w * X - 4 * X) * X))
        expected.append((step, loss, grad, w - 0.01 * grad))
        w = w - 0.01 * grad

    # CSV, for a spreadsheet: 10 significant digits, so 47.999999999999986 is 48
    rows = read_csv(csv_path)
    assert rows == [
        ["step", "loss", "learning_rate", "w", "dL/dw"],
        ["0", "", "", "2", ""],
        ["1", "120", "0.01", "3.2", "-120"],
        ["2", "19.2", "0.01", "3.68", "-48"],
        ["3", "3.072", "0.01", "3.872", "-19.2"],
    ]
    for row, (step, loss, grad, new) in zip(rows[2:], expected, strict=True):
        assert [int(row[0]), float(row[1]), float(row[2]), float(row[3]), float(row[4])] == [
            step,
            ten_digits(loss),
            0.01,
            ten_digits(new),
            ten_digits(grad),
        ]
    # a spreadsheet's check of w − lr·g against the next value agrees to 10 digits
    for before, after in itertools.pairwise(rows[1:]):
        assert float(before[3]) - float(after[2]) * float(after[4]) == pytest.approx(float(after[3]), rel=1e-10)

    # JSON, for a program: exact, the steps' losses, the final values and the records that rebuild the run
    data = strict_json(json_path)
    assert data["scenario"] == "y4x" and data["parameters"] == ["w"] and data["start"] == [2.0]
    assert data["steps"][0] == {"step": 1, "loss": 120.0, "learning_rate": 0.01}
    for s, (step, loss, _grad, _new) in zip(data["steps"], expected, strict=True):
        assert s == {"step": step, "loss": pytest.approx(loss, rel=1e-12), "learning_rate": 0.01}
    assert [s["loss"] for s in data["steps"]] == [loss for _, loss in trainer.loss_history()]  # exactly the engine's
    assert data["end"] == {
        "stop": None,
        "message": "still training after 3 steps",
        "steps": 3,
        "loss": pytest.approx(float(np.sum((w * X - 4 * X) ** 2)), rel=1e-12),
        "parameters": [trainer.params.weights[0][0, 0]],  # exactly the engine's number
    }
    assert data["end"]["parameters"] == [pytest.approx(w, rel=1e-12)]
    assert data["actions"] == [{"action": "guess", "seed": 0, "initial": True}] + [
        {"action": phase} for _ in range(3) for phase in ("forward", "loss", "backward", "update")
    ]
    assert_same_run(rebuilt_from(data, "y4x"), trainer)


def test_the_csv_is_ten_digits_of_the_engine_and_the_json_rebuilds_the_run(tmp_path):
    """hidden (4 → 2 → 1): each CSV number is the one `nnsim run --format json` prints, to 10 digits."""
    trainer = trained("hidden", 6)
    csv_path, json_path = export(trainer, "hidden", tmp_path)
    data = strict_json(json_path)
    names = data["parameters"]
    assert names[:3] == ["w[0][0,0]", "w[0][0,1]", "w[0][1,0]"] and len(names) == 13
    assert names[8:] == ["b[0][0]", "b[0][1]", "w[1][0,0]", "w[1][1,0]", "b[1][0]"]

    def in_order(weights, biases):  # each layer's weights row by row, then its biases
        out = []
        for w, b in zip(weights, biases):
            out += [v for row in w for v in row] + list(b)
        return out

    fresh = load("hidden").trainer()
    lines = []
    for _ in range(6):
        fresh.step()
        lines.append(step_record(fresh))
    assert data["start"] == in_order(lines[0]["weights"], lines[0]["biases"])
    assert [(s["step"], s["loss"], s["learning_rate"]) for s in data["steps"]] == [
        (k, line["loss"], 0.5) for k, line in enumerate(lines, 1)
    ]
    assert data["end"]["parameters"] == in_order(lines[-1]["new_weights"], lines[-1]["new_biases"])

    rows = read_csv(csv_path)
    assert rows[0][3:16] == names and rows[0][16:] == [f"dL/d{n}" for n in names]
    assert [float(v) for v in rows[1][3:16]] == [ten_digits(v) for v in data["start"]] and rows[1][16:] == [""] * 13
    for row, line in zip(rows[2:], lines, strict=True):
        assert float(row[1]) == ten_digits(line["loss"]) and row[2] == "0.5"
        assert [float(v) for v in row[3:16]] == [
            ten_digits(v) for v in in_order(line["new_weights"], line["new_biases"])
        ]
        assert [float(v) for v in row[16:]] == [
            ten_digits(v) for v in in_order(line["grad_weights"], line["grad_biases"])
        ]
        assert max(significant_digits(v) for v in row[1:]) == 10  # these numbers need all ten

    assert_same_run(rebuilt_from(data, "hidden"), trainer)


def test_the_actions_rebuild_a_run_with_edits_and_an_earlier_run(tmp_path):
    """A guess, a learning-rate change, a nudge, a typed-in value and a half-done step: all in the records."""
    trainer = trained("hidden", 4)
    trainer.guess(7)  # a new run: the export starts here, the records from the first guess
    trainer.run(2)
    trainer.set_learning_rate(0.25)
    ref = param_refs(trainer.arch)[3]
    trainer.probe(ref)
    trainer.run(2)
    trainer.set_param(ref, -0.125)
    trainer.run(1)
    trainer.forward()
    trainer.loss()
    _, json_path = export(trainer, "hidden", tmp_path)
    data = strict_json(json_path)
    assert [s["learning_rate"] for s in data["steps"]] == [0.5, 0.5, 0.25, 0.25, 0.25]
    assert data["end"]["steps"] == 5
    assert data["end"]["parameters"] == nnsim.export.flat(trainer.params.weights, trainer.params.biases).tolist()
    kinds = [r["action"] for r in data["actions"]]
    assert kinds.count("guess") == 2 and kinds.count("update") == 9 and kinds[-2:] == ["forward", "loss"]
    assert {"action": "set_learning_rate", "value": 0.25} in data["actions"]
    assert {"action": "set_param", "param": {"kind": "w", "layer": 0, "index": [1, 1]}, "value": -0.125} in data[
        "actions"
    ]
    rebuilt = rebuilt_from(data, "hidden")
    assert_same_run(rebuilt, trainer)
    assert rebuilt.last_phase == trainer.last_phase == "loss" and rebuilt.learning_rate == 0.25


def test_per_sample_adds_the_exact_gradients_new_values_batch_and_outputs(tmp_path):
    trainer = trained("y4x", 2)
    csv_path, json_path = export(trainer, "y4x", tmp_path, per_sample=True)
    data = strict_json(json_path)
    first, second = data["steps"]
    assert first == {
        "step": 1,
        "loss": 120.0,
        "learning_rate": 0.01,
        "gradient": [-120.0],
        "new_value": [3.2],
        "rows": [0, 1, 2, 3, 4],
        "outputs": [[0.0], [2.0], [4.0], [6.0], [8.0]],  # 2·x
    }
    assert second["gradient"] == [float(np.sum(2 * (3.2 * X - 4 * X) * X))] == [-47.999999999999986]
    assert second["new_value"] == [trainer.params.weights[0][0, 0]] == data["end"]["parameters"]
    assert [o for [o] in second["outputs"]] == pytest.approx([0.0, 3.2, 6.4, 9.6, 12.8], rel=1e-12)  # 3.2·x
    assert read_csv(csv_path)[2:] == [["1", "120", "0.01", "3.2", "-120"], ["2", "19.2", "0.01", "3.68", "-48"]]
    assert_same_run(rebuilt_from(data, "y4x"), trainer)


def test_the_default_json_is_small(tmp_path):
    """y4x to convergence (11 steps): three numbers a step in the JSON, the parameters only in the CSV."""
    trainer = trained("y4x")
    csv_path, json_path = export(trainer, "y4x", tmp_path)
    _, full_path = export(trainer, "y4x", tmp_path, per_sample=True)
    data = strict_json(json_path)
    assert len(data["steps"]) == trainer.step_count == 11
    assert all(set(s) == {"step", "loss", "learning_rate"} for s in data["steps"])
    lines = json_path.read_text().splitlines()
    # the head (4 lines), 11 steps, "],", the end, "actions", the guess, 4 records a step, then the
    # forward and loss that found the loss below stop_loss, and "]}"
    assert len(lines) == 4 + 11 + 3 + 1 + 4 * 11 + 2 + 1
    assert lines[-3:] == ['{"action":"forward"},', '{"action":"loss"}', "]}"]
    assert all(line.startswith(("{", "]", '"')) for line in lines)  # compact: no indentation
    assert json_path.stat().st_size < 2000 < full_path.stat().st_size
    rows = read_csv(csv_path)
    assert len(rows) == 13 and all(significant_digits(v) <= 10 for row in rows[1:] for v in row[1:] if v)
    assert csv_path.stat().st_size < 450


def test_mini_batches_and_the_end_of_a_converged_run(tmp_path):
    trainer = trained("y4x", batch=2, learning_rate=0.02)
    assert trainer.stop is not None and trainer.stop.reason == "converged"
    _, json_path = export(trainer, "y4x", tmp_path, per_sample=True)
    data = strict_json(json_path)
    assert len(data["steps"]) == trainer.step_count
    for s in data["steps"]:
        rows = s["rows"]
        assert len(rows) in (1, 2)  # five rows in batches of two
        w = s["new_value"][0] + 0.02 * s["gradient"][0]
        assert s["loss"] == pytest.approx(float(np.sum((w * X[rows] - 4 * X[rows]) ** 2)), rel=1e-9, abs=1e-15)
    final = data["steps"][-1]["new_value"][0]
    assert data["end"]["stop"] == "converged" and data["end"]["steps"] == trainer.step_count
    assert data["end"]["loss"] == pytest.approx(float(np.sum((final * X - 4 * X) ** 2)), rel=1e-12)
    assert data["end"]["parameters"] == [final] == [trainer.params.weights[0][0, 0]]
    assert_same_run(rebuilt_from(data, "y4x", batch=2, learning_rate=0.02), trainer)


def test_a_diverged_run_writes_inf_and_nan_as_strings(tmp_path):
    trainer = trained("y4x", learning_rate=1e307)  # w = 2 + 1e307·120 overflows in the first update
    assert trainer.stop is not None and trainer.stop.message == "diverged at step 1: a parameter became inf"
    csv_path, json_path = export(trainer, "y4x", tmp_path)
    data = strict_json(json_path)  # valid JSON: no bare NaN or Infinity
    assert data["end"]["stop"] == "diverged" and data["end"]["loss"] == "nan"  # inf·0 on the row x = 0
    assert data["end"]["parameters"] == ["inf"]
    assert data["steps"] == [{"step": 1, "loss": 120.0, "learning_rate": 1e307}]
    assert read_csv(csv_path)[-1] == ["1", "120", "1e+307", "inf", "-120"]
    rebuilt = rebuilt_from(data, "y4x", learning_rate=1e307)
    assert_same_run(rebuilt, trainer)
    assert rebuilt.stop == trainer.stop


def test_before_any_step_there_is_only_the_start(tmp_path):
    csv_path, json_path = export(trained("y4x", 0), "y4x", tmp_path)
    data = strict_json(json_path)
    assert data["start"] == [2.0] and data["steps"] == []
    assert data["end"] == {
        "stop": None,
        "message": "still training after 0 steps",
        "steps": 0,
        "loss": 120.0,
        "parameters": [2.0],
    }
    assert data["actions"] == [{"action": "guess", "seed": 0, "initial": True}]
    assert read_csv(csv_path) == [["step", "loss", "learning_rate", "w", "dL/dw"], ["0", "", "", "2", ""]]


def test_an_export_never_overwrites(tmp_path):
    trainer = trained("y4x", 1)
    (tmp_path / "nnsim-y4x-1.csv").write_text("mine")
    (tmp_path / "nnsim-y4x-2.json").write_text("mine too")
    csv_path, json_path = export(trainer, "y4x", tmp_path)
    assert (csv_path.name, json_path.name) == ("nnsim-y4x-3.csv", "nnsim-y4x-3.json")
    assert (tmp_path / "nnsim-y4x-1.csv").read_text() == "mine"
    assert (tmp_path / "nnsim-y4x-2.json").read_text() == "mine too"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "nnsim-y4x-1.csv",
        "nnsim-y4x-2.json",
        "nnsim-y4x-3.csv",
        "nnsim-y4x-3.json",
    ]


@pytest.mark.parametrize(
    "name, safe",
    [
        ("x/../../escaped", "x-escaped"),
        ("../../etc/passwd", "etc-passwd"),
        ("..", "run"),
        ("", "run"),
        ("/", "run"),
        ("a\\b:c", "a-b-c"),
        (".hidden", "hidden"),
        ("my scenario", "my-scenario"),
        ("xor_2", "xor_2"),
        ("Ω-net", "Ω-net"),
    ],
)
def test_the_file_name_is_one_safe_component(name, safe):
    assert safe_name(name) == safe


def test_a_hostile_name_cannot_write_outside_the_folder(tmp_path):
    inside = tmp_path / "a" / "b"
    inside.mkdir(parents=True)
    csv_path, json_path = export(trained("y4x", 1), "x/../../escaped", inside)
    assert csv_path.parent == inside and json_path.parent == inside
    assert sorted(p.name for p in inside.iterdir()) == ["nnsim-x-escaped-1.csv", "nnsim-x-escaped-1.json"]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "a/b/nnsim-x-escaped-1.csv",
        "a/b/nnsim-x-escaped-1.json",
    ]
    assert strict_json(json_path)["scenario"] == "x/../../escaped"  # the name itself is kept inside the file


def test_a_missing_folder_is_an_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        export(trained("y4x", 1), "y4x", tmp_path / "nowhere")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        export(trained("y4x", 1), "y4x", tmp_path / "file")


def test_a_full_disk_raises_and_leaves_no_half_files(tmp_path, monkeypatch):
    real_create = nnsim.export._create

    class FullDisk:
        """A file that takes the first few writes, then fails as a full disk does."""

        def __init__(self, fh):
            self.fh, self.writes = fh, 0

        def write(self, text):
            self.writes += 1
            if self.writes > 3:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.fh.write(text)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def close(self):
            self.fh.close()

    monkeypatch.setattr(nnsim.export, "_create", lambda path: FullDisk(real_create(path)))
    with pytest.raises(OSError, match="No space left"):
        export(trained("y4x", 5), "y4x", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_progress_from_the_calling_thread_and_the_trainer_untouched(tmp_path):
    """As the TUI will run it: in a worker thread, with progress now and then, the trainer only read."""
    trainer = trained("hidden", 230, stop_loss=0.0)
    params = [a.copy() for a in trainer.params.arrays()]
    history = trainer.loss_history()
    calls, threads, result = [], set(), {}

    def progress(done, total):
        calls.append((done, total))
        threads.add(threading.get_ident())

    def work():
        result["paths"] = export(trainer, "hidden", tmp_path, progress=progress)
        result["thread"] = threading.get_ident()

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()

    assert threads == {result["thread"]}
    assert calls[0] == (0, 230) and calls[-1] == (230, 230)
    done = [d for d, _ in calls]
    assert done == sorted(done) and all(b - a <= 2 for a, b in itertools.pairwise(done))  # 1% of 230 is 2 steps
    assert all(total == 230 for _, total in calls)
    assert trainer.step_count == 230 and trainer.loss_history() == history
    assert all(np.array_equal(a, b) for a, b in zip(trainer.params.arrays(), params))
    assert len(strict_json(result["paths"][1])["steps"]) == 230


def test_an_exception_from_progress_stops_the_export_and_removes_its_files(tmp_path):
    class Cancelled(Exception):
        pass

    def progress(done, total):
        if done >= 4:
            raise Cancelled

    with pytest.raises(Cancelled):
        export(trained("y4x", 8), "y4x", tmp_path, progress=progress)
    assert list(tmp_path.iterdir()) == []


def test_after_an_edit_of_the_network_s_shape_the_steps_start_from_the_edit(tmp_path):
    trainer = trained("hidden", 3)
    trainer.edit("hidden", "3")  # 13 parameters become 19: the earlier steps would not fit the columns
    trainer.run(2)
    trainer.edit("activation", "relu")  # the same shapes: its steps stay
    trainer.run(1)
    csv_path, json_path = export(trainer, "hidden", tmp_path)
    rows = read_csv(csv_path)
    n = 4 * 3 + 3 + 3 * 1 + 1
    assert all(len(row) == 3 + 2 * n for row in rows)
    data = strict_json(json_path)
    assert [s["step"] for s in data["steps"]] == [4, 5, 6] and len(data["start"]) == n
    assert {"action": "edit", "key": "hidden", "value": "3"} in data["actions"]
    assert_same_run(rebuilt_from(data, "hidden"), trainer)
