"""The pictures of the model: the y4x line, the xor map in each colour mode, the fit plot, the
confusion table, the accuracy counts, and the L(w) curve's range (the trail and the minimum)."""

from __future__ import annotations

import numpy as np
import pytest
from rich.color import ColorType
from rich.segment import Segment

from nnsim.engine import ParamRef
from nnsim.engine.network import forward
from nnsim.scenario import load
from nnsim.tui import model_art as ma
from nnsim.tui.art import Runs, plot
from nnsim.tui.components.model import accuracy_lines, input_view, scored_confusion, weight_curve

W = ParamRef("w", 0, (0, 0))
BRAILLE = range(0x2800, 0x2900)


def segments(line) -> list[Segment]:
    return line.segments if isinstance(line, Runs) else list(line.render(_console()))


def _console():
    from rich.console import Console

    return Console(width=200)


def cells(line) -> list[tuple[str, object]]:
    """One (character, style) per cell of a line."""
    return [(ch, seg.style) for seg in segments(line) for ch in seg.text]


def plain(line) -> str:
    return "".join(ch for ch, _ in cells(line))


# ----- one input: the y4x line -------------------------------------------------------------------
@pytest.mark.parametrize("w", [2.0, 4.0])
def test_the_y4x_line_passes_through_the_cells_of_y_equals_w_x(w):
    """y′ = w·x drawn over x from −0.4 to 4.4 and y from −2 to 18: in every column of cells the dots
    are in the row of w·x at that column (the row written out here), and nowhere far from it."""
    x = np.arange(5.0)
    y = 4 * x
    grid = np.linspace(-0.4, 4.4, 200)
    width, height = 50, 14
    lines = ma.curve_plot(
        (x, y), (grid, w * grid), width, height, "truecolor", x_range=(-0.4, 4.4), y_range=(-2.0, 18.0), title="t"
    )
    rows = [plain(line) for line in lines[1:-2]]  # the title above; the x axis and the legend below
    assert len(rows) == height - 3
    left = rows[0].index("┤") + 1
    pw, ph = 2 * (len(rows[0]) - left), 4 * len(rows)
    span = 4.4 - (-0.4)  # as the plot computes it (4.800000000000001)
    points = {
        (round((a + 0.4) / span * (pw - 1)) // 2, (ph - 1 - round((b + 2) / 20 * (ph - 1))) // 4) for a, b in zip(x, y)
    }
    checked = 0
    for col in range(pw // 2):
        # the pixel columns 2·col and 2·col + 1: their x, the line's y there, and its pixel row
        xs = [-0.4 + p / (pw - 1) * span for p in (2 * col, 2 * col + 1)]
        pys = [ph - 1 - (w * v + 2) / 20 * (ph - 1) for v in xs]
        expected = {int(np.floor(py)) // 4 for py in pys} | {int(np.ceil(py)) // 4 for py in pys}
        drawn = {r for r, row in enumerate(rows) if ord(row[left + col]) in BRAILLE}
        if any((col, r) in points for r in expected):
            continue  # a sample's ● covers the line there
        assert drawn & expected, (col, drawn, expected)
        assert all(min(abs(r - e) for e in expected) <= 1 for r in drawn), (col, drawn, expected)
        checked += 1
    assert checked >= pw // 2 - 5
    # the samples are ● at (x, 4x): for w = 4 the line runs through them
    assert sum(row.count("●") for row in rows) == 5


def test_the_curve_comes_from_the_engine_for_y4x_and_its_axes_are_labelled():
    t = load("y4x").trainer()
    view = input_view(t.data)
    assert view is not None and view.columns == (0,)
    grid = np.linspace(-0.4, 4.4, 100)
    out = forward(t.arch, t.params, view.inputs(grid[:, None]), np.arange(100)).output[:, 0]
    assert out == pytest.approx(2 * grid)  # the first guess w = 2
    lines = ma.curve_plot(
        (t.data.x[:, 0], t.data.y[:, 0]),
        (grid, out),
        60,
        12,
        "none",
        x_range=(-0.4, 4.4),
        y_range=ma.outputs_range(t.data.y[:, 0], out),
        names=("x", "y"),
    )
    text = "\n".join(plain(line) for line in lines)
    assert "-0.4" in text and "4.4" in text and "17.6" in text and "-1.6" in text  # 0..16 with 10% each side
    assert "● samples (x, y)" in text
    assert all(style is None or style.color is None for line in lines for _, style in cells(line))


def test_derived_inputs_are_drawn_over_their_columns_only_when_they_reproduce_the_data():
    spiral = load("spiral").trainer()
    view = input_view(spiral.data)
    assert view is not None and view.names == ("x1", "x2")
    raw = spiral.data.x[:, list(view.columns)]
    assert np.array_equal(view.inputs(raw), spiral.data.x)
    a, b = raw[:, 0], raw[:, 1]
    expected = np.column_stack([a, b, a * b, a**2, b**2, np.sin(a), np.sin(b)])
    assert np.array_equal(view.inputs(raw), expected)
    assert input_view(load("hidden").trainer().data) is None  # four inputs of their own
    assert input_view(load("linear").trainer().data) is None


# ----- two inputs: the xor map ------------------------------------------------------------------
@pytest.fixture(scope="module")
def xor_map():
    """A trained xor network's output over the plane (from the engine's forward pass) and its corners."""
    t = load("xor").trainer()
    t.run()
    view = input_view(t.data)
    assert view is not None
    x_range = y_range = ma.padded(0.0, 1.0)
    width, height = 60, 14
    g1, g2 = ma.plane_grid(width, height, x_range, y_range)
    inputs = np.column_stack([g1.reshape(-1), g2.reshape(-1)])
    values = forward(t.arch, t.params, inputs, np.arange(len(inputs))).output[:, 0].reshape(g1.shape)
    at_samples = forward(t.arch, t.params, t.data.x, np.arange(4)).output[:, 0]
    assert (at_samples > 0.5).tolist() == [False, True, True, False]  # xor, learned

    def draw(mode):
        return ma.plane_map(
            values,
            (t.data.x[:, 0], t.data.x[:, 1], t.data.y[:, 0]),
            width,
            height,
            mode,
            x_range=x_range,
            y_range=y_range,
            title="xor",
        )

    return t, values, (width, height, x_range, y_range), draw


def sample_cells(lines, t, layout):
    """The (character, style) of each xor sample's cell, and the pixel row (0 upper, 1 lower) it is in."""
    width, height, (xlo, xhi), (ylo, yhi) = layout
    label_w, cols, rows = ma.map_layout(width, height, (ylo, yhi))
    out = []
    for a, b in t.data.x:
        col = min(int((a - xlo) / (xhi - xlo) * cols), cols - 1)
        px = min(int((yhi - b) / (yhi - ylo) * 2 * rows), 2 * rows - 1)
        row = cells(lines[1 + px // 2])  # the title first
        out.append((row[label_w + 1 + col], px))
    return out


def redness(colour) -> int:
    r, g, b = colour.get_truecolor()
    return r - b


def test_truecolor_map_is_red_where_the_output_is_above_half_and_blue_below(xor_map):
    t, values, layout, draw = xor_map
    lines = draw("truecolor")
    width, height, _, y_range = layout
    label_w, cols, rows = ma.map_layout(width, height, y_range)
    for r in range(rows):
        row = cells(lines[1 + r])[label_w + 1 :]
        for c, (ch, style) in enumerate(row):
            if ch != "▀":
                continue  # a sample
            assert style.color.type == ColorType.TRUECOLOR and style.bgcolor.type == ColorType.TRUECOLOR
            for colour, v in ((style.color, values[2 * r, c]), (style.bgcolor, values[2 * r + 1, c])):
                if abs(v - 0.5) > 0.02:
                    assert (redness(colour) > 0) == (v > 0.5), (r, c, v, colour)
    # the four corners: ● on the red of a 1, ○ on the blue of a 0, each in its pixel's colour
    for ((ch, style), _), target, sign in zip(sample_cells(lines, t, layout), t.data.y[:, 0], [-1, 1, 1, -1]):
        assert ch == ("●" if target == 1 else "○")
        assert np.sign(redness(style.bgcolor)) == sign


def test_sixteen_colour_map_uses_the_standard_colours_with_the_same_sides(xor_map):
    t, values, layout, draw = xor_map
    lines = draw("16")
    colours = {c for line in lines for _, s in cells(line) if s is not None for c in (s.color, s.bgcolor) if c}
    assert colours and all(c.type == ColorType.STANDARD and c.number < 16 for c in colours)
    for ((_, style), _), sign in zip(sample_cells(lines, t, layout), [-1, 1, 1, -1]):
        assert style.bgcolor.name in (("red", "bright_red") if sign > 0 else ("blue", "bright_blue"))


def test_256_colour_map_uses_the_fixed_palette(xor_map):
    _, _, _, draw = xor_map
    colours = {c for line in draw("256") for _, s in cells(line) if s is not None for c in (s.color, s.bgcolor) if c}
    assert colours and all(c.type == ColorType.EIGHT_BIT and c.number >= 16 for c in colours)


def test_no_color_map_shades_by_level_without_colour(xor_map):
    t, values, layout, draw = xor_map
    lines = draw("none")
    assert not [s for line in lines for _, s in cells(line) if s is not None and (s.color or s.bgcolor)]
    width, height, _, y_range = layout
    label_w, cols, rows = ma.map_layout(width, height, y_range)
    shades = " ░▒▓█"
    for r in range(rows):
        row = plain(lines[1 + r])[label_w + 1 :]
        assert len(row) == cols
        for c, ch in enumerate(row):
            if ch in "●○":
                continue
            level = (values[2 * r, c] + values[2 * r + 1, c]) / 2  # outputs from 0 to 1
            assert abs(shades.index(ch) - level * 4) <= 0.6, (r, c, ch, level)
    assert [ch for (ch, _), _ in sample_cells(lines, t, layout)] == ["○", "●", "●", "○"]
    assert "█" in "".join(plain(line) for line in lines) and "0 [ ░▒▓█] 1" in plain(lines[-1])


# ----- more inputs: y′ against y ----------------------------------------------------------------
def test_fit_plot_puts_each_row_at_y_and_y_prime_with_the_diagonal():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    lines = ma.fit_plot(y, y.copy(), 40, 12, "none")  # a perfect model: every row on the diagonal
    text = [plain(line) for line in lines]
    assert sum(row.count("●") for row in text[:-2]) == 4  # above the x axis and the legend
    assert "y′ = y" in text[-1] and "off the plot" not in text[-1]
    far = ma.fit_plot(y, np.array([0.0, 1.0, 2.0, 1e9]), 40, 12, "none")
    assert "1 y′ off the plot" in plain(far[-1])  # the runaway row is counted, not squashed in


# ----- classification: accuracy and confusion ---------------------------------------------------
def test_digits_accuracy_and_confusion_counts_at_the_loss_phase():
    t = load("digits").trainer()
    t.run(3)
    t.run_through("loss")
    out = t.forward_pass.output
    right = int((out.argmax(axis=1) == t.data.y.argmax(axis=1)).sum())
    n = len(t.data)
    test_out = forward(t.arch, t.params, t.test_data.x, np.arange(len(t.test_data))).output
    test_right = int((test_out.argmax(axis=1) == t.test_data.y.argmax(axis=1)).sum())
    line = " ".join(x.plain for x in accuracy_lines(t))
    assert f"accuracy now: {right}/{n} = " in line and f"test {test_right}/{len(t.test_data)} = " in line
    counts = scored_confusion(t)
    assert counts.shape == (10, 10) and counts.sum() == n and np.trace(counts) == right
    lines = ma.confusion_table(counts, 60, 14, "truecolor")
    assert len(lines) == 12
    row = cells(lines[2 + 3])  # actual class 3
    numbers = "".join(ch for ch, _ in row).split("│")[1].split()
    assert numbers == [str(v) if v else "·" for v in counts[3]]
    diagonal = [s for ch, s in row if s is not None and s.bold]
    assert diagonal and all(s.color.name == "green" for s in diagonal)
    t.run_through("update")
    assert "accuracy before update 4" in accuracy_lines(t)[0].plain  # the parameters before this update
    assert np.array_equal(scored_confusion(t), counts)


def test_confusion_table_says_when_it_does_not_fit():
    lines = ma.confusion_table(np.eye(10, dtype=int) * 100, 30, 8, "none")
    assert len(lines) == 1 and "needs 43×12" in lines[0].plain  # labels "9│" and ten cells " 100"


def test_accuracy_never_cuts_a_number():
    lines = ma.accuracy_text("accuracy now", (117, 1258), (55, 539), width=40)
    assert [x.plain for x in lines] == ["accuracy now: 117/1258 = 9.3%", "  test 55/539 = 10.2%"]
    label = "accuracy before update 2"  # 41 characters with its numbers: a 37-wide pane said "… = 55"
    for width, first, second in [
        (37, "accuracy 117/210 = 55.7%", "  test 53/90 = 58.9%"),
        (19, "acc 117/210 = 55.7%", "  test 58.9%"),
        (10, "acc 55.7%", "  test 58.9%"),
    ]:
        lines = ma.accuracy_text(label, (117, 210), (53, 90), width=width)
        assert [x.plain for x in lines] == [first, second]


# ----- the L(w) curve ---------------------------------------------------------------------------
def test_the_weight_curve_covers_the_trail_the_minimum_and_w_after_an_overshoot():
    """At lr 0.05 each step multiplies w − 4 by 1 − 0.05·60 = −2: 2, 8, −4, 20, −28 … ."""
    t = load("y4x").trainer()
    t.set_learning_rate(0.05)
    t.run(4)
    trail = [(s.w, s.loss) for s in t.score_history()]
    assert [w for w, _ in trail] == pytest.approx([2, 8, -4, 20])
    assert [loss for _, loss in trail] == pytest.approx([30 * (w - 4) ** 2 for w, _ in trail])
    w = W.get(t.params)
    assert w == pytest.approx(-28)
    c = weight_curve(t, W, w, trail, None)
    assert c.grid[0] <= -33 and c.grid[-1] >= 20  # w − 5 = −33 and the trail's 20 are in view
    assert c.lowest[0] == pytest.approx(4, abs=1e-3) and c.lowest[1] == pytest.approx(0, abs=1e-4)
    assert c.losses == pytest.approx(30 * (c.grid - 4) ** 2)


def test_the_weight_curve_at_the_start_reaches_w_7_with_its_loss_270():
    t = load("y4x").trainer()
    c = weight_curve(t, W, 2.0, [], None)
    assert c.grid[0] == -3 and c.grid[-1] == 7 and c.losses[-1] == 270


def test_plot_labels_show_the_whole_number_even_near_the_largest_float():
    lines = plot([0, 1, 2], [1.0, 1e300, 1.7e308], 40, 10, log=False)
    text = "\n".join(plain(line) for line in lines)
    assert "1.7e+308" in text
    assert "1.7e+30┤" not in text


def test_only_one_weight_networks_keep_their_weight_in_the_scores():
    t = load("y4x").trainer()
    t.run(2)
    assert [s.w for s in t.score_history()] == pytest.approx([2.0, 3.2])
    trail = t.score_history()
    for _ in range(3):  # the second step's update, backward and loss
        t.undo()
    assert t.score_history() == trail[:1]
    while t.redo():
        pass
    assert t.score_history() == trail
    assert t.rebuilt(t.actions()).score_history() == trail
    h = load("hidden").trainer()
    h.run(2)
    assert [s.w for s in h.score_history()] == [None, None]


# ----- the pane ---------------------------------------------------------------------------------
def model_app(trainer):
    from textual.app import App

    from nnsim.tui.components.model import ModelPane

    class ModelApp(App):
        def compose(self):
            yield ModelPane(id="model")

        def on_mount(self):
            self.query_one(ModelPane).show(trainer, 0)

    return ModelApp()


def pane_text(app) -> str:
    return "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())


async def test_the_pane_says_which_parameters_it_draws_and_follows_an_update():
    from nnsim.tui.components.model import ModelPane

    t = load("y4x").trainer()
    app = model_app(t)
    async with app.run_test(size=(60, 16)) as pilot:
        await pilot.pause()
        assert "First guess, no forward yet: y′(x)" in pane_text(app)
        pane = app.query_one(ModelPane)
        first = pane._cache["curve"][2]
        t.run(1)
        pane.show(t, 0)
        await pilot.pause()
        assert "After update 1: y′(x)" in pane_text(app)
        again = pane._cache["curve"][2]
        assert again == pytest.approx(first * 3.2 / 2)  # the engine's forward at the new w = 3.2


async def test_the_pane_shows_the_xor_accuracy_and_map_under_no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    t = load("xor").trainer()
    t.run(300)
    t.run_through("loss")
    right = int(((t.forward_pass.output > 0.5) == (t.data.y > 0.5)).sum())
    app = model_app(t)
    async with app.run_test(size=(60, 16)) as pilot:
        await pilot.pause()
        text = pane_text(app)
        assert f"accuracy now: {right}/4 = {100 * right / 4:g}%" in text
        assert "y′ over (x1, x2)" in text and ("░" in text or "▓" in text or "█" in text)
        assert "▀" not in text  # shading glyphs, not colours


async def test_the_loss_pane_reads_w_7_and_270_at_80x24(tmp_path):
    from .apps import make_app, screen_text

    app = make_app("y4x", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f", "4")  # 4: the Loss pane
        await pilot.pause()
        text = screen_text(app)
        assert "L(7) = 270" in text  # 30·(7 − 4)² under the right end of the w axis
        assert "◆ min L(4) = 0" in text and "●" in text


async def test_the_loss_pane_plots_accuracy_and_test_loss_for_a_classifier(tmp_path):
    from nnsim.present import fmt
    from nnsim.tui.model_art import percent

    from .apps import make_app, screen_text

    app = make_app("circle", tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("s", "s", "f")
        await pilot.pause()
        last = app.trainer.score_history()[-1]
        assert last.accuracy is not None and last.test_accuracy is not None and last.test_loss is not None
        text = screen_text(app)
        assert f"test {fmt(last.test_loss, 4)}" in text
        assert f"accuracy · train {percent(last.accuracy)} · test {percent(last.test_accuracy)}" in text
        assert "100%┤" in text and "0%┤" in text


def test_the_minimum_is_found_even_when_the_trail_reaches_1e155():
    t = load("y4x").trainer()
    t.set_learning_rate(10.0)
    t.run(60)  # diverges: w − 4 grows 599-fold a step
    trail = [(s.w, s.loss) for s in t.score_history()]
    w = W.get(t.params)
    assert abs(w) > 1e150
    c = weight_curve(t, W, w, trail, None)
    finite = [v for v, _ in trail if np.isfinite(v)]
    assert c.grid[0] <= min(finite) and c.grid[-1] >= max(finite)
    assert c.lowest[0] == pytest.approx(4, abs=1e-5)
