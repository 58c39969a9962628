"""The Network pane's drawing, rendered to plain text with Rich alone (no app)."""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest
from rich.console import Console
from rich.text import Text

from nnsim.engine import ParamRef, param_refs
from nnsim.scenario import load
from nnsim.tui.topology import move, render

SMALL = ["hidden", "xor", "linear", "circle"]
NUMBER = r"([+−]\d[\d.]*(?:e-?\d+)?|0|·)"


def trained(name: str, phases: str = ""):
    t = load(name).trainer()
    for p in phases:
        {"f": t.forward, "l": t.loss, "b": t.backward, "u": t.update}[p]()
    return t


def lines_of(picture) -> list[Text]:
    assert isinstance(picture, list) and all(isinstance(t, Text) for t in picture)
    return picture


def plain(picture, width: int = 200) -> list[str]:
    """What a person reads: every line of the picture without styles."""
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    for item in picture if isinstance(picture, list) else [picture]:
        console.print(item)
    return console.export_text(styles=False).rstrip("\n").split("\n")


def parse(text: str) -> float:
    return float(text.replace("−", "-"))


def three_digits(value: float) -> str:
    """A weight as the drawing must print it: its sign, then three significant digits."""
    if value == 0:
        return "0"
    sign = "+" if value > 0 else "−"
    if abs(value) < 1e-3:  # 8.75e-4: the mantissa's three digits, the exponent without its zeros
        mantissa, exponent = f"{abs(value):.2e}".split("e")
        return f"{sign}{mantissa}e{int(exponent)}"
    return sign + f"{abs(value):#.3g}".rstrip(".")


def node_number(lines: list[str], name: str, below: int = 0) -> str:
    """The number printed after ``name`` in the drawing (below > 0: on a row under it, after δ or b)."""
    for r, line in enumerate(lines):
        m = re.search(rf"(?:▶ |^){re.escape(name)} +{NUMBER}", line)
        if m:
            if not below:
                return m.group(1)
            under = lines[r + below][m.start(0) + (2 if line[m.start(0)] == "▶" else 0) :]
            m2 = re.match(rf"[δb] +{NUMBER}", under)
            assert m2, (name, under)
            return m2.group(1)
    raise AssertionError(f"{name} not in the drawing:\n" + "\n".join(lines))


@pytest.mark.parametrize("name", SMALL)
@pytest.mark.parametrize("phases", ["f", "flb"])
def test_small_networks_fit_the_pane_at_80_columns(name, phases):
    t = trained(name, phases)
    picture = lines_of(render(t, 1, ParamRef("w", 0, (0, 0)), 78, 14))
    assert max(line.cell_len for line in picture) <= 78
    assert len(picture) <= 14
    text = "\n".join(plain(picture))
    assert "─▶" in text and "input" in text and "output" in text  # the node drawing, not the matrices
    assert "δ" in text


def test_values_are_shown_after_forward_and_not_before():
    before = plain(render(trained("hidden"), 2, None))
    assert node_number(before, "h1") == "·" and node_number(before, "y′") == "·"
    t = trained("hidden", "f")
    after = plain(render(t, 2, None))
    # the network written out: 4 → 2 (tanh) → 1 (identity)
    x = t.data.x[2]
    w0, w1 = t.params.weights
    b0, b1 = t.params.biases
    h = np.tanh(x @ w0 + b0)
    y = h @ w1 + b1
    for name, value in [("h1", h[0]), ("h2", h[1]), ("y′", y[0])]:
        assert math.isclose(parse(node_number(after, name)), value, rel_tol=5e-3), name
    assert node_number(after, "h1", below=1) == "·"  # no δ before backprop
    target = [line for line in after if re.search(r"  y  0\.631$", line)]  # hidden.toml's row 2: y = 0.631
    assert len(target) == 1 and after.index(target[0]) == after.index(next(x for x in after if "y′" in x)) + 3
    after_update = plain(render(trained("hidden", "flbu"), 2, None))
    assert node_number(after_update, "h1") == "·"  # the values are of the weights before the update


def test_deltas_after_backprop_are_the_engines():
    t = trained("hidden", "flb")
    lines = plain(render(t, 2, None))
    row = int(np.flatnonzero(t.forward_pass.rows == 2)[0])
    deltas = t.gradients.deltas
    for name, value in [("h1", deltas[0][row, 0]), ("h2", deltas[0][row, 1]), ("y′", deltas[1][row, 0])]:
        assert math.isclose(parse(node_number(lines, name, below=1)), value, rel_tol=5e-3), name
    # the output's δ by hand: mse over the 10 rows, identity output: 2(y′ − y)/n
    y_out = t.forward_pass.a[-1][row, 0]
    assert math.isclose(parse(node_number(lines, "y′", below=1)), 2 * (y_out - t.data.y[2, 0]) / 10, rel_tol=5e-3)


@pytest.mark.parametrize("name", SMALL)
def test_every_weight_and_bias_is_printed_with_its_sign(name):
    t = trained(name, "flbuf")  # after an update: no weight or bias is zero
    text = "\n".join(plain(render(t, 0, None, 78, 14)))
    for w in t.params.weights:
        for value in w.ravel():
            assert three_digits(value) in text
    for b in t.params.biases:
        for value in b.ravel():
            assert value != 0 and three_digits(value) in text


def styled_spans(lines: list[Text]):
    for line in lines:
        for span in line.spans:
            yield line.plain[span.start : span.end], span.style


def test_the_selected_edge_is_reversed_and_everything_clickable():
    t = trained("hidden", "flb")
    ref = ParamRef("w", 0, (1, 0))
    lines = lines_of(render(t, 0, ref))
    label = three_digits(t.params.weights[0][1, 0])
    reversed_ = [(text, style) for text, style in styled_spans(lines) if style.reverse]
    on_label = [style for text, style in reversed_ if text == label]
    assert on_label and on_label[0].meta.get("@click") == "app.select_param('w:0:1:0')"
    assert "h1" in [text for text, _ in reversed_]  # the node it feeds
    for other in ("+0.901", "−0.376"):  # the other weights of that layer are not
        assert other not in [text for text, _ in reversed_]
    clicks = {style.meta.get("@click") for _, style in styled_spans(lines) if style.meta}
    for r in param_refs(t.arch):
        key = f"{r.kind}:{r.layer}:{':'.join(map(str, r.index))}"
        assert f"app.select_param('{key}')" in clicks
    # after backprop the gradient of the selection is under the drawing
    text = "\n".join(plain(lines))
    assert f"dL/dw = {three_digits(t.gradients.weights[0][1, 0])}" in text


def test_a_drawing_that_is_too_wide_gives_way_to_matrices():
    spiral = trained("spiral", "flb")
    picture = lines_of(render(spiral, 0, ParamRef("w", 1, (2, 3)), 78, 24))
    assert max(line.cell_len for line in picture) <= 78
    # each matrix row: a source node, then its weights to every node of the next layer, in brackets
    rows = [line for line in plain(picture) if re.search(r"[┌│└\[] ", line)]
    printed = [[parse(v) for v in re.findall(NUMBER, line.split(" ", 1)[1])] for line in rows]
    expected = [list(row) for w in spiral.params.weights for row in w]
    assert len(printed) == len(expected)
    for got, want in zip(printed, expected):
        assert np.allclose(got, want, rtol=0.05, atol=0)
    hidden = trained("hidden", "f")
    narrow = lines_of(render(hidden, 0, ParamRef("w", 0, (0, 0)), 40, None))
    assert max(line.cell_len for line in narrow) <= 40
    assert "┌" in "\n".join(plain(narrow))


def test_the_one_weight_network_keeps_its_line():
    t = trained("y4x", "f")
    text = plain(render(t, 4, ParamRef("w", 0, (0, 0))))
    assert text[0] == "x = +4 ──(w = +2)──▶ y′ = +8"


def test_move_walks_every_parameter_and_stops_at_the_ends():
    arch = load("hidden").arch
    refs = param_refs(arch)
    ref, seen = refs[0], [refs[0]]
    for _ in range(len(refs) + 3):
        ref = move(arch, ref, "down")
        if ref != seen[-1]:
            seen.append(ref)
    assert seen == refs  # every weight and bias, once, in drawing order, then it stays on the last
    assert move(arch, refs[0], "up") == refs[0]
    assert move(arch, ParamRef("w", 0, (0, 1)), "up") == ParamRef("w", 0, (0, 0))
    # right and left: the next layer of edges at the same height
    assert move(arch, ParamRef("w", 0, (0, 0)), "right") == ParamRef("w", 1, (0, 0))
    assert move(arch, ParamRef("b", 0, (1,)), "right") == ParamRef("b", 1, (0,))
    assert move(arch, ParamRef("w", 1, (1, 0)), "left") == ParamRef("w", 0, (2, 1))  # the middle of 10 is 5
    assert move(arch, ParamRef("w", 1, (1, 0)), "right") == ParamRef("w", 1, (1, 0))
    assert move(arch, ParamRef("w", 0, (3, 1)), "left") == ParamRef("w", 0, (3, 1))
    one = load("y4x").arch
    for direction in ("up", "down", "left", "right"):
        assert move(one, ParamRef("w", 0, (0, 0)), direction) == ParamRef("w", 0, (0, 0))


@pytest.mark.parametrize("phases", ["f", "flbu"])
def test_digits_outputs_come_first(phases):
    t = trained("digits", phases)
    sample = int(t.forward_pass.rows[0])
    lines = plain(render(t, sample, None, 78, 20))
    probs = t.forward_pass.a[-1][0]
    best = int(np.argmax(probs))
    top = lines[:12]
    marked = [line for line in top if "◀ predicted" in line]
    assert len(marked) == 1 and re.search(rf"(^|\s){best} [█·]+", marked[0])
    label = int(np.argmax(t.data.y[sample]))
    assert any(re.search(rf"(^|\s){label} [█·]+.*● target", line) for line in top)
    shown_probs = [float(m.group(1)) for line in top if (m := re.search(r"[█·]{12} +([\d.e-]+)", line))]
    assert np.allclose(shown_probs, probs, rtol=0.05, atol=0.005)
    if phases == "flbu":
        assert "outputs at step 0, before its update" in lines[0]
    assert max(len(line) for line in lines) <= 78
