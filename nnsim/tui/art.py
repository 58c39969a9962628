"""Text pictures of engine data: braille plots, heat maps, the network, a digit's image.

These only draw numbers that the engine produced; none of them computes training maths.
Every picture keeps its meaning without colour: signs and numbers are printed, and heat maps
use different glyphs for positive and negative weights.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

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
    """A grid of braille cells: each character holds 2 × 4 dots."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = max(width, 1), max(height, 1)
        self.cells = [[0] * self.width for _ in range(self.height)]
        self.styles: list[list[Style | None]] = [[None] * self.width for _ in range(self.height)]

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

    def line(self, x0: int, y0: int, x1: int, y1: int, style: Style | None = None) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for k in range(steps + 1):
            self.dot(round(x0 + (x1 - x0) * k / steps), round(y0 + (y1 - y0) * k / steps), style)

    def rows(self, default: Style | None = None) -> list[Runs]:
        """One line per row of cells: runs of blanks (unstyled) and of dots (``default`` or their own style).

        Blanks carry no style so that a screenshot's SVG does not merge them with the dots into one
        text element: viewers that ignore textLength (librsvg) draw braille from a fallback font,
        narrower than a cell, and a long merged run would drift to the left.
        """
        out = []
        for cells, styles in zip(self.cells, self.styles):
            segments: list[Segment] = []
            blank = 0
            for c, s in zip(cells, styles):
                if not c:
                    blank += 1
                    continue
                if blank:
                    segments.append(Segment(" " * blank))
                    blank = 0
                segments.append(Segment(chr(_BRAILLE_BASE + c), s or default))
            if blank:
                segments.append(Segment(" " * blank))
            out.append(Runs(segments))
        return out


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
    return np.clip(np.round((values - lo) / span * (size - 1)), 0, size - 1).astype(int)


def plot(
    xs: Sequence[float] | np.ndarray,
    ys: Sequence[float] | np.ndarray,
    width: int,
    height: int,
    *,
    title: str = "",
    log: bool | None = None,
    marker: tuple[float, float] | None = None,
    tangent: float | None = None,
    style: Style | None = None,
    empty: str = "no points yet",
) -> list[Text | Runs]:
    """A line plot with its y range on the left and x range underneath, one item a line.

    ``log`` plots log10(y) (chosen automatically when y spans more than two decades);
    ``marker`` is a point to highlight and ``tangent`` the slope of a line through it;
    ``empty`` says why there is nothing to plot when there are no points.
    """
    label_w = 9
    width = max(width - label_w - 1, 4)
    height = max(height - 1 - (1 if title else 0), 2)
    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    overflowed = len(x) > 0 and not ok.any()
    x, y = x[ok], y[ok]
    lines: list[Text | Runs] = []
    if title:
        lines.append(Text(title[: width + label_w + 1], style=BOLD, no_wrap=True))
    if len(x) == 0:
        why = "every value overflowed to inf or NaN" if overflowed else empty
        lines.append(Text(f"(nothing to plot: {why})", style=DIM))
        return lines
    positive = bool((y > 0).all())
    if log is None:
        log = positive and y.max() / y.min() > 100
    yt = np.log10(y) if log and positive else y
    ylo, yhi = float(yt.min()), float(yt.max())
    if yhi == ylo:
        ylo, yhi = ylo - 1, yhi + 1
    xlo, xhi = float(x.min()), float(x.max())
    canvas = Canvas(width, height)
    pw, ph = canvas.px
    px = _scale(x, xlo, xhi, pw)
    py = (ph - 1) - _scale(yt, ylo, yhi, ph)
    if len(px) == 1:
        canvas.dot(int(px[0]), int(py[0]), style)
    for k in range(len(px) - 1):
        canvas.line(int(px[k]), int(py[k]), int(px[k + 1]), int(py[k + 1]), style)
    if marker is not None and all(math.isfinite(v) for v in marker):
        mx, my = marker
        myt = math.log10(my) if log and positive and my > 0 else my
        if tangent is not None and math.isfinite(tangent) and not log:
            span = (xhi - xlo) * 0.15
            for k in range(-12, 13):
                tx = mx + span * k / 12
                ty = myt + tangent * (tx - mx)
                if xlo <= tx <= xhi and ylo <= ty <= yhi:
                    canvas.dot(
                        int(_scale(np.array([tx]), xlo, xhi, pw)[0]),
                        int((ph - 1) - _scale(np.array([ty]), ylo, yhi, ph)[0]),
                        Style(color="yellow"),
                    )
        cx = int(_scale(np.array([mx]), xlo, xhi, pw)[0])
        cy = int((ph - 1) - _scale(np.array([myt]), ylo, yhi, ph)[0])
        for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1), (-1, 0), (0, -1)):
            canvas.dot(cx + dx, cy + dy, Style(color="yellow", bold=True))
    top = fmt(10**yhi if log else yhi, 3)
    bottom = fmt(10**ylo if log else ylo, 3)
    rows = canvas.rows(style)
    for k, row in enumerate(rows):
        label = top if k == 0 else bottom if k == len(rows) - 1 else ("log" if log and k == 1 else "")
        lines.append(Runs([Segment(label.rjust(label_w - 1)[: label_w - 1] + " ┤", DIM)]) + row)
    axis = fmt(xlo, 4).ljust(width // 2) + fmt(xhi, 4).rjust(width - width // 2)
    lines.append(Text(" " * label_w + " " + axis, style=DIM))
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
