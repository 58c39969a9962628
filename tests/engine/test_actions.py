"""Action records: JSON round trips, rebuilding a run elsewhere bit-identically, edits and resets."""

import json

import numpy as np
import pytest

from nnsim.engine import ParamRef, Phase, PhaseError, StopReason, TrainingStopped, actions, param_refs
from nnsim.scenario import load, parse

from .test_history import state

W = ParamRef("w", 0, (0, 0))


def busy_run(name: str):
    """A run that uses every kind of action, with undo in the middle."""
    t = load(name).trainer()
    ref = t.actions()[0]
    assert isinstance(ref, actions.Guess)
    refs = param_refs(t.arch)
    t.run(steps=3)
    t.set_learning_rate(t.learning_rate * 2)
    t.forward()
    t.probe(refs[-1])
    t.loss()
    t.undo()
    t.undo()
    t.loss()
    t.backward()
    t.update()
    t.set_param(refs[0], 0.25)
    t.run(steps=2)
    t.edit("l2", "0.001")  # an edit of the set-up (test_edits.py has every kind)
    t.run(steps=1)
    t.guess(seed=11)
    t.run(steps=2)
    t.reset()
    t.run(steps=4)
    return t


@pytest.mark.parametrize("name", ["y4x", "linear", "hidden", "xor", "circle", "spiral", "digits"])
def test_a_run_rebuilt_from_its_scenario_text_and_json_actions_is_bit_identical(name):
    t = busy_run(name)
    scenario = load(name)
    wire = json.dumps([actions.to_json(a) for a in t.actions()])  # what the classroom will send
    text = scenario.path.read_text()
    elsewhere = parse(text, scenario.path).trainer()
    records = [actions.from_json(d) for d in json.loads(wire)]
    assert records == t.actions()
    rebuilt = elsewhere.rebuilt(records)
    assert state(rebuilt) == state(t)
    # and applying the records one by one to a fresh trainer (its first guess is records[0])
    step_by_step = parse(text, scenario.path).trainer()
    assert step_by_step.actions() == records[:1]
    for record in records[1:]:
        step_by_step.apply(record)
    assert state(step_by_step) == state(t)


def test_every_record_kind_round_trips_through_json():
    records = [
        actions.Guess(7, initial=True),
        actions.Forward(),
        actions.Loss(),
        actions.Backward(),
        actions.Update(),
        actions.SetLearningRate(0.1 + 0.2),  # not a short decimal: every digit must survive
        actions.Probe(ParamRef("b", 1, (2,)), 1e-4),
        actions.SetParam(ParamRef("w", 0, (3, 1)), -1 / 3),
        actions.Reset(),
        actions.Edit("hidden", "4,2"),
    ]
    assert {type(r) for r in records} == set(actions.BY_KIND.values())
    for r in records:
        data = json.loads(json.dumps(actions.to_json(r)))
        assert data["action"] == r.kind
        back = actions.from_json(data)
        assert back == r and type(back) is type(r)
    assert actions.to_json(records[7]) == {
        "action": "set_param",
        "param": {"kind": "w", "layer": 0, "index": [3, 1]},
        "value": -1 / 3,
    }


@pytest.mark.parametrize(
    "data, message",
    [
        ({"action": "jump"}, "unknown action 'jump'"),
        ([], "expected an object"),
        ({"action": "guess"}, "guess: missing field 'seed'"),
        ({"action": "guess", "seed": -1}, "seed: expected a whole number >= 0"),
        ({"action": "guess", "seed": True}, "seed: expected a whole number"),
        ({"action": "set_learning_rate", "value": "fast"}, "value: expected a finite number"),
        ({"action": "forward", "extra": 1}, "unexpected field 'extra'"),
        ({"action": "set_param", "param": {"kind": "w", "layer": 0, "index": [1]}, "value": 1}, "a w has 2 indices"),
        ({"action": "probe", "param": {"kind": "x", "layer": 0, "index": [1]}, "epsilon": 1}, "expected {kind"),
    ],
)
def test_bad_records_are_refused_with_the_reason(data, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("{", r"\{")):
        actions.from_json(data)


def test_records_are_immutable():
    r = actions.SetLearningRate(0.1)
    with pytest.raises(AttributeError):
        r.value = 0.2  # type: ignore[misc]


def test_typing_w_7_gives_the_worked_example_loss_270_and_undo_brings_back_2():
    t = load("y4x").trainer()
    t.set_param(W, 7.0)
    assert t.last_phase == Phase.GUESS and t.next_phase == Phase.FORWARD
    t.forward()
    t.loss()
    x = np.arange(5.0)
    assert t.loss_result.total == pytest.approx(((7 * x - 4 * x) ** 2).sum()) == 270
    t.undo()
    t.undo()
    t.undo()
    assert t.params.weights[0][0, 0] == 2.0


def test_an_edit_mid_step_starts_the_step_again_and_clears_a_stop():
    t = load("y4x").trainer(learning_rate=1.0)
    t.run()
    assert t.stop.reason == StopReason.DIVERGED
    with pytest.raises(TrainingStopped):
        t.forward()
    t.set_param(W, 3.0)
    assert t.stop is None and t.forward_pass is None and t.last_phase == Phase.UPDATE
    t.set_learning_rate(0.01)
    t.step()
    assert t.params.weights[0][0, 0] == pytest.approx(
        3 - 0.01 * 2 * ((3 * np.arange(5.0) - 4 * np.arange(5.0)) * np.arange(5.0)).sum()
    )


def test_reset_goes_back_to_the_first_guess_and_learning_rate_and_is_undoable():
    t = load("y4x").trainer()
    t.set_learning_rate(0.02)
    t.run(steps=3)
    after = t.params.weights[0][0, 0]
    t.reset()
    assert t.params.weights[0][0, 0] == 2.0 and t.learning_rate == 0.01 and t.step_count == 0
    assert t.loss_history() == []
    t.undo()
    assert t.params.weights[0][0, 0] == after and t.learning_rate == 0.02 and t.step_count == 3


def test_the_probe_is_a_record_that_changes_no_parameter():
    t = load("y4x").trainer()
    p = t.probe(W)
    assert (p.loss_minus, p.loss, p.loss_plus) == pytest.approx((120.012, 120, 119.988))
    assert isinstance(t.last_action, actions.Probe) and t.params.weights[0][0, 0] == 2.0
    t.forward()
    assert t.probe_result is None
    t.undo()
    assert t.probe_result == p


def test_records_that_do_not_fit_the_state_are_refused_and_not_recorded():
    t = load("y4x").trainer()
    before = t.actions()
    for bad, error in [
        (actions.Backward(), PhaseError),
        (actions.SetLearningRate(0.0), ValueError),
        (actions.SetParam(ParamRef("w", 1, (0, 0)), 1.0), ValueError),
        (actions.SetParam(W, float("nan")), ValueError),
        (actions.Probe(W, 0.0), ValueError),
    ]:
        with pytest.raises(error):
            t.apply(bad)
    assert t.actions() == before


def test_phases_and_stop_reasons_are_enums_that_read_as_their_names():
    t = load("y4x").trainer(max_steps=1)
    assert t.next() is Phase.FORWARD
    assert t.last_phase == "forward" and f"{t.next_phase}" == "loss"
    t.run()
    assert t.stop.reason is StopReason.MAX_STEPS and json.dumps(t.stop.reason) == '"max_steps"'
