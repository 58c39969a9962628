"""The probe's rows: every row's y′ and loss term at w + ε and at w − ε, as the lesson's table sets them."""

from __future__ import annotations

import numpy as np
import pytest

from nnsim.engine import ParamRef, param_refs
from nnsim.scenario import load

W = ParamRef("w", 0, (0, 0))


def test_the_worked_example_row_by_row():
    t = load("y4x").trainer()
    p = t.probe(W)
    x = np.arange(5.0)
    y = 4 * x
    for w, out, terms, total in [
        (2.0001, p.outputs_plus, p.terms_plus, p.loss_plus),
        (1.9999, p.outputs_minus, p.terms_minus, p.loss_minus),
    ]:
        assert out[:, 0] == pytest.approx(w * x, abs=1e-12)
        assert terms == pytest.approx((w * x - y) ** 2, abs=1e-9)
        assert terms.sum() == pytest.approx(total, abs=1e-9)
    # the lesson's numbers: row x = 4, and the TOTALs
    assert p.outputs_plus[4, 0] == pytest.approx(8.0004) and p.terms_plus[4] == pytest.approx(63.9936)
    assert p.outputs_minus[4, 0] == pytest.approx(7.9996) and p.terms_minus[4] == pytest.approx(64.0064)
    assert p.loss_plus == pytest.approx(119.988, abs=1e-6) and p.loss_minus == pytest.approx(120.012, abs=1e-6)
    assert p.rows.tolist() == t.probe_rows().tolist() == [0, 1, 2, 3, 4]


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_hidden_rows_follow_a_forward_pass_written_here():
    t = load("hidden").trainer()
    t.run(2)
    ref = ParamRef("w", 0, (1, 0))
    p = t.probe(ref, 1e-3)
    weights = [w.copy() for w in t.params.weights]
    biases = [b.copy() for b in t.params.biases]
    x, y = t.data.x[p.rows], t.data.y[p.rows]
    for sign, out, terms in [(1, p.outputs_plus, p.terms_plus), (-1, p.outputs_minus, p.terms_minus)]:
        w0 = weights[0].copy()
        w0[1, 0] += sign * 1e-3
        pred = np.tanh(x @ w0 + biases[0]) @ weights[1] + biases[1]
        assert out == pytest.approx(pred, rel=1e-12, abs=1e-12)
        assert terms == pytest.approx(((pred - y) ** 2).sum(axis=1) / y.size, rel=1e-12, abs=1e-15)  # mse: /(n·k)
    assert p.terms_plus.sum() == pytest.approx(p.loss_plus, rel=1e-12)
    assert p.terms_minus.sum() == pytest.approx(p.loss_minus, rel=1e-12)


def test_digits_rows_hold_the_mean_cross_entropy_terms():
    t = load("digits").trainer()
    t.run_through("forward")
    ref = param_refs(t.arch)[-1]  # the last output's bias
    p = t.probe(ref)
    n = len(t.data)
    assert p.rows.tolist() == list(range(n)) and p.outputs_plus.shape == (n, 10) and p.terms_minus.shape == (n,)
    w, b = t.params.weights, [bb.copy() for bb in t.params.biases]
    b[1][9] += 1e-4
    pred = softmax(np.maximum(t.data.x @ w[0] + b[0], 0) @ w[1] + b[1])
    assert p.outputs_plus == pytest.approx(pred, rel=1e-9, abs=1e-15)
    assert p.terms_plus == pytest.approx(-(t.data.y * np.log(pred)).sum(axis=1) / n, rel=1e-9)
    assert p.terms_plus.sum() == pytest.approx(p.loss_plus, rel=1e-12)


def test_an_l2_penalty_is_in_the_loss_but_not_in_a_rows_term():
    t = load("y4x").trainer(l2=0.5)
    p = t.probe(W)
    assert p.loss_plus == pytest.approx(p.terms_plus.sum() + 0.5 * 2.0001**2)
    assert p.loss_minus == pytest.approx(p.terms_minus.sum() + 0.5 * 1.9999**2)


def test_a_probe_rebuilt_by_undo_and_redo_equals_the_first():
    t = load("y4x").trainer()
    p = t.probe(W)
    t.forward()
    t.undo()
    again = t.probe_result
    assert again is not p and again == p
    t2 = load("y4x").trainer()
    assert t2.probe(W, 1e-3) != p
