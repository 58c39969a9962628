"""The explanation's forward and chain-rule lines: every number checked against a pass written here with numpy."""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Iterator

import numpy as np
import pytest

from nnsim.engine import ParamRef, Trainer, param_refs
from nnsim.present import (
    PARAM_HEADERS,
    explain,
    fmt,
    loss_formula,
    param_headers,
    param_rows,
    sample_table,
    term_header,
)
from nnsim.scenario import load
from nnsim.scenario.reader import shipped

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


def blowing_up(name: str) -> Iterator[tuple[Trainer, list[ParamRef]]]:
    """A run at learning rate 1e4, after each phase until it stops (diverged or out of steps), with
    warnings as errors: no overflow warning may come from the explanation's own arithmetic."""
    t = load(name).trainer(learning_rate=1e4, max_steps=30)
    refs = param_refs(t.arch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        while t.stop is None:
            t.next()
            yield t, refs
    assert t.stop.reason in ("diverged", "max_steps")


@pytest.mark.parametrize("name", ["hidden", "xor", "spiral"])
def test_every_phase_explains_in_five_lines_even_when_the_numbers_blow_up(name):
    for t, refs in blowing_up(name):
        for ref in (refs[0], refs[-1], refs[len(refs) // 2]):
            for sample in (None, 1, 10**6):
                lines = explain(t, ref, sample)
                assert 2 <= len(lines) <= 5, lines
                assert all(len(line) <= WIDTH for line in lines[:-1]), lines


# ----- the probe: nothing ahead of its phase, digits that make its arithmetic right, the lesson's table -----

Y4X_X = np.arange(5.0)


def y4x_loss(w: float) -> float:
    """The worked example's loss Σ (w·x − 4x)², written here."""
    return float(((w * Y4X_X - 4 * Y4X_X) ** 2).sum())


def probe_numbers(lines: list[str]) -> dict[str, str]:
    """The printed numbers of a probe explanation: L(w+ε), L(w−ε), 2ε and the slope (as printed), the
    gradient backprop gives (if named)."""
    text = " ".join(lines)
    m = re.search(rf"slope ≈ \(({N}) − ({N})\) / ({N}) = ({N})", text)
    assert m, text
    found = dict(zip(("plus", "minus", "two_eps", "slope"), m.groups()))
    b = re.search(rf"[Bb]ackprop gives dL/d\S+ = ({N})", text)
    if b:
        found["backprop"] = b.group(1)
    return found


def sig_digits(text: str) -> int:
    """Significant digits shown in a printed number."""
    mantissa = text.strip("()−+-").split("e")[0].replace(".", "").lstrip("0")
    return max(len(mantissa), 1)


def agrees(value: float, printed: str, digits: int) -> bool:
    """``value`` rounds to the printed number at ``digits`` significant digits."""
    shown = num(printed)
    if shown == 0:
        return abs(value) < 1e-300
    return abs(value - shown) <= 0.5 * 10 ** (np.floor(np.log10(abs(shown))) - digits + 1) * (1 + 1e-9)


def check_probe_arithmetic(lines: list[str], loss_plus: float, loss_minus: float, epsilon: float) -> dict[str, str]:
    """The printed losses differ when they do, are the losses to their shown digits, and the slope is
    (printed L+ − printed L−) / printed 2ε to its 6 shown digits, and the true slope too."""
    from decimal import Decimal

    got = probe_numbers(lines)
    plus, minus = got["plus"], got["minus"].strip("()")
    if loss_plus != loss_minus:
        assert plus != minus, lines
    assert agrees(loss_plus, plus, sig_digits(plus)) and agrees(loss_minus, minus, sig_digits(minus)), lines
    assert num(got["two_eps"]) == pytest.approx(2 * epsilon, rel=1e-12)
    as_printed = (Decimal(plus.replace("−", "-")) - Decimal(minus.replace("−", "-"))) / Decimal(got["two_eps"])
    assert agrees(float(as_printed), got["slope"], 6), (lines, as_printed)
    assert agrees((loss_plus - loss_minus) / (2 * epsilon), got["slope"], 6), lines
    return got


def test_the_probe_names_backprops_gradient_only_once_backprop_has_run():
    t = load("y4x").trainer()
    ref = param_refs(t.arch)[0]
    gradient = float((2 * (2 * Y4X_X - 4 * Y4X_X) * Y4X_X).sum())  # dL/dw = Σ 2(y′ − y)·x at w = 2
    assert gradient == -120
    for phase in ("guess", "forward", "loss", "backward"):
        if phase != "guess":
            t.run_through(phase)
        t.probe(ref)
        lines = explain(t, ref)
        assert lines[0] == "Nudge w by ε = 0.0001: L(2.0001) = 119.988, L(1.9999) = 120.012, L(2) = 120"
        got = check_probe_arithmetic(lines, y4x_loss(2.0001), y4x_loss(1.9999), 1e-4)
        assert (got["plus"], got["minus"], got["slope"]) == ("119.988", "120.012", "−120")
        if phase == "backward":
            assert lines[1].endswith(f"; backprop gives dL/dw = {gradient:g}".replace("-", "−")), lines
        else:
            assert "backprop gives" not in " ".join(lines) and "dL/dw" not in " ".join(lines), lines
            assert lines[1].endswith("; run backprop to compare"), lines
    # after the update, the gradients belong to w = 2, no longer the weight probed (3.2)
    t.update()
    t.probe(ref)
    lines = explain(t, ref)
    assert "backprop gives" not in " ".join(lines) and "run backprop to compare" in " ".join(lines)
    check_probe_arithmetic(lines, y4x_loss(3.2001), y4x_loss(3.1999), 1e-4)
    assert f"L(3.2001) = {y4x_loss(3.2001):.6g}" in lines[0]


def softmax_np(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def hidden_loss(t, ref, value):
    """hidden's mse with one parameter set to ``value``, by hand: tanh hidden layer, identity output."""
    w, b = [a.copy() for a in t.params.weights], [a.copy() for a in t.params.biases]
    (w if ref.kind == "w" else b)[ref.layer][ref.index] = value
    p = np.tanh(t.data.x @ w[0] + b[0]) @ w[1] + b[1]
    return float(((p - t.data.y) ** 2).sum() / t.data.y.size)


def digits_loss(t, ref, value):
    """digits' mean cross-entropy with one parameter set to ``value``, by hand: relu, softmax."""
    w, b = [a.copy() for a in t.params.weights], [a.copy() for a in t.params.biases]
    (w if ref.kind == "w" else b)[ref.layer][ref.index] = value
    p = softmax_np(np.maximum(t.data.x @ w[0] + b[0], 0) @ w[1] + b[1])
    return float(-(t.data.y * np.log(p)).sum() / len(p))


@pytest.mark.parametrize("name", ["hidden", "digits"])
def test_probe_digits_show_the_difference_and_the_slopes_arithmetic(name):
    t = load(name).trainer()
    t.run_through("backward")
    refs = param_refs(t.arch)
    top = [r for r in refs if r.layer == t.arch.n_layers - 1]
    biggest = max(top, key=lambda r: abs(r.get(t.gradients)))  # a gradient that is not zero
    loss = {"hidden": hidden_loss, "digits": digits_loss}[name]
    for ref in (refs[0], refs[1], biggest):
        t.probe(ref)
        lines = explain(t, ref)
        assert len(lines) <= 4 and all(len(line) <= WIDTH for line in lines), lines
        w = ref.get(t.params)
        plus, minus = loss(t, ref, w + 1e-4), loss(t, ref, w - 1e-4)
        got = check_probe_arithmetic(lines, plus, minus, 1e-4)
        close(got["backprop"], ref.get(t.gradients), digits=6)
        # the TOTALs of the table are the explanation's numbers
        st = sample_table(t, ref)
        plus_col, minus_col = (st.headers.index(f"{term_header(t)} {ref.kind}{s}ε") for s in "+−")
        assert st.total[plus_col].replace("-", "−") == got["plus"]
        assert st.total[minus_col].replace("-", "−") == got["minus"].strip("()")
    # the nonsense: printed as equal although they differ
    assert plus != minus


def table_width(headers, rows, total, digits=6):
    """The width the Samples and Parameters panes need: each column as wide as its widest cell, plus 2."""
    widths = [len(h) for h in headers]
    for row in [*rows, *([total] if total else [])]:
        for k, cell in enumerate(row):
            try:
                cell = fmt(float(cell), digits) if digits < 6 and len(fmt(float(cell), digits)) < len(cell) else cell
            except ValueError:
                pass
            widths[k] = max(widths[k], len(cell))
    return sum(w + 2 for w in widths)


def test_the_samples_table_sets_the_nudged_rows_side_by_side():
    t = load("y4x").trainer()
    ref = param_refs(t.arch)[0]
    for phase in ("guess", "backward"):
        if phase != "guess":
            t.run_through(phase)
        t.probe(ref)
        st = sample_table(t, ref)
        assert st.headers[-4:] == ["y′ w+ε", "(y′−y)² w+ε", "y′ w−ε", "(y′−y)² w−ε"]
        for n, x in enumerate(Y4X_X):
            cells = st.rows[n][-4:]
            expected = [(2.0001 * x, (2.0001 * x - 4 * x) ** 2), (1.9999 * x, (1.9999 * x - 4 * x) ** 2)]
            for (out, term), (out_cell, term_cell) in zip(expected, (cells[:2], cells[2:])):
                assert float(out_cell) == pytest.approx(out, abs=1e-12) and float(term_cell) == pytest.approx(term)
        assert st.rows[4][-4:] == ["8.0004", "63.9936", "7.9996", "64.0064"]  # the lesson's row x = 4
        assert st.total[-4:] == ["", "119.988", "", "120.012"]
        assert f"{y4x_loss(2.0001):.6g}" == "119.988" and f"{y4x_loss(1.9999):.6g}" == "120.012"
        assert table_width(st.headers, st.rows, st.total) <= WIDTH  # the Samples pane at 80×24
    assert st.headers[st.headers.index("(y′−y)²") + 1] == "dL/dw"  # backprop's share stays
    t.update()  # any action ends the probe: its columns go
    assert not any("ε" in h for h in sample_table(t, ref).headers)


def test_the_nudged_columns_of_hidden_and_digits():
    t = load("hidden").trainer()
    t.run_through("loss")
    ref = ParamRef("w", 0, (2, 1))
    t.probe(ref)
    st = sample_table(t, ref)
    assert st.headers[-4:] == ["y′ w+ε", "(y′−y)²/n w+ε", "y′ w−ε", "(y′−y)²/n w−ε"]
    w, b = [a.copy() for a in t.params.weights], [a.copy() for a in t.params.biases]
    for sign, cols in ((1, slice(-4, -2)), (-1, slice(-2, None))):
        w0 = w[0].copy()
        w0[2, 1] += sign * 1e-4
        p = np.tanh(t.data.x @ w0 + b[0]) @ w[1] + b[1]
        for n in range(len(p)):
            out_cell, term_cell = st.rows[n][cols]
            close(out_cell, p[n, 0], 6)
            close(term_cell, (p[n, 0] - t.data.y[n, 0]) ** 2 / len(p), 6)
    t = load("digits").trainer()
    t.run_through("forward")
    ref = param_refs(t.arch)[-1]
    t.probe(ref)
    st = sample_table(t, ref)
    # several outputs: the loss term per row only
    assert st.headers[-2:] == ["−y·log y′/n b+ε", "−y·log y′/n b−ε"] and len(st.rows) == len(t.data)
    b = [a.copy() for a in t.params.biases]
    b[1][9] += 1e-4
    p = softmax_np(np.maximum(t.data.x @ t.params.weights[0] + b[0], 0) @ t.params.weights[1] + b[1])
    for n in (0, 1, len(p) - 1):
        close(st.rows[n][-2], -(t.data.y[n] * np.log(p[n])).sum() / len(p), 6)


# ----- the loss's formula says what the per-row column holds --------------------------------------------

# each formula the screen may show, and the per-row terms it means for outputs p and targets y (n rows, k outputs)
FORMULAS = {
    "L = Σ (y′ − y)²": lambda p, y: ((p - y) ** 2).sum(axis=1),
    "L = ½ Σ (y − y′)²": lambda p, y: 0.5 * ((p - y) ** 2).sum(axis=1),
    "L = (1/nk) Σ (y′ − y)²": lambda p, y: ((p - y) ** 2).sum(axis=1) / y.size,
    "L = (1/n) Σ (y′ − y)²": lambda p, y: ((p - y) ** 2).sum(axis=1) / len(y),  # one output: k = 1
    "L = −Σ y·log y′": lambda p, y: -(y * np.log(p)).sum(axis=1),
    "L = −(1/n) Σ y·log y′": lambda p, y: -(y * np.log(p)).sum(axis=1) / len(y),
    "L = −Σ [y·log y′ + (1−y)·log(1−y′)]": lambda p, y: -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1),
    "L = −(1/n) Σ [y·log y′ + (1−y)·log(1−y′)]": lambda p, y: (
        -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1) / len(y)
    ),
}


def reductions():
    """Every shipped scenario, and for a cross-entropy both its mean and its sum."""
    for name in shipped():
        s = load(name)
        for mean in (True, False) if s.config.loss == "cross_entropy" else (False,):
            yield name, mean


@pytest.mark.parametrize(("name", "mean"), list(reductions()))
def test_the_loss_formula_says_what_the_per_row_column_holds(name, mean):
    t = load(name).trainer(mean=mean)
    t.run_through("forward")
    ref = param_refs(t.arch)[0]
    next_line = explain(t, ref)[-1]
    assert len(next_line) <= WIDTH
    if "cross_entropy" in t.loss_fn.name:
        assert "cross-entropy" in next_line and "square" not in next_line
        assert ("the mean" in next_line) == mean
    else:
        assert "square" in next_line
    t.loss()
    formula = loss_formula(t)
    assert formula in FORMULAS, formula
    assert t.loss_fn.formula in FORMULAS  # the engine's text (the sum) is one of them too
    p, y = t.forward_pass.output, t.data.y[t.forward_pass.rows]
    terms = FORMULAS[formula](p, y)
    assert t.loss_result.terms == pytest.approx(terms, rel=1e-9, abs=1e-15)  # the per-row column
    assert terms.sum() == pytest.approx(t.loss_result.data_loss, rel=1e-9)
    assert any(f"Error: {formula} " in line for line in explain(t, ref)), explain(t, ref)
    st = sample_table(t, ref)
    column = st.headers.index(term_header(t))
    for n in (0, len(terms) - 1):
        close(st.rows[n][column], terms[n], 6)
    if mean:
        assert "(1/n)" in formula and term_header(t).endswith("/n")
        assert t.loss_result.terms.max() < 20 / len(terms)  # a row's share, already divided by n


def test_digits_error_line_states_the_mean():
    t = load("digits").trainer()
    t.run_through("loss")
    n = len(t.data)
    p, y = t.forward_pass.output, t.data.y
    mean = -(y * np.log(p)).sum() / n
    line = next(line for line in explain(t, param_refs(t.arch)[0]) if line.startswith("Error:"))
    assert line == f"Error: L = −(1/n) Σ y·log y′ over n = {n} samples = {mean:.6g}"


# ----- parameters named by their ends -----------------------------------------------------------------


def test_parameters_are_named_by_the_nodes_they_join():
    t = load("hidden").trainer()
    rows = param_rows(t)
    cells = {row.ref: row.cells[0] for row in rows}
    inputs = ["x1", "x2", "x3", "x4"]
    for i, x in enumerate(inputs):
        for j in range(2):
            assert cells[ParamRef("w", 0, (i, j))] == f"w[0][{i},{j}] {x}→h{j + 1}"
    assert cells[ParamRef("b", 0, (1,))] == "b[0][1] h2"
    assert cells[ParamRef("w", 1, (1, 0))] == "w[1][1,0] h2→y′"
    assert cells[ParamRef("b", 1, (0,))] == "b[1][0] y′"
    assert param_headers(t)[0] == "param  from→to" and len(param_headers(t)) == len(rows[0].cells)
    y4x = load("y4x").trainer()
    assert param_rows(y4x)[0].cells[0] == "w" and param_headers(y4x)[0] == "param"
    assert param_headers(y4x, short=False) == PARAM_HEADERS


def test_hiddens_parameters_fit_78_columns_with_every_column():
    t = load("hidden").trainer()
    t.run_through("backward")
    t.probe(param_refs(t.arch)[0])
    before = [row.cells for row in param_rows(t)]
    t.update()
    after = [row.cells for row in param_rows(t)]
    for cells in (before, after):
        # as the TUI's table narrows its numbers: 6 significant digits, or fewer (at least 3) to fit
        assert min(table_width(param_headers(t), cells, None, d) for d in (6, 5, 4, 3)) <= WIDTH
    assert all(before[0][1:5]) and all(after[0][4:])  # value, dL/dw, slope, lr; lr, change, new


@pytest.mark.parametrize("name", ["y4x", "hidden", "xor"])
def test_the_probe_explains_in_short_lines_as_the_numbers_blow_up(name):
    for t, refs in blowing_up(name):
        for ref in (refs[0], refs[-1]):
            t.probe(ref)
            lines = explain(t, ref)
            assert 2 <= len(lines) <= 4 and all(len(line) <= WIDTH for line in lines), lines
            sample_table(t, ref).rows[0]


def _numbers(line: str) -> list[float]:
    """The numbers in an explanation line, − read as a minus."""
    return [float(n) for n in re.findall(r"[-+]?\d+(?:\.\d+)?(?:e[-+]\d+)?", line.replace("−", "-"))]


def test_the_momentum_update_writes_its_rule_with_its_numbers():
    """Momentum: v ← μ·v + g, then w ← w − lr·v (PyTorch's convention), in numbers the test recomputes."""
    t = load("hidden").trainer(optimizer="momentum")
    ref = param_refs(t.arch)[0]
    t.step()
    v0 = ref.get(t.update_result.state.velocity)
    t.step()
    up = t.update_result
    g, lr, old = ref.get(up.grads), up.learning_rate, ref.get(up.old)
    v1 = 0.9 * v0 + g
    lines = explain(t, ref)
    assert lines[0].startswith("Momentum: v ← μ·v + dL/dw =")
    assert _numbers(lines[0].split("=", 1)[1])[-1] == pytest.approx(v1, rel=1e-3)
    update = next(line for line in lines if line.startswith("Update:"))
    assert _numbers(update)[-1] == pytest.approx(old - lr * v1, rel=1e-5)  # printed to 6 digits
    assert ref.get(up.new) == pytest.approx(old - lr * v1, rel=1e-12)


def test_the_adam_update_writes_its_rule_with_its_numbers():
    t = load("spiral").trainer()
    assert t.config.optimizer == "adam"
    ref = param_refs(t.arch)[-2]
    gs = []
    for _ in range(3):
        t.step()
        gs.append(ref.get(t.update_result.grads))
    b1, b2, eps, lr = t.config.beta1, t.config.beta2, t.config.adam_eps, t.update_result.learning_rate
    m = v = 0.0
    for g in gs:
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1**3), v / (1 - b2**3)
    old = ref.get(t.update_result.old)
    new = old - lr * m_hat / (np.sqrt(v_hat) + eps)
    lines = explain(t, ref)
    assert all(len(line) <= WIDTH for line in lines)
    first, second, update = lines[0], lines[1], lines[2]
    assert "m ← β1·m + (1−β1)·g" in first and "3" in first.split(":")[0]
    assert float(re.search(r"g = ([^,;]+)", first).group(1).replace("−", "-")) == pytest.approx(m, rel=1e-3)
    assert _numbers(second.split("v̂")[0])[-1] == pytest.approx(m_hat, rel=1e-3)
    assert _numbers(update)[-1] == pytest.approx(new, rel=1e-5)
    assert ref.get(t.update_result.new) == pytest.approx(new, rel=1e-12)


def test_the_parameters_table_shows_the_optimisers_state_beside_the_gradient():
    """Momentum: v ← μ·v + g (v starts at 0); Adam: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²."""
    from nnsim.engine import Config

    base = load("hidden")
    for optimizer, headers in (("momentum", ["velocity"]), ("adam", ["m", "v"]), ("sgd", [])):
        scenario = dataclasses.replace(base, config=Config(**{**base.config.__dict__, "optimizer": optimizer}))
        t = scenario.trainer()
        assert param_headers(t)[3 : 3 + len(headers)] == headers
        assert param_headers(t)[3 + len(headers)] == "slope"
        grads = []
        for _ in range(2):
            t.run_through("backward")
            grads.append(t.gradients.weights[0][0, 0])
            t.update()
        row = param_rows(t)[0].cells  # w[0][0,0], right after the second update
        assert len(row) == len(param_headers(t))
        g1, g2 = grads
        c = t.config
        if optimizer == "momentum":
            assert row[3] == fmt(c.momentum * g1 + g2)
        elif optimizer == "adam":
            m = c.beta1 * (1 - c.beta1) * g1 + (1 - c.beta1) * g2
            v = c.beta2 * (1 - c.beta2) * g1**2 + (1 - c.beta2) * g2**2
            assert row[3:5] == [fmt(m), fmt(v)]
        assert row[-1] == fmt(t.params.weights[0][0, 0])  # the new value, as before


def test_an_edit_is_explained_with_its_old_value_and_what_it_kept():
    t = load("hidden").trainer()
    ref = ParamRef("w", 0, (0, 0))
    t.edit("hidden", "3")
    assert explain(t, ref)[:2] == [
        "You set hidden to 3 (it was 2).",
        "w[0] 4×2 → 4×3 (4×2 kept), w[1] 2×1 → 3×1 (2×1 kept).",
    ]
    t.edit("activation", "relu")
    assert explain(t, ref) == [
        "You set activation to relu (it was tanh): every weight kept.",
        "Next, forward propagation with it: compute y′ for every row.",
    ]
    t.edit("hidden", "")
    assert explain(t, ref)[0] == "You set hidden to none (it was 3): w[0] (4×1) drawn anew."
    t.undo()
    assert explain(t, ref)[0] == "You set activation to relu (it was tanh): every weight kept."


def test_the_first_explanation_says_where_the_parameters_came_from(tmp_path):
    from nnsim.scenario.writer import save

    t = load("hidden").trainer()
    ref = ParamRef("w", 0, (0, 0))
    assert explain(t, ref)[0] == "Random guess: 13 parameters drawn from seed 1 (xavier scheme)."
    t.run(3)
    path = save(load("hidden"), t, tmp_path / "hidden-step3.toml")
    saved = load(str(path))
    resumed = saved.trainer()
    assert resumed.step_count == 3
    assert explain(resumed, ref)[0] == "A saved run: its 13 parameters (and optimiser state) as saved at step 3."
    resumed.guess(7)  # a new draw: no longer the file's
    assert explain(resumed, ref)[0] == "Random guess: 13 parameters drawn from seed 7 (xavier scheme)."
    resumed.reset()
    assert resumed.resumed_at == 3 and resumed.own_weights
