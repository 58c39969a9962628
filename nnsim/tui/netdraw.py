"""A small network drawn node by node: columns of nodes joined by box-drawing edges.

Every edge has a row of its own between two columns of nodes, the edges of one source node
together (its fan-out is a short vertical trunk), and every target node has a vertical lane that
its edges join and that turns into the node's row:

    input                    hidden (tanh)                 output
    x1 0 ─┬─ +0.0236 ──┐
          └─ +0.901 ───┼─┐
    x2 1 ─┬─ −0.712 ───┼─┼─▶ h1 −0.0562 ──── +0.140 ───┐
          └─ +0.897 ───┼─┤   δ  −0.0408                ├─▶ y′ −0.829
    x3 0 ─┬─ −0.376 ───┤ │   b  0                      │   δ  −0.292
          └─ −0.153 ───┼─┼─▶ h2 +0.614 ───── −1.34 ────┘   b  0
    x4 1 ─┬─ +0.655 ───┘ │   δ  +0.243                     y  0.631
          └─ −0.182 ─────┘   b  0

Crossings are drawn ┼; a lane's joins are ┤ ┐ ┘, its turn into the node ├ ┬ ┴ ┼.

The geometry (which row each edge, lane and node takes) depends only on the layer sizes and is
planned once per architecture; the numbers are filled in on every draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

from ..engine import ParamRef, Phase, Trainer
from ..present import fmt, node_names
from .art import BOLD, DIM, REVERSE, value_style

U, D, L, R = 1, 2, 4, 8  # the arms of a box-drawing cell
BOX = {
    0: " ",
    L: "─",
    R: "─",
    L | R: "─",
    U: "│",
    D: "│",
    U | D: "│",
    D | R: "┌",
    D | L: "┐",
    U | R: "└",
    U | L: "┘",
    U | D | R: "├",
    U | D | L: "┤",
    L | R | D: "┬",
    L | R | U: "┴",
    U | D | L | R: "┼",
}

LABEL = 8  # cells of a number: sign and three significant digits ("+0.104", "−0.00123", "+1.23e-4")
MAX_EDGES = 32  # edges between two layers drawn one a row; more and the compact drawing is used


def num(value: float, width: int = LABEL) -> str:
    """A number with its sign always printed (− for minus) and three significant digits, at most ``width`` cells.

    Trailing zeros are kept (+0.630, +2.00) so that the digits printed are the digits known; small
    and large numbers are printed in exponent form (+1.23e-4), with fewer digits when they do not fit.
    """
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+inf" if value > 0 else "−inf"
    if value == 0:
        return "0"
    sign = "+" if value > 0 else "−"
    a = abs(value)
    text = f"{a:#.3g}".rstrip(".")
    if "e" in text or len(text) + 1 > width:
        for digits in (2, 1, 0):
            mantissa, exponent = f"{a:.{digits}e}".split("e")
            text = f"{mantissa}e{int(exponent)}"
            if len(text) + 1 <= width:
                break
    return sign + text


@dataclass(frozen=True)
class Gap:
    """The edges between layer ``l`` (sources) and layer ``l + 1`` (targets), in rows of the drawing."""

    edge_rows: tuple[tuple[int, ...], ...]  # [i][j]: the row of the edge from source i to target j
    trunks: tuple[tuple[int, int], ...]  # per source: its trunk's first and last row
    lane_pos: tuple[int, ...]  # per target: its lane's place from the left (0 = leftmost)
    lanes: tuple[tuple[int, int], ...]  # per target: its lane's first and last row


@dataclass(frozen=True)
class Plan:
    rows: tuple[tuple[int, ...], ...]  # per layer, per node: the row of its name
    gaps: tuple[Gap, ...]
    height: int  # rows of the drawing
    cost: float  # how far the nodes sit from the middle of their edges (smaller reads better)


@lru_cache(maxsize=64)
def plan(sizes: tuple[int, ...], block: int) -> Plan | None:
    """Rows for every node, edge and lane of a network with these layer sizes, or None when it is too big.

    ``block`` is the number of rows a node after the input takes (its value, its δ, its bias);
    an output node takes one more (its target).
    Several arrangements are tried (lanes in either order, input groups apart or together) and
    the lowest drawing wins.
    """
    if len(sizes) < 2 or any(a * b > MAX_EDGES for a, b in zip(sizes, sizes[1:])):
        return None
    best: Plan | None = None
    for descending in (False, True):
        for spread in (0, 1):
            p = _build(sizes, block, descending, spread)
            if p is not None and (best is None or (p.height, p.cost) < (best.height, best.cost)):
                best = p
    return best


def _build(sizes: tuple[int, ...], block: int, descending: bool, spread: int) -> Plan | None:
    rows: list[tuple[int, ...]] = [tuple(i * (sizes[1] + spread) for i in range(sizes[0]))]
    gaps: list[Gap] = []
    total_cost = 0.0
    bottom = rows[0][-1]
    for layer in range(len(sizes) - 1):
        n_s, n_t = sizes[layer], sizes[layer + 1]
        src = rows[layer]
        edge_rows = []
        trunks = []
        prev = -1
        for i in range(n_s):
            if src[i] <= prev:
                return None
            edge_rows.append(tuple(src[i] + j for j in range(n_t)))
            trunks.append((src[i], src[i] + n_t - 1))
            prev = src[i] + n_t - 1
        lane_pos = tuple(n_t - 1 - j if descending else j for j in range(n_t))
        target_of = {r: j for e in edge_rows for j, r in enumerate(e)}
        last_edge = max(target_of)
        n_next = sizes[layer + 2] if layer + 2 < len(sizes) else 1
        rows_here = block + 1 if layer + 2 == len(sizes) else block  # an output has its target under it
        space = max(rows_here, n_next)
        states: list[tuple[float, tuple[int, ...]]] = [(0.0, ())]
        for j in range(n_t):
            joins = [e[j] for e in edge_rows]
            middle = sum(joins) / len(joins)
            grown: list[tuple[float, tuple[int, ...]]] = []
            for cost, chosen in states:
                low = chosen[-1] + space if chosen else 0
                for row in range(low, max(low, last_edge) + 3):
                    other = target_of.get(row)
                    if other is not None and lane_pos[other] > lane_pos[j]:
                        continue  # that edge runs on to a lane right of this one: the turn would run over it
                    penalty = 0.0 if other == j else 0.4 if other is None else 0.8
                    grown.append((cost + abs(row - middle) + penalty, (*chosen, row)))
            grown.sort(key=lambda s: s[1][-1] + s[0] * 0.5)
            states = grown[:48]
        if not states:
            return None
        cost, exits = min(states, key=lambda s: (max(s[1][-1] + rows_here - 1, last_edge, bottom), s[0]))
        total_cost += cost
        lanes = tuple(
            (min(*(e[j] for e in edge_rows), exits[j]), max(*(e[j] for e in edge_rows), exits[j])) for j in range(n_t)
        )
        gaps.append(Gap(tuple(edge_rows), tuple(trunks), lane_pos, lanes))
        rows.append(exits)
        bottom = max(bottom, last_edge, exits[-1] + rows_here - 1)
    return Plan(tuple(rows), tuple(gaps), bottom + 1, total_cost)


def gap_width(n_targets: int, label: int = LABEL) -> int:
    """Cells of the edges between two node columns: connector, trunk, label, lanes, arrow."""
    return label + 2 * n_targets + 8


def lane_x(pos: int, label: int = LABEL) -> int:
    return label + 6 + 2 * pos


Cell = tuple[str, Style | None]
Seg = Cell


class Grid:
    """A canvas of cells, each a character with a style; lines are joined by their arms."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.arms = [[0] * width for _ in range(height)]
        self.chars: list[list[str | None]] = [[None] * width for _ in range(height)]
        self.styles: list[list[Style | None]] = [[None] * width for _ in range(height)]
        self.meta: list[list[Style | None]] = [[None] * width for _ in range(height)]

    def arm(self, row: int, x: int, arms: int, style: Style | None = None) -> None:
        self.arms[row][x] |= arms
        if style is not None:
            self.styles[row][x] = style

    def hline(self, row: int, x0: int, x1: int, style: Style | None = None) -> None:
        """Arms left and right on the cells strictly between x0 and x1, and toward them at both ends."""
        self.arm(row, x0, R, style)
        for x in range(x0 + 1, x1):
            self.arm(row, x, L | R, style)
        self.arm(row, x1, L, style)

    def vline(self, x: int, y0: int, y1: int, style: Style | None = None) -> None:
        for y in range(y0, y1 + 1):
            self.arm(y, x, (U if y > y0 else 0) | (D if y < y1 else 0), style)

    def put(self, row: int, x: int, text: str, style: Style | None) -> None:
        for k, ch in enumerate(text):
            self.chars[row][x + k] = ch
            self.styles[row][x + k] = style

    def click(self, row: int, x0: int, x1: int, meta: Style) -> None:
        """Clicking any cell from x0 to x1 inclusive does what ``meta`` says."""
        for x in range(x0, x1 + 1):
            self.meta[row][x] = meta

    def paint(self, row: int, x: int, style: Style) -> None:
        """Draw the lines of this cell in ``style`` (a highlighted path)."""
        if self.chars[row][x] is None:
            self.styles[row][x] = style

    def line(self, row: int, line_style: Style) -> list[Cell]:
        out: list[Cell] = []
        for x in range(self.width):
            ch = self.chars[row][x]
            style = self.styles[row][x]
            if ch is None:
                ch = BOX[self.arms[row][x]]
                style = style if style is not None else (line_style if ch != " " else None)
            meta = self.meta[row][x]
            if meta is not None:
                style = meta if style is None else style + meta
            out.append((ch, style))
        return out


def join(cells: list[Cell]) -> Text:
    """Cells as one Text, a span per run of equal styles."""
    text = Text(no_wrap=True, end="")
    run: list[str] = []
    style: Style | None = None
    for ch, s in cells:
        if s is not style and run:
            text.append("".join(run), style)
            run = []
        style = s
        run.append(ch)
    if run:
        text.append("".join(run), style)
    return text


def width_of(segments: list[tuple[str, Style | None]]) -> int:
    return sum(cell_len(t) for t, _ in segments)


# ----- the numbers a drawing shows ------------------------------------------------------------


@dataclass
class Shown:
    """What is known for one sample: each layer's values and (after backprop) each layer's δ."""

    values: list[np.ndarray | None]  # per layer; the inputs whenever a sample is chosen
    deltas: list[np.ndarray | None]  # per layer (None for the inputs): dL/dz of this sample's share
    targets: np.ndarray | None = None  # the sample's targets y, whenever a sample is chosen


def shown(trainer: Trainer, sample: int | None, after_update: bool = False) -> Shown:
    """The values of the last forward pass for ``sample`` while they are current (``after_update``: also then)."""
    n = len(trainer.arch.sizes)
    out = Shown([None] * n, [None] * n)
    if sample is None or not 0 <= sample < len(trainer.data):
        return out
    out.values[0] = trainer.data.x[sample]
    out.targets = trainer.data.y[sample]
    fp, phase = trainer.forward_pass, trainer.last_phase
    current = phase in (Phase.FORWARD, Phase.LOSS, Phase.BACKWARD) or (after_update and phase == Phase.UPDATE)
    if fp is None or not current:
        return out
    where = np.flatnonzero(fp.rows == sample)
    if not where.size:
        return out
    k = int(where[0])
    for layer, a in enumerate(fp.a):
        out.values[layer] = a[k]
    grads = trainer.gradients
    if phase == Phase.BACKWARD and grads is not None:
        for layer in range(1, n):
            out.deltas[layer] = grads.deltas[layer - 1][k]
    return out


def click(ref: ParamRef) -> Style:
    """Clicking selects ``ref``, as choosing its row in the parameters table does."""
    return _click(ref.kind, ref.layer, ref.index)


@lru_cache(maxsize=4096)
def _click(kind: str, layer: int, index: tuple[int, ...]) -> Style:
    key = f"{kind}:{layer}:{':'.join(map(str, index))}"
    return Style.from_meta({"@click": f"app.select_param('{key}')"})


def _number(value: float | None, scale: float = 1.0, width: int = LABEL) -> tuple[str, Style]:
    if value is None:
        return "·", DIM
    return num(value, width), value_style(float(value), scale)


def _scale(w: np.ndarray) -> float:
    finite = np.abs(w[np.isfinite(w)])
    return float(finite.max()) if finite.size else 1.0


def node_ref(arch_bias: bool, layer: int, k: int) -> ParamRef | None:
    """What clicking node k of ``layer`` selects: its bias, or its first incoming weight; nothing for an input."""
    if layer == 0:
        return None
    return ParamRef("b", layer - 1, (k,)) if arch_bias else ParamRef("w", layer - 1, (0, k))


def fed_node(ref: ParamRef | None) -> tuple[int, int] | None:
    """The node (layer, index) that a weight or bias feeds."""
    return None if ref is None else (ref.layer + 1, ref.index[-1])


PATH = Style(color="yellow", bold=True)  # the selected edge's way from its source to its node
LINES = DIM


def network(trainer: Trainer, known: Shown, selected: ParamRef | None, biases_inline: bool) -> list[Text] | None:
    """Nodes in columns, edges one a row: the title line, then the drawing's rows (and a line of biases).

    With ``biases_inline`` each node's bias is the third row of its block; otherwise the blocks
    are two rows (value, δ) and the biases follow on a line of their own. None when the network
    is too big for one row an edge.
    """
    arch, params = trainer.arch, trainer.params
    sizes = tuple(arch.sizes)
    n = len(sizes)
    has_bias = params.biases is not None
    block = 3 if has_bias and biases_inline else 2
    p = plan(sizes, block)
    if p is None:
        return None
    hot = fed_node(selected)
    # the node columns: per layer, row -> segments
    columns: list[dict[int, list[tuple[str, Style | None]]]] = []
    for layer in range(n):
        names = short_names(trainer, layer)
        marks = ["δ", "b"] if layer else []
        if layer == n - 1:
            marks.append("y")
        pw = max(cell_len(x) for x in [*names, *marks])
        col: dict[int, list[tuple[str, Style | None]]] = {}
        vals, deltas = known.values[layer], known.deltas[layer]
        for k, name in enumerate(names):
            r = p.rows[layer][k]
            ref = node_ref(has_bias, layer, k)
            name_style = BOLD + REVERSE if hot == (layer, k) else BOLD
            if ref is not None:
                name_style = name_style + click(ref)
            pad = " " * (pw - cell_len(name))
            if layer == 0:
                value = ("·", DIM) if vals is None else (present_num(vals[k]), BOLD)
            else:
                value = _number(None if vals is None else vals[k])
            col[r] = [(name, name_style), (pad + " ", None), value]
            if layer:
                col[r + 1] = [("δ".ljust(pw) + " ", DIM), _number(None if deltas is None else deltas[k])]
                if block == 3 and params.biases is not None:
                    b = float(params.biases[layer - 1][k])
                    bref = ParamRef("b", layer - 1, (k,))
                    text, style = _number(b)
                    style = style + click(bref) + (REVERSE if bref == selected else Style())
                    col[r + 2] = [("b".ljust(pw) + " ", DIM + click(bref)), (text, style)]
            if layer == n - 1:  # the target y under its output: δ starts from y′ − y
                value = ("·", DIM) if known.targets is None else (present_num(known.targets[k]), BOLD)
                col[r + block] = [("y".ljust(pw) + " ", DIM), value]
        columns.append(col)
    # a node's column is as wide as its numbers can be, so that the drawing keeps its shape from phase to phase
    widths = [
        max(
            [width_of(segs) for segs in col.values()]
            + ([cell_len(nm) + 1 + LABEL for nm in short_names(trainer, layer)] if layer else [])
        )
        for layer, col in enumerate(columns)
    ]
    grids = [_gap(trainer, p, layer, selected) for layer in range(n - 1)]
    # source rows whose connector is on the selected path
    hot_source = (selected.layer, selected.index[0]) if selected is not None and selected.kind == "w" else None
    lines: list[Text] = [_titles(trainer, widths, grids)]
    for r in range(p.height):
        segs: list[tuple[str, Style | None]] = []
        for layer in range(n):
            cell = columns[layer].get(r, [])
            segs.extend(cell)
            if layer == n - 1:
                break
            fill = widths[layer] - width_of(cell)
            if r in p.rows[layer]:
                k = p.rows[layer].index(r)
                segs.append((" ", None))
                segs.append(("─" * fill, PATH if hot_source == (layer, k) else LINES))
            else:
                segs.append((" " * (fill + 1), None))
            segs.extend(grids[layer].line(r, LINES))
        line = Text(no_wrap=True, end="")
        for text, seg_style in _merge(segs):
            line.append(text, seg_style)
        line.rstrip()
        lines.append(line)
    if has_bias and block == 2:
        lines.append(_bias_line(trainer, selected))
    return lines


NAME = 12  # cells of a node's name at most (a longer one is cut, with …)


def short_names(trainer: Trainer, layer: int) -> list[str]:
    """The nodes' names, each cut to NAME cells."""
    out = []
    for name in node_names(trainer, layer):
        if cell_len(name) > NAME:
            while cell_len(name) > NAME - 1:
                name = name[:-1]
            name += "…"
        out.append(name)
    return out


def present_num(value: float, width: int = LABEL) -> str:
    """An input as the data has it: up to three significant digits, − for minus, at most ``width`` cells."""
    text = fmt(float(value), 3).replace("-", "−")
    return text if len(text) <= width else num(value, width).lstrip("+")


def _merge(segs: list[tuple[str, Style | None]]) -> list[tuple[str, Style | None]]:
    out: list[tuple[str, Style | None]] = []
    for text, style in segs:
        if not text:
            continue
        if out and out[-1][1] is style:
            out[-1] = (out[-1][0] + text, style)
        else:
            out.append((text, style))
    return out


def _gap(trainer: Trainer, p: Plan, layer: int, selected: ParamRef | None) -> Grid:
    gap = p.gaps[layer]
    w = trainer.params.weights[layer]
    n_t = w.shape[1]
    gw = gap_width(n_t)
    grid = Grid(gw, p.height)
    scale = _scale(w)
    exits = p.rows[layer + 1]
    for top, bottom in gap.trunks:
        grid.arm(top, 0, L | R)
        grid.arm(top, 1, L)
        grid.vline(1, top, bottom)
    for j, (top, bottom) in enumerate(gap.lanes):
        x = lane_x(gap.lane_pos[j])
        grid.vline(x, top, bottom)
        grid.arm(exits[j], x, R)
        for xx in range(x + 1, gw - 2):
            grid.arm(exits[j], xx, L | R)
        grid.put(exits[j], gw - 2, "▶", None)
    for i, row_of in enumerate(gap.edge_rows):
        for j, r in enumerate(row_of):
            x = lane_x(gap.lane_pos[j])
            grid.hline(r, 1, x)
            ref = ParamRef("w", layer, (i, j))
            text, style = _number(float(w[i, j]), scale)
            meta = click(ref)
            style = style + meta + (REVERSE if ref == selected else Style())
            grid.put(r, 3, " ", None)
            grid.put(r, 4, text, style)
            grid.put(r, 4 + len(text), " ", None)
            grid.click(r, 2, x, meta)
    if selected is not None and selected.layer == layer:
        j = selected.index[-1]
        x, e = lane_x(gap.lane_pos[j]), exits[j]
        if selected.kind == "w":
            i = selected.index[0]
            r, top = gap.edge_rows[i][j], gap.trunks[i][0]
            for y in range(top, r + 1):
                grid.paint(y, 1, PATH)
            grid.paint(top, 0, PATH)
            for xx in range(1, x + 1):
                grid.paint(r, xx, PATH)
            for y in range(min(r, e), max(r, e) + 1):
                grid.paint(y, x, PATH)
        for xx in range(x, gw - 1):
            grid.paint(e, xx, PATH)
        grid.styles[e][gw - 2] = PATH
    return grid


def _titles(trainer: Trainer, widths: list[int], grids: list[Grid]) -> Text:
    """The layers' names above their columns (a name longer than its column runs on over the edges)."""
    n = len(widths)
    starts = []
    x = 0
    for layer in range(n):
        starts.append(x)
        if layer < n - 1:
            x += widths[layer] + 1 + grids[layer].width
    total = x + widths[-1]
    line = Text(no_wrap=True, end="")
    cursor = 0
    for layer in range(n):
        title = layer_title(trainer, layer)
        start = starts[layer]
        if layer == n - 1 and start + len(title) > total:
            start = max(total - len(title), cursor + 1)
        start = max(start, cursor + 1 if layer else 0)
        line.append(" " * (start - cursor))
        line.append(title, BOLD)
        cursor = start + len(title)
    return line


def layer_title(trainer: Trainer, layer: int) -> str:
    last = len(trainer.arch.sizes) - 1
    if layer == 0:
        return "input"
    act = trainer.arch.output if layer == last else trainer.arch.hidden_activations()[layer - 1]
    name = "output" if layer == last else "hidden"
    return name if act == "identity" else f"{name} ({act})"


def _bias_line(trainer: Trainer, selected: ParamRef | None) -> Text:
    line = Text("biases:", style=DIM, no_wrap=True, end="")
    biases = trainer.params.biases
    assert biases is not None
    for layer, b in enumerate(biases):
        for k, name in enumerate(node_names(trainer, layer + 1)):
            ref = ParamRef("b", layer, (k,))
            text, style = _number(float(b[k]))
            line.append("  ")
            line.append(f"{name} ", BOLD + click(ref))
            line.append(text, style + click(ref) + (REVERSE if ref == selected else Style()))
    return line


# ----- the compact drawing: weight matrices between the layers --------------------------------

CELL = 7  # cells of a number in the compact drawing (one more for the space between)


def compact(trainer: Trainer, known: Shown, selected: ParamRef | None) -> list[Text]:
    """Layer by layer, one under the other: the nodes across (value, δ, bias), then the weights to the next layer.

    A weight matrix has a row per source node and a column per target node, in brackets; its
    columns line up with the next layer's nodes below it.
    """
    arch, params = trainer.arch, trainer.params
    n = len(arch.sizes)
    names = [short_names(trainer, layer) for layer in range(n)]
    lw = max(cell_len(x) for x in [*(nm for layer in names for nm in layer), "target"]) + 3
    step = max(CELL, *(cell_len(x) for layer in names for x in layer)) + 1
    hot = fed_node(selected)
    lines: list[Text] = []

    def row(
        label: str, label_style: Style | None, cells: Sequence[tuple[str, Style | None]], edges: str = "  "
    ) -> Text:
        line = Text(no_wrap=True, end="")
        line.append(label, label_style)
        line.append(" " * (lw - 2 - cell_len(label)))
        line.append(edges[0] + " ", LINES)
        for k, (text, style) in enumerate(cells):
            line.append(text, style)
            if k < len(cells) - 1:
                line.append(" " * (step - cell_len(text)))
        if edges[1] != " ":
            line.append(" " * (step - 1 - cell_len(cells[-1][0])) + " " + edges[1], LINES)
        line.rstrip()
        return line

    for layer in range(n):
        lines.append(Text(layer_title(trainer, layer), style=BOLD, no_wrap=True, end=""))
        heads = []
        for k, name in enumerate(names[layer]):
            ref = node_ref(params.biases is not None, layer, k)
            style = BOLD + (REVERSE if hot == (layer, k) else Style()) + (click(ref) if ref is not None else Style())
            heads.append((name, style))
        lines.append(row("", None, heads))
        vals = known.values[layer]
        if layer == 0:
            inputs = [("·", DIM)] * len(heads) if vals is None else [(present_num(v, CELL), BOLD) for v in vals]
            lines.append(row("value", DIM, inputs))
        else:
            lines.append(
                row("value", DIM, [_number(None if vals is None else vals[k], width=CELL) for k in range(len(heads))])
            )
            deltas = known.deltas[layer]
            lines.append(
                row("δ", DIM, [_number(None if deltas is None else deltas[k], width=CELL) for k in range(len(heads))])
            )
            if params.biases is not None:
                b = params.biases[layer - 1]
                cells = []
                for k in range(len(heads)):
                    ref = ParamRef("b", layer - 1, (k,))
                    text, style = _number(float(b[k]), width=CELL)
                    cells.append((text, style + click(ref) + (REVERSE if ref == selected else Style())))
                lines.append(row("b", DIM, cells))
        if layer == n - 1:
            targets = known.targets
            cells = [
                ("·", DIM) if targets is None else (present_num(targets[k], CELL), BOLD) for k in range(len(heads))
            ]
            lines.append(row("target", DIM, cells))
        if layer == n - 1:
            break
        w = params.weights[layer]
        scale = _scale(w)
        lines.append(
            Text(
                f"w[{layer}] (row: from, column: to)",
                style=DIM,
                no_wrap=True,
                end="",
            )
        )
        for i in range(w.shape[0]):
            cells = []
            for j in range(w.shape[1]):
                ref = ParamRef("w", layer, (i, j))
                text, style = _number(float(w[i, j]), scale, CELL)
                cells.append(
                    (num(float(w[i, j]), CELL), style + click(ref) + (REVERSE if ref == selected else Style()))
                )
            if w.shape[0] == 1:
                edges = "[]"
            else:
                edges = "┌┐" if i == 0 else "└┘" if i == w.shape[0] - 1 else "││"
            lines.append(row(names[layer][i], BOLD, cells, edges))
    return lines
