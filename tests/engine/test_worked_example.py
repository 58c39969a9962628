"""The classic hand-worked example, number by number (shared/TEACHING.md)."""

import numpy as np
import pytest

from nnsim.engine import ParamRef
from nnsim.scenario import load

W = ParamRef("w", 0, (0, 0))


@pytest.fixture
def trainer():
    return load("y4x").trainer()


def test_first_guess_is_two(trainer):
    assert trainer.params.weights[0].tolist() == [[2.0]]
    assert trainer.params.biases is None
    assert trainer.next_phase == "forward"


def test_forward_predicts_2x(trainer):
    trainer.forward()
    assert trainer.forward_pass.output[:, 0].tolist() == [0, 2, 4, 6, 8]


def test_squared_errors_and_total(trainer):
    trainer.forward()
    trainer.loss()
    assert trainer.loss_result.errors[:, 0].tolist() == [0, -2, -4, -6, -8]
    assert trainer.loss_result.terms.tolist() == [0, 4, 16, 36, 64]
    assert trainer.loss_result.total == 120


def test_backprop_gives_minus_120_and_per_sample_shares(trainer):
    trainer.run_through("backward")
    assert trainer.gradients.weights[0][0, 0] == -120
    # dL/dw = Σ 2(y′ − y)·x, row by row
    assert trainer.contributions(W).tolist() == [0, -4, -16, -36, -64]


def test_nudging_both_ways(trainer):
    probe = trainer.probe(W)
    assert probe.loss == 120
    assert probe.loss_plus == pytest.approx(119.988, abs=1e-6)
    assert probe.loss_minus == pytest.approx(120.012, abs=1e-6)
    assert probe.slope == pytest.approx(-120, abs=1e-6)
    assert probe.analytic == -120


def test_w_equals_7_is_worse(trainer):
    params = trainer.params.copy()
    W.set(params, 7.0)
    assert trainer.loss_at(params) == 270


def test_loss_curve_is_the_parabola(trainer):
    curve = trainer.loss_curve(W, np.array([2.0, 4.0, 7.0]))
    assert curve.tolist() == [120, 0, 270]


def test_one_update_moves_w_to_3_2(trainer):
    trainer.step()
    up = trainer.update_result
    assert up.learning_rate == 0.01
    assert W.get(up.old) == 2.0
    assert up.change(W) == pytest.approx(1.2)
    assert trainer.params.weights[0][0, 0] == pytest.approx(3.2)


def test_trains_until_loss_below_stop_loss(trainer):
    stop = trainer.run()
    assert stop.reason == "converged"
    last_step, last_loss = trainer.loss_history()[-1]
    assert last_loss < 1e-6
    assert trainer.loss_history()[-2][1] >= 1e-6
    assert stop.step == last_step == 11
    assert trainer.params.weights[0][0, 0] == pytest.approx(4.0, abs=1e-3)
