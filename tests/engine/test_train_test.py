"""Held-out rows: a seeded split, the test loss and the accuracies, recomputed here with NumPy."""

import json
from pathlib import Path

import numpy as np
import pytest

from nnsim.cli import main
from nnsim.engine import Dataset, Trainer, actions
from nnsim.scenario import ScenarioError, load, parse
from nnsim.trace import step_record

from .test_history import state


def numbered(n: int) -> Dataset:
    """Row k has input k and target 2k, so a row's number shows where it went."""
    x = np.arange(n, dtype=float).reshape(-1, 1)
    return Dataset(("x",), ("y",), x, 2 * x)


def test_the_split_is_seeded_disjoint_and_complete():
    data = numbered(50)
    train, test = data.split(0.3, seed=7)
    assert (len(train), len(test)) == (35, 15)
    rows_train, rows_test = train.x[:, 0].tolist(), test.x[:, 0].tolist()
    assert sorted(rows_train + rows_test) == list(range(50)) and not set(rows_train) & set(rows_test)
    assert rows_train == sorted(rows_train) and rows_test == sorted(rows_test)  # each part keeps the order
    assert (train.y == 2 * train.x).all() and (test.y == 2 * test.x).all()  # targets travel with their inputs
    again_train, again_test = data.split(0.3, seed=7)
    assert again_test.x[:, 0].tolist() == rows_test and again_train.x.tobytes() == train.x.tobytes()
    # the held-out rows are the first 15 of the seed's permutation
    assert rows_test == sorted(np.random.default_rng(7).permutation(50)[:15].tolist())
    assert data.split(0.3, seed=8)[1].x[:, 0].tolist() != rows_test


def test_every_row_trains_at_0_and_one_row_always_trains():
    data = numbered(4)
    assert data.split(0.0, seed=0) == (data, None)
    train, test = data.split(0.99, seed=0)
    assert (len(train), len(test)) == (1, 3)
    train, test = data.split(0.01, seed=0)  # round(0.04) = 0, but a test set has a row
    assert (len(train), len(test)) == (3, 1)
    with pytest.raises(ValueError, match="at least 2 rows, got 1"):
        numbered(1).split(0.5, seed=0)
    with pytest.raises(ValueError, match="from 0 to below 1, got 1"):
        data.split(1.0, seed=0)


def forward_digits(params, x):
    """digits.toml's 64-16-10 network by hand: relu, then softmax."""
    h = np.maximum(x @ params.weights[0] + params.biases[0], 0)
    z = h @ params.weights[1] + params.biases[1]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_digits_holds_out_30_percent_and_scores_them_before_the_update():
    s = load("digits")
    assert (len(s.data), len(s.test)) == (1258, 539)
    t = s.trainer()
    t.run(steps=25)
    assert len(t.forward_pass.rows) == 1258  # full batch: only the training rows
    up, loss = t.update_result, t.loss_result
    p = forward_digits(up.old, s.test.x)  # the step's parameters, before its update
    test_accuracy = float(np.mean(p.argmax(axis=1) == s.test.y.argmax(axis=1)))
    test_loss = float(-(s.test.y * np.log(p)).sum() / len(s.test))  # cross-entropy, reduction = "mean"
    assert loss.test_accuracy == test_accuracy
    assert 0.5 < test_accuracy < 1
    assert loss.test_loss == pytest.approx(test_loss, rel=1e-12)
    q = forward_digits(up.old, s.data.x)
    assert loss.accuracy == float(np.mean(q.argmax(axis=1) == s.data.y.argmax(axis=1)))
    # the test rows never train: the same run on the training rows alone, with no test set, is bit-identical
    alone = Trainer(s.arch, s.data, s.config)
    alone.run(steps=25)
    assert [w.tobytes() for w in alone.params.weights] == [w.tobytes() for w in t.params.weights]
    assert alone.loss_result.test_loss is None and alone.loss_result.test_accuracy is None
    assert alone.loss_result.accuracy == loss.accuracy
    record = step_record(t)
    assert (record["test_loss"], record["test_accuracy"], record["accuracy"]) == (
        loss.test_loss,
        test_accuracy,
        loss.accuracy,
    )


def with_data_key(name: str, line: str):
    """A shipped scenario's text with one more [data] key."""
    path = load(name).path
    return parse(path.read_text().replace("[data]\n", "[data]\n" + line + "\n", 1), path)


def test_sigmoid_accuracy_counts_outputs_on_the_targets_side_of_one_half():
    s = with_data_key("xor", "test_fraction = 0.25")
    assert (len(s.data), len(s.test)) == (3, 1)
    t = s.trainer()
    for _ in range(40):
        t.step()
        params = t.update_result.old
        outputs = []
        for data in (s.data, s.test):
            h = 1 / (1 + np.exp(-(data.x @ params.weights[0] + params.biases[0])))
            outputs.append(1 / (1 + np.exp(-(h @ params.weights[1] + params.biases[1]))))
        loss = t.loss_result
        assert loss.accuracy == float(np.mean((outputs[0] > 0.5) == (s.data.y > 0.5)))
        assert loss.test_accuracy == float(np.mean((outputs[1] > 0.5) == (s.test.y > 0.5)))
        assert loss.test_loss == pytest.approx(float(((outputs[1] - s.test.y) ** 2).sum()), rel=1e-9)  # sse


def test_regression_has_a_test_loss_and_no_accuracy():
    s = with_data_key("hidden", "test_fraction = 0.3")
    assert (len(s.data), len(s.test)) == (7, 3)
    t = s.trainer()
    t.run(steps=3)
    up, loss = t.update_result, t.loss_result
    h = np.tanh(s.test.x @ up.old.weights[0] + up.old.biases[0])
    d = h @ up.old.weights[1] + up.old.biases[1] - s.test.y
    assert loss.test_loss == pytest.approx(float((d * d).sum() / d.size), rel=1e-12)  # mse over the held-out rows
    assert loss.accuracy is None and loss.test_accuracy is None
    # y4x has no test set
    y4x = load("y4x").trainer()
    y4x.step()
    assert y4x.loss_result.test_loss is None and step_record(y4x)["test_loss"] is None


def test_scores_follow_undo_redo_and_rebuild():
    s = with_data_key("xor", "test_fraction = 0.25")
    t = s.trainer(batch=2)
    t.run(steps=40)
    scores = t.score_history()
    assert len(scores) == 40 and [sc.step for sc in scores] == list(range(40))
    assert scores[-1] == (
        39,
        t.loss_result.dataset_total,
        t.loss_result.test_loss,
        t.loss_result.accuracy,
        t.loss_result.test_accuracy,
        None,  # w: kept only for a one-weight network
    )
    end = state(t)
    for _ in range(30):
        t.undo()
    losses_done = sum(isinstance(a, actions.Loss) for a in t.actions())
    assert 0 < losses_done < 40 and t.score_history() == scores[:losses_done]
    while t.redo():
        pass
    assert state(t) == end and t.score_history() == scores
    rebuilt = s.trainer(batch=2).rebuilt(t.actions())
    assert state(rebuilt) == end and rebuilt.score_history() == scores


def test_a_bad_test_fraction_is_one_message():
    with pytest.raises(ScenarioError, match=r"\[data\] test_fraction: expected a number >= 0 and < 1, got 1.5"):
        with_data_key("xor", "test_fraction = 1.5")
    path = Path("one.toml")
    text = '[data]\ninputs = ["x"]\ntargets = ["y"]\ncolumns = ["x", "y"]\nrows = [[1, 2]]\ntest_fraction = 0.5\n'
    with pytest.raises(ScenarioError) as e:
        parse(text, path)
    assert str(e.value) == "one.toml: [data] test_fraction: holding rows out for testing needs at least 2 rows, got 1"


def test_json_steps_carry_the_test_scores_and_the_optimisers_state(tmp_path, capsys):
    path = tmp_path / "xor_adam.toml"
    path.write_text(
        load("xor").path.read_text().replace("[data]\n", "[data]\ntest_fraction = 0.25\n")
        + 'optimizer = "adam"\nl2 = 0.01\n'
    )
    assert main(["run", str(path), "--steps", "2", "--format", "json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    first, second = lines[0], lines[1]
    t = load(path).trainer()
    t.step()
    assert first["test_loss"] == t.loss_result.test_loss and first["test_accuracy"] == t.loss_result.test_accuracy
    assert first["data_loss"] == t.loss_result.data_loss < first["loss"] == t.loss_result.total
    w = t.update_result.old.weights
    assert first["loss"] - first["data_loss"] == pytest.approx(0.01 * sum((a * a).sum() for a in w), rel=1e-9)
    state_ = second["optimizer_state"]
    assert sorted(state_) == ["m", "t", "v"] and state_["t"] == 2
    assert [np.shape(a) for a in state_["m"]["weights"]] == [np.shape(a) for a in second["new_weights"]]
    assert [np.shape(a) for a in state_["v"]["biases"]] == [np.shape(a) for a in second["new_biases"]]
    t.step()
    assert state_["m"]["weights"] == [a.tolist() for a in t.optimizer_state.m.weights]
    assert main(["run", "y4x", "--steps", "1", "--format", "json"]) == 0
    plain = json.loads(capsys.readouterr().out.splitlines()[0])
    assert plain["optimizer_state"] is None and plain["test_loss"] is None and plain["test_accuracy"] is None
    assert plain["data_loss"] == plain["loss"] == 120.0
