"""Text pictures of engine data: braille plots, heat maps, the network, a digit's image.

These only draw numbers that the engine produced; none of them computes training maths.
Every picture keeps its meaning without colour: signs and numbers are printed, and heat maps
use different glyphs for positive and negative weights.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from ..present import fmt

POS = Style(color="green")
NEG = Style(color="red")
DIM = Style(dim=True)
BOLD = Style(bold=True)
REVERSE = Style(reverse=True)

_BRAILLE_BASE = 0x2800
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][col] within a cell


def signed(value: float, digits: int = 3) -> str:
    text = fmt(value, digits)
    return text if text.startswith("-") or text in ("NaN", "0") else "+" + text


def value_style(value: float, scale: float = 1.0) -> Style:
    """Green for positive, red for negative; bold when large for the layer."""
    if not math.isfinite(value):
        return Style(color="red", bold=True, reverse=True)
    if value == 0:
        return DIM
    base = POS if value > 0 else NEG
    return base + BOLD if scale > 0 and abs(value) >= 0.5 * scale else base


class Canvas:
    """A grid of braille cells: each character holds 2 × 4 dots; a mark puts a whole glyph in a cell."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = max(width, 1), max(height, 1)
        self.cells = [[0] * self.width for _ in range(self.height)]
        self.styles: list[list[Style | None]] = [[None] * self.width for _ in range(self.height)]
        self.marks: dict[tuple[int, int], tuple[str, Style | None]] = {}

    @property
    def px(self) -> tuple[int, int]:
        return self.width * 2, self.height * 4

    def dot(self, x: int, y: int, style: Style | None = None) -> None:
        """Set the dot at pixel (x, y), y = 0 at the top."""
        if 0 <= x < self.width * 2 and 0 <= y < self.height * 4:
            cx, cy = x // 2, y // 4
            self.cells[cy][cx] |= _DOTS[y % 4][x % 2]
            if style is not None:
                self.styles[cy][cx] = style

    def mark(self, x: int, y: int, glyph: str, style: Style | None = None) -> None:
        """Show ``glyph`` (one cell wide) in the cell that holds pixel (x, y), over any dots."""
        if 0 <= x < self.width * 2 and 0 <= y < self.height * 4:
            self.marks[x // 2, y // 4] = (glyph, style)

    def line(self, x0: int, y0: int, x1: int, y1: int, style: Style | None = None, dotted: bool = False) -> None:
        """Dots from (x0, y0) to (x1, y1); ``dotted`` sets every other one (a second series without colour)."""
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        if steps > 4 * (self.width + self.height) * 4:  # far off the canvas: clip before walking
            x0, y0, x1, y1 = _clip(x0, y0, x1, y1, self.width * 2, self.height * 4)
            steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for k in range(0, steps + 1, 2 if dotted else 1):
            self.dot(round(x0 + (x1 - x0) * k / steps), round(y0 + (y1 - y0) * k / steps), style)

    def rows(self, default: Style | None = None) -> list[Runs]:
        """One line per row of cells: runs of blanks (unstyled) and of dots (``default`` or their own style).

        Blanks carry no style so that a screenshot's SVG does not merge them with the dots into one
        text element: viewers that ignore textLength (librsvg) draw braille from a fallback font,
        narrower than a cell, and a long merged run would drift to the left.
        """
        out = []
        for cy, (cells, styles) in enumerate(zip(self.cells, self.styles)):
            segments: list[Segment] = []
            blank = 0
            for cx, (c, s) in enumerate(zip(cells, styles)):
                marked = self.marks.get((cx, cy))
                if not c and marked is None:
                    blank += 1
                    continue
                if blank:
                    segments.append(Segment(" " * blank))
                    blank = 0
                if marked is not None:
                    segments.append(Segment(marked[0], marked[1]))
                else:
                    segments.append(Segment(chr(_BRAILLE_BASE + c), s or default))
            if blank:
                segments.append(Segment(" " * blank))
            out.append(Runs(segments))
        return out


def _clip(x0: int, y0: int, x1: int, y1: int, w: int, h: int) -> tuple[int, int, int, int]:
    """The part of a segment inside a margin around a w × h canvas (whole pixels; the ends move along it)."""
    lo_x, hi_x, lo_y, hi_y = -2, w + 1, -2, h + 1
    t0, t1 = 0.0, 1.0
    dx, dy = x1 - x0, y1 - y0
    for p, q in ((-dx, x0 - lo_x), (dx, hi_x - x0), (-dy, y0 - lo_y), (dy, hi_y - y0)):
        if p == 0:
            if q < 0:
                return -9, -9, -9, -9  # parallel to an edge and outside it
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
    if t0 > t1:
        return -9, -9, -9, -9
    return round(x0 + t0 * dx), round(y0 + t0 * dy), round(x0 + t1 * dx), round(y0 + t1 * dy)


class Runs:
    """One line of text in runs of one style each, drawn as it is (no wrapping, no markup).

    A Rich Text with a span per character makes Rich and Textual do their work once for every
    cell; a heat map or plot line is ready-made segments instead, one per run of equal styles.
    """

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments
        self.width = Segment.get_line_length(segments)

    def __add__(self, other: Runs) -> Runs:
        return Runs(self.segments + other.segments)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.width > options.max_width:
            yield from Segment.adjust_line_length(self.segments, options.max_width)
        else:
            yield from self.segments
        yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)


def _scale(values: np.ndarray, lo: float, hi: float, size: int) -> np.ndarray:
    span = hi - lo if hi > lo else 1.0
    with np.errstate(all="ignore"):
        return np.clip(np.round((values - lo) / span * (size - 1)), 0, size - 1).astype(int)


def pixel(value: float, lo: float, hi: float, size: int) -> int:
    """The pixel (0 … size − 1) of ``value`` on an axis from ``lo`` to ``hi``; beyond the ends it is
    off the canvas (−1 or ``size``, or further: a line towards it leaves at the right angle)."""
    span = hi - lo if hi > lo else 1.0
    p = (value - lo) / span * (size - 1)
    if not math.isfinite(p):
        return -(10**6) if p < 0 else 10**6
    return int(round(max(min(p, 10.0**6), -(10.0**6))))


@dataclass(frozen=True)
class Series:
    """Another line on a plot's axes: its points, its colour, dotted or not."""

    xs: Sequence[float] | np.ndarray
    ys: Sequence[float] | np.ndarray
    style: Style | None = None
    dotted: bool = False


@dataclass(frozen=True)
class Mark:
    """A glyph at a point of a plot (the current weight, the minimum, a past step)."""

    x: float
    y: float
    glyph: str
    style: Style | None = None


def y_labels(lo: float, hi: float, rows: int, text: Callable[[float], str], log: bool = False) -> list[str]:
    """The label of each row of a plot from ``hi`` (top) to ``lo`` (bottom): both ends, and every
    third row between them the value at that row's middle, so a point can be read off the axis."""
    labels = [""] * rows
    ph = rows * 4
    for k in range(rows):
        if k == 0:
            t = hi
        elif k == rows - 1:
            t = lo
        elif k % 3 == 0 and rows - 1 - k >= 2:
            t = hi - (4 * k + 1.5) / max(ph - 1, 1) * (hi - lo)
        else:
            continue
        with np.errstate(over="ignore"):
            labels[k] = text(float(np.power(10.0, t)) if log else t)
    return labels


def plot(
    xs: Sequence[float] | np.ndarray,
    ys: Sequence[float] | np.ndarray,
    width: int,
    height: int,
    *,
    title: str | Text = "",  # a Text may colour its words like the series they name
    log: bool | None = None,
    marker: tuple[float, float] | None = None,
    tangent: float | None = None,
    style: Style | None = None,
    empty: str = "no points yet",
    extra: Sequence[Series] = (),
    marks: Sequence[Mark] = (),
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    y_text: Callable[[float], str] | None = None,
) -> list[Text | Runs]:
    """A line plot with its y axis on the left (labelled at both ends and every third row) and
    its x range underneath, one item a line.

    ``log`` plots log10(y) (chosen automatically when y spans more than two decades);
    ``marker`` is a point to highlight and ``tangent`` the slope of a line through it;
    ``extra`` are more lines on the same axes, ``marks`` glyphs at points; ``x_range`` and
    ``y_range`` fix the axes (default: the points' range), ``y_text`` writes a y label;
    ``empty`` says why there is nothing to plot when there are no points.
    Labels are as wide as they need: a number is never cut.
    """
    y_text = y_text or (lambda v: fmt(v, 3))
    height = max(height - 1 - (1 if title else 0), 2)
    series = [Series(xs, ys, style), *extra]
    arrays = []
    for s in series:
        x, y = np.asarray(s.xs, dtype=float), np.asarray(s.ys, dtype=float)
        arrays.append((x, y))
    every_x = np.concatenate([x for x, _ in arrays]) if arrays else np.empty(0)
    every_y = np.concatenate([y for _, y in arrays]) if arrays else np.empty(0)
    ok = np.isfinite(every_x) & np.isfinite(every_y)
    overflowed = len(every_x) > 0 and not ok.any()
    lines: list[Text | Runs] = []
    if title:
        head = title[:width] if isinstance(title, Text) else Text(title[:width])
        head.stylize(BOLD)
        head.no_wrap = True
        lines.append(head)
    if not ok.any():
        why = "every value overflowed to inf or NaN" if overflowed else empty
        lines.append(Text(f"(nothing to plot: {why})", style=DIM))
        return lines
    fx, fy = every_x[ok], every_y[ok]
    positive = bool((fy > 0).all())
    if log is None:
        log = y_range is None and positive and fy.max() / fy.min() > 100
    log = bool(log and positive)
    if y_range is not None:
        ylo, yhi = y_range
    else:
        ylo, yhi = float(fy.min()), float(fy.max())
        if log:
            ylo, yhi = math.log10(ylo), math.log10(yhi)
        if yhi == ylo:
            pad = 1.0 if ylo == 0 or log else abs(ylo) * 0.5
            ylo, yhi = ylo - pad, yhi + pad
    xlo, xhi = x_range if x_range is not None else (float(fx.min()), float(fx.max()))
    if log and y_range is None:
        # the ends are the data's own values (10**log10(max) may overflow or round)
        top, bottom = y_text(float(fy.max())), y_text(float(fy.min()))
        if fy.max() == fy.min():
            top, bottom = y_text(float(np.power(10.0, yhi))), y_text(float(np.power(10.0, ylo)))
    else:
        top, bottom = y_text(yhi), y_text(ylo)
    labels = y_labels(ylo, yhi, height, y_text, log)
    labels[0], labels[-1] = top, bottom
    if log and height > 2 and not labels[1]:
        labels[1] = "log"
    label_w = max(len(label) for label in labels) + 1
    plot_w = max(width - label_w - 1, 4)
    canvas = Canvas(plot_w, height)
    pw, ph = canvas.px

    def to_px(x: float, y: float) -> tuple[int, int]:
        yt = (math.log10(y) if y > 0 else -math.inf) if log else y
        return pixel(x, xlo, xhi, pw), (ph - 1) - pixel(yt, ylo, yhi, ph)

    # the extra (dotted) series first: where they share a cell, the main series keeps its colour
    for s, (x, y) in reversed(list(zip(series, arrays))):
        keep = np.isfinite(x) & np.isfinite(y)
        points = [to_px(a, b) for a, b in zip(x[keep].tolist(), y[keep].tolist())]
        if len(points) == 1:
            canvas.dot(*points[0], s.style)
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            canvas.line(x0, y0, x1, y1, s.style, s.dotted)
    if marker is not None and all(math.isfinite(v) for v in marker):
        mx, my = marker
        if tangent is not None and math.isfinite(tangent) and not log:
            span = (xhi - xlo) * 0.15
            for k in range(-12, 13):
                tx = mx + span * k / 12
                ty = my + tangent * (tx - mx)
                if xlo <= tx <= xhi and ylo <= ty <= yhi:
                    canvas.dot(*to_px(tx, ty), Style(color="yellow"))
        cx, cy = to_px(mx, my)
        for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1), (-1, 0), (0, -1)):
            canvas.dot(cx + dx, cy + dy, Style(color="yellow", bold=True))
    for m in marks:
        if math.isfinite(m.x) and math.isfinite(m.y):
            canvas.mark(*to_px(m.x, m.y), m.glyph, m.style)
    rows = canvas.rows(style)
    for label, row in zip(labels, rows):
        lines.append(Runs([Segment(label.rjust(label_w) + "┤", DIM)]) + row)
    left, right = fmt(xlo, 4), fmt(xhi, 4)
    if len(left) + len(right) + 2 > plot_w:
        left, right = fmt(xlo, 2), fmt(xhi, 2)
    # the last column stays free: a number against a pane's edge reads as cut
    axis = left + " " * max(plot_w - 1 - len(left) - len(right), 1) + right
    lines.append(Text(" " * (label_w + 1) + axis, style=DIM, no_wrap=True))
    return lines


_POS_GLYPHS = " ·+*#"
_NEG_GLYPHS = " ·-=≡"
_HEAT_CHARS = _POS_GLYPHS + _NEG_GLYPHS + "!"
_HEAT_STYLES = [
    *(POS if level >= 2 else POS + DIM for level in range(5)),
    *(NEG if level >= 2 else NEG + DIM for level in range(5)),
    Style(color="red", bold=True, reverse=True),  # not a number
]


def heat_map(matrix: np.ndarray, max_width: int | None = None) -> list[Runs]:
    """One line per column of the matrix (a target node), one glyph per source node.

    Glyph and colour encode sign and magnitude relative to the largest |w|: + * # for positive,
    - = ≡ for negative.
    """
    m = np.asarray(matrix, dtype=float)
    if max_width is not None:
        m = m[:max_width]
    ok = np.isfinite(m)
    finite = np.abs(m[ok])
    scale = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    with np.errstate(invalid="ignore"):
        levels = np.minimum((np.abs(np.where(ok, m, 0.0)) / scale * 4 + 0.5).astype(int), 4)
    codes = np.where(m >= 0, levels, 5 + levels)  # an index into _HEAT_CHARS and _HEAT_STYLES
    codes[~ok] = 10
    lines = []
    for col in codes.T:
        cuts = [0, *(np.flatnonzero(np.diff(col)) + 1).tolist(), len(col)]
        lines.append(
            Runs([Segment(_HEAT_CHARS[col[a]] * (b - a), _HEAT_STYLES[col[a]]) for a, b in itertools.pairwise(cuts)])
        )
    return lines


_SHADES = " ░▒▓█"


def image(pixels: np.ndarray, side: int = 8) -> list[Text]:
    """A side × side image with values in 0..1, two characters per pixel."""
    img = np.asarray(pixels, dtype=float).reshape(side, side)
    hi = img.max() if img.max() > 0 else 1.0
    out = []
    for row in img:
        t = Text()
        for v in row:
            t.append(_SHADES[min(int(v / hi * 4 + 0.5), 4)] * 2)
        out.append(t)
    return out


def bars(values: np.ndarray, labels: Sequence[str], width: int = 12, target: int | None = None) -> list[Text]:
    """Horizontal bars for outputs in 0..1 (softmax), with the value printed."""
    out = []
    best = int(np.nanargmax(values)) if np.isfinite(values).any() else -1
    for k, (v, label) in enumerate(zip(values, labels)):
        n = int(np.rint(min(max(v, 0.0), 1.0) * width))
        style = BOLD if k == best else DIM
        mark = "◀ y" if k == target else ""
        out.append(
            Text(f"{label:>3} ") + Text("█" * n + "·" * (width - n), style=style) + Text(f" {fmt(v, 2):>5} {mark}")
        )
    return out
