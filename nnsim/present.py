"""What the tables show, as rows of strings: shared by the CLI's report and the TUI's widgets.

Only formatting and choosing columns happens here; every number comes from the engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from .engine import ParamRef, Phase, StopReason, Trainer, param_refs
from .text import visible

MAX_NAMED_INPUTS = 4  # more inputs than this are summarised rather than given a column each
MAX_NAMED_OUTPUTS = 3

TERM_HEADERS = {
    "sse": "(y′−y)²",
    "half_sse": "½(y′−y)²",
    "mse": "(y′−y)²/n",
    "cross_entropy": "−y·log y′",
    "binary_cross_entropy": "loss term",
}


def fmt(value: float, digits: int = 6) -> str:
    """A number for a person: up to ``digits`` significant digits, 'inf', '-inf' and 'NaN' spelled out."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    return "0" if text in ("-0", "0") else text


T = TypeVar("T")


class LazyRows(Sequence[T], Generic[T]):
    """Rows made when first read: of 1,797 digits samples a screen formats only the ~20 it shows."""

    def __init__(self, n: int, make: Callable[[int], T]) -> None:
        self._n = n
        self._make = make
        self._made: dict[int, T] = {}

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        row = self._made.get(i)
        if row is None:
            row = self._made[i] = self._make(i)
        return row


@dataclass
class SampleTable:
    """The per-sample table: a header, one row per sample in the batch, and the TOTAL row."""

    headers: list[str]
    rows: Sequence[list[str]]
    total: list[str]
    numeric: list[bool]
    dataset_rows: list[int]


def node_names(trainer: Trainer, layer: int) -> list[str]:
    """The nodes' names: the scenario's column names (control characters escaped), or h1, h2 …."""
    sizes = trainer.arch.sizes
    if layer == 0:
        return [visible(n) for n in trainer.data.inputs]
    if layer == len(sizes) - 1:
        if sizes[-1] == 1:
            return ["y′"]
        return [f"{visible(t)}′" for t in trainer.data.targets]
    prefix = "h" if len(sizes) == 3 else f"h{layer}."
    return [f"{prefix}{k + 1}" for k in range(sizes[layer])]


def single_param(trainer: Trainer) -> bool:
    return trainer.arch.n_params == 1


def sample_table(trainer: Trainer, ref: ParamRef | None = None) -> SampleTable:
    """Inputs, y, y′, error and loss term per sample; after backprop, each sample's share of dL/d(ref)."""
    data = trainer.data
    fp, loss = trainer.forward_pass, trainer.loss_result
    rows_idx = fp.rows if fp is not None else trainer.probe_rows()
    x, y = data.x[rows_idx], data.y[rows_idx]
    k = y.shape[1]
    headers = ["#"]
    numeric = [True]
    named_inputs = x.shape[1] <= MAX_NAMED_INPUTS
    # column names come from the scenario file: shown with their control characters escaped
    headers += [visible(n) for n in data.inputs] if named_inputs else [f"x ({x.shape[1]} inputs)"]
    many_out = k > MAX_NAMED_OUTPUTS
    if many_out:
        headers += ["y", "y′", "p(y′)"]
    elif k == 1:
        headers += ["y", "y′", "y′−y"]
    else:
        names = [visible(t) for t in data.targets]
        headers += [f"y:{t}" for t in names] + [f"y′:{t}" for t in names]
    term_name = trainer.loss_fn.name
    headers.append(TERM_HEADERS.get(term_name, "loss term"))
    contrib = None
    if ref is not None and trainer.gradients is not None and fp is not None:
        contrib = trainer.contributions(ref)
        headers.append(f"dL/d{ref.label(single_param(trainer))}")
    numeric += [True] * (len(headers) - 1)
    if not named_inputs:
        means, maxes = x.mean(axis=1), x.max(axis=1)
    if many_out:
        labels = np.argmax(y, axis=1)
        if fp is not None:
            guesses, confidence = np.argmax(fp.output, axis=1), fp.output.max(axis=1)

    def row(n: int) -> list[str]:
        cells = [str(int(rows_idx[n]))]
        if named_inputs:
            cells += [fmt(v) for v in x[n]]
        else:
            cells.append(f"mean {fmt(means[n], 3)}, max {fmt(maxes[n], 3)}")
        out = fp.output[n] if fp is not None else None
        if many_out:
            cells.append(str(int(labels[n])))
            cells += ["", ""] if out is None else [str(int(guesses[n])), fmt(confidence[n], 3)]
        elif k == 1:
            cells.append(fmt(y[n, 0]))
            cells += ["", ""] if out is None else [fmt(out[0]), fmt(loss.errors[n, 0]) if loss is not None else ""]
        else:
            cells += [fmt(v) for v in y[n]]
            cells += [""] * k if out is None else [fmt(v) for v in out]
        cells.append(fmt(loss.terms[n]) if loss is not None else "")
        if contrib is not None:
            cells.append(fmt(contrib[n]))
        return cells

    rows = LazyRows(len(rows_idx), row)
    total = ["TOTAL"] + [""] * (len(headers) - 1)
    if loss is not None:
        col = len(headers) - (2 if contrib is not None else 1)
        total[col] = fmt(loss.total)
    if contrib is not None:
        total[-1] = fmt(contrib.sum())
    return SampleTable(headers, rows, total, numeric, [int(r) for r in rows_idx])


@dataclass
class ParamRow:
    ref: ParamRef
    cells: list[str]


PARAM_HEADERS = ["parameter", "value", "dL/dw", "slope (probe)", "lr", "change", "new value"]


def param_rows(trainer: Trainer, refs: Sequence[ParamRef] | None = None) -> LazyRows[ParamRow]:
    """Each parameter's value, gradient, probed slope, learning rate, change and new value.

    `refs` chooses the parameters (default: all of them, in order). Before an update the value is
    the current one (with its gradient once backprop has run); right after an update, the row
    shows that update (old value, gradient, change, new value).
    """
    refs = param_refs(trainer.arch) if refs is None else refs
    single = single_param(trainer)
    up, g, probe = trainer.update_result, trainer.gradients, trainer.probe_result
    if trainer.last_phase != Phase.UPDATE or probe is not None:
        # the row shows the last update only right after it: a nudge since is about the new value
        up = None
    if trainer.last_phase == Phase.UPDATE:
        g = None  # the gradients were taken at the values before the update (shown through `up` if at all)
    lr = fmt(up.learning_rate if up is not None else trainer.learning_rate)

    def row(n: int) -> ParamRow:
        ref = refs[n]
        grad: float | None
        if up is not None:
            value, grad = ref.get(up.old), ref.get(up.grads)
        else:
            value = ref.get(trainer.params)
            grad = ref.get(g) if g is not None else None
        slope = fmt(probe.slope) if probe is not None and probe.ref == ref else ""
        cells = [ref.label(single), fmt(value), "" if grad is None else fmt(grad), slope, lr, "", ""]
        if up is not None:
            cells[5:] = [fmt(up.change(ref)), fmt(ref.get(up.new))]
        return ParamRow(ref, cells)

    return LazyRows(len(refs), row)


def _m(value: float, digits: int = 6) -> str:
    """A number for a formula: the minus sign as −."""
    return fmt(value, digits).replace("-", "−")


def _p(value: float, digits: int = 6) -> str:
    """A number after an operator: negative ones in parentheses."""
    text = _m(value, digits)
    return f"({text})" if text.startswith("−") else text


def _sum(values, limit: int = 6) -> str:
    """'a + b + c' for a few terms, or 'a + b + … + z' for many."""
    vals = [_p(v, 4) for v in values]
    if len(vals) > limit:
        vals = vals[:3] + ["…"] + vals[-1:]
    return " + ".join(vals)


GRAD_FORMULAS = {"sse": "2(y′−y)", "half_sse": "(y′−y)", "mse": "2(y′−y)/n"}


def explain(trainer: Trainer, ref: ParamRef) -> list[str]:
    """What the last phase did, with its formula written out in the actual numbers.

    The last line says which phase comes next (or why training stopped), never which key runs
    it: the screen showing it adds the keys.
    """
    phase = trainer.last_phase
    single = single_param(trainer)
    label = ref.label(single)
    plain = single and trainer.arch.output == "identity" and trainer.arch.n_layers == 1
    fp, loss, up = trainer.forward_pass, trainer.loss_result, trainer.update_result
    lines: list[str] = []
    if trainer.probe_result is not None:
        p = trainer.probe_result
        wl, wm = _m(p.value + p.epsilon, 8), _m(p.value - p.epsilon, 8)
        lines.append(
            f"Nudge {p.ref.label(single)} by ε = {_m(p.epsilon)}: L({wl}) = {_m(p.loss_plus)}, "
            f"L({wm}) = {_m(p.loss_minus)}, L({_m(p.value)}) = {_m(p.loss)}"
        )
        lines.append(
            f"slope ≈ ({_m(p.loss_plus)} − {_p(p.loss_minus)}) / {_m(2 * p.epsilon)} = {_m(p.slope)}; "
            f"backprop gives dL/d{p.ref.label(single)} = {_m(p.analytic)}"
        )
        return lines
    if phase == Phase.GUESS:
        if plain:
            w = ref.get(trainer.params)
            lines.append(f"Random guess: start somewhere, w = {_m(w)}, so the model is y′ = {_m(w)}·x.")
        else:
            lines.append(
                f"Random guess: {trainer.arch.n_params} parameters drawn from seed {trainer.seed} "
                f"({trainer.config.init} scheme, or the scenario's own first guess)."
            )
        lines.append("Next, forward propagation: compute y′ for every row.")
    elif phase == Phase.FORWARD:
        assert fp is not None
        if plain:
            w = ref.get(trainer.params)
            lines.append(f"Forward: y′ = w·x = {_m(w)}·x for every row: {', '.join(_m(v) for v in fp.output[:8, 0])}.")
        else:
            lines.append(
                f"Forward: z = a·W + b, then a = f(z), layer by layer from input to output, for {len(fp.rows)} samples."
            )
        lines.append("Next, the error: compare y′ with y and square the difference.")
    elif phase == Phase.LOSS:
        assert loss is not None and fp is not None
        if plain:
            lines.append(
                f"Forward: y′ = {_m(ref.get(trainer.params))}·x for every row: "
                f"{', '.join(_m(v) for v in fp.output[:8, 0])}."
            )
        formula = trainer.loss_fn.formula
        if len(loss.terms) <= 8:
            lines.append(f"Error: {formula} = {_sum(loss.terms, 8)} = {_m(loss.total)}")
        else:
            lines.append(f"Error: {formula} over {len(loss.terms)} samples = {_m(loss.total)}")
        lines.append("Next, backpropagation: the slope of the loss for every weight.")
    elif phase == Phase.BACKWARD:
        g = trainer.gradients
        assert g is not None
        parts = trainer.contributions(ref)
        total = ref.get(g)
        name = trainer.loss_fn.name
        if plain and name in GRAD_FORMULAS:
            lines.append(f"Backprop: dL/d{label} = Σ {GRAD_FORMULAS[name]}·x = {_sum(parts)} = {_m(total)}")
        else:
            lines.append(
                f"Backprop: δ = dL/dz from the output back to the input; dL/d{label} = Σ over samples "
                f"of a·δ = {_sum(parts, 4)} = {_m(total)}"
            )
        lines.append("Next, the update: move every weight against its slope.")
    elif phase == Phase.UPDATE:
        assert up is not None
        old, new = ref.get(up.old), ref.get(up.new)
        grad = ref.get(up.grads)
        lines.append(
            f"Update: {label} ← {label} − lr·dL/d{label} = {_m(old)} − {_m(up.learning_rate)} × {_p(grad)} = {_m(new)}"
        )
        lines.append(f"Step {trainer.step_count} done. Again: forward, error, backprop, update.")
    if trainer.stop is not None:
        lines = [lines[-2] if len(lines) > 1 else lines[0], _stop_line(trainer)]
    return lines


def _stop_line(trainer: Trainer) -> str:
    stop = trainer.stop
    assert stop is not None
    if stop.reason == StopReason.CONVERGED:
        return f"Done: {stop.message}."
    if stop.reason == StopReason.DIVERGED:
        return f"Stopped: {stop.message}. The learning rate is too large."
    return f"Stopped: {stop.message}."
