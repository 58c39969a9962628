"""The network drawn as text: nodes with their values and δ, edges with their weights.

Three drawings, by size: the one-weight network of the worked example on one line; a small
network (every layer up to eight nodes) node by node with box-drawing edges (``netdraw``), or as
weight matrices when that does not fit; a large one (digits) as pictures, its outputs first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text

from ..engine import Architecture, ParamRef, Phase, Trainer, param_refs
from ..present import param_ends
from ..text import visible
from . import netdraw
from .art import BOLD, DIM, REVERSE, heat_map, image, signed, value_style
from .netdraw import click, layer_title, num, shown

if TYPE_CHECKING:
    from .components.picture import PictureType

SMALL_LAYER = 8  # layers up to this size are drawn node by node
_layer_title = layer_title  # the names the rest of the app knew them by
_click = click


def node_values(trainer: Trainer, sample: int | None) -> list[np.ndarray | None]:
    """Each layer's activations for the dataset row ``sample`` while the last forward pass is current."""
    return shown(trainer, sample).values


def render(
    trainer: Trainer,
    sample: int | None,
    selected: ParamRef | None,
    width: int | None = None,
    height: int | None = None,
) -> PictureType:
    """The network for the pane's content size (None: unlimited); never wider than ``width`` when a drawing fits."""
    arch = trainer.arch
    if arch.n_params == 1:
        return _one_weight(trainer, sample)
    if max(arch.sizes) > SMALL_LAYER:
        return _large(trainer, sample, width)
    return _small(trainer, sample, selected, width, height)


# ----- moving the selection -------------------------------------------------------------------


def _layer_refs(arch: Architecture, layer: int) -> list[ParamRef]:
    """One layer of edges in drawing order: its weights source by source, then its biases."""
    return [r for r in param_refs(arch) if r.layer == layer]


def move(arch: Architecture, ref: ParamRef, direction: str) -> ParamRef:
    """The parameter next to ``ref`` in the drawing toward ``direction`` (up, down, left, right).

    Up and down step through one layer of edges in drawing order (the weights source by source,
    then the biases) and run on into the previous or next layer at its ends, so that pressing one
    of them walks every parameter; they stop at the first and the last. Left and right go to the
    previous or next layer of edges at the same relative height, and stop at the first and last
    layer. A ``ref`` that is not a parameter of ``arch`` moves to the first parameter.
    """
    refs = param_refs(arch)
    if ref not in refs:
        return refs[0]
    if direction in ("up", "down"):
        k = refs.index(ref) + (1 if direction == "down" else -1)
        return refs[min(max(k, 0), len(refs) - 1)]
    if direction not in ("left", "right"):
        raise ValueError(f"direction must be up, down, left or right, not {direction!r}")
    layer = ref.layer + (1 if direction == "right" else -1)
    if not 0 <= layer < arch.n_layers:
        return ref
    here, there = _layer_refs(arch, ref.layer), _layer_refs(arch, layer)
    k = here.index(ref)
    where = (k + 0.5) / len(here)  # the middle of its slot, as a fraction of the layer's height
    return there[min(int(where * len(there)), len(there) - 1)]


# ----- the one-weight network -----------------------------------------------------------------


def _value(vals: np.ndarray | None, k: int) -> Text:
    if vals is None:
        return Text("·", style=DIM)
    return Text(signed(vals[k]), style=value_style(vals[k]))


def _one_weight(trainer: Trainer, sample: int | None) -> RenderableType:
    """The worked example's network: x ──(w)──▶ y′."""
    values = node_values(trainer, sample)
    w = float(trainer.params.weights[0][0, 0])
    x_name = visible(trainer.data.inputs[0])
    line = Text.assemble((f"{x_name} = ", BOLD), _value(values[0], 0), " ──(", ("w = ", BOLD), no_wrap=True)
    line.append(signed(w), style=value_style(w) + REVERSE + click(ParamRef("w", 0, (0, 0))))
    line.append(")──▶ ").append("y′ = ", style=BOLD)
    line.append_text(_value(values[1], 0))
    caption = Text("y′ = w·x", style=DIM, no_wrap=True)
    return Group(line, caption)


# ----- small networks: node by node -----------------------------------------------------------


def _small(
    trainer: Trainer, sample: int | None, selected: ParamRef | None, width: int | None, height: int | None
) -> list[Text]:
    known = shown(trainer, sample)
    if selected is not None and selected not in param_refs(trainer.arch):
        selected = None
    tail = _selection(trainer, selected, width) if selected is not None else []

    def wide(lines: list[Text]) -> int:
        return max(t.cell_len for t in lines)

    def fits(lines: list[Text]) -> bool:
        return (width is None or wide(lines) <= width) and (height is None or len(lines) <= height)

    tried: list[list[Text]] = []
    for inline in (True, False, None):
        if inline is None:
            lines = netdraw.compact(trainer, known, selected)
        else:
            drawn = netdraw.network(trainer, known, selected, inline)
            if drawn is None:
                continue
            lines = drawn
        lines = lines + tail
        if fits(lines):
            chosen = lines
            break
        tried.append(lines)
    else:
        narrow = [d for d in tried if width is None or wide(d) <= width]
        chosen = min(narrow, key=len) if narrow else min(tried, key=wide)
    legend = _legend(trainer)
    if (height is None or len(chosen) < height) and (width is None or legend.cell_len <= width):
        chosen = [*chosen, legend]
    return chosen


def _selection(trainer: Trainer, ref: ParamRef, width: int | None) -> list[Text]:
    """The selected weight or bias: where it sits, its value, and after backprop its gradient (two lines if narrow)."""
    ends = param_ends(trainer, ref)  # x1→h1 for a weight, h1 for a bias
    value = ref.get(trainer.params)
    line = Text(no_wrap=True, end="")
    line.append(ref.label(), BOLD + REVERSE)
    line.append(f" {ends} = " if ref.kind == "w" else f" bias of {ends} = ")
    line.append(num(value), value_style(value))
    kind = "dL/dw" if ref.kind == "w" else "dL/db"
    grads = trainer.gradients
    more = Text(no_wrap=True, end="")
    if trainer.last_phase == Phase.BACKWARD and grads is not None:
        g = ref.get(grads)
        more.append(f"{kind} = ", DIM)
        more.append(num(g), value_style(g))
        more.append(" (batch total)", DIM)
    else:
        more.append(f"{kind} after backprop", DIM)
    if width is not None and line.cell_len + 3 + more.cell_len > width:
        return [line, Text("  ", end="") + more]
    return [line + Text(" · ", style=DIM, end="") + more]


def _legend(trainer: Trainer) -> Text:
    parts = ["value", "δ = dL/dz after backprop", "edge = weight"]
    if trainer.params.biases is not None:
        parts.append("b = bias")
    parts.append("y = target")
    return Text(" · ".join(parts), style=DIM, no_wrap=True, end="")


# ----- large networks: pictures ---------------------------------------------------------------


def _outputs(values: np.ndarray, labels: list[str], target: int | None, width: int = 12) -> list[Text]:
    """Horizontal bars for outputs in 0..1, each value printed, the predicted class and the target marked."""
    best = int(np.nanargmax(values)) if np.isfinite(values).any() else -1
    lw = max(len(label) for label in labels)
    out = []
    for k, (v, label) in enumerate(zip(values, labels)):
        filled = int(np.rint(min(max(float(v), 0.0), 1.0) * width)) if np.isfinite(v) else 0
        marks = []
        if k == best:
            marks.append("◀ predicted")
        if k == target:
            marks.append("● target")
        line = Text(f"{label:>{lw}} ", style=BOLD if k == best else Style(), no_wrap=True, end="")
        line.append("█" * filled, BOLD if k == best else Style())
        line.append("·" * (width - filled), DIM)
        line.append(f" {netdraw.fmt(float(v), 2):>5}")
        if marks:
            line.append(" " + " ".join(marks), BOLD)
        out.append(line)
    return out


def _large(trainer: Trainer, sample: int | None, width: int | None) -> list[RenderableType]:
    """Big layers as pictures: the outputs beside the input image, then the hidden values and the weights."""
    arch, params = trainer.arch, trainer.params
    known = shown(trainer, sample, after_update=True)
    stale = trainer.last_phase == Phase.UPDATE  # the values are the last forward's, before this update
    n_in = arch.sizes[0]
    side = int(np.rint(np.sqrt(n_in)))
    head = Text(f"input {n_in}", style=BOLD, no_wrap=True)
    target = None
    if sample is not None and 0 <= sample < len(trainer.data):
        target = int(np.argmax(trainer.data.y[sample])) if trainer.data.y.shape[1] > 1 else None
        head.append(f"  sample #{sample}" + (f", label {target}" if target is not None else ""), style=DIM)
    left: list[Text] = [head]
    if sample is not None and side * side == n_in and 0 <= sample < len(trainer.data):
        left.extend(image(trainer.data.x[sample], side))
    last = arch.n_layers
    out = known.values[last]
    title = f"{layer_title(trainer, last)} {arch.sizes[last]}"
    if stale and out is not None:
        title = f"outputs at step {trainer.step_count - 1}, before its update"
    right: list[Text] = [Text(title, style=BOLD, no_wrap=True)]
    labels = [visible(t).lstrip("d") or visible(t) for t in trainer.data.targets]
    if out is None:
        right.append(Text("(run forward to see the outputs)", style=DIM))
    elif arch.output in ("softmax", "sigmoid"):
        right.extend(_outputs(out, labels, target))
    else:
        right.extend(_wrapped(out, width))
    parts: list[RenderableType] = []
    lw = max(t.cell_len for t in left)
    rw = max(t.cell_len for t in right)
    if width is None or lw + 3 + rw <= width:
        for r in range(max(len(left), len(right))):
            line = Text(no_wrap=True, end="")
            a = left[r] if r < len(left) else Text("")
            line.append_text(a)
            if r < len(right):
                line.append(" " * (lw - a.cell_len + 3))
                line.append_text(right[r])
            parts.append(line)
    else:
        parts.extend(right)
        parts.extend(left)
    for layer in range(1, last):
        vals = known.values[layer]
        title = f"{layer_title(trainer, layer)} {arch.sizes[layer]}"
        parts.append(Text(title + (" (before the update)" if stale and vals is not None else ""), style=BOLD))
        if vals is None:
            parts.append(Text("(run forward to see the values)", style=DIM))
        else:
            parts.extend(_wrapped(vals, width))
    for layer in range(arch.n_layers):
        w = params.weights[layer]
        finite = np.abs(w[np.isfinite(w)])
        top = f"{finite.max():.3g}" if finite.size else "n/a"
        parts.append(
            Text(f"weights[{layer}] {w.shape[0]}×{w.shape[1]}", style=BOLD, no_wrap=True)
            + Text(f"  max |w| {top}; +*# positive, -=≡ negative", style=DIM)
        )
        parts.extend(heat_map(w))
    return parts


def _wrapped(values: np.ndarray, width: int | None) -> list[Text]:
    """Values with their signs, as many a line as fit ``width``."""
    cells = [signed(float(v), 2) for v in values]
    step = max(len(c) for c in cells) + 1
    per_line = max(1, (width if width is not None else 80) // step)
    lines = []
    for start in range(0, len(cells), per_line):
        line = Text(no_wrap=True, end="")
        for v, c in zip(values[start : start + per_line], cells[start : start + per_line]):
            line.append(c.ljust(step), value_style(float(v)))
        line.rstrip()
        lines.append(line)
    return lines
