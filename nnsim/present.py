"""What the tables show, as rows of strings: shared by the CLI's report and the TUI's widgets.

Only formatting and choosing columns happens here; every number comes from the engine.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

import numpy as np

from .engine import Adam, Momentum, ParamRef, Phase, Probe, StopReason, Trainer, adam_corrected, param_refs
from .engine.actions import Edit, Reset, SetParam
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
# what "Next, the error" says each loss does (after forward, before the loss is computed)
ERROR_NEXT = {
    "sse": "compare y′ with y and square the difference.",
    "half_sse": "compare y′ with y, square the difference and halve it.",
    "mse": "compare y′ with y, square the differences and average them.",
    "cross_entropy": "cross-entropy, −log of the y′ for the true class",
    "binary_cross_entropy": "cross-entropy, −log y′ if y = 1, else −log(1−y′)",
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


CROSS_ENTROPY = ("cross_entropy", "binary_cross_entropy")


def term_header(trainer: Trainer) -> str:
    """The per-row loss column's name, saying what a row's term holds: (y′−y)², −y·log y′/n …."""
    name, k = trainer.loss_fn.name, trainer.arch.sizes[-1]
    if name == "mse" and k > 1:
        return "(y′−y)²/nk"
    head = TERM_HEADERS.get(name, "loss term")
    if name in CROSS_ENTROPY and trainer.config.mean:
        return head + "/n"
    return head


def loss_formula(trainer: Trainer) -> str:
    """The loss's formula as the per-row column holds it: a mean cross-entropy says its 1/n."""
    formula = trainer.loss_fn.formula
    if trainer.arch.sizes[-1] == 1:
        formula = formula.replace("(1/nk)", "(1/n)")  # k outputs: one here, so the mean is over the n rows
    if trainer.loss_fn.name in CROSS_ENTROPY and trainer.config.mean:
        if "L = −Σ" in formula:
            return formula.replace("L = −Σ", "L = −(1/n) Σ", 1)
        return f"{formula}, divided by n"
    return formula


def error_next(trainer: Trainer) -> str:
    """What the error phase will do, in words (the line after forward)."""
    name = trainer.loss_fn.name
    what = ERROR_NEXT.get(name, "the loss of every row.")
    if name in CROSS_ENTROPY:
        what += "; the mean." if trainer.config.mean else "; summed."
    return f"Next, the error: {what}"


def probe_columns(trainer: Trainer) -> bool:
    """Whether the Samples table shows the probe's y′ and loss terms at w ± ε (a probe on the table's rows)."""
    p = trainer.probe_result
    if p is None:
        return False
    fp = trainer.forward_pass
    rows_idx = fp.rows if fp is not None else trainer.probe_rows()
    return bool(np.array_equal(p.rows, rows_idx))


def sample_table(trainer: Trainer, ref: ParamRef | None = None) -> SampleTable:
    """Inputs, y, y′, error and loss term per sample; after backprop, each sample's share of dL/d(ref).

    After a probe (on the table's rows), each row's y′ and loss term at w + ε and at w − ε follow,
    with L(w + ε) and L(w − ε) in the TOTAL row, as the lesson sets them side by side (for several
    outputs only the loss terms; with a single output the y′−y column gives way to them).
    """
    data = trainer.data
    fp, loss = trainer.forward_pass, trainer.loss_result
    rows_idx = fp.rows if fp is not None else trainer.probe_rows()
    x, y = data.x[rows_idx], data.y[rows_idx]
    k = y.shape[1]
    probe = trainer.probe_result if probe_columns(trainer) else None
    headers = ["#"]
    named_inputs = x.shape[1] <= MAX_NAMED_INPUTS
    # column names come from the scenario file: shown with their control characters escaped
    headers += [visible(n) for n in data.inputs] if named_inputs else [f"x ({x.shape[1]} inputs)"]
    many_out = k > MAX_NAMED_OUTPUTS
    show_error = probe is None
    if many_out:
        headers += ["y", "y′", "p(y′)"]
    elif k == 1:
        headers += ["y", "y′"] + (["y′−y"] if show_error else [])
    else:
        names = [visible(t) for t in data.targets]
        headers += [f"y:{t}" for t in names] + [f"y′:{t}" for t in names]
    term = term_header(trainer)
    headers.append(term)
    term_col = len(headers) - 1
    contrib = None
    if ref is not None and trainer.gradients is not None and fp is not None:
        contrib = trainer.contributions(ref)
        headers.append(f"dL/d{ref.label(single_param(trainer))}")
    probe_cols: list[int] = []
    if probe is not None:
        kind = probe.ref.kind
        for sign in ("+", "−"):
            if k == 1:
                headers.append(f"y′ {kind}{sign}ε")
            headers.append(f"{term} {kind}{sign}ε")
            probe_cols.append(len(headers) - 1)
    numeric = [True] * len(headers)
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
            cells.append("" if out is None else fmt(out[0]))
            if show_error:
                cells.append(fmt(loss.errors[n, 0]) if loss is not None and out is not None else "")
        else:
            cells += [fmt(v) for v in y[n]]
            cells += [""] * k if out is None else [fmt(v) for v in out]
        cells.append(fmt(loss.terms[n]) if loss is not None else "")
        if contrib is not None:
            cells.append(fmt(contrib[n]))
        if probe is not None:
            for outs, terms in ((probe.outputs_plus, probe.terms_plus), (probe.outputs_minus, probe.terms_minus)):
                if k == 1:
                    cells.append(fmt(outs[n, 0]))
                cells.append(fmt(terms[n]))
        return cells

    rows = LazyRows(len(rows_idx), row)
    total = ["TOTAL"] + [""] * (len(headers) - 1)
    if loss is not None:
        total[term_col] = fmt(loss.total)
    if contrib is not None:
        total[term_col + 1] = fmt(contrib.sum())
    if probe is not None:
        shown = probe_digits(probe)
        digits = shown[0] if shown else _apart(probe.loss_plus, probe.loss_minus)
        total[probe_cols[0]], total[probe_cols[1]] = fmt(probe.loss_plus, digits), fmt(probe.loss_minus, digits)
    return SampleTable(headers, rows, total, numeric, [int(r) for r in rows_idx])


def slope_line(p: Probe, digits: int, slope_digits: int) -> str:
    """'slope ≈ (L(w+ε) − L(w−ε)) / 2ε = slope' with the losses to ``digits`` significant digits."""
    lp, lm = _m(p.loss_plus, digits), _p(p.loss_minus, digits)
    return f"slope ≈ ({lp} − {lm}) / {_m(2 * p.epsilon)} = {_m(p.slope, slope_digits)}"


def probe_digits(p: Probe) -> tuple[int, int] | None:
    """(significant digits for L(w+ε) and L(w−ε), for the slope): the fewest digits at which the two
    losses differ as printed and (printed L(w+ε) − printed L(w−ε)) / printed 2ε is the printed slope
    to its shown digits, with the slope's line within WIDTH columns. The slope keeps 6 digits unless
    that needs the losses to more than 14. (6, 6) when the losses are equal or not finite; None when
    no digits make the arithmetic right on one line (losses too large for ε)."""
    lp, lm, slope = p.loss_plus, p.loss_minus, p.slope
    if not (math.isfinite(lp) and math.isfinite(lm) and math.isfinite(slope)) or lp == lm:
        return 6, 6
    two = Decimal(fmt(2 * p.epsilon))
    found: tuple[int, int] | None = None
    for s in (6, 5, 4, 3):
        target = fmt(slope, s)
        for d in range(6, 18):
            a, b = fmt(lp, d), fmt(lm, d)
            if a == b:
                continue
            if fmt(float((Decimal(a) - Decimal(b)) / two), s) == target:
                if len(slope_line(p, d, s)) >= WIDTH:
                    break
                if d <= 14:
                    return d, s
                found = found or (d, s)
                break
    return found


def _apart(a: float, b: float) -> int:
    """The fewest significant digits (6 to 17) at which two numbers print differently."""
    return next((d for d in range(6, 18) if fmt(a, d) != fmt(b, d)), 6)


@dataclass
class ParamRow:
    ref: ParamRef
    cells: list[str]


PARAM_HEADERS = ["parameter", "value", "dL/dw", "slope (probe)", "lr", "change", "new value"]
SHORT_PARAM_HEADERS = ["param", "value", "dL/dw", "slope", "lr", "change", "new"]


def param_ends(trainer: Trainer, ref: ParamRef) -> str:
    """The nodes a parameter joins, as a student names them: 'x1→h1' for a weight, 'h1' for a bias
    ('' for the one-weight network, whose w needs no more)."""
    if single_param(trainer):
        return ""
    to = node_names(trainer, ref.layer + 1)[ref.index[-1]]
    if ref.kind == "b":
        return to
    return f"{node_names(trainer, ref.layer)[ref.index[0]]}→{to}"


def param_cell(trainer: Trainer, ref: ParamRef) -> str:
    """A parameter's first cell in the Parameters table: its index form and its ends, 'w[0][0,0] x1→h1'."""
    ends = param_ends(trainer, ref)
    label = ref.label(single_param(trainer))
    return f"{label} {ends}" if ends else label


def param_headers(trainer: Trainer, short: bool = True) -> list[str]:
    """The Parameters table's header (the columns of ``param_rows``' cells): short names for the TUI's
    narrow pane, the first one saying that its cells name the joined nodes too."""
    headers = list(SHORT_PARAM_HEADERS if short else PARAM_HEADERS)
    if not single_param(trainer):
        headers[0] = "param  from→to" if short else "parameter  from→to"
    return headers[:3] + state_headers(trainer) + headers[3:]


def state_headers(trainer: Trainer) -> list[str]:
    """The optimiser's state columns, beside the gradient: momentum's velocity, Adam's m and v."""
    return {"momentum": ["velocity"], "adam": ["m", "v"]}.get(trainer.config.optimizer, [])


def param_rows(trainer: Trainer, refs: Sequence[ParamRef] | None = None) -> LazyRows[ParamRow]:
    """Each parameter's value, gradient, probed slope, learning rate, change and new value.

    `refs` chooses the parameters (default: all of them, in order). Before an update the value is
    the current one (with its gradient once backprop has run); right after an update, the row
    shows that update (old value, gradient, change, new value).
    """
    refs = param_refs(trainer.arch) if refs is None else refs
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
        # the optimiser's state: after an update, as that update left it (with its gradient in it)
        state = up.state if up is not None else trainer.optimizer_state
        kept = []
        if isinstance(state, Momentum):
            kept = [fmt(ref.get(state.velocity))]
        elif isinstance(state, Adam):
            kept = [fmt(ref.get(state.m)), fmt(ref.get(state.v))]
        cells = [param_cell(trainer, ref), fmt(value), "" if grad is None else fmt(grad), *kept, slope, lr, "", ""]
        if up is not None:
            cells[-2:] = [fmt(up.change(ref)), fmt(ref.get(up.new))]
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
WIDTH = 78  # columns of an explanation line: the pane's width at 80 columns, less its padding
DIGITS = 3  # significant digits of the numbers in the forward and chain-rule lines
MANY_TERMS = 8  # a sum over more inputs than this lists only the non-zero ones
NBSP = "\u00a0"  # a space a formula is not broken at


def param_name(trainer: Trainer, ref: ParamRef) -> str:
    """A parameter named by the nodes it joins: w(x1→h1), b(h1); the one-weight network's w."""
    if single_param(trainer):
        return ref.kind
    return f"{ref.kind}({param_ends(trainer, ref)})"


def sample_position(trainer: Trainer, sample: int | None) -> int:
    """Where dataset row ``sample`` is in the forward pass's batch: its first row's place (0) if absent."""
    fp = trainer.forward_pass
    if sample is not None and fp is not None:
        hits = np.flatnonzero(fp.rows == sample)
        if hits.size:
            return int(hits[0])
    return 0


def _n(value: float) -> str:
    """A number of a chain-rule line: 3 significant digits, − for minus."""
    return _m(value, DIGITS)


def _pn(value: float) -> str:
    """The same after an operator: a negative one in parentheses."""
    return _p(value, DIGITS)


def _sg(value: float) -> str:
    """A factor with its sign, in parentheses: (+0.104), (−0.63)."""
    text = _n(value)
    return f"({text})" if not text[0].isdigit() else f"(+{text})"


def _fit(items: Sequence[str], width: int, keep: Sequence[int] = (), sep: str = " + ") -> str:
    """The items joined by ``sep`` if they fit in ``width`` columns; else the first ones, … and the
    items ``keep`` (by default the last), as many leading items as fit."""
    n = len(items)
    full = sep.join(items)
    if len(full) <= width or n <= 2:
        return full
    chosen = {i % n for i in keep} if keep else {n - 1}

    def render(picked: set[int]) -> str:
        out: list[str] = []
        prev = -1
        for i in sorted(picked):
            if i != prev + 1:
                out.append("…")
            out.append(items[i])
            prev = i
        if prev != n - 1:
            out.append("…")
        return sep.join(out)

    for i in range(n):
        if i in chosen:
            continue
        if len(render(chosen | {i})) > width:
            break
        chosen.add(i)
    return render(chosen)


def _wrap(text: str) -> list[str]:
    """A long formula on lines of WIDTH columns, broken before a ' + ' or after a ';'."""
    if len(text) <= WIDTH:
        return [text]
    glued = text.replace(" ", NBSP).replace(f"{NBSP}+{NBSP}", f" +{NBSP}").replace(f";{NBSP}{NBSP}", ";  ")
    lines = textwrap.wrap(glued, WIDTH, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)
    return [line.replace(NBSP, " ") for line in lines]


def _activation_text(act: str, name: str, z: float, a: float, z_row: np.ndarray) -> str:
    """The node's activation with its numbers: 'h1 = tanh(0.244) = 0.239'."""
    if act == "identity":
        return f"{name} = z = {_n(a)}"
    if act == "relu":
        return f"{name} = max(0, {_n(z)}) = {_n(a)}"
    if act == "sigmoid":
        return f"{name} = σ({_n(z)}) = 1/(1 + e^{_pn(-z)}) = {_n(a)}"
    if act == "softmax":
        with np.errstate(all="ignore"):
            total = float(np.exp(z_row).sum())
        return f"{name} = e^z / Σ e^z = e^{_pn(z)} / {_n(total)} = {_n(a)}"
    return f"{name} = {act}({_n(z)}) = {_n(a)}"


def _forward_text(trainer: Trainer, ref: ParamRef, s: int, head: str) -> list[str]:
    """z and a of the node the parameter feeds, for sample ``s`` of the batch: inputs × weights + bias."""
    fp = trainer.forward_pass
    assert fp is not None
    layer, j = ref.layer, ref.index[-1]
    a_in = fp.a[layer][s]
    w = trainer.params.weights[layer][:, j]
    biases = trainer.params.biases
    name = node_names(trainer, layer + 1)[j]
    z, a = float(fp.z[layer][s, j]), float(fp.a[layer + 1][s, j])
    idx = list(range(len(a_in)))
    start = f"z({name}) = "
    if len(idx) > MANY_TERMS:
        idx = [i for i in idx if a_in[i] != 0]
        start += f"Σ a·w + b ({len(idx)} of {len(a_in)} a ≠ 0): "
    items = [f"{_pn(a_in[i])}·{_sg(w[i])}" for i in idx]
    keep = [len(items) - 1]
    if ref.kind == "w" and ref.index[0] in idx:
        keep.append(idx.index(ref.index[0]))
    if biases is not None:
        items.append(_pn(biases[layer][j]))
        keep.append(len(items) - 1)
    acts = trainer.arch.activations()
    tail = f" = {_n(z)};  {_activation_text(acts[layer].name, name, z, a, fp.z[layer][s])}"
    if not items:
        return _wrap(head + start + "0" + tail)
    for kept in (keep, keep[-1:]):  # the sum as long as two lines hold; at least the bias, or the last term
        room = 2 * WIDTH - len(head) - len(start) - len(tail)
        while room >= 16:
            lines = _wrap(head + start + _fit(items, room, kept) + tail)
            if len(lines) <= 2:
                return lines
            room -= 8
    return _wrap(f"{head}z({name}) = Σ a·w + b{tail}")


def _slope_text(act: str, z: float, a: float) -> tuple[str, float]:
    """f′(z) of a node written with its numbers, and its value."""
    if act == "tanh":
        return f"(1 − {_n(abs(a))}²)", 1.0 - a * a
    if act == "sigmoid":
        return f"{_n(a)}·(1 − {_n(a)})", a * (1.0 - a)
    if act == "relu":
        return f"[{_n(z)} > 0]", float(z > 0)
    return "1", 1.0


SLOPE_FORMULAS = {"identity": "1", "sigmoid": "y′(1−y′)", "tanh": "(1−y′²)", "relu": "[z>0]"}


def _output_delta(trainer: Trainer, s: int, k: int) -> str:
    """δ of output node k for sample s: ∂L/∂y′ · f′(z), or y′ − y for softmax/sigmoid with cross-entropy."""
    fp, g, loss = trainer.forward_pass, trainer.gradients, trainer.loss_result
    assert fp is not None and g is not None and loss is not None
    top = trainer.arch.n_layers
    name = node_names(trainer, top)[k]
    out, kind = trainer.arch.output, trainer.loss_fn.name
    yp, z = float(fp.a[top][s, k]), float(fp.z[top - 1][s, k])
    y = float(trainer.data.y[fp.rows[s], k])
    delta = float(g.deltas[top - 1][s, k])
    diff = f"{_n(yp)}−{_pn(y)}"
    if (out, kind) in (("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy")):
        n = len(fp.rows)
        form, nums = ("(y′−y)/n", f"({diff})/{n}") if trainer.config.mean else ("y′−y", diff)
        mean = "mean " if trainer.config.mean else ""
        return _first_fitting(
            f"δ({name}) = ∂L/∂z = {form} for {out} with {mean}cross-entropy: {nums} = {_n(delta)}",
            f"δ({name}) = {form} ({out} with {mean}cross-entropy) = {nums} = {_n(delta)}",
            f"δ({name}) = {form} ({out}, {mean}cross-entropy) = {nums} = {_n(delta)}",
            f"δ({name}) = {form} = {nums} = {_n(delta)}",
        )
    grad = float(loss.grad_output[s, k])
    if kind == "sse":
        form, nums = "2(y′−y)", f"2·({diff})"
    elif kind == "half_sse":
        form, nums = "(y′−y)", f"({diff})"
    elif kind == "mse":
        form, nums = "2(y′−y)/n", f"2·({diff})/{loss.grad_output.size}"
    else:
        form, nums = "∂L/∂y′", _sg(grad)
    if out == "softmax":
        return f"δ({name}) = y′·(∂L/∂y′ − Σ y′·∂L/∂y′) (softmax), ∂L/∂y′ = {form} = {nums} = {_n(grad)}: {_n(delta)}"
    slope, _ = _slope_text(out, z, yp)
    symbols = f"{form}·{SLOPE_FORMULAS.get(out, 'f′(z)')}"
    return _first_fitting(
        f"δ({name}) = ∂L/∂y′·f′(z) = {symbols} = {nums}·{slope} = {_n(delta)}",
        f"δ({name}) = {symbols} = {nums}·{slope} = {_n(delta)}",
        f"δ({name}) = ∂L/∂y′·f′(z) = {nums}·{slope} = {_n(delta)}",
    )


def _first_fitting(*lines: str) -> str:
    """The first of ``lines`` that fits in WIDTH columns (the last one if none does)."""
    return next((line for line in lines if len(line) <= WIDTH), lines[-1])


def _hidden_delta(trainer: Trainer, s: int, layer: int, j: int, keep: int) -> str:
    """δ of node j of hidden layer ``layer`` + 1: f′(z) · Σ over the next layer of w·δ, with its numbers."""
    fp, g = trainer.forward_pass, trainer.gradients
    assert fp is not None and g is not None
    w = trainer.params.weights[layer + 1][j]
    after = g.deltas[layer + 1][s]
    name = node_names(trainer, layer + 1)[j]
    z, a = float(fp.z[layer][s, j]), float(fp.a[layer + 1][s, j])
    slope, _ = _slope_text(trainer.arch.hidden_activations()[layer], z, a)
    delta = float(g.deltas[layer][s, j])
    items = [f"{_sg(w[k])}·{_sg(after[k])}" for k in range(len(w))]
    forms = [
        (f"δ({name}) = f′(z)·Σ w·δ = {slope}·[", f"] = {_n(delta)}", [keep, len(w) - 1]),
        (f"δ({name}) = {slope}·[", f"] = {_n(delta)}", [keep, len(w) - 1]),
        (f"δ({name}) = {slope}·[", f"] = {_n(delta)}", [keep]),
    ]
    for head, tail, kept in forms:
        line = head + _fit(items, max(WIDTH - len(head) - len(tail), 16), kept) + tail
        if len(line) <= WIDTH:
            return line
    return f"δ({name}) = f′(z)·Σ w·δ = {slope}·{_sg(float(w @ after))} = {_n(delta)}"


def _layer_deltas(trainer: Trainer, s: int, layer: int) -> str:
    """Every δ of hidden layer ``layer`` + 1 (a layer between the output and the parameter's node)."""
    g = trainer.gradients
    assert g is not None
    names = node_names(trainer, layer + 1)
    head = "δ = f′(z)·Σ w·δ, the same way: "
    items = [f"{names[k]} {_n(v)}" for k, v in enumerate(g.deltas[layer][s])]
    return head + _fit(items, WIDTH - len(head), sep=", ")


def _backward_text(trainer: Trainer, ref: ParamRef, s: int) -> list[str]:
    """The chain rule for one parameter and one sample, Mazur's way: δ from the output back to the
    parameter's node, the sample's share a·δ, then the sum over the batch (and the penalty's slope)."""
    fp, g = trainer.forward_pass, trainer.gradients
    assert fp is not None and g is not None
    top = trainer.arch.n_layers - 1  # the output layer's index in deltas
    layer, j = ref.layer, ref.index[-1]
    out = g.deltas[top][s]
    k = j if layer == top else int(np.nanargmax(np.abs(out))) if np.isfinite(out).any() else 0
    lines = [_output_delta(trainer, s, k)]
    below = k
    for m in range(top - 1, layer - 1, -1):
        if m == layer:
            lines.append(_hidden_delta(trainer, s, m, j, below))
        else:
            lines.append(_layer_deltas(trainer, s, m))
            below = int(np.nanargmax(np.abs(g.deltas[m][s]))) if np.isfinite(g.deltas[m][s]).any() else 0
    name, row = param_name(trainer, ref), int(fp.rows[s])
    target = node_names(trainer, layer + 1)[j]
    parts = trainer.contributions(ref)
    total = ref.get(g)
    delta = float(g.deltas[layer][s, j])
    if ref.kind == "w":
        i = ref.index[0]
        source = node_names(trainer, layer)[i]
        factors, what = f"a({source})·δ({target})", "a·δ"
        numbers = f"{_pn(fp.a[layer][s, i])}·{_sg(delta)} = {_n(parts[s])}"
    else:
        factors, what = f"1·δ({target})", "δ"
        numbers = _n(parts[s])
    items = [_pn(v) for v in parts]
    keep = [len(items) - 1]
    extra = penalties = ""
    c = trainer.config
    if ref.kind == "w" and (c.l2 or c.l1):
        w = ref.get(trainer.params)
        if c.l2:
            extra += " + 2·l2·w"
            items.append(f"2·{_n(c.l2)}·{_sg(w)}")
        if c.l1:
            extra += " + l1·sign(w)"
            items.append(f"{_n(c.l1)}·{_sg(float(np.sign(w)))}")
        keep = list(range(len(parts) - 1, len(items)))
        penalties = " + " + " + ".join(items[len(parts) :])
    count = f"{len(parts)} sample{'s' if len(parts) != 1 else ''}"
    tail = f" = {_m(total)}"
    if len(lines) <= 2:  # room for the sample's share on a line of its own
        lines.append(f"Sample #{row}'s share: {factors} = {numbers}")
        head = f"dL/d{name} = Σ over {count} of {what}{extra} = "
        lines.append(head + _fit(items, max(WIDTH - len(head) - len(tail), 16), keep) + tail)
        return lines
    head = f"dL/d{name} = Σ over {count} of {what} (#{row}: {numbers}){extra} = "
    room = WIDTH - len(head) - len(tail)
    lines.append(
        _first_fitting(
            head + _fit(items, max(room, 16), keep) + tail,
            f"dL/d{name} = Σ over {count} of {what}{extra}{tail}; #{row}: {numbers}",
            f"dL/d{name} = Σ over {count} of {what}{penalties}{tail}; #{row}: {numbers}",
            f"dL/d{name} = Σ over {count} of {what}{penalties}{tail}",
        )
    )
    return lines


def backprop_ran(trainer: Trainer) -> bool:
    """Whether backprop's gradients are those of the current parameters on this step's rows (it ran in this step)."""
    return trainer.last_phase == Phase.BACKWARD and trainer.gradients is not None


def _value_digits(value: float, epsilon: float) -> int:
    """Significant digits that show w ± ε apart from w: 8, more for a w many ε across; 6 for a w so
    large that ε is lost in its rounding (w ± ε is w)."""
    if not (math.isfinite(value) and value):
        return 8
    if value + epsilon == value or value - epsilon == value:
        return 6
    return min(max(8, math.ceil(math.log10(abs(value) / epsilon)) + 3), 16)


def probe_text(trainer: Trainer, p: Probe) -> list[str]:
    """The nudge test in numbers: L at w + ε and w − ε, the slope from them (its arithmetic right as
    printed), and backprop's dL/dw to compare only once backprop has run in this step."""
    name = param_name(trainer, p.ref)
    shown = probe_digits(p)
    digits = shown[0] if shown else _apart(p.loss_plus, p.loss_minus)
    wd = _value_digits(p.value, p.epsilon)
    wp, wm, w = _m(p.value + p.epsilon, wd), _m(p.value - p.epsilon, wd), _m(p.value, wd)
    lp, lm, l0 = _m(p.loss_plus, digits), _m(p.loss_minus, digits), _m(p.loss)
    eps = _m(p.epsilon)
    lines = [f"Nudge {name} by ε = {eps}: L({wp}) = {lp}, L({wm}) = {lm}, L({w}) = {l0}"]
    if len(lines[0]) > WIDTH:
        lines = [
            _first_fitting(
                f"Nudge {name} by ε = {eps} from {w}, where L = {l0}:",
                f"Nudge {name} by ε = {eps} from {_m(p.value)}, where L = {l0}:",
                f"Nudge {name} by ε = {eps}; L = {l0} now:",
            ),
            _first_fitting(f"L({wp}) = {lp},  L({wm}) = {lm}", f"L(w+ε) = {lp},  L(w−ε) = {lm}"),
        ]
    # the slope's arithmetic with the printed numbers, or (when no digits make it right on a line) in symbols
    slope = slope_line(p, *shown) if shown else f"slope ≈ (L(w+ε) − L(w−ε)) / 2ε = {_m(p.slope)}"
    if backprop_ran(trainer):
        assert trainer.gradients is not None
        compare = f"backprop gives dL/d{name} = {_m(p.ref.get(trainer.gradients))}"
    else:
        compare = "run backprop to compare"
    joined = f"{slope}; {compare}"
    lines += [joined] if len(joined) <= WIDTH else [slope + ";", compare[0].upper() + compare[1:] + "."]
    return lines


def edit_text(edit: Edit, was: str | None, note: str | None) -> list[str]:
    """What an edit changed and what it kept: 'You set hidden to 3 (it was 2): w[0] 4×2 → 4×3 (4×2 kept).'"""

    def shown(value: str | None) -> str:
        if edit.key in ("hidden", "features"):
            return value or ("none" if edit.key == "hidden" else "the data's own columns")
        return str(value)

    said = f"You set {edit.key} to {shown(edit.value)} (it was {shown(was)})"
    if not note:
        return [said + "."]
    joined = f"{said}: {note}."
    first = note if note.startswith("w[") else note[0].upper() + note[1:]  # w[0] is a name: never W[0]
    return [joined] if len(joined) <= WIDTH else [said + ".", first + "."]


def explain(trainer: Trainer, ref: ParamRef, sample: int | None = None) -> list[str]:
    """What the last phase did, with its formula written out in the actual numbers.

    ``sample`` is the dataset row the forward and chain-rule lines are about (the batch's first row
    when it is None or not in the batch). The last line says which phase comes next (or why
    training stopped), never which key runs it: the screen showing it adds the keys.
    """
    phase = trainer.last_phase
    single = single_param(trainer)
    label = ref.label(single)
    plain = single and trainer.arch.output == "identity" and trainer.arch.n_layers == 1
    fp, loss, up = trainer.forward_pass, trainer.loss_result, trainer.update_result
    s = sample_position(trainer, sample)
    lines: list[str] = []
    if trainer.probe_result is not None:
        return probe_text(trainer, trainer.probe_result)
    last = trainer.last_action
    if isinstance(last, SetParam) and trainer.stop is None:
        if plain:
            lines.append(f"You set w = {_m(last.value)}, so the model is y′ = {_m(last.value)}·x.")
        else:
            lines.append(f"You set {param_name(trainer, last.param)} = {_m(last.value)}; the others stay.")
        lines.append("Next, forward propagation with it: compute y′ for every row.")
    elif isinstance(last, Edit):
        lines += edit_text(last, trainer.edited_from, trainer.edit_note)
        lines.append("Next, forward propagation with it: compute y′ for every row.")
    elif isinstance(last, Reset):
        first = f": w = {_m(ref.get(trainer.params))}" if plain else ""
        rate = _m(trainer.learning_rate)
        step = trainer.resumed_at or 0
        lines.append(f"Reset: the scenario's first parameters{first} and learning rate {rate}, step {step}.")
        lines.append("Next, forward propagation: compute y′ for every row.")
    elif phase == Phase.UPDATE and up is None:  # a value typed after an update, then another change
        lines.append(f"Step {trainer.step_count}: parameters set by hand since the last update.")
        lines.append("Next, forward propagation: compute y′ for every row.")
    elif phase == Phase.GUESS:
        if plain:
            w = ref.get(trainer.params)
            lines.append(f"Random guess: start somewhere, w = {_m(w)}, so the model is y′ = {_m(w)}·x.")
        else:
            n = trainer.arch.n_params
            if trainer.resumed_at is not None:
                lines.append(
                    f"A saved run: its {n} parameters (and optimiser state) as saved at step {trainer.resumed_at}."
                )
            elif trainer.own_weights:
                lines.append(f"The scenario's own first guess: its {n} parameters as the file gives them.")
            else:
                lines.append(
                    f"Random guess: {n} parameters drawn from seed {trainer.seed} ({trainer.config.init} scheme)."
                )
        lines.append("Next, forward propagation: compute y′ for every row.")
    elif phase == Phase.FORWARD:
        assert fp is not None
        if plain:
            w = ref.get(trainer.params)
            lines.append(f"Forward: y′ = w·x = {_m(w)}·x for every row: {', '.join(_m(v) for v in fp.output[:8, 0])}.")
        else:
            lines.append(f"Forward: z = a·W + b, then a = f(z), layer by layer, for {len(fp.rows)} samples.")
            lines += _forward_text(trainer, ref, s, f"Sample #{int(fp.rows[s])}: ")
        lines.append(error_next(trainer))
    elif phase == Phase.LOSS:
        assert loss is not None and fp is not None
        if plain:
            lines.append(
                f"Forward: y′ = {_m(ref.get(trainer.params))}·x for every row: "
                f"{', '.join(_m(v) for v in fp.output[:8, 0])}."
            )
        else:
            lines += _forward_text(trainer, ref, s, f"Forward, sample #{int(fp.rows[s])}: ")
        formula = loss_formula(trainer)
        if plain and len(loss.terms) <= 8:
            lines.append(f"Error: {formula} = {_sum(loss.terms, 8)} = {_m(loss.total)}")
        elif len(loss.terms) <= 8:
            head, tail = f"Error: {formula} = ", f" = {_m(loss.total)}"
            terms = [_p(v, 4) for v in loss.terms]
            lines.append(head + _fit(terms, max(WIDTH - len(head) - len(tail), 16)) + tail)
        else:
            n, total = len(loss.terms), _m(loss.total)
            lines.append(
                _first_fitting(
                    f"Error: {formula} over n = {n} samples = {total}",
                    f"Error: {formula} over {n} samples = {total}",
                    f"Error: {formula} = {total} (n = {n})",
                )
            )
        lines.append("Next, backpropagation: the slope of the loss for every weight.")
    elif phase == Phase.BACKWARD:
        g = trainer.gradients
        assert g is not None
        name = trainer.loss_fn.name
        if plain and name in GRAD_FORMULAS:
            parts = trainer.contributions(ref)
            lines.append(f"Backprop: dL/d{label} = Σ {GRAD_FORMULAS[name]}·x = {_sum(parts)} = {_m(ref.get(g))}")
        else:
            lines += _backward_text(trainer, ref, s)
        lines.append("Next, the update: move every weight against its slope.")
    elif phase == Phase.UPDATE:
        assert up is not None
        old, new = ref.get(up.old), ref.get(up.new)
        grad = ref.get(up.grads)
        name, kind = (label, label) if single else (param_name(trainer, ref), ref.kind)
        if isinstance(up.state, (Momentum, Adam)):
            lines += _optimizer_update(trainer, ref, name, kind)
        else:
            numbers = f"{_m(old)} − {_m(up.learning_rate)} × {_p(grad)} = {_m(new)}"
            line = f"Update: {name} ← {kind} − lr·dL/d{kind} = {numbers}"
            lines.append(line if single else _first_fitting(line, f"Update: {name} ← {numbers}"))
        lines.append(f"Step {trainer.step_count} done. Again: forward, error, backprop, update.")
    if trainer.stop is not None:
        if plain:
            lines = [lines[-2] if len(lines) > 1 else lines[0], _stop_line(trainer)]
        else:
            lines = lines[:-1] + [_stop_line(trainer)]
    return lines


def _optimizer_update(trainer: Trainer, ref: ParamRef, name: str, kind: str) -> list[str]:
    """The momentum or Adam update of one parameter, the rule written out with its numbers."""
    up, c = trainer.update_result, trainer.config
    assert up is not None
    old, new, g, lr = ref.get(up.old), ref.get(up.new), ref.get(up.grads), up.learning_rate
    if isinstance(up.state, Momentum) and isinstance(up.old_state, Momentum):
        v0, v1 = ref.get(up.old_state.velocity), ref.get(up.state.velocity)
        return [
            f"Momentum: v ← μ·v + dL/d{kind} = {_m(c.momentum)} × {_p(v0, 4)} + {_p(g, 4)} = {_m(v1, 4)}",
            _first_fitting(
                f"Update: {name} ← {kind} − lr·v = {_m(old)} − {_m(lr)} × {_p(v1, 4)} = {_m(new)}",
                f"Update: {name} ← {_m(old)} − {_m(lr)} × {_p(v1, 4)} = {_m(new)}",
            ),
        ]
    assert isinstance(up.state, Adam)
    m_hat, v_hat = adam_corrected(up.state, c.beta1, c.beta2)
    mh, vh = ref.get(m_hat), ref.get(v_hat)
    m, v, t = _m(ref.get(up.state.m), 4), _m(ref.get(up.state.v), 4), up.state.t
    return [
        _first_fitting(
            f"Adam, update {t}: m ← β1·m + (1−β1)·g = {m}, v ← β2·v + (1−β2)·g² = {v}",
            f"Adam, t = {t}: m ← β1·m + (1−β1)·g = {m}; v ← β2·v + (1−β2)·g² = {v}",
            f"Adam, update {t}: m = {m}, v = {v} (running means of g and g²)",
        ),
        f"m̂ = m/(1−β1ᵗ) = {_m(mh, 4)}, v̂ = v/(1−β2ᵗ) = {_m(vh, 4)} (β1 {_m(c.beta1)}, β2 {_m(c.beta2)})",
        _first_fitting(
            f"Update: {name} ← {kind} − lr·m̂/(√v̂ + ε) = {_m(old)} − {_m(lr)} × {_p(mh, 4)}/√{_m(vh, 4)} = {_m(new)}",
            f"Update: {name} ← {_m(old)} − {_m(lr)} × {_p(mh, 4)}/√{_m(vh, 4)} = {_m(new)}",
        ),
    ]


def _stop_line(trainer: Trainer) -> str:
    stop = trainer.stop
    assert stop is not None
    if stop.reason == StopReason.CONVERGED:
        return f"Done: {stop.message}."
    if stop.reason == StopReason.DIVERGED:
        return f"Stopped: {stop.message}. The learning rate is too large."
    return f"Stopped: {stop.message}."
