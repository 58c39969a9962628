"""Momentum, Adam and regularisation: numbers against loops written here, finite differences, undo and rebuild."""

import numpy as np
import pytest

from nnsim.engine import Adam, Momentum, ParamRef, gradient_check, param_refs
from nnsim.scenario import load, parse

from .test_history import state


def hidden_gradients(x, y, w0, b0, w1, b1, l2=0.0, l1=0.0):
    """The 4-2-1 tanh network of hidden.toml with the mse loss, by hand: (loss, [gw0, gb0, gw1, gb1])."""
    a1 = np.tanh(x @ w0 + b0)
    out = a1 @ w1 + b1
    d = out - y
    loss = (d * d).sum() / d.size + l2 * ((w0**2).sum() + (w1**2).sum()) + l1 * (abs(w0).sum() + abs(w1).sum())
    g = 2 * d / d.size
    gw1, gb1 = a1.T @ g, g.sum(axis=0)
    dz1 = (g @ w1.T) * (1 - a1 * a1)
    gw0, gb0 = x.T @ dz1, dz1.sum(axis=0)
    gw0 = gw0 + 2 * l2 * w0 + l1 * np.sign(w0)
    gw1 = gw1 + 2 * l2 * w1 + l1 * np.sign(w1)
    return loss, [gw0, gb0, gw1, gb1]


def trained(t):
    """The parameters in the order hidden_gradients takes them."""
    return [t.params.weights[0], t.params.biases[0], t.params.weights[1], t.params.biases[1]]


def first_params(t):
    return [a.copy() for a in trained(t)]


@pytest.mark.parametrize("l2,l1", [(0.0, 0.0), (0.01, 0.002)])
def test_momentum_is_pytorchs_on_hidden(l2, l1):
    t = load("hidden").trainer(optimizer="momentum", momentum=0.8, l2=l2, l1=l1)
    x, y, lr, mu = t.data.x, t.data.y, t.learning_rate, 0.8
    p = first_params(t)
    v = [np.zeros_like(a) for a in p]  # v starts at 0
    for _ in range(5):
        loss, g = hidden_gradients(x, y, *p, l2=l2, l1=l1)
        t.run_through("loss")
        assert t.loss_result.total == pytest.approx(loss, rel=1e-13)
        t.step()
        v = [mu * vi + gi for vi, gi in zip(v, g)]  # no dampening
        p = [pi - lr * vi for pi, vi in zip(p, v)]
        for got, want in zip(trained(t), p):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    state_ = t.optimizer_state
    assert isinstance(state_, Momentum) and state_ is t.update_result.state
    np.testing.assert_allclose(state_.velocity.weights[1], v[2], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(state_.velocity.biases[0], v[1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_adam_is_pytorchs_on_hidden(l2):
    t = load("hidden").trainer(optimizer="adam", learning_rate=0.05, beta1=0.85, beta2=0.99, adam_eps=1e-6, l2=l2)
    x, y, lr, b1, b2, eps = t.data.x, t.data.y, 0.05, 0.85, 0.99, 1e-6
    p = first_params(t)
    m = [np.zeros_like(a) for a in p]
    v = [np.zeros_like(a) for a in p]
    for step in range(1, 7):  # t counts updates from 1
        _, g = hidden_gradients(x, y, *p, l2=l2)
        t.step()
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi**2 for vi, gi in zip(v, g)]
        m_hat = [mi / (1 - b1**step) for mi in m]
        v_hat = [vi / (1 - b2**step) for vi in v]
        p = [pi - lr * mh / (np.sqrt(vh) + eps) for pi, mh, vh in zip(p, m_hat, v_hat)]
        for got, want in zip(trained(t), p):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
        s = t.update_result.state
        assert isinstance(s, Adam) and s.t == step
        np.testing.assert_allclose(s.m.weights[0], m[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(s.v.biases[1], v[3], rtol=1e-12, atol=1e-18)
    assert t.update_result.old_state.t == 5


def test_adam_first_step_moves_every_weight_by_about_lr():
    """At t = 1, m̂ = g and v̂ = g², so each parameter moves by lr·g/(|g| + ε): lr against its slope's sign."""
    t = load("y4x").trainer(optimizer="adam", learning_rate=0.1)
    w = t.params.weights[0][0, 0]
    t.run_through("backward")
    g = t.gradients.weights[0][0, 0]
    t.update()
    assert t.params.weights[0][0, 0] == pytest.approx(w - 0.1 * np.sign(g), abs=1e-9)


def test_sgd_keeps_no_state_and_is_the_plain_update():
    t = load("y4x").trainer()
    t.step()
    up = t.update_result
    assert t.optimizer_state is None and up.state is None and up.old_state is None
    assert up.new.weights[0][0, 0] == up.old.weights[0][0, 0] - up.learning_rate * up.grads.weights[0][0, 0]


def test_the_loss_adds_the_penalty_on_weights_only():
    t = load("hidden").trainer(l2=0.1, l1=0.03)
    t.run_through("loss")
    loss = t.loss_result
    w = t.params.weights
    expected = 0.1 * sum((a**2).sum() for a in w) + 0.03 * sum(abs(a).sum() for a in w)
    assert loss.penalty == pytest.approx(expected, rel=1e-14)
    assert loss.data_loss == pytest.approx(loss.terms.sum(), rel=1e-14)
    assert loss.total == loss.data_loss + loss.penalty
    plain = load("hidden").trainer()
    plain.run_through("loss")
    assert plain.loss_result.data_loss == loss.data_loss == plain.loss_result.total


@pytest.mark.parametrize("name", ["y4x", "linear", "hidden", "xor"])
def test_regularised_gradients_match_finite_differences(name):
    t = load(name).trainer(l2=0.05, l1=0.01)
    t.run(steps=3)
    assert gradient_check(t) < 1e-5
    # the probe (a nudge of one weight) agrees with backprop's slope, penalty included
    probe = t.probe(ParamRef("w", 0, (0, 0)), 1e-6)
    assert probe.slope == pytest.approx(probe.analytic, rel=1e-4, abs=1e-7)


def test_regularised_gradient_is_the_data_gradient_plus_2_l2_w_plus_l1_sign_w():
    plain, reg = load("hidden").trainer(), load("hidden").trainer(l2=0.2, l1=0.04)
    for t in (plain, reg):
        t.run_through("backward")
    w = reg.params.weights
    for layer in range(2):
        want = plain.gradients.weights[layer] + (2 * 0.2 * w[layer] + 0.04 * np.sign(w[layer]))
        np.testing.assert_array_equal(reg.gradients.weights[layer], want)
        np.testing.assert_array_equal(reg.gradients.biases[layer], plain.gradients.biases[layer])


def full_state(t):
    """state() plus the optimiser's arrays, as bytes."""
    opt = t.optimizer_state
    arrays = []
    if isinstance(opt, Momentum):
        arrays = opt.velocity.arrays()
    elif isinstance(opt, Adam):
        arrays = opt.m.arrays() + opt.v.arrays() + [np.array(opt.t)]
    return state(t), [a.tobytes() for a in arrays]


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
@pytest.mark.parametrize("batch", ["full", 3])
def test_undo_redo_and_rebuild_are_bit_identical_with_an_optimiser_and_l2(optimizer, batch):
    t = load("hidden").trainer(optimizer=optimizer, l2=0.01, l1=0.001, batch=batch)
    refs = param_refs(t.arch)
    for _ in range(120):  # past several checkpoints (one every 16 steps)
        t.next()
    t.set_param(refs[0], 0.3)
    t.set_learning_rate(0.2)
    t.run(steps=20)
    end = full_state(t)
    seen = [end]
    while t.undo():
        seen.append(full_state(t))
    assert t.step_count == 0
    replayed = [full_state(t)]
    while t.redo():
        replayed.append(full_state(t))
    assert replayed == seen[::-1]
    rebuilt = load("hidden").trainer(optimizer=optimizer, l2=0.01, l1=0.001, batch=batch).rebuilt(t.actions())
    assert full_state(rebuilt) == end
    # a guess starts the optimiser's state again from zero
    t.guess(seed=3)
    opt = t.optimizer_state
    assert all(not a.any() for a in (opt.velocity if optimizer == "momentum" else opt.m).arrays())


def test_a_scenario_file_chooses_the_optimiser_and_penalty():
    path = load("hidden").path
    text = path.read_text() + 'optimizer = "adam"\nbeta2 = 0.99\nl2 = 0.001\n'
    s = parse(text, path)
    assert (s.config.optimizer, s.config.beta1, s.config.beta2, s.config.adam_eps) == ("adam", 0.9, 0.99, 1e-8)
    assert (s.config.l2, s.config.l1, s.config.momentum) == (0.001, 0.0, 0.9)
    t = s.trainer()
    t.run(steps=2)
    assert isinstance(t.optimizer_state, Adam) and t.optimizer_state.t == 2


@pytest.mark.parametrize(
    "line,message",
    [
        ('optimizer = "rmsprop"', "[training] optimizer: expected one of sgd, momentum, adam; got 'rmsprop'"),
        ("momentum = 1", "[training] momentum: expected a number >= 0 and < 1, got 1"),
        ("beta2 = -0.5", "[training] beta2: expected a number >= 0 and < 1, got -0.5"),
        ("adam_eps = 0", "[training] adam_eps: expected a number > 0, got 0"),
        ("l2 = -1", "[training] l2: expected a number >= 0, got -1"),
    ],
)
def test_bad_optimiser_keys_say_what_is_expected(line, message):
    path = load("hidden").path
    with pytest.raises(Exception) as e:
        parse(path.read_text() + line + "\n", path)
    assert str(e.value) == f"{path}: {message}"
