"""Trainer.follow: a classroom's follower made equal to its presenter's run, record for record."""

from __future__ import annotations

import numpy as np
import pytest

from nnsim.engine.actions import SetLearningRate, from_json, to_json
from nnsim.scenario import load


def same(a, b) -> bool:
    mine, theirs = a.params.weights + a.params.biases, b.params.weights + b.params.biases
    return all(np.array_equal(x, y) for x, y in zip(mine, theirs, strict=True))


def test_a_follower_catches_up_goes_back_and_on_with_identical_numbers():
    scenario = load("hidden")
    presenter, follower = scenario.trainer(), scenario.trainer()
    for _ in range(3):
        presenter.step()
    wire = [from_json(to_json(a)) for a in presenter.actions()]  # as it travels
    follower.follow(1, wire[1:])
    assert follower.step_count == 3 and same(follower, presenter)
    presenter.undo()
    presenter.undo()  # back into step 3, before its backprop
    presenter.apply(SetLearningRate(0.05))
    presenter.step()
    done = presenter.actions()
    shared = next(i for i, (a, b) in enumerate(zip(done, wire, strict=False)) if a != b)
    follower.follow(shared, [from_json(to_json(a)) for a in done[shared:]])
    assert follower.actions() == done and same(follower, presenter)
    assert follower.learning_rate == 0.05 and follower.score_history() == presenter.score_history()


def test_following_what_it_already_shows_changes_nothing():
    trainer = load("y4x").trainer()
    trainer.step()
    history = trainer.history
    before = (list(history.records), history.pos, trainer.params.weights[0].copy())
    trainer.follow(1, trainer.actions()[1:])
    assert (history.records, history.pos) == before[:2] and np.array_equal(trainer.params.weights[0], before[2])


def test_a_base_beyond_the_run_is_refused():
    trainer = load("y4x").trainer()
    with pytest.raises(ValueError, match="cannot follow from record 3"):
        trainer.follow(3, [])
