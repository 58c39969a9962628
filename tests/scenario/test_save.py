"""Saving a run as a scenario file: it loads, and its next step is the original run's next step, bit for bit."""

import tomllib

import numpy as np
import pytest

from nnsim.engine import Adam, Momentum
from nnsim.scenario import ScenarioError, load, parse
from nnsim.scenario.writer import FileExists, SaveError, default_name, save, scenario_text
from nnsim.trace import step_record

INLINE = """
[data]
inputs = ["x"]
targets = ["y"]
columns = ["x", "y"]
rows = [[0, 0], [1, 4], [2, 8]]

[network]
weights = [[[2.0]]]
bias = false
"""


def saved_and_loaded(scenario, trainer, tmp_path, name="saved.toml"):
    path = save(scenario, trainer, tmp_path / name)
    return load(path)


@pytest.mark.parametrize(
    "name,overrides",
    [
        ("y4x", {}),
        ("hidden", {}),
        ("hidden", {"optimizer": "momentum", "momentum": 0.8}),
        ("hidden", {"optimizer": "adam", "learning_rate": 0.05, "l2": 0.01, "l1": 0.003}),
        ("circle", {}),  # a generated 2-D set with 30% held out
        ("circle", {"optimizer": "momentum"}),
        ("circle", {"optimizer": "adam", "learning_rate": 0.05}),
        ("xor", {"optimizer": "adam"}),
    ],
)
def test_the_saved_run_takes_the_originals_next_steps_bit_for_bit(tmp_path, name, overrides):
    scenario = load(name)
    original = scenario.trainer(**overrides)
    original.run(7)
    loaded = saved_and_loaded(scenario, original, tmp_path).trainer()
    assert loaded.step_count == 7
    for a, b in zip(original.params.arrays(), loaded.params.arrays(), strict=True):
        assert a.tobytes() == b.tobytes()
    for _ in range(2):  # steps 8 and 9 of the original run
        assert original.step() and loaded.step()
        expected, got = step_record(original), step_record(loaded)
        assert got == expected  # every number of the step: loss, test loss, gradients, updates, state
        assert got["step"] == original.step_count
        for a, b in zip(original.params.arrays(), loaded.params.arrays(), strict=True):
            assert a.tobytes() == b.tobytes()


def test_adam_state_is_written_with_its_count(tmp_path):
    scenario = load("hidden")
    t = scenario.trainer(optimizer="adam", beta1=0.8, beta2=0.99)
    t.run(3)
    state = t.optimizer_state
    assert isinstance(state, Adam) and state.t == 3
    doc = tomllib.loads(scenario_text(scenario, t))
    assert doc["state"]["step"] == 3 and doc["state"]["t"] == 3
    assert doc["training"]["beta1"] == 0.8 and doc["training"]["beta2"] == 0.99
    assert np.array_equal(np.array(doc["state"]["m_weights"][1]), state.m.weights[1])
    assert np.array_equal(np.array(doc["state"]["v_biases"][0]), state.v.biases[0])
    loaded = parse(scenario_text(scenario, t), scenario.path).trainer()
    restored = loaded.optimizer_state
    assert isinstance(restored, Adam) and restored.t == 3
    assert all(np.array_equal(a, b) for a, b in zip(state.v.arrays(), restored.v.arrays(), strict=True))


def test_momentum_velocity_is_written(tmp_path):
    scenario = load("hidden")
    t = scenario.trainer(optimizer="momentum")
    t.run(2)
    velocity = t.optimizer_state.velocity
    doc = tomllib.loads(scenario_text(scenario, t))
    assert np.array_equal(np.array(doc["state"]["velocity_weights"][0]), velocity.weights[0])
    assert "m_weights" not in doc["state"] and "t" not in doc["state"]
    assert isinstance(parse(scenario_text(scenario, t), scenario.path).trainer().optimizer_state, Momentum)


def test_the_learning_rate_is_the_one_in_use_now(tmp_path):
    scenario = load("y4x")
    t = scenario.trainer()
    t.run(2)
    t.set_learning_rate(0.005)
    loaded = saved_and_loaded(scenario, t, tmp_path)
    assert loaded.config.learning_rate == 0.005
    t2 = loaded.trainer()
    t.step(), t2.step()
    # y4x: L = Σ(w·x − 4x)², dL/dw = 2·Σ(w·x − 4x)·x = 2·(w − 4)·30
    w = loaded.initial.weights[0][0, 0]
    assert t2.params.weights[0][0, 0] == w - 0.005 * (2 * (w - 4) * 30)
    assert t2.params.weights[0][0, 0] == t.params.weights[0][0, 0]


def test_every_float_is_written_as_repr(tmp_path):
    scenario = load("y4x")
    t = scenario.trainer()
    t.run(3)
    w = float(t.params.weights[0][0, 0])
    assert repr(w) in scenario_text(scenario, t)
    assert tomllib.loads(scenario_text(scenario, t))["network"]["weights"] == [[[w]]]


def test_sample_by_sample_goes_on_from_its_row(tmp_path):
    scenario = load("hidden")
    t = scenario.trainer(batch="sample")
    t.run(13)
    assert "cursor = 13" in scenario_text(scenario, t)
    loaded = saved_and_loaded(scenario, t, tmp_path).trainer()
    t.step(), loaded.step()
    assert step_record(loaded) == step_record(t)
    assert loaded.forward_pass.rows.tolist() == [3]  # row 13 % 10


def test_reset_and_undo_go_back_to_the_saved_state(tmp_path):
    scenario = load("hidden")
    t = scenario.trainer(optimizer="momentum")
    t.run(4)
    loaded = saved_and_loaded(scenario, t, tmp_path).trainer()
    first = [a.copy() for a in loaded.params.arrays()]
    loaded.run(3)
    loaded.reset()
    assert loaded.step_count == 4
    assert all(np.array_equal(a, b) for a, b in zip(first, loaded.params.arrays(), strict=True))
    v = t.optimizer_state.velocity.weights[0]
    assert np.array_equal(loaded.optimizer_state.velocity.weights[0], v)


def test_a_run_saved_at_max_steps_stays_stopped(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(INLINE + "[training]\nmax_steps = 3\n")
    scenario = load(path)
    t = scenario.trainer()
    t.run()
    assert t.step_count == 3 and t.stop is not None
    loaded = saved_and_loaded(scenario, t, tmp_path).trainer()
    assert loaded.stop is not None and "max_steps = 3" in loaded.stop.message
    assert not loaded.step()


def test_a_csv_file_is_named_relative_to_the_saved_file_or_absolute(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "d.csv").write_text("x,y\n0,0\n1,2\n")
    (tmp_path / "s.toml").write_text('[data]\nfile = "data/d.csv"\ninputs = ["x"]\ntargets = ["y"]\n')
    (tmp_path / "elsewhere").mkdir()
    scenario = load(tmp_path / "s.toml")
    t = scenario.trainer()
    t.run(1)
    beside = tomllib.loads(scenario_text(scenario, t, tmp_path / "saved.toml"))
    assert beside["data"]["file"] == "data/d.csv"
    away = tomllib.loads(scenario_text(scenario, t, tmp_path / "elsewhere" / "saved.toml"))
    assert away["data"]["file"] == str(tmp_path / "data" / "d.csv")
    loaded = saved_and_loaded(scenario, t, tmp_path / "elsewhere")
    assert loaded.data.x.tolist() == [[0.0], [1.0]]


def test_a_generated_set_is_written_as_generated(tmp_path):
    scenario = load("circle")
    t = scenario.trainer()
    doc = tomllib.loads(scenario_text(scenario, t))
    assert doc["data"] == {"generate": "circle", "n": 200, "noise": 0.05, "test_fraction": 0.3}
    assert doc["network"]["seed"] == 0 and doc["network"]["hidden"] == [4]
    assert doc["training"]["loss"] == "cross_entropy" and doc["training"]["reduction"] == "mean"


def test_a_guess_from_another_seed_keeps_the_datas_seed(tmp_path):
    scenario = load("circle")
    t = scenario.trainer()
    t.guess(7)
    t.run(2)
    loaded = saved_and_loaded(scenario, t, tmp_path)
    assert np.array_equal(loaded.data.x, scenario.data.x) and np.array_equal(loaded.test.x, scenario.test.x)
    assert loaded.trainer().step() and t.step()


def test_text_is_escaped_and_reads_back(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('description = "a \\"quoted\\" \\\\ back\\tslash \\u001b[2J"\n' + INLINE)
    scenario = load(path)
    doc = tomllib.loads(scenario_text(scenario, scenario.trainer()))
    assert doc["description"] == 'a "quoted" \\ back\tslash \x1b[2J'


def test_never_over_an_existing_file_unless_forced(tmp_path):
    scenario = load("y4x")
    t = scenario.trainer()
    out = tmp_path / "mine.toml"
    out.write_text("precious")
    with pytest.raises(FileExists, match=r"mine.toml: already exists$"):
        save(scenario, t, out)
    assert out.read_text() == "precious"
    t.run(1)
    save(scenario, t, out, force=True)
    assert load(out).initial.weights[0][0, 0] == t.params.weights[0][0, 0]


@pytest.mark.parametrize(
    "where,problem",
    [
        ("missing/out.toml", "cannot write (no such directory: "),
        ("out.txt", "a scenario file's name ends in .toml"),
        ("dir.toml", "is a directory"),
    ],
)
def test_a_file_that_cannot_be_written_is_one_line(tmp_path, where, problem):
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(SaveError) as e:
        save(load("y4x"), load("y4x").trainer(), tmp_path / where)
    assert problem in str(e.value) and "\n" not in str(e.value)
    assert not (tmp_path / "out.txt").exists()


def test_a_diverged_run_is_not_saved(tmp_path):
    scenario = load("y4x")
    t = scenario.trainer(learning_rate=1e3)
    t.run(200)
    assert t.stop is not None and t.stop.reason == "diverged"
    assert abs(t.params.weights[0][0, 0]) > 1e15
    with pytest.raises(SaveError, match=r"x.toml: cannot save this run: the parameters reach .* more than a scenario"):
        save(scenario, t, tmp_path / "x.toml")
    assert not (tmp_path / "x.toml").exists()


def test_default_name():
    scenario = load("hidden")
    t = scenario.trainer()
    t.run(12)
    assert default_name(scenario, t) == "hidden-step12.toml"


@pytest.mark.parametrize(
    "state,problem",
    [
        ("step = 2", "[state]: a saved run's state needs the parameters it goes with ([network] weights)"),
        ("velocity_weights = [[[1.0]]]", '[state] velocity_weights: applies only to optimizer = "momentum", not "sgd"'),
        ("t = 3", '[state] t: applies only to optimizer = "adam", not "sgd"'),
        ("cursor = 1", "[state] cursor: applies only to batch = \"sample\", not 'full'"),
        ("step = -1", "[state] step: expected a whole number >= 0, got -1"),
        ("speed = 1", "[state] speed: unknown key (expected one of: step, cursor, velocity_weights, "),
    ],
)
def test_bad_state_is_one_line(tmp_path, state, problem):
    path = tmp_path / "s.toml"
    text = INLINE if not state.startswith("step = 2") else INLINE.replace("weights = [[[2.0]]]\n", "")
    path.write_text(text + "\n[state]\n" + state + "\n")
    with pytest.raises(ScenarioError) as e:
        load(path)
    assert str(e.value).startswith(f"{path}: {problem}")


@pytest.mark.parametrize(
    "state,problem",
    [
        ("v_weights = [[[-1.0]]]", "[state] v_weights[0]: expected numbers >= 0 (a running mean of g²)"),
        ("m_weights = [[[1.0, 2.0]]]", "[state] m_weights[0]: expected 1 × 1 numbers, got 1 × 2"),
        ("m_biases = [[1.0]]", "[state] m_biases: given, but bias = false"),
        ("t = 1.5", "[state] t: expected a whole number, got a number 1.5"),
    ],
)
def test_bad_adam_state_is_one_line(tmp_path, state, problem):
    path = tmp_path / "s.toml"
    path.write_text(INLINE + '\n[training]\noptimizer = "adam"\n\n[state]\n' + state + "\n")
    with pytest.raises(ScenarioError) as e:
        load(path)
    assert str(e.value).startswith(f"{path}: {problem}")
    assert "\n" not in str(e.value)


def test_undo_and_redo_in_a_saved_run_cross_checkpoints_exactly(tmp_path):
    scenario = load("hidden")
    original = scenario.trainer(optimizer="adam", learning_rate=0.05)
    original.run(5)
    loaded = saved_and_loaded(scenario, original, tmp_path).trainer()
    seen = {}
    for _ in range(40):  # steps 6 to 45: checkpoints at 16, 32
        original.step(), loaded.step()
        seen[loaded.step_count] = [a.copy() for a in original.params.arrays()]
    for _ in range(4 * 37):  # undo back to step 8, one phase at a time
        assert loaded.undo()
    assert loaded.step_count == 8
    assert all(a.tobytes() == b.tobytes() for a, b in zip(seen[8], loaded.params.arrays(), strict=True))
    assert loaded.optimizer_state.t == 8
    while loaded.can_redo:
        loaded.redo()
    assert all(a.tobytes() == b.tobytes() for a, b in zip(seen[45], loaded.params.arrays(), strict=True))
