"""Pictures of what the model computes, drawn from numbers the engine produced (Rich only).

- ``curve_plot``: one input: the samples as points and the model's curve y′(x)
- ``plane_map``: two inputs: the output over the input plane in half-block cells (two pixels a
  cell: ▀ with the upper pixel's colour in front and the lower one's behind), the samples on top
- ``fit_plot``: more inputs: y′ against y for every row, with the diagonal y′ = y
- ``confusion_table``: a classifier's counts, actual class × predicted class
- ``accuracy_text``: "accuracy 7/10 = 70%"

Each takes a colour mode: "truecolor", "256", "16" or "none" (NO_COLOR: no colour at all; the
map's levels are shading glyphs and every picture keeps its meaning in its glyphs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from ..present import fmt
from .art import BOLD, DIM, Canvas, Runs, pixel, y_labels

Mode = Literal["truecolor", "256", "16", "none"]
MODES: tuple[Mode, ...] = ("truecolor", "256", "16", "none")
Line = Text | Runs


def colour_mode(color_system: str | None, no_color: bool) -> Mode:
    """The mode for a terminal: Rich's console.color_system ("truecolor", "256", "standard",
    "windows" or None) and whether NO_COLOR is set (Textual's App.no_color)."""
    if no_color or color_system is None:
        return "none"
    if color_system == "truecolor":
        return "truecolor"
    return "256" if color_system == "256" else "16"


def percent(share: float | None) -> str:
    """A share 0…1 as a percentage: 0.7 → "70%", 0.8765 → "87.7%"; never 100% before every row is right."""
    if share is None:
        return "–"
    text = f"{100 * share:.1f}".removesuffix(".0")
    return ("99.9" if text == "100" and share < 1 else text) + "%"


def accuracy_text(
    label: str, train: tuple[int, int], test: tuple[int, int] | None = None, width: int = 1000
) -> list[Text]:
    """ "accuracy now: 7/10 = 70% · test 3/4 = 75%": rows right out of rows, over the training set
    (and the held-out rows); the test part on a line of its own when one line is too narrow."""
    right, n = train
    share = percent(right / n if n else None)
    counts = f"{right}/{n} = {share}"
    # narrower and narrower forms: the numbers are never cut (the words go first, then the counts)
    firsts = [f"{label}: {counts}", f"accuracy {counts}", f"acc {counts}", f"acc {share}"]
    parts = [firsts[0]]
    tests: list[str] = []
    if test is not None:
        right, n = test
        tests = [f"test {right}/{n} = {percent(right / n if n else None)}", f"test {percent(right / n if n else None)}"]
        parts.append(tests[0])
    joined = " · ".join(parts)
    if len(joined) <= width:
        return [Text(joined, style=BOLD, no_wrap=True)]
    texts = [next((f for f in firsts if len(f) <= width), firsts[-1])]
    if tests:
        texts.append(next((f"  {f}" for f in tests if len(f) + 2 <= width), f"  {tests[-1]}"))
    return [Text(t, style=BOLD, no_wrap=True) for t in texts]


def padded(lo: float, hi: float, share: float = 0.1) -> tuple[float, float]:
    """A range from lo to hi with a margin of ``share`` of its span each side (±1, or half the value,
    around a single value)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return -1.0, 1.0
    if hi <= lo:
        pad = max(abs(lo) * 0.5, 1.0)
        return lo - pad, hi + pad
    pad = (hi - lo) * share
    return lo - pad, hi + pad


def outputs_range(data: np.ndarray, outputs: np.ndarray) -> tuple[float, float]:
    """A y range for the data with a margin, widened to hold the model's outputs, but by at most
    the data's span each side (a runaway model leaves the plot instead of squashing the data)."""
    finite = data[np.isfinite(data)]
    lo, hi = padded(float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    span = hi - lo
    out = outputs[np.isfinite(outputs)]
    if out.size:
        lo = max(min(lo, float(out.min())), lo - span)
        hi = min(max(hi, float(out.max())), hi + span)
    return lo, hi


# ----- one input: the samples and the curve ------------------------------------------------------
def curve_plot(
    samples: tuple[np.ndarray, np.ndarray],
    curve: tuple[np.ndarray, np.ndarray],
    width: int,
    height: int,
    mode: Mode,
    *,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    title: str = "",
    names: tuple[str, str] = ("x", "y"),
    selected: int | None = None,
) -> list[Line]:
    """The samples (x, y) as ● and the model's curve y′(x) in braille dots, with labelled axes.

    The curve is drawn through the points ``curve`` (x values and the model's y′ at them, in
    order); the parts outside ``y_range`` leave the plot.
    """
    colour = mode != "none"
    line_style = Style(color="cyan") if colour else None
    point_style = Style(color="yellow", bold=True) if colour else None
    lines: list[Line] = []
    if title:
        lines.append(Text(title, style=BOLD, no_wrap=True, overflow="ellipsis"))
    rows = max(height - len(lines) - 2, 2)
    label_w, canvas = _frame(width, rows, y_range)
    pw, ph = canvas.px
    (xlo, xhi), (ylo, yhi) = x_range, y_range
    gx, gy = curve
    previous = None
    for a, b in zip(np.asarray(gx, dtype=float).tolist(), np.asarray(gy, dtype=float).tolist()):
        if not (math.isfinite(a) and math.isfinite(b)):
            previous = None
            continue
        here = pixel(a, xlo, xhi, pw), (ph - 1) - pixel(b, ylo, yhi, ph)
        if previous is not None:
            canvas.line(*previous, *here, line_style)
        else:
            canvas.dot(*here, line_style)
        previous = here
    sx, sy = samples
    for k, (a, b) in enumerate(zip(np.asarray(sx, dtype=float).tolist(), np.asarray(sy, dtype=float).tolist())):
        style = point_style
        if k == selected:
            style = (style or Style()) + Style(reverse=True)
        canvas.mark(pixel(a, xlo, xhi, pw), (ph - 1) - pixel(b, ylo, yhi, ph), "●", style)
    lines += _with_y_axis(canvas.rows(line_style), label_w, y_range)
    lines.append(_x_axis(label_w, canvas.width, x_range, names[0]))
    legend = Text(no_wrap=True, overflow="ellipsis")
    legend.append("●", point_style or "")
    legend.append(f" samples ({names[0]}, {names[1]}) · ", DIM)
    legend.append("⠒⠒", line_style or "")
    legend.append(f" the model's {names[1]}′({names[0]})", DIM)
    lines.append(legend)
    return lines


# ----- more inputs: y′ against y ----------------------------------------------------------------
def fit_plot(
    actual: np.ndarray,
    predicted: np.ndarray,
    width: int,
    height: int,
    mode: Mode,
    *,
    title: str = "",
    selected: int | None = None,
) -> list[Line]:
    """Every row as a point (y, y′), with the diagonal y′ = y where a perfect model puts them all."""
    colour = mode != "none"
    diagonal_style = Style(color="green") if colour else None
    point_style = Style(color="yellow", bold=True) if colour else None
    y = np.asarray(actual, dtype=float).reshape(-1)
    p = np.asarray(predicted, dtype=float).reshape(-1)
    lo, hi = outputs_range(y, p)
    lines: list[Line] = []
    if title:
        lines.append(Text(title, style=BOLD, no_wrap=True, overflow="ellipsis"))
    rows = max(height - len(lines) - 2, 2)
    label_w, canvas = _frame(width, rows, (lo, hi))
    pw, ph = canvas.px
    canvas.line(0, ph - 1 - pixel(lo, lo, hi, ph), pw - 1, ph - 1 - pixel(hi, lo, hi, ph), diagonal_style, True)
    outside = 0
    for k, (a, b) in enumerate(zip(y.tolist(), p.tolist())):
        if not (math.isfinite(b) and lo <= b <= hi):
            outside += 1
            continue
        style = point_style
        if k == selected:
            style = (style or Style()) + Style(reverse=True)
        canvas.mark(pixel(a, lo, hi, pw), (ph - 1) - pixel(b, lo, hi, ph), "●", style)
    lines += _with_y_axis(canvas.rows(diagonal_style), label_w, (lo, hi))
    lines.append(_x_axis(label_w, canvas.width, (lo, hi), "y"))
    legend = Text(no_wrap=True, overflow="ellipsis")
    legend.append("●", point_style or "")
    legend.append(" rows (y, y′ up) · ", DIM)
    legend.append("⠁⠄", diagonal_style or "")
    legend.append(" y′ = y", DIM)
    if outside:
        legend.append(f" · {outside} y′ off the plot", DIM)
    lines.append(legend)
    return lines


# ----- two inputs: the output over the plane ----------------------------------------------------
def map_layout(width: int, height: int, y_range: tuple[float, float], title: bool = True) -> tuple[int, int, int]:
    """(label width, columns, rows) of the map's cells in a picture of width × height."""
    label_w = max(len(fmt(y_range[0], 3)), len(fmt(y_range[1], 3))) + 1
    cols = max(width - label_w - 1, 2)
    rows = max(height - (1 if title else 0) - 2, 1)
    return label_w, cols, rows


def plane_grid(
    width: int, height: int, x_range: tuple[float, float], y_range: tuple[float, float], title: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The input plane at the map's pixels: x1 and x2 arrays of (2 × rows, columns), top row first
    (x2 high at the top); each pixel at its centre."""
    _, cols, rows = map_layout(width, height, y_range, title)
    (xlo, xhi), (ylo, yhi) = x_range, y_range
    xs = xlo + (np.arange(cols) + 0.5) / cols * (xhi - xlo)
    ys = yhi - (np.arange(2 * rows) + 0.5) / (2 * rows) * (yhi - ylo)
    return np.broadcast_to(xs, (2 * rows, cols)), np.broadcast_to(ys[:, None], (2 * rows, cols))


_LOW, _MID, _HIGH = (40, 90, 210), (50, 50, 50), (205, 55, 45)
_POINT_HIGH, _POINT_LOW = (255, 150, 130), (140, 190, 255)
_LOW_256 = (236, 17, 18, 19, 20)  # grey, then blues (0, 0, 95) … (0, 0, 215) of the colour cube
_HIGH_256 = (236, 52, 88, 124, 160)  # grey, then reds (95, 0, 0) … (215, 0, 0)
_SIXTEEN = ("bright_blue", "blue", "bright_black", "red", "bright_red")  # strong ends bright
_SHADES = " ░▒▓█"
_LEVELS = 32  # colour steps from the lowest output to the highest


def level_colour(t: float, mode: Mode) -> Color | None:
    """The map's colour for an output at ``t`` of the way from low (0, blue) to high (1, red)."""
    if mode == "none":
        return None
    if mode == "16":
        k = 0 if t < 0.2 else 1 if t < 0.45 else 2 if t <= 0.55 else 3 if t < 0.8 else 4
        return Color.parse(_SIXTEEN[k])
    end, share = (_LOW, (0.5 - t) / 0.5) if t < 0.5 else (_HIGH, (t - 0.5) / 0.5)
    if mode == "256":
        return Color.from_ansi((_LOW_256 if t < 0.5 else _HIGH_256)[round(share * 4)])
    return Color.from_rgb(*(round(m + (e - m) * share) for m, e in zip(_MID, end)))


def eight_bit(rgb: tuple[int, ...]) -> Color:
    """The nearest of the 256-colour palette's fixed colours (the 6×6×6 cube and the grey ramp, not
    the 16 whose look each terminal's theme decides)."""
    steps = (0, 95, 135, 175, 215, 255)
    cube = [min(range(6), key=lambda k: abs(steps[k] - c)) for c in rgb]
    best = 16 + 36 * cube[0] + 6 * cube[1] + cube[2]
    error = sum((steps[k] - c) ** 2 for k, c in zip(cube, rgb))
    grey = min(range(24), key=lambda k: sum((8 + 10 * k - c) ** 2 for c in rgb))
    if sum((8 + 10 * grey - c) ** 2 for c in rgb) < error:
        best = 232 + grey
    return Color.from_ansi(best)


def _point_colour(high: bool, mode: Mode) -> Color | None:
    if mode == "none":
        return None
    if mode == "16":
        return Color.parse("bright_white")
    rgb = _POINT_HIGH if high else _POINT_LOW
    return eight_bit(rgb) if mode == "256" else Color.from_rgb(*rgb)


def plane_map(
    values: np.ndarray,
    samples: tuple[np.ndarray, np.ndarray, np.ndarray],
    width: int,
    height: int,
    mode: Mode,
    *,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    levels: tuple[float, float] = (0.0, 1.0),
    title: str = "",
    names: tuple[str, str, str] = ("x1", "x2", "y"),
    selected: int | None = None,
) -> list[Line]:
    """The model's output at every pixel of the plane (``values`` from ``plane_grid``'s inputs), and
    the samples on top: ● where the target is high (class 1), ○ where it is low (class 0).

    ``levels`` are the outputs at the two ends of the colours (blue low, red high; the middle grey).
    Under NO_COLOR each cell shows its level as a shading glyph, ' ' low to '█' high.
    """
    label_w, cols, rows = map_layout(width, height, y_range, bool(title))
    v = np.asarray(values, dtype=float).reshape(2 * rows, cols)
    lo, hi = levels
    with np.errstate(all="ignore"):
        t = np.clip((v - lo) / (hi - lo if hi > lo else 1.0), 0.0, 1.0)
    q = np.where(np.isfinite(t), np.rint(t * _LEVELS), _LEVELS // 2).astype(int)
    cells: list[list[Segment]] = [[] for _ in range(rows)]
    colours: list[Color | None] = [level_colour(k / _LEVELS, mode) for k in range(_LEVELS + 1)]
    if mode == "none":
        shade = np.rint((q[0::2] + q[1::2]) / (2 * _LEVELS) * 4).astype(int)
        for r in range(rows):
            cells[r] = [Segment(_SHADES[k]) for k in shade[r].tolist()]
    else:
        styles: dict[tuple[int, int], Style] = {}
        for r in range(rows):
            row = cells[r]
            for a, b in zip(q[2 * r].tolist(), q[2 * r + 1].tolist()):
                style = styles.get((a, b))
                if style is None:
                    style = styles[a, b] = Style(color=colours[a], bgcolor=colours[b])
                row.append(Segment("▀", style))
    (xlo, xhi), (ylo, yhi) = x_range, y_range
    sx, sy, target = (np.asarray(a, dtype=float).reshape(-1) for a in samples)
    mid = (lo + hi) / 2
    point_styles: dict[tuple[bool, int, bool], Style] = {}
    for k, (a, b, c) in enumerate(zip(sx.tolist(), sy.tolist(), target.tolist())):
        if not (xlo <= a <= xhi and ylo <= b <= yhi):
            continue
        col = min(int((a - xlo) / (xhi - xlo) * cols), cols - 1)
        px = min(int((yhi - b) / (yhi - ylo) * 2 * rows), 2 * rows - 1)
        high = c > mid
        key = (high, int(q[px, col]), k == selected)
        style = point_styles.get(key)
        if style is None:
            fg = _point_colour(high, mode)
            style = Style(color=fg, bgcolor=colours[key[1]], bold=True) if mode != "none" else Style()
            if k == selected:
                style += Style(reverse=True) if mode == "none" else Style(underline=True)
            point_styles[key] = style
        cells[px // 2][col] = Segment("●" if high else "○", style)
    labels = ["" for _ in range(rows)]
    labels[0], labels[-1] = fmt(yhi, 3), fmt(ylo, 3)
    lines: list[Line] = []
    if title:
        lines.append(Text(title, style=BOLD, no_wrap=True, overflow="ellipsis"))
    for label, row_cells in zip(labels, cells):
        lines.append(Runs([Segment(label.rjust(label_w) + "│", DIM), *_merged(row_cells)]))
    lines.append(_x_axis(label_w, cols, x_range, f"{names[0]} →, {names[1]} ↑"))
    legend = Text(no_wrap=True, overflow="ellipsis")
    y = names[2]
    if mode == "none":
        legend.append(f"{y}′ {fmt(lo, 3)} [ ░▒▓█] {fmt(hi, 3)} · ● {y} > {fmt(mid, 3)} · ○ {y} < {fmt(mid, 3)}")
    else:
        legend.append(f"{y}′ ")
        legend.append(f"{fmt(lo, 3)} ", Style(color=level_colour(0.0, mode)))
        legend.append("▀", Style(color=level_colour(0.0, mode), bgcolor=level_colour(0.25, mode)))
        legend.append("▀", Style(color=level_colour(0.5, mode), bgcolor=level_colour(0.75, mode)))
        legend.append(f" {fmt(hi, 3)}", Style(color=level_colour(1.0, mode)))
        legend.append(" · ")
        legend.append("●", Style(color=_point_colour(True, mode), bold=True))
        legend.append(f" {y} > {fmt(mid, 3)} · ")
        legend.append("○", Style(color=_point_colour(False, mode), bold=True))
        legend.append(f" {y} < {fmt(mid, 3)}")
    lines.append(legend)
    return lines


def _merged(segments: list[Segment]) -> list[Segment]:
    """Neighbouring cells of the same style as one segment (fewer for Rich and Textual to handle)."""
    out: list[Segment] = []
    text, style = "", None
    for seg in segments:
        if seg.style is style and text:
            text += seg.text
            continue
        if text:
            out.append(Segment(text, style))
        text, style = seg.text, seg.style
    if text:
        out.append(Segment(text, style))
    return out


# ----- the confusion matrix ---------------------------------------------------------------------
def confusion_table(
    counts: np.ndarray, width: int, height: int, mode: Mode, labels: Sequence[str] | None = None
) -> list[Line]:
    """Counts of rows by actual class (one line each) and predicted class (one column each); the
    diagonal (the rows classified right) highlighted. A short notice when it does not fit."""
    m = np.asarray(counts)
    k = m.shape[0]
    names = list(labels) if labels is not None else [str(j) for j in range(k)]
    cell = max(max(len(str(int(m.max()))) if m.size else 1, max(len(n) for n in names)) + 1, 3)
    head_w = max(len(n) for n in names) + 1
    need_w, need_h = head_w + 1 + cell * k, k + 2
    title = "actual ↓ · predicted →"
    beside = need_w + 2 + len(title) < width  # the title beside the column names: one line less
    if beside:
        need_h -= 1
    if need_w > width or need_h > height:
        return [Text(f"(the confusion matrix needs {need_w}×{need_h}: m maximizes the pane)", style=DIM)]
    colour = mode != "none"
    right = Style(color="green", bold=True) if colour else Style(reverse=True)
    wrong = Style(color="red") if colour else Style()
    head = Text(" " * (head_w + 1) + "".join(n.rjust(cell) for n in names), style=DIM, no_wrap=True)
    lines: list[Line] = []
    if beside:
        head.append("  ").append(title, style=BOLD)
    else:
        lines.append(Text(title, style=BOLD, no_wrap=True, overflow="ellipsis"))
    lines.append(head)
    for i in range(k):
        segments = [Segment(names[i].rjust(head_w) + "│", DIM)]
        for j in range(k):
            v = int(m[i, j])
            text = str(v) if v else "·"
            style = right if i == j else wrong if v else DIM
            segments += [Segment(" " * (cell - len(text))), Segment(text, style)]
        lines.append(Runs(segments))
    return lines


# ----- shared frame -----------------------------------------------------------------------------
def _frame(width: int, rows: int, y_range: tuple[float, float]) -> tuple[int, Canvas]:
    labels = y_labels(y_range[0], y_range[1], rows, lambda v: fmt(v, 3))
    label_w = max(len(label) for label in labels) + 1
    return label_w, Canvas(max(width - label_w - 1, 4), rows)


def _with_y_axis(rows: list[Runs], label_w: int, y_range: tuple[float, float]) -> list[Line]:
    labels = y_labels(y_range[0], y_range[1], len(rows), lambda v: fmt(v, 3))
    return [Runs([Segment(label.rjust(label_w) + "┤", DIM)]) + row for label, row in zip(labels, rows)]


def _x_axis(label_w: int, cols: int, x_range: tuple[float, float], name: str) -> Text:
    left, right = fmt(x_range[0], 3), fmt(x_range[1], 3)
    gap = cols - 1 - len(left) - len(right)  # the last column stays free: a number at a pane's edge reads as cut
    middle = name.center(gap) if gap >= len(name) + 2 else " " * max(gap, 1)
    return Text(" " * (label_w + 1) + left + middle + right, style=DIM, no_wrap=True)
