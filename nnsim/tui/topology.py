"""The network drawn as text: nodes with their values and edges with their weights."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text

from ..engine import ParamRef, Phase, Trainer
from ..present import node_names
from ..text import visible
from .art import BOLD, DIM, REVERSE, bars, heat_map, image, signed, value_style

if TYPE_CHECKING:
    from .components.picture import PictureType

SMALL_LAYER = 8  # layers up to this size are drawn node by node


def node_values(trainer: Trainer, sample: int | None) -> list[np.ndarray | None]:
    """Each layer's activations for the dataset row ``sample`` (inputs are always known)."""
    values: list[np.ndarray | None] = [None] * len(trainer.arch.sizes)
    if sample is None:
        return values
    values[0] = trainer.data.x[sample]
    fp = trainer.forward_pass
    if fp is not None and trainer.last_phase != Phase.UPDATE:
        where = np.nonzero(fp.rows == sample)[0]
        if where.size:
            for layer, a in enumerate(fp.a):
                values[layer] = a[where[0]]
    return values


def render(trainer: Trainer, sample: int | None, selected: ParamRef | None) -> PictureType:
    if max(trainer.arch.sizes) <= SMALL_LAYER:
        return _small(trainer, sample, selected)
    return _large(trainer, sample)


def _layer_title(trainer: Trainer, layer: int) -> str:
    last = len(trainer.arch.sizes) - 1
    if layer == 0:
        return "input"
    act = trainer.arch.output if layer == last else trainer.arch.activation
    name = "output" if layer == last else "hidden"
    return name if act == "identity" else f"{name} ({act})"


def _click(ref: ParamRef) -> Style:
    """Clicking a weight selects it, as choosing its row in the parameters table does."""
    index = f"{ref.kind}:{ref.layer}:{':'.join(map(str, ref.index))}"
    return Style.from_meta({"@click": f"app.select_param('{index}')"})


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
    line.append(signed(w), style=value_style(w) + REVERSE).append(")──▶ ").append("y′ = ", style=BOLD)
    line.append_text(_value(values[1], 0))
    caption = Text("y′ = w·x", style=DIM, no_wrap=True)
    return Group(line, caption)


def _small(trainer: Trainer, sample: int | None, selected: ParamRef | None) -> RenderableType | list[Text]:
    arch, params = trainer.arch, trainer.params
    if arch.n_params == 1:
        return _one_weight(trainer, sample)
    values = node_values(trainer, sample)
    blocks: list[list[Text]] = []
    rows = max(arch.sizes) + (1 if arch.bias else 0)
    for layer in range(len(arch.sizes)):
        names = node_names(trainer, layer)
        block = [Text(_layer_title(trainer, layer), style=BOLD), Text("")]
        vals = values[layer]
        for k, name in enumerate(names):
            line = Text(f"{name} ", style=BOLD)
            if vals is None:
                line.append("·", style=DIM)
            else:
                line.append(signed(vals[k]), style=value_style(vals[k]))
            block.append(line)
        blocks.append(block)
        if layer == arch.n_layers:
            break
        w = params.weights[layer]
        scale = float(np.abs(w[np.isfinite(w)]).max()) if np.isfinite(w).any() else 1.0
        targets = node_names(trainer, layer + 1)
        title = "w" if arch.n_params == 1 else f"weights[{layer}] ─▶"
        block = [Text(title, style=BOLD), Text(" ".join(f"{'→' + t:>7}" for t in targets), style=DIM)]
        for i in range(w.shape[0]):
            line = Text()
            for j in range(w.shape[1]):
                ref = ParamRef("w", layer, (i, j))
                style = value_style(w[i, j], scale) + _click(ref)
                if ref == selected:
                    style = style + REVERSE
                line.append(f"{signed(w[i, j]):>7}", style=style).append(" " if j < w.shape[1] - 1 else "")
            block.append(line)
        if params.biases is not None:
            b = params.biases[layer]
            line = Text("bias ", style=DIM)
            for j in range(b.shape[0]):
                style = value_style(b[j], scale) + _click(ParamRef("b", layer, (j,)))
                if ParamRef("b", layer, (j,)) == selected:
                    style = style + REVERSE
                line.append(f"{signed(b[j]):>7}", style=style).append(" ")
            block.append(line)
        blocks.append(block)
    return side_by_side(blocks, rows + 2)


def side_by_side(blocks: list[list[Text]], rows: int, gap: int = 1) -> list[Text]:
    """Columns of lines, each as wide as its widest line, ``gap`` spaces apart: one Text a row."""
    widths = [max(t.cell_len for t in block) for block in blocks]
    lines = []
    for r in range(rows):
        line = Text(no_wrap=True)
        for k, (block, width) in enumerate(zip(blocks, widths)):
            cell = block[r] if r < len(block) else Text("")
            line.append_text(cell)
            if k < len(blocks) - 1:
                line.append(" " * (width - cell.cell_len + gap))
        line.rstrip()
        lines.append(line)
    return lines


def _large(trainer: Trainer, sample: int | None) -> list[RenderableType]:
    """Big layers as pictures: the input image, heat maps of the weights, the outputs (one item a line)."""
    arch, params = trainer.arch, trainer.params
    values = node_values(trainer, sample)
    parts: list[RenderableType] = []
    n_in = arch.sizes[0]
    head = Text(f"input {n_in}", style=BOLD, no_wrap=True)
    side = int(np.rint(np.sqrt(n_in)))
    if sample is not None:
        label = int(np.argmax(trainer.data.y[sample])) if trainer.data.y.shape[1] > 1 else None
        head.append(f"  sample #{sample}" + (f", label {label}" if label is not None else ""), style=DIM)
    parts.append(head)
    if sample is not None and side * side == n_in:
        parts.extend(image(trainer.data.x[sample], side))
    for layer in range(arch.n_layers):
        w = params.weights[layer]
        finite = np.abs(w[np.isfinite(w)])
        top = f"{finite.max():.3g}" if finite.size else "n/a"
        parts.append(
            Text(f"weights[{layer}] {w.shape[0]}×{w.shape[1]}", style=BOLD, no_wrap=True)
            + Text(f"  max |w| {top}; +*# positive, -=≡ negative", style=DIM)
        )
        parts.extend(heat_map(w))
        out = values[layer + 1]
        title = Text(_layer_title(trainer, layer + 1) + f" {arch.sizes[layer + 1]}", style=BOLD)
        parts.append(title)
        if out is None:
            parts.append(Text("(run forward to see the values)", style=DIM))
        elif layer == arch.n_layers - 1 and arch.output in ("softmax", "sigmoid"):
            target = int(np.argmax(trainer.data.y[sample])) if sample is not None else None
            parts.extend(bars(out, [visible(t).lstrip("d") for t in trainer.data.targets], target=target))
        else:
            line = Text()
            for v in out:
                line.append(f"{signed(v, 2)}", style=value_style(v)).append(" ")
            parts.append(line)
    return parts
