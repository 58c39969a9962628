"""Phases, undo/redo, determinism, batch modes and stopping."""

import numpy as np
import pytest

from nnsim.engine import Architecture, Config, Dataset, PhaseError, Trainer, TrainingStopped
from nnsim.scenario import load


def state(t: Trainer):
    """Everything a run's numbers are: compared for bit-identical runs here and in test_actions."""
    p = t.params
    return (
        [w.tobytes() for w in p.weights],
        None if p.biases is None else [b.tobytes() for b in p.biases],
        t.step_count,
        t.last_phase,
        t.learning_rate,
        t.loss_history(),
        None if t.stop is None else (t.stop.reason, t.stop.message),
    )


@pytest.mark.parametrize("name", ["y4x", "linear", "hidden", "xor"])
def test_phases_one_at_a_time_equal_step(name):
    a, b = load(name).trainer(), load(name).trainer()
    for _ in range(5):
        a.step()
        for phase in ("forward", "loss", "backward", "update"):
            getattr(b, phase)()
    assert state(a) == state(b)


def test_phases_must_run_in_order():
    t = load("y4x").trainer()
    with pytest.raises(PhaseError, match="next phase is forward"):
        t.backward()
    t.forward()
    with pytest.raises(PhaseError):
        t.update()
    assert t.run_through("loss") is True
    assert t.run_through("forward") is False  # already ran in this step


@pytest.mark.parametrize("batch", ["full", "sample", 3])
def test_undo_then_redo_is_bit_identical(batch):
    t = load("hidden").trainer(batch=batch)
    for _ in range(40):
        t.next()
    end = state(t)
    seen = [end]
    while t.undo():
        seen.append(state(t))
    assert t.step_count == 0 and t.last_phase == "guess"
    replay = [state(t)]
    while t.redo():
        replay.append(state(t))
    assert replay == seen[::-1]
    assert state(t) == end


def test_undo_restores_each_phase_result():
    t = load("y4x").trainer()
    t.step()
    t.run_through("backward")
    g = t.gradients.weights[0].copy()
    t.update()
    assert t.undo()
    assert t.last_phase == "backward"
    assert (t.gradients.weights[0] == g).all()
    assert t.update_result is None
    assert t.undo() and t.undo()
    assert t.last_phase == "forward" and t.loss_result is None


def test_new_action_after_undo_drops_the_redo_branch():
    t = load("y4x").trainer()
    t.step()
    t.undo()
    assert t.can_redo
    t.set_learning_rate(0.02)  # a change like any other: the undone update is gone
    assert not t.can_redo
    t.update()
    assert t.params.weights[0][0, 0] == pytest.approx(2 + 0.02 * 120)


def test_a_learning_rate_change_is_undone_and_redone_with_the_run():
    t = load("y4x").trainer()
    t.set_learning_rate(0.05)
    t.step()
    assert t.params.weights[0][0, 0] == pytest.approx(2 + 0.05 * 120)
    t.undo()
    assert t.redo() and t.params.weights[0][0, 0] == pytest.approx(8.0)  # redone with its rate
    for _ in range(4):
        t.undo()
    assert t.last_phase == "guess" and t.learning_rate == 0.05
    t.undo()
    assert t.learning_rate == 0.01 and not t.can_undo


def test_same_seed_same_run_and_another_seed_differs():
    runs = [load("xor").trainer(seed=s) for s in (5, 5, 6)]
    for t in runs:
        t.run(steps=30)
    assert state(runs[0]) == state(runs[1])
    assert state(runs[0]) != state(runs[2])


def test_guess_draws_new_parameters_and_restarts_the_run():
    t = load("y4x").trainer()
    t.run(steps=3)
    t.guess()
    assert t.seed == 1 and t.step_count == 0 and t.loss_history() == []
    assert t.params.weights[0][0, 0] != 2.0
    t.undo()
    assert t.step_count == 3 and t.params.weights[0][0, 0] == pytest.approx(3.872)


def test_sample_mode_cycles_rows_in_order():
    t = load("y4x").trainer(batch="sample")
    rows = []
    for _ in range(7):
        t.forward()
        rows.append(t.forward_pass.rows.tolist())
        t.run_through("update")
    assert rows == [[0], [1], [2], [3], [4], [0], [1]]


def test_minibatches_cover_every_row_once_per_epoch():
    t = load("hidden").trainer(batch=4)  # 10 rows: batches of 4, 4, 2
    epoch = []
    for _ in range(3):
        t.forward()
        epoch += t.forward_pass.rows.tolist()
        t.run_through("update")
    assert sorted(epoch) == list(range(10))
    t2 = load("hidden").trainer(batch=4)
    t2.forward()
    assert t2.forward_pass.rows.tolist() == epoch[:4]  # the shuffle is seeded


def test_divergence_stops_with_the_step_and_value():
    t = load("y4x").trainer(learning_rate=1.0)
    stop = t.run()
    assert stop.reason == "diverged"
    assert "diverged at step" in stop.message
    assert ("inf" in stop.message) or ("nan" in stop.message)
    with pytest.raises(TrainingStopped):
        t.forward()
    assert t.undo()
    assert t.stop is None


def test_max_steps_stops():
    t = load("xor").trainer(max_steps=5)
    stop = t.run()
    assert stop.reason == "max_steps" and t.step_count == 5


def test_learning_rate_must_be_positive():
    t = load("y4x").trainer()
    for bad in (0, -0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            t.set_learning_rate(bad)


def test_long_run_memory_is_bounded_and_undo_reaches_step_0():
    data = Dataset(("x",), ("y",), np.arange(5.0)[:, None], 4 * np.arange(5.0)[:, None])
    t = Trainer(
        Architecture((1, 1), bias=False), data, Config(stop_loss=0, max_steps=20_000, learning_rate=0.001, seed=3)
    )
    t.run(steps=2000)
    assert len(t.history.checkpoints) <= 2000 // t.checkpoint_every + 2
    final = state(t)
    while t.undo():
        pass
    assert t.step_count == 0
    while t.redo():
        pass
    assert state(t) == final


def test_replay_takes_the_run_as_it_was_when_called():
    t = load("y4x").trainer()
    t.run(steps=3)
    copies = t.replay()
    t.run(steps=2)  # the run goes on before the copy is read
    t.guess(seed=4)
    seen = [c.params.weights[0][0, 0] for c in copies]
    assert seen == pytest.approx([3.2, 3.68, 3.872])
