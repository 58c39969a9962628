"""Editing the set-up live (actions.Edit): what each edit keeps and draws, undo and redo, replay, JSON."""

import json

import numpy as np
import pytest

from nnsim.engine import Adam, Momentum, Phase, Trainer, actions
from nnsim.engine.edits import MAX_HIDDEN_LAYERS, MAX_INPUT, SETTINGS, value_text
from nnsim.scenario import load, schema

from .test_history import state

# The hidden scenario: 10 rows of 4 inputs, a 4-2-1 tanh network drawn by xavier from seed 1, mse, lr 0.5.


def xavier(rng, n_in, n_out):
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_in, n_out))


def full(t):
    """Everything an edit may change: the shape, the set-up and every number."""
    return (t.arch, t.config, state(t), t.edit_note)


def hidden():
    return load("hidden").trainer()


def test_adding_a_node_keeps_every_old_weight_and_draws_the_new_ones_from_the_run_s_rng():
    t = hidden()
    rng = np.random.default_rng(1)  # the first guess draws 4×2 then 2×1 from the scenario's seed
    w0, w1 = xavier(rng, 4, 2), xavier(rng, 2, 1)
    assert np.array_equal(t.params.weights[0], w0) and np.array_equal(t.params.weights[1], w1)
    t.set_param(actions.ParamRef("b", 0, (1,)), 0.5)  # a bias of a node that stays
    note = t.edit("hidden", "3")
    new0, new1 = xavier(rng, 4, 3), xavier(rng, 3, 1)  # the new shapes, drawn whole, the kept block copied over
    assert t.arch.sizes == (4, 3, 1)
    assert np.array_equal(t.params.weights[0][:, :2], w0) and np.array_equal(t.params.weights[0][:, 2], new0[:, 2])
    assert np.array_equal(t.params.weights[1][:2], w1) and t.params.weights[1][2, 0] == new1[2, 0]
    assert t.params.biases[0].tolist() == [0.0, 0.5, 0.0] and t.params.biases[1].tolist() == [0.0]
    assert note == "w[0] 4×2 → 4×3 (4×2 kept), w[1] 2×1 → 3×1 (2×1 kept)"
    assert t.edit_note == note
    assert t.last_phase == Phase.GUESS and t.forward_pass is None  # the step starts again from forward
    # the new network computes tanh(x·W0 + b0)·W1 + b1 with those numbers
    t.forward()
    x = t.data.x
    h = np.tanh(x @ t.params.weights[0] + np.array([0.0, 0.5, 0.0]))
    assert np.allclose(t.forward_pass.output, h @ t.params.weights[1])


def test_adding_a_layer_keeps_the_first_layer_and_draws_the_layers_after_it():
    t = hidden()
    t.run(steps=3)
    before = t.params.copy()
    note = t.edit("hidden", "2, 2")
    assert t.arch.sizes == (4, 2, 2, 1)
    assert np.array_equal(t.params.weights[0], before.weights[0])
    assert np.array_equal(t.params.biases[0], before.biases[0])
    assert [w.shape for w in t.params.weights] == [(4, 2), (2, 2), (2, 1)]
    assert t.params.biases[2].tolist() == [0.0]  # the output now hangs off a new layer: its bias starts at 0
    assert note == "w[0] kept; w[1] (2×2), w[2] (2×1) drawn anew"
    assert t.step_count == 3  # the run goes on: an edit is not a new guess
    # no hidden layer at all: the inputs feed the output directly, a layer never seen before
    t.edit("hidden", "")
    assert t.arch.sizes == (4, 1) and value_text("hidden", t.arch, t.config) == ""


def test_changing_an_activation_keeps_every_weight_and_changes_the_forward_pass():
    t = hidden()
    t.run(steps=2)
    before = t.params.copy()
    assert t.edit("activation", "relu") == "every weight kept"
    assert t.arch.activation == "relu" and t.arch.output == "identity"
    assert all(np.array_equal(a, b) for a, b in zip(t.params.arrays(), before.arrays()))
    t.forward()
    w, b = before.weights, before.biases
    expected = np.maximum(t.data.x @ w[0] + b[0], 0.0) @ w[1] + b[1]
    assert np.allclose(t.forward_pass.output, expected)
    t.edit("output", "sigmoid")
    t.forward()
    assert np.allclose(t.forward_pass.output, 1 / (1 + np.exp(-expected)))


def test_the_loss_and_the_penalty_change_what_the_loss_phase_computes():
    t = hidden()
    t.edit("loss", "sse")
    t.edit("l2", "0.01")
    t.edit("l1", "0.5")
    t.forward()
    t.loss()
    p = t.params
    data = float(((t.forward_pass.output - t.data.y) ** 2).sum())  # sse, not mse's mean
    penalty = 0.01 * sum((w * w).sum() for w in p.weights) + 0.5 * sum(np.abs(w).sum() for w in p.weights)
    assert t.loss_result.data_loss == pytest.approx(data, rel=1e-12)
    assert t.loss_result.total == pytest.approx(data + penalty, rel=1e-12)


def test_a_new_optimiser_starts_from_zero_state_and_its_constants_keep_it():
    t = hidden()
    t.run(steps=1)
    assert t.edit("optimizer", "momentum") == "every weight kept; the optimiser's state starts at 0"
    assert isinstance(t.optimizer_state, Momentum)
    assert all(not v.any() for v in t.optimizer_state.velocity.arrays())
    t.edit("momentum", "0.5")
    t.forward(), t.loss(), t.backward()
    old, g = t.params.copy(), t.gradients
    t.update()  # v = 0.5·0 + g; w ← w − 0.5·v
    assert np.allclose(t.params.weights[0], old.weights[0] - 0.5 * g.weights[0])
    v = t.optimizer_state.velocity.weights[0].copy()
    assert t.edit("momentum", "0.25") == "every weight and the optimiser's state kept"
    assert np.array_equal(t.optimizer_state.velocity.weights[0], v)
    t.forward(), t.loss(), t.backward()
    old, g = t.params.copy(), t.gradients
    t.update()  # v ← 0.25·v + g
    assert np.allclose(t.params.weights[0], old.weights[0] - 0.5 * (0.25 * v + g.weights[0]))
    t.edit("optimizer", "adam")
    assert isinstance(t.optimizer_state, Adam) and t.optimizer_state.t == 0
    assert t.edit("optimizer", "sgd").endswith("dropped (sgd has none)") and t.optimizer_state is None


def test_a_new_shape_keeps_the_optimiser_state_of_the_kept_weights():
    t = hidden()
    t.edit("optimizer", "adam")
    t.run(steps=2)
    m = t.optimizer_state.m.weights[0].copy()
    t.edit("hidden", "3")
    state = t.optimizer_state
    assert isinstance(state, Adam) and state.t == 2
    assert np.array_equal(state.m.weights[0][:, :2], m) and not state.m.weights[0][:, 2].any()
    assert state.v.weights[1].shape == (3, 1) and state.v.weights[1][2, 0] == 0


def test_a_new_init_draws_every_weight_from_the_run_s_rng():
    t = hidden()
    rng = np.random.default_rng(1)
    xavier(rng, 4, 2), xavier(rng, 2, 1)  # the first guess's draws
    assert t.edit("init", "uniform") == "every weight drawn anew (uniform), biases 0"
    assert np.array_equal(t.params.weights[0], rng.uniform(-1, 1, (4, 2)))
    assert np.array_equal(t.params.weights[1], rng.uniform(-1, 1, (2, 1)))
    t.edit("init", "zeros")
    assert all(not w.any() for w in t.params.arrays())


def test_the_batch_mode_changes_the_rows_of_a_step():
    t = hidden()
    t.run(steps=2)
    t.edit("batch", "sample")
    t.forward()
    assert t.forward_pass.rows.tolist() == [0]  # one row at a time, from the first
    t.loss(), t.backward(), t.update()
    t.forward()
    assert t.forward_pass.rows.tolist() == [1]
    t.undo()
    t.edit("batch", "4")
    t.forward()
    rng = np.random.default_rng(1)
    xavier(rng, 4, 2), xavier(rng, 2, 1)
    assert t.forward_pass.rows.tolist() == rng.permutation(10)[:4].tolist()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hidden", "3"),
        ("hidden", "2,2"),
        ("activation", "sigmoid"),
        ("output", "tanh"),
        ("loss", "half_sse"),
        ("batch", "3"),
        ("init", "he"),
        ("optimizer", "adam"),
        ("beta1", "0.5"),
        ("l2", "0.001"),
    ],
)
def test_every_edit_is_undone_and_redone_exactly(key, value):
    t = hidden()
    t.run(steps=3)
    t.forward()
    before = full(t)
    t.edit(key, value)
    after = full(t)
    assert after[:2] != before[:2]  # the set-up changed
    assert t.undo()
    assert full(t) == before
    assert t.redo()
    assert full(t) == after
    t.run(steps=4)
    for _ in range(4 * 4):
        t.undo()
    assert full(t) == after


def test_undo_across_checkpoints_brings_back_the_set_up_of_the_time():
    sc = load("hidden")  # a checkpoint every 2 steps: undo starts from one saved after the edits
    t = Trainer(sc.arch, sc.data, sc.config, sc.initial, checkpoint_every=2)
    t.run(steps=3)
    t.edit("hidden", "3")
    t.edit("optimizer", "momentum")
    t.run(steps=6)
    at = {}
    while True:
        at.setdefault(t.history.pos, full(t))
        if not t.undo():
            break
    assert t.arch.sizes == (4, 2, 1) and t.config.optimizer == "sgd"
    assert any(c.arch is not None and c.arch.sizes == (4, 3, 1) for c in t.history.checkpoints.values())
    while t.redo():
        assert full(t) == at[t.history.pos]
    assert t.arch.sizes == (4, 3, 1) and t.config.optimizer == "momentum"


def test_edits_survive_json_and_a_rebuilt_run_is_bit_identical():
    t = hidden()
    t.run(steps=2)
    for key, value in [
        ("hidden", "3,2"),
        ("activation", "relu"),
        ("optimizer", "adam"),
        ("batch", "5"),
        ("l2", "1e-3"),
    ]:
        t.edit(key, value)
        t.run(steps=3)
    wire = json.dumps([actions.to_json(a) for a in t.actions()])
    assert '{"action": "edit", "key": "hidden", "value": "3,2"}' in wire
    records = [actions.from_json(d) for d in json.loads(wire)]
    assert records == t.actions()
    rebuilt = load("hidden").trainer().rebuilt(records)
    assert full(rebuilt) == full(t)
    assert all(np.array_equal(a, b) for a, b in zip(rebuilt.params.arrays(), t.params.arrays()))


def test_an_edit_record_with_a_non_text_value_is_refused_in_json():
    with pytest.raises(ValueError, match="edit: value: expected a string"):
        actions.from_json({"action": "edit", "key": "hidden", "value": [3]})
    with pytest.raises(ValueError, match="edit: missing field 'value'"):
        actions.from_json({"action": "edit", "key": "hidden"})


def test_reset_goes_back_to_the_scenario_s_set_up_and_a_guess_keeps_the_edited_one():
    t = hidden()
    first = full(t)
    t.edit("hidden", "5")
    t.edit("loss", "sse")
    t.guess(seed=3)
    assert t.arch.sizes == (4, 5, 1) and t.config.loss == "sse"
    assert [w.shape for w in t.params.weights] == [(4, 5), (5, 1)]
    t.reset()
    assert full(t)[:3] == first[:3]


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("hidden", "2,x", "hidden: expected layer sizes"),
        ("hidden", "0", "hidden: expected layer sizes"),
        ("hidden", "2", "hidden is 2 already"),
        ("hidden", ",".join(["1"] * 101), "hidden: at most 100 layers"),
        ("activation", "softmax", "activation: expected one of identity, relu, sigmoid, tanh"),
        ("output", "softmax", "softmax needs at least 2 outputs"),
        ("loss", "cross_entropy", "cross_entropy needs a softmax or sigmoid output"),
        ("loss", "binary_cross_entropy", "loss: expected one of"),
        ("reduction", "mean", "applies only to cross_entropy"),
        ("batch", "11", "batch: expected .* from 1 to 10"),
        ("batch", "full", "batch is full already"),
        ("momentum", "1", r"momentum: expected a number >= 0 and < 1, got '1'"),
        ("adam_eps", "0", "adam_eps: expected a number > 0"),
        ("l2", "-1", "l2: expected a number >= 0"),
        ("l2", "nan", "l2: expected a number >= 0"),
        ("optimizer", "rmsprop", "optimizer: expected one of sgd, momentum, adam"),
        ("dropout", "0.5", "no setting 'dropout'"),
    ],
)
def test_a_bad_edit_is_refused_with_its_reason_and_changes_nothing(key, value, problem):
    t = hidden()
    before = full(t), len(t.actions())
    with pytest.raises(ValueError, match=problem):
        t.edit(key, value)
    assert (full(t), len(t.actions())) == before


def test_cross_entropy_follows_its_output():
    t = load("circle").trainer()
    assert t.arch.output == "sigmoid" and t.config.loss == "cross_entropy"
    assert t.loss_fn.name == "binary_cross_entropy" and t.classifies
    with pytest.raises(ValueError, match="cross_entropy needs a softmax or sigmoid output, got 'identity'"):
        t.edit("output", "identity")
    assert t.config.mean  # circle averages: its loss is comparable across set sizes
    t.edit("reduction", "sum")
    t.edit("reduction", "mean")
    t.edit("loss", "sse")
    assert t.config.mean is False  # a reduction is cross_entropy's alone
    t.edit("output", "identity")
    assert t.loss_fn.name == "sse" and not t.classifies


def test_the_engine_s_settings_check_what_the_scenario_schema_checks():
    assert (MAX_HIDDEN_LAYERS, MAX_INPUT) == (schema.MAX_LAYERS, schema.MAX_VALUE)
    for key, setting in SETTINGS.items():
        k = schema.key(setting.table, key)
        assert setting.choices == k.choices, key
        assert (setting.above, setting.minimum, setting.below) == (k.above, k.minimum, k.below), key


def test_new_features_keep_the_first_layer_s_row_of_every_input_that_stays():
    t = hidden()
    rng = np.random.default_rng(1)
    w0, _ = xavier(rng, 4, 2), xavier(rng, 2, 1)
    x = t.data.x.copy()  # x1..x4, the data's own columns
    note = t.edit("features", "x2, x1*x3, x1")
    assert t.data.inputs == ("x2", "x1*x3", "x1") and t.arch.sizes == (3, 2, 1)
    assert np.array_equal(t.data.x, np.column_stack([x[:, 1], x[:, 0] * x[:, 2], x[:, 0]]))
    fresh = xavier(rng, 3, 2)  # the new first layer is drawn whole, the kept rows copied over it
    assert np.array_equal(t.params.weights[0], np.vstack([w0[1], fresh[1], w0[0]]))
    assert note == "w[0] keeps the rows of x2, x1; new rows for x1*x3 drawn"
    assert t.edited_from == "x1, x2, x3, x4"
    t.forward()
    assert t.forward_pass.a[0].shape == (10, 3)
    assert t.undo() and t.undo()
    assert t.data.inputs == ("x1", "x2", "x3", "x4") and np.array_equal(t.params.weights[0], w0)
    t.redo()
    assert t.data.inputs == ("x2", "x1*x3", "x1")
    t.edit("features", "")  # back to the data's own columns
    assert t.data.inputs == ("x1", "x2", "x3", "x4") and np.array_equal(t.data.x, x)
    assert np.array_equal(t.params.weights[0][[0, 1]], np.vstack([w0[0], w0[1]]))


def test_features_change_the_held_out_rows_too_and_replay_exactly():
    t = load("circle").trainer()
    t.run(steps=2)
    t.edit("features", "x1, x2, x1^2, x2^2")
    t.run(steps=3)
    test = t.test_data
    assert test.inputs == t.data.inputs and test.x.shape[1] == 4
    assert np.array_equal(test.x[:, 2], test.x[:, 0] ** 2)
    assert t.loss_result.test_loss is not None
    records = [actions.from_json(json.loads(json.dumps(actions.to_json(a)))) for a in t.actions()]
    rebuilt = load("circle").trainer().rebuilt(records)
    assert full(rebuilt) == full(t) and rebuilt.data.inputs == t.data.inputs
    t.reset()
    assert t.data.inputs == ("x1", "x2") and t.arch.sizes[0] == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x1, x9", "features: 'x9': 'x9' is not an input"),
        ("x1, x1", "features: a feature repeats"),
        ("x1,,x2", "features: expected columns of the data or formulas"),
        ("x1^12", "a power is a whole number from 1 to 9"),
        ("x1, x2, x3, x4", "features are x1, x2, x3, x4 already"),
    ],
)
def test_bad_features_are_refused(text, problem):
    t = hidden()
    with pytest.raises(ValueError, match=problem.replace("^", r"\^")):
        t.edit("features", text)
    assert t.data.inputs == ("x1", "x2", "x3", "x4") and len(t.actions()) == 1
