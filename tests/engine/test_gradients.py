"""Backprop agrees with central differences for every activation × loss, bias and batch mode."""

import itertools

import numpy as np
import pytest

from nnsim.engine import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, Architecture, Config, Dataset, Trainer, gradient_check

LOSS_NAMES = ("sse", "half_sse", "mse", "cross_entropy")


def combos():
    for hidden, output, loss in itertools.product(HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, LOSS_NAMES):
        if loss == "cross_entropy" and output not in ("softmax", "sigmoid"):
            continue
        yield hidden, output, loss


def make(hidden, output, loss, bias, batch, mean=False, seed=7):
    rng = np.random.default_rng(seed)
    n, n_in, n_out = 6, 3, 3
    x = rng.normal(size=(n, n_in))
    if loss == "cross_entropy" and output == "softmax":
        y = np.eye(n_out)[rng.integers(0, n_out, n)]
    elif loss == "cross_entropy":
        y = rng.integers(0, 2, (n, n_out)).astype(float)
    else:
        y = rng.normal(size=(n, n_out))
    data = Dataset(("a", "b", "c"), ("p", "q", "r"), x, y)
    arch = Architecture((n_in, 4, n_out), hidden, output, bias)
    config = Config(loss=loss, mean=mean, learning_rate=0.05, batch=batch, init="normal", seed=seed)
    return Trainer(arch, data, config)


@pytest.mark.parametrize("batch", ["full", "sample", 2])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("hidden,output,loss", list(combos()))
def test_gradient_check(hidden, output, loss, bias, batch):
    trainer = make(hidden, output, loss, bias, batch)
    for _ in range(2):  # check at a point the run has moved to, with a later batch
        trainer.step()
    trainer.run_through("backward")
    assert gradient_check(trainer) < 1e-6
    # the per-sample shares add up to the gradient the update will use
    from nnsim.engine import param_refs

    for ref in param_refs(trainer.arch)[:5]:
        grads = trainer.gradients.weights if ref.kind == "w" else trainer.gradients.biases
        assert trainer.contributions(ref).sum() == pytest.approx(grads[ref.layer][ref.index], abs=1e-12)


@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_cross_entropy_mean_reduction(output):
    total = make("tanh", output, "cross_entropy", True, "full")
    mean = make("tanh", output, "cross_entropy", True, "full", mean=True)
    for t in (total, mean):
        t.run_through("loss")
    assert mean.loss_result.total == pytest.approx(total.loss_result.total / 6)
    mean.run_through("backward")
    assert gradient_check(mean) < 1e-6


def test_gradient_check_catches_a_wrong_gradient(monkeypatch):
    """The check itself can fail: break the sigmoid derivative and it reports a large error."""
    from nnsim.engine import functions

    broken = functions.Activation("sigmoid", "", functions._sigmoid, lambda z, a, g: g * a)
    monkeypatch.setitem(functions.ACTIVATIONS, "sigmoid", broken)
    trainer = make("sigmoid", "identity", "sse", True, "full")
    assert gradient_check(trainer) > 1e-2


def test_losses_match_their_formulas():
    p = np.array([[0.2, 0.8], [0.6, 0.4]])
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    from nnsim.engine import LOSSES

    assert LOSSES["sse"].terms(p, y, False)[0].sum() == pytest.approx(0.04 + 0.04 + 0.16 + 0.16)
    assert LOSSES["half_sse"].terms(p, y, False)[0].sum() == pytest.approx(0.2)
    assert LOSSES["mse"].terms(p, y, False)[0].sum() == pytest.approx(0.4 / 4)
    assert LOSSES["cross_entropy"].terms(p, y, False)[0].sum() == pytest.approx(-np.log(0.8) - np.log(0.6))
    assert LOSSES["cross_entropy"].terms(p, y, True)[0].sum() == pytest.approx((-np.log(0.8) - np.log(0.6)) / 2)
    bce = -(np.log(0.8) + np.log(0.8) + np.log(0.6) + np.log(0.6))
    assert LOSSES["binary_cross_entropy"].terms(p, y, False)[0].sum() == pytest.approx(bce)
