"""Generated 2-D sets and derived inputs: seeded, the shape and balance they claim, features computed right."""

from pathlib import Path

import numpy as np
import pytest

from nnsim.scenario import ScenarioError, load, parse
from nnsim.scenario.generate import GENERATORS, feature, generate

CLASSES = ["circle", "xor", "gaussians", "spiral"]


@pytest.mark.parametrize("kind", GENERATORS)
def test_each_set_is_deterministic_from_its_seed(kind):
    a, b = generate(kind, 101, 0.1, seed=4), generate(kind, 101, 0.1, seed=4)
    assert a.shape == (101, 3) and a.tobytes() == b.tobytes()
    if kind != "spiral":  # the spiral's points without noise are fixed; its noise is seeded
        assert generate(kind, 101, 0.0, seed=5).tobytes() != generate(kind, 101, 0.0, seed=4).tobytes()
    assert generate(kind, 101, 0.1, seed=5).tobytes() != a.tobytes()


@pytest.mark.parametrize("kind", CLASSES)
@pytest.mark.parametrize("n", [200, 7])
def test_two_balanced_classes(kind, n):
    y = generate(kind, n, 0.0, seed=1)[:, 2]
    assert set(y.tolist()) == {0.0, 1.0}
    assert (y == 1).sum() == (n + 1) // 2 and (y == 0).sum() == n // 2


def test_circle_is_a_disc_inside_a_ring():
    x1, x2, y = generate("circle", 400, 0.0, seed=2).T
    r = np.hypot(x1, x2)
    assert r[y == 1].max() <= 0.5 and r[y == 0].min() >= 0.7 and r[y == 0].max() <= 1.0


def test_xor_is_one_where_the_signs_differ():
    x1, x2, y = generate("xor", 400, 0.0, seed=2).T
    assert ((x1 * x2 < 0) == (y == 1)).all()
    assert np.abs(np.concatenate([x1, x2])).min() >= 0.05 and np.abs(np.concatenate([x1, x2])).max() <= 1


def test_gaussians_are_centred_on_the_diagonal():
    x1, x2, y = generate("gaussians", 4000, 0.0, seed=2).T
    for label, centre in ((1, 0.5), (0, -0.5)):
        assert x1[y == label].mean() == pytest.approx(centre, abs=0.02)
        assert x2[y == label].mean() == pytest.approx(centre, abs=0.02)
        assert x1[y == label].std() == pytest.approx(0.25, abs=0.02)


def test_spiral_arms_wind_out_half_a_turn_apart():
    x1, x2, y = generate("spiral", 200, 0.0, seed=0).T
    one, zero = np.column_stack([x1, x2])[y == 1], np.column_stack([x1, x2])[y == 0]
    np.testing.assert_allclose(one, -zero, atol=1e-12)  # the second arm is the first turned by π
    r = np.hypot(*one.T)
    assert r[0] == 0 and (np.diff(r) > 0).all() and r[-1] == pytest.approx(0.99)


def test_plane_is_a_regression_and_noise_has_its_size():
    x1, x2, y = generate("plane", 500, 0.0, seed=3).T
    assert (y == (x1 + x2) / 2).all() and np.abs(np.concatenate([x1, x2])).max() <= 1
    noisy = generate("plane", 5000, 0.1, seed=3)
    assert (noisy[:, 2] - noisy[:, :2].sum(axis=1) / 2).std() == pytest.approx(0.1, rel=0.05)
    clean, jittered = generate("gaussians", 5000, 0.0, seed=3), generate("gaussians", 5000, 0.3, seed=3)
    # the same points, each moved by a normal jitter of standard deviation 0.3; the classes stay
    assert (jittered[:, :2] - clean[:, :2]).std() == pytest.approx(0.3, rel=0.05)
    assert (jittered[:, 2] == clean[:, 2]).all()


def test_features_are_computed_right():
    x1, x2 = np.array([0.5, -2.0, 3.0]), np.array([1.5, 0.25, -1.0])
    values = {"x1": x1, "x2": x2, "a b": x1 + 10}
    cols = tuple(values)
    assert (feature("x1", cols)(values) == x1).all()
    assert (feature("x1*x2", cols)(values) == x1 * x2).all()
    assert (feature("x1^2", cols)(values) == x1**2).all()
    assert (feature(" x2 ^ 3 ", cols)(values) == x2**3).all()
    assert (feature("sin(x1)", cols)(values) == np.sin(x1)).all()
    assert (feature("cos(x1*x2)", cols)(values) == np.cos(x1 * x2)).all()
    assert (feature("(x1*x2)^2", cols)(values) == (x1 * x2) ** 2).all()
    assert (feature("x1*x1*x2", cols)(values) == x1 * x1 * x2).all()
    assert (feature("a b", cols)(values) == x1 + 10).all()  # a column's own name, spaces and all


@pytest.mark.parametrize(
    "text,problem",
    [
        ("x3", "'x3' is not an input (inputs: x1, x2)"),
        ("x1^10", "a power is a whole number from 1 to 9, got '10'"),
        ("x1**2", "expected a column, sin(…), cos(…) or (…), got '*'"),
        ("x1+x2", "unexpected '+'"),
        ("__import__('os')", "'__import__' is not an input (inputs: x1, x2)"),
        ("sin(x1", "expected ')' at the end"),
        ("tan(x1)", "'tan' is not an input (inputs: x1, x2)"),
        ("", "expected a column, sin(…), cos(…) or (…) at the end"),
    ],
)
def test_a_bad_feature_says_what_is_wrong(text, problem):
    with pytest.raises(ValueError) as e:
        feature(text, ("x1", "x2"))
    assert str(e.value) == problem


GENERATED = """\
[data]
generate = "xor"
n = 40
features = ["x1", "x2", "x1*x2", "x1^2", "sin(x2)"]

[network]
hidden = [3]
seed = 9
"""


def test_a_scenario_generates_its_rows_from_its_seed_with_derived_inputs():
    s = parse(GENERATED, Path("g.toml"))
    rows = generate("xor", 40, 0.0, seed=9)
    x1, x2 = rows[:, 0], rows[:, 1]
    assert s.data.inputs == ("x1", "x2", "x1*x2", "x1^2", "sin(x2)") and s.data.targets == ("y",)
    np.testing.assert_array_equal(s.data.x, np.column_stack([x1, x2, x1 * x2, x1**2, np.sin(x2)]))
    np.testing.assert_array_equal(s.data.y[:, 0], rows[:, 2])
    assert s.arch.sizes == (5, 3, 1)
    other = parse(GENERATED.replace("seed = 9", "seed = 10"), Path("g.toml"))
    assert other.data.x.tobytes() != s.data.x.tobytes()


def test_features_work_on_any_data_and_after_scale():
    text = '[data]\ninputs = ["a", "b"]\ntargets = ["y"]\ncolumns = ["a", "b", "y"]\nrows = [[1, 2, 0], [3, -4, 1]]\n'
    s = parse(text + 'scale = 0.5\nfeatures = ["a*b", "b^2"]\n', Path("f.toml"))
    np.testing.assert_array_equal(s.data.x, [[0.5 * 1.0, 1.0], [1.5 * -2.0, 4.0]])


@pytest.mark.parametrize(
    "extra,message",
    [
        ("n = 5\n", "[data] n: applies only to a generated set (generate = …)"),
        ('generate = "moons"\n', "[data]: expected exactly one of rows (with columns), file or generate"),
        ('features = ["x1*q"]\n', "[data] features[0]: 'x1*q': 'q' is not an input (inputs: x1)"),
    ],
)
def test_bad_data_keys_are_one_message(extra, message):
    text = '[data]\ninputs = ["x1"]\ntargets = ["y"]\ncolumns = ["x1", "y"]\nrows = [[1, 2], [2, 3]]\n' + extra
    with pytest.raises(ScenarioError) as e:
        parse(text, Path("d.toml"))
    assert str(e.value) == "d.toml: " + message


@pytest.mark.parametrize(
    "extra,message",
    [
        ('generate = "moons"\n', "[data] generate: expected one of circle, xor, gaussians, spiral, plane; got 'moons'"),
        ('generate = "circle"\nn = 1\n', "[data] n: expected a whole number >= 2, got 1"),
        ('generate = "circle"\nnoise = -1\n', "[data] noise: expected a number >= 0, got -1"),
        (
            'generate = "circle"\ncolumns = ["a"]\n',
            "[data] columns: only for inline rows; a generated set's columns are x1, x2, y",
        ),
        (
            'generate = "circle"\nfeatures = ["x1^99"]\n',
            "[data] features[0]: 'x1^99': a power is a whole number from 1 to 9, got '99'",
        ),
    ],
)
def test_bad_generated_sets_are_one_message(extra, message):
    with pytest.raises(ScenarioError) as e:
        parse("[data]\n" + extra, Path("d.toml"))
    assert str(e.value) == "d.toml: " + message


@pytest.mark.parametrize("name", ["circle", "spiral"])
def test_circle_and_spiral_hold_out_30_percent_and_generalise(name):
    s = load(name)
    assert s.config.seed == 0 and len(s.test) == round(0.3 * (len(s.data) + len(s.test)))
    t = s.trainer()
    stop = t.run()
    assert stop.reason == "converged"
    assert t.loss_result.accuracy >= 0.98 and t.loss_result.test_accuracy >= 0.9
