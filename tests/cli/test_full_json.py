"""`nnsim run --format json --full`: each sample's z, a and δ, checked against a forward and backward
pass written here with numpy; and each step's `accuracy`, computed here over the whole training set."""

import json

import numpy as np
import pytest

from nnsim.cli import main
from nnsim.scenario import load


def run_json(capsys, *args):
    code = main(["run", *args, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert "stop" in lines[-1]
    return lines[:-1]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# hidden: 4 → 2 → 1, tanh then identity, mean squared error over the n·k outputs;
# xor: 2 → 2 → 1, sigmoid then sigmoid, summed squared error
NETS = {
    "hidden": (np.tanh, lambda a: 1 - a * a, lambda z: z, lambda p, y: 2 * (p - y) / y.size),
    "xor": (sigmoid, lambda a: a * (1 - a), sigmoid, lambda p, y: 2 * (p - y) * p * (1 - p)),
}


@pytest.mark.parametrize("name,batch", [("hidden", []), ("xor", []), ("hidden", ["--batch", "3"])])
def test_full_json_has_every_nodes_z_a_and_delta(capsys, name, batch):
    f, slope, out, delta_out = NETS[name]
    data = load(name).data
    steps = run_json(capsys, name, "--steps", "2", "--full", *batch)
    if batch:  # mini-batches of 3 shuffled rows: z, a and delta follow the order of `rows`
        assert [len(s["rows"]) for s in steps] == [3, 3] and steps[0]["rows"] != sorted(steps[0]["rows"])
    assert [s["step"] for s in steps] == [1, 2]
    for step in steps:
        w = [np.array(m) for m in step["weights"]]
        b = [np.array(v) for v in step["biases"]]
        x, y = data.x[step["rows"]], data.y[step["rows"]]
        z1 = x @ w[0] + b[0]
        h = f(z1)
        z2 = h @ w[1] + b[1]
        p = out(z2)
        d2 = delta_out(p, y)
        d1 = (d2 @ w[1].T) * slope(h)
        # per layer, one list per sample (in the order of rows), one value per node
        assert len(step["z"]) == 2 and len(step["a"]) == 3 and len(step["delta"]) == 2
        assert [np.shape(v) for v in step["z"]] == [z1.shape, z2.shape] == [(len(x), 2), (len(x), 1)]
        assert step["a"][0] == x.tolist()  # a[0] is the input row itself
        for got, want in [
            *zip(step["z"], [z1, z2]),
            *zip(step["a"], [x, h, p]),
            *zip(step["delta"], [d1, d2]),
            *zip(step["grad_weights"], [x.T @ d1, h.T @ d2]),
            *zip(step["grad_biases"], [d1.sum(axis=0), d2.sum(axis=0)]),
        ]:
            np.testing.assert_allclose(np.array(got), want, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(np.array(step["outputs"]), p, rtol=1e-12)
    # the next step starts from this one's new values
    assert steps[1]["weights"] == steps[0]["new_weights"]


def test_without_full_the_json_lines_keep_their_fields(capsys):
    (step,) = run_json(capsys, "hidden", "--steps", "1")
    assert not {"z", "a", "delta"} & set(step)


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_full_needs_the_json_format(capsys, fmt):
    code = main(["run", "hidden", "--steps", "1", "--full", "--format", fmt])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == f"nnsim: error: run: --full adds to the JSON lines: use it with --format json, not --format {fmt}\n"


def test_xor_accuracy_is_over_every_row_at_the_weights_before_the_update(capsys):
    data = load("xor").data
    steps = run_json(capsys, "xor", "--steps", "400")
    seen = set()
    for step in steps:
        w = [np.array(m) for m in step["weights"]]
        b = [np.array(v) for v in step["biases"]]
        p = sigmoid(sigmoid(data.x @ w[0] + b[0]) @ w[1] + b[1])
        right = ((p > 0.5) == (data.y > 0.5)).all(axis=1).mean()
        assert step["accuracy"] == right
        seen.add(right)
    assert len(seen) > 1  # the run goes from some rows wrong to more rows right


def test_digits_accuracy_is_arg_max_over_every_training_row(capsys):
    s = load("digits")
    data = s.data  # the training rows (the held-out ones are in s.test)
    assert s.test is not None and len(data) + len(s.test) == 1797
    steps = run_json(capsys, "digits", "--steps", "6")
    seen = set()
    for step in steps:
        w = [np.array(m) for m in step["weights"]]
        b = [np.array(v) for v in step["biases"]]
        z = np.maximum(data.x @ w[0] + b[0], 0) @ w[1] + b[1]  # softmax keeps the arg-max of z
        right = (z.argmax(axis=1) == data.y.argmax(axis=1)).mean()
        assert step["accuracy"] == pytest.approx(right, abs=1e-12)
        zt = np.maximum(s.test.x @ w[0] + b[0], 0) @ w[1] + b[1]
        assert step["test_accuracy"] == pytest.approx((zt.argmax(axis=1) == s.test.y.argmax(axis=1)).mean())
        seen.add(right)
    assert len(seen) > 1
