"""Each hidden layer its own activation: the engine, the scenario file, an edit, and saving."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnsim.engine import Architecture, Config, Dataset, Trainer, gradient_check
from nnsim.engine.actions import Edit, from_json, to_json
from nnsim.scenario import ScenarioError, load, parse
from nnsim.scenario.writer import save

TOML = """
name = "two"
[data]
inputs = ["a", "b"]
targets = ["y"]
columns = ["a", "b", "y"]
rows = [[0.5, -1.0, 1.0], [2.0, 0.25, 0.0], [-1.5, 1.0, 0.5]]
[network]
hidden = [3, 2]
activation = {activation}
"""


def scenario(activation: str):
    return parse(TOML.format(activation=activation), Path("two.toml"))


def test_a_forward_pass_uses_each_layers_own_activation():
    s = scenario('["tanh", "relu"]')
    assert s.arch.activation == "tanh,relu" and s.arch.hidden_activations() == ["tanh", "relu"]
    t = s.trainer()
    t.forward()
    w, b = t.params.weights, t.params.biases
    x = s.data.x
    h1 = np.tanh(x @ w[0] + b[0])
    h2 = np.maximum(h1 @ w[1] + b[1], 0.0)
    y = h2 @ w[2] + b[2]  # identity output
    assert np.allclose(t.forward_pass.output, y, rtol=1e-12, atol=1e-12)


def test_the_gradients_through_mixed_layers_match_finite_differences():
    rng = np.random.default_rng(3)
    data = Dataset(("a", "b"), ("y",), rng.normal(size=(12, 2)), rng.normal(size=(12, 1)))
    arch = Architecture((2, 4, 3, 1), "sigmoid,tanh", "identity")
    t = Trainer(arch, data, Config(learning_rate=0.1, seed=2, init="normal"))
    t.step()
    t.run_through("backward")
    assert gradient_check(t) < 1e-6


def test_one_name_is_every_layers_and_a_wrong_count_or_name_is_one_line():
    assert scenario('"relu"').arch.hidden_activations() == ["relu", "relu"]
    assert scenario('["relu", "relu"]').arch.activation == "relu"  # the same each: written once
    with pytest.raises(ScenarioError, match=r"two.toml: \[network\] activation: 3 activations for 2 hidden layers"):
        scenario('["tanh", "relu", "tanh"]')
    with pytest.raises(ScenarioError, match=r"\[network\] activation: expected one of .*; got 'softmax'"):
        scenario('["tanh", "softmax"]')
    with pytest.raises(ScenarioError, match=r"\[network\] activation: expected one of .*; got an integer 3"):
        scenario('["tanh", 3]')


def test_an_edit_sets_one_layer_and_undo_brings_the_old_back():
    t = load("spiral").trainer()
    before = [p.copy() for p in t.params.weights]
    t.apply(from_json(to_json(Edit("activation", "tanh,relu"))))
    assert t.arch.hidden_activations() == ["tanh", "relu"]
    assert all(np.array_equal(a, b) for a, b in zip(before, t.params.weights, strict=True))  # every weight kept
    with pytest.raises(ValueError, match=r"one per hidden layer \(2\); got 3"):
        t.check(Edit("activation", "tanh,relu,relu"))
    t.edit("hidden", "8,8,4")  # a third layer: the layers kept keep theirs, the new one the last's
    assert t.arch.hidden_activations() == ["tanh", "relu", "relu"]
    t.undo()
    t.undo()
    assert t.arch.activation == "tanh"


def test_a_saved_run_keeps_each_layers_activation(tmp_path):
    s = scenario('["tanh", "relu"]')
    t = s.trainer()
    t.run(2)
    again = load(str(save(s, t, tmp_path / "two-step2.toml")))
    assert again.arch.activation == "tanh,relu"
    a, b = again.trainer(), t
    a.step()
    b.step()
    assert np.array_equal(a.params.weights[0], b.params.weights[0])
