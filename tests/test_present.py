"""The explanation's forward and chain-rule lines: every number checked against a pass written here with numpy."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from nnsim.engine import ParamRef, param_refs
from nnsim.present import explain
from nnsim.scenario import load

WIDTH = 78
N = r"\(?[−+]?(?:\d+(?:\.\d*)?(?:e[−+]\d+)?|inf|NaN)\)?"  # a printed number, maybe signed, maybe in ( )


def num(text: str) -> float:
    return float(text.strip().strip("()").replace("−", "-"))


def close(text: str, value: float, digits: int = 3) -> None:
    """The printed number is ``value`` to the printed precision (``digits`` significant digits)."""
    assert num(text) == pytest.approx(value, rel=0.51 * 10 ** (1 - digits), abs=1e-300), (text, value)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# each scenario's network by hand: hidden activation a = f(z) and its slope f′ as a function of z and a,
# the output activation, and the output's δ = dL/dz from (y′, y, number of rows)
NETS = {
    "hidden": (np.tanh, lambda z, a: 1 - a * a, lambda z: z, lambda p, y: 2 * (p - y) / y.size),
    "xor": (sigmoid, lambda z, a: a * (1 - a), sigmoid, lambda p, y: 2 * (p - y) * p * (1 - p)),
    "digits": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0) * 1.0, softmax, lambda p, y: (p - y) / len(y)),
}


def reference(name, weights, biases, x, y):
    """The forward and backward pass of a one-hidden-layer network: z, a, δ and the gradients."""
    f, slope, out, delta_out = NETS[name]
    z1 = x @ weights[0] + biases[0]
    h = f(z1)
    z2 = h @ weights[1] + biases[1]
    p = out(z2)
    d2 = delta_out(p, y)
    d1 = (d2 @ weights[1].T) * slope(z1, h)
    return {
        "z": [z1, z2],
        "a": [x, h, p],
        "delta": [d1, d2],
        "gw": [x.T @ d1, h.T @ d2],
        "gb": [d1.sum(axis=0), d2.sum(axis=0)],
    }


def trainer_at(name, phase, steps=1):
    """The scenario after ``steps`` whole steps (so that no bias is still 0) and then the phases through ``phase``."""
    t = load(name).trainer()
    t.run(steps)
    t.run_through(phase)
    ref = reference(name, [w.copy() for w in t.params.weights], [b.copy() for b in t.params.biases], t.data.x, t.data.y)
    return t, ref


def check_terms(items: list[str], expected: list, match) -> None:
    """Terms printed in order, maybe with … for the ones left out: each run between two … is a run of
    consecutive expected values; the first run starts at the first value and the last ends at the last
    (unless a … stands there)."""
    runs: list[list[str]] = [[]]
    for item in items:
        if item == "…":
            runs.append([])
        else:
            runs[-1].append(item)

    def fits(run: list[str], at: int) -> bool:
        return at + len(run) <= len(expected) and all(match(x, expected[at + n], quiet=True) for n, x in enumerate(run))

    def place(r: int, at: int) -> bool:
        """Runs r, r+1, … placed from position ``at`` on."""
        if r == len(runs):
            return at == len(expected) or not runs[-1]
        run = runs[r]
        starts = [at] if r == 0 else range(at, len(expected) - len(run) + 1)
        if r == len(runs) - 1 and run and r:  # the last run ends at the last value
            starts = [len(expected) - len(run)] if len(expected) - len(run) >= at else []
        return any(fits(run, st) and place(r + 1, st + len(run) + (1 if r + 1 < len(runs) else 0)) for st in starts)

    assert place(0, 0), (items, expected)
    for run in runs:  # and each shown value to its printed precision
        for x in run:
            assert any(match(x, e, quiet=True) for e in expected), x


def pair(item: str, values: tuple[float, float], quiet: bool = False) -> bool:
    left, right = item.split("·")
    if quiet:
        return num(left) == pytest.approx(values[0], rel=6e-3, abs=1e-300) and num(right) == pytest.approx(
            values[1], rel=6e-3, abs=1e-300
        )
    close(left, values[0])
    close(right, values[1])
    return True


def single(item: str, value: float, quiet: bool = False) -> bool:
    if quiet:
        return num(item) == pytest.approx(value, rel=6e-3, abs=1e-300)
    close(item, value)
    return True


def node_of(t, ref: ParamRef):
    return ref.layer, ref.index[-1]


def check_forward_text(text: str, t, ref: ParamRef, s: int, r) -> None:
    """'z(h1) = a·(w) + … + b = z;  h1 = f(z) = a' against the numpy pass."""
    layer, j = node_of(t, ref)
    m = re.fullmatch(
        rf"z\((?P<node>[^)]+)\) = (?:Σ a·w \+ b \((?P<nz>\d+) of (?P<n>\d+) a ≠ 0\): )?(?P<terms>.*) = (?P<z>{N});\s+"
        rf"(?P<name>\S+) = (?P<act>.*) = (?P<a>{N})",
        text,
    )
    assert m, text
    a_in = r["a"][layer][s]
    idx = list(range(len(a_in)))
    if m["nz"]:
        idx = [i for i in idx if a_in[i] != 0]
        assert int(m["nz"]) == len(idx) and int(m["n"]) == len(a_in)
    items = m["terms"].split(" + ")
    bias = t.params.biases[layer][j]
    close(items[-1], bias)
    w = t.params.weights[layer][:, j]
    check_terms(items[:-1], [(a_in[i], w[i]) for i in idx], pair)
    z, a = r["z"][layer][s, j], r["a"][layer + 1][s, j]
    close(m["z"], z)
    close(m["a"], a)
    act = m["act"]
    if act == "z":
        assert t.arch.n_layers == layer + 1 and t.arch.output == "identity"
    elif shown := re.fullmatch(rf"(?:tanh|σ)\(({N})\)(?: = 1/\(1 \+ e\^({N})\))?", act):
        close(shown[1], z)
        if shown[2]:
            close(shown[2], -z)
    elif shown := re.fullmatch(rf"max\(0, ({N})\)", act):
        close(shown[1], z)
    else:
        shown = re.fullmatch(rf"e\^z / Σ e\^z = e\^({N}) / ({N})", act)
        assert shown, act
        close(shown[1], z)
        close(shown[2], np.exp(r["z"][layer][s]).sum())


def forward_text(lines: list[str], prefix: str) -> str:
    text = " ".join(line.strip() for line in lines)
    assert text.startswith(prefix), text
    return text[len(prefix) :]


def some_refs(t, name):
    refs = param_refs(t.arch)
    if name != "digits":
        return refs
    x = t.data.x[3]
    lit = int(np.flatnonzero(x)[0])
    return [ParamRef("w", 0, (lit, 4)), ParamRef("w", 0, (0, 2)), ParamRef("b", 0, (7,))] + [
        ParamRef("w", 1, (5, 3)),
        ParamRef("b", 1, (9,)),
    ]


@pytest.mark.parametrize("name", ["hidden", "xor", "digits"])
def test_forward_lines_give_the_nodes_z_and_a(name):
    t, r = trainer_at(name, "forward")
    for s in (0, 3):
        for ref in some_refs(t, name):
            lines = explain(t, ref, sample=s)
            assert lines[0].startswith("Forward: z = a·W + b") and lines[-1].startswith("Next, the error")
            assert len(lines) <= 4 and all(len(line) <= WIDTH for line in lines), lines
            check_forward_text(forward_text(lines[1:-1], f"Sample #{s}: "), t, ref, s, r)
    t.next()  # the loss phase shows the same forward line, then the error
    ref = some_refs(t, name)[0]
    lines = explain(t, ref, sample=2)
    assert lines[-2].startswith("Error: ") and lines[-1].startswith("Next, backpropagation")
    check_forward_text(forward_text(lines[:-2], "Forward, sample #2: "), t, ref, 2, r)


def test_a_sample_not_in_the_batch_is_shown_as_the_batchs_first_row():
    t = load("hidden").trainer(batch=3)
    t.run_through("forward")
    rows = [int(v) for v in t.forward_pass.rows]
    absent = next(v for v in range(10) if v not in rows)
    ref = param_refs(t.arch)[0]
    assert explain(t, ref, sample=absent)[1].startswith(f"Sample #{rows[0]}: ")
    assert explain(t, ref)[1].startswith(f"Sample #{rows[0]}: ")
    assert explain(t, ref, sample=rows[2])[1].startswith(f"Sample #{rows[2]}: ")


def check_output_delta(line: str, name: str, t, r, s: int, k: int) -> None:
    p, y = r["a"][2][s, k], t.data.y[s, k]
    delta = r["delta"][1][s, k]
    if name == "hidden":
        m = re.fullmatch(rf"δ\(y′\) = .*= 2·\(({N})−({N})\)/(\d+)·1 = ({N})", line)
        assert m, line
        assert int(m[3]) == t.data.y.size
    elif name == "xor":
        m = re.fullmatch(rf"δ\(y′\) = .*= 2·\(({N})−({N})\)·({N})·\(1 − ({N})\) = ({N})", line)
        assert m, line
        close(m[3], p)
        close(m[4], p)
    else:
        m = re.fullmatch(
            rf"δ\(d{k}′\) = \(y′−y\)/n \(softmax, mean cross-entropy\) = \(({N})−({N})\)/(\d+) = ({N})", line
        )
        assert m, line
        assert int(m[3]) == len(t.data.y)
    close(m[1], p)
    close(m[2], y)
    close(m.groups()[-1], delta)


def check_hidden_delta(line: str, name: str, t, r, s: int, j: int) -> None:
    m = re.fullmatch(
        rf"δ\((?P<node>[^)]+)\) = (?:f′\(z\)·Σ w·δ = )?(?P<slope>.*?)·\[(?P<terms>.*)\]"
        rf"(?: = (?P<f>{N})·(?P<sum>{N}))? = (?P<d>{N})",
        line,
    )
    assert m, line
    assert m["node"] == f"h{j + 1}"
    z, a = r["z"][0][s, j], r["a"][1][s, j]
    slope = {"hidden": 1 - a * a, "xor": a * (1 - a), "digits": float(z > 0)}[name]
    if name == "hidden":
        shown = re.fullmatch(rf"\(1 − ({N})²\)", m["slope"])
        assert shown, m["slope"]
        close(shown[1], abs(a))
    elif name == "xor":
        shown = re.fullmatch(rf"({N})·\(1 − ({N})\)", m["slope"])
        assert shown, m["slope"]
        close(shown[1], a)
        close(shown[2], a)
    else:
        shown = re.fullmatch(rf"\[({N}) > 0\]", m["slope"])
        assert shown, m["slope"]
        close(shown[1], z)
    w_out = t.params.weights[1][j]
    after = r["delta"][1][s]
    check_terms(m["terms"].split(" + "), list(zip(w_out, after)), pair)
    if m["f"]:
        close(m["f"], slope)
        close(m["sum"], float(w_out @ after))
    close(m["d"], r["delta"][0][s, j])


@pytest.mark.parametrize("name", ["hidden", "xor", "digits"])
def test_the_chain_rule_lines_give_every_delta_and_the_gradient(name):
    t, r = trainer_at(name, "backward")
    n = len(t.data.y)
    for s in (0, 3):
        for ref in some_refs(t, name):
            lines = explain(t, ref, sample=s)
            assert len(lines) <= 5 and all(len(line) <= WIDTH for line in lines), lines
            assert lines[-1].startswith("Next, the update")
            layer, j = node_of(t, ref)
            # the output δ: the selected output node, or (for a hidden node) the one with the largest δ
            k = j if layer == 1 else int(np.argmax(np.abs(r["delta"][1][s])))
            check_output_delta(lines[0], name, t, r, s, k)
            rest = lines[1:-1]
            if layer == 0:
                check_hidden_delta(rest[0], name, t, r, s, j)
                rest = rest[1:]
            share_line, sum_line = rest
            # this sample's share a·δ (δ alone for a bias)
            delta = r["delta"][layer][s, j]
            if ref.kind == "w":
                i = ref.index[0]
                m = re.fullmatch(rf"Sample #{s}'s share: a\(\S+\)·δ\(\S+\) = ({N})·({N}) = ({N})", share_line)
                assert m, share_line
                close(m[1], r["a"][layer][s, i])
                close(m[2], delta)
                close(m[3], r["a"][layer][s, i] * delta)
                shares = r["a"][layer][:, i] * r["delta"][layer][:, j]
                grad = r["gw"][layer][i, j]
            else:
                m = re.fullmatch(rf"Sample #{s}'s share: 1·δ\(\S+\) = ({N})", share_line)
                assert m, share_line
                close(m[1], delta)
                shares = r["delta"][layer][:, j]
                grad = r["gb"][layer][j]
            # the sum over the samples: each share shown, and the TOTAL (6 digits, as the Parameters pane)
            what = "a·δ" if ref.kind == "w" else "δ"
            m = re.fullmatch(rf"dL/d[wb]\(\S+\) = Σ over {n} samples of {what} = (.*) = ({N})", sum_line)
            assert m, sum_line
            check_terms(m[1].split(" + "), list(shares), single)
            close(m[2], grad, digits=6)
            close(m[2], ref.get(t.gradients), digits=6)


def test_an_l2_penalty_is_a_visible_term_of_the_sum():
    t = load("hidden").trainer(l2=0.01)
    t.run_through("backward")
    ref = ParamRef("w", 0, (1, 0))
    w = ref.get(t.params)
    line = explain(t, ref, sample=1)[-2]
    m = re.fullmatch(rf"dL/dw\(x2→h1\) = Σ over 10 samples of a·δ \+ 2·l2·w = (.*) = ({N})", line)
    assert m, line
    items = m[1].split(" + ")
    factors = items[-1].split("·")
    assert len(factors) == 3 and factors[0] == "2"
    close(factors[1], 0.01)
    close(factors[2], w)
    shares = t.contributions(ref)
    close(m[2], shares.sum() + 2 * 0.01 * w, digits=6)


def test_a_second_hidden_layer_has_a_line_of_its_deltas():
    t = load("spiral").trainer()
    t.run_through("backward")
    lines = explain(t, ParamRef("w", 0, (0, 0)), sample=3)
    assert len(lines) == 5 and all(len(line) <= WIDTH for line in lines)
    assert lines[1].startswith("δ = f′(z)·Σ w·δ, the same way: h2.1 ")
    assert lines[2].startswith("δ(h1.1) = ")
    assert lines[3].startswith("dL/dw(x1→h1.1) = Σ over 210 samples of a·δ")


def test_the_worked_example_lines_are_unchanged():
    t = load("y4x").trainer()
    ref = param_refs(t.arch)[0]
    seen = [explain(t, ref)]
    for _ in range(4):
        t.next()
        seen.append(explain(t, ref, sample=2))
    assert seen == [
        [
            "Random guess: start somewhere, w = 2, so the model is y′ = 2·x.",
            "Next, forward propagation: compute y′ for every row.",
        ],
        [
            "Forward: y′ = w·x = 2·x for every row: 0, 2, 4, 6, 8.",
            "Next, the error: compare y′ with y and square the difference.",
        ],
        [
            "Forward: y′ = 2·x for every row: 0, 2, 4, 6, 8.",
            "Error: L = Σ (y′ − y)² = 0 + 4 + 16 + 36 + 64 = 120",
            "Next, backpropagation: the slope of the loss for every weight.",
        ],
        [
            "Backprop: dL/dw = Σ 2(y′−y)·x = 0 + (−4) + (−16) + (−36) + (−64) = −120",
            "Next, the update: move every weight against its slope.",
        ],
        ["Update: w ← w − lr·dL/dw = 2 − 0.01 × (−120) = 3.2", "Step 1 done. Again: forward, error, backprop, update."],
    ]


@pytest.mark.parametrize("name", ["hidden", "xor", "spiral"])
def test_every_phase_explains_in_five_lines_even_when_the_numbers_blow_up(name):
    t = load(name).trainer(learning_rate=1e4, max_steps=30)
    refs = param_refs(t.arch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning from the explanation's own arithmetic
        while t.stop is None:
            t.next()
            for ref in (refs[0], refs[-1], refs[len(refs) // 2]):
                for sample in (None, 1, 10**6):
                    lines = explain(t, ref, sample)
                    assert 2 <= len(lines) <= 5, lines
                    assert all(len(line) <= WIDTH for line in lines[:-1]), lines
    assert t.stop.reason in ("diverged", "max_steps")
