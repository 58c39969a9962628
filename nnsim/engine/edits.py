"""Editing a run's set-up live: which settings an Edit record may change, their checks, and what they keep.

An edit names a setting and gives its new value as text (``Edit("hidden", "4,2")``,
``Edit("optimizer", "adam")``, ``Edit("l2", "0.001")``), so that the record travels as JSON
unchanged. :func:`edited` checks the value with the scenario files' rules and gives the new
architecture and configuration; :func:`carried` moves the parameters (and the optimiser's state)
to a new architecture, keeping every weight whose two nodes are still there and drawing the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .features import feature
from .functions import HIDDEN_ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS
from .network import INIT_SCHEMES, Architecture, Params, init_params
from .phases import OPTIMIZERS

if TYPE_CHECKING:  # the trainer imports this module
    from .trainer import Config, Dataset

LOSS_NAMES = tuple(name for name in LOSSES if name != "binary_cross_entropy")  # chosen by the output
MAX_HIDDEN_LAYERS = 100  # as a scenario's [network] hidden
MAX_TEXT = 1000  # characters of an edit's value
MAX_INPUT = 1e15  # the largest derived input, in size (as a scenario's data values)


@dataclass(frozen=True)
class Setting:
    """One editable setting: its name (the Edit's key), where a scenario file keeps it, and its check.

    ``choices`` (one of these names), or a number: ``above`` (greater than), ``minimum`` (at
    least) and ``below`` (less than), as the scenario schema's keys of the same name.
    """

    key: str
    table: str
    doc: str
    choices: tuple[str, ...] = ()
    above: float | None = None
    minimum: float | None = None
    below: float | None = None

    def expected(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.key == "hidden":
            return f"layer sizes (whole numbers > 0) separated by commas, at most {MAX_HIDDEN_LAYERS}, or none"
        if self.key == "features":
            return "columns of the data or formulas (x1*x2, x1^2, sin(x1)) separated by commas"
        if self.key == "batch":
            return '"full", "sample" or a whole number of rows'
        if self.below is not None:
            return f"a number >= {self.minimum or 0:g} and < {self.below:g}"
        if self.above is not None:
            return f"a number > {self.above:g}"
        return f"a number >= {self.minimum or 0:g}"


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("features", "data", "derived inputs, e.g. x1, x1*x2"),
        Setting("hidden", "network", "hidden layer sizes, e.g. 4,2"),
        Setting("activation", "network", "every hidden layer's activation", HIDDEN_ACTIVATIONS),
        Setting("output", "network", "the output's activation", OUTPUT_ACTIVATIONS),
        Setting("loss", "training", "the loss function", LOSS_NAMES),
        Setting("reduction", "training", "sum or mean (cross_entropy)", ("sum", "mean")),
        Setting("batch", "training", "rows a step: full, sample or N"),
        Setting("init", "network", "how new weights are drawn", INIT_SCHEMES),
        Setting("optimizer", "training", "the update rule", OPTIMIZERS),
        Setting("momentum", "training", "momentum's μ", minimum=0, below=1),
        Setting("beta1", "training", "Adam's β1", minimum=0, below=1),
        Setting("beta2", "training", "Adam's β2", minimum=0, below=1),
        Setting("adam_eps", "training", "Adam's ε", above=0),
        Setting("l2", "training", "adds l2·Σw² to the loss", minimum=0),
        Setting("l1", "training", "adds l1·Σ|w| to the loss", minimum=0),
    )
}
NUMBERS = ("momentum", "beta1", "beta2", "adam_eps", "l2", "l1")


def value_text(key: str, arch: Architecture, config: Config) -> str:
    """A setting's current value as an Edit would write it: '4,2', 'tanh', 'full', '0.9'."""
    if key == "hidden":
        return ",".join(str(n) for n in arch.sizes[1:-1])
    if key in ("activation", "output"):
        return str(getattr(arch, key))
    if key == "reduction":
        return "mean" if config.mean else "sum"
    if key in NUMBERS:
        return repr(float(getattr(config, key)))
    return str(getattr(config, key))


def hidden_sizes(text: str) -> tuple[int, ...]:
    """'4, 2' (or '[4, 2]', or '' for none) as (4, 2); ValueError naming the problem otherwise."""
    inner = text.strip().removeprefix("[").removesuffix("]").strip()
    if not inner or inner.lower() == "none":
        return ()
    parts = [p.strip() for p in inner.split(",")]
    if len(parts) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"hidden: at most {MAX_HIDDEN_LAYERS} layers, got {len(parts)}")
    if not all(p.isdigit() and p.isascii() and int(p) > 0 for p in parts):
        raise ValueError(f"hidden: expected {SETTINGS['hidden'].expected()}, got {text[:40]!r}")
    return tuple(int(p) for p in parts)


def edited(key: str, text: str, arch: Architecture, config: Config, rows: int) -> tuple[Architecture, Config]:
    """The architecture and configuration after setting ``key`` to ``text``; ValueError if that is not allowed.

    The checks are the scenario files' (``rows`` bounds a mini-batch): a name among the choices,
    a number in its range, softmax with 2 outputs or more, cross_entropy with a softmax or sigmoid
    output, reduction with cross_entropy only. Setting a value it already has is refused too.
    """
    setting = SETTINGS.get(key)
    if key == "features":
        raise ValueError("features: the data's inputs change too (see featured)")
    if setting is None:
        raise ValueError(f"no setting {key[:40]!r} (expected one of: {', '.join(SETTINGS)})")
    if len(text) > MAX_TEXT:
        raise ValueError(f"{key}: a value of at most {MAX_TEXT} characters, got {len(text)}")
    if key == "activation" and "," in text:  # one per hidden layer, in order
        names = [name.strip() for name in text.split(",")]
        if len(names) != arch.n_layers - 1:
            raise ValueError(f"activation: one name, or one per hidden layer ({arch.n_layers - 1}); got {len(names)}")
        bad = [name for name in names if name not in HIDDEN_ACTIVATIONS]
        if bad:
            raise ValueError(f"activation: expected {setting.expected()}, got {bad[0][:40]!r}")
        text = ",".join(names) if len(set(names)) > 1 else names[0]
    elif setting.choices and text not in setting.choices:
        raise ValueError(f"{key}: expected {setting.expected()}, got {text[:40]!r}")
    if text == value_text(key, arch, config) and key not in NUMBERS:
        raise ValueError(f"{key} is {text[:40]} already")
    if key == "hidden":
        sizes = (arch.sizes[0], *hidden_sizes(text), arch.sizes[-1])
        if sizes == arch.sizes:
            raise ValueError(f"hidden is {value_text(key, arch, config) or 'none'} already")
        new = replace(arch, sizes=sizes)
        acts = new.hidden_activations()  # one each stays one each: the layers kept keep theirs
        joined = ",".join(acts) if len(set(acts)) > 1 else (acts[0] if acts else arch.activation.split(",")[0])
        return replace(new, activation=joined), config
    if key == "activation":
        return replace(arch, activation=text), config  # checked above: one name, or one per hidden layer
    if key == "output":
        if text == "softmax" and arch.sizes[-1] < 2:
            raise ValueError(f"output: softmax needs at least 2 outputs (targets), got {arch.sizes[-1]}")
        if config.loss == "cross_entropy" and text not in ("softmax", "sigmoid"):
            raise ValueError(f"output: cross_entropy needs a softmax or sigmoid output, got {text!r}")
        return replace(arch, output=text), config
    if key == "loss":
        if text == "cross_entropy" and arch.output not in ("softmax", "sigmoid"):
            raise ValueError(f"loss: cross_entropy needs a softmax or sigmoid output, got {arch.output!r}")
        return arch, replace(config, loss=text, mean=config.mean and text == "cross_entropy")
    if key == "reduction":
        if config.loss != "cross_entropy":
            raise ValueError(f"reduction: applies only to cross_entropy ({config.loss} has a fixed form)")
        return arch, replace(config, mean=text == "mean")
    if key == "batch":
        batch: str | int = text
        if text not in ("full", "sample"):
            if not (text.isdigit() and text.isascii() and 1 <= int(text) <= rows):
                raise ValueError(f"batch: expected {setting.expected()} from 1 to {rows}, got {text[:40]!r}")
            batch = int(text)
        if batch == config.batch:
            raise ValueError(f"batch is {text} already")
        return arch, replace(config, batch=batch)
    if key in ("init", "optimizer"):
        changes: dict[str, Any] = {key: text}
        return arch, replace(config, **changes)
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    ok = math.isfinite(number)
    ok = ok and (setting.above is None or number > setting.above)
    ok = ok and (setting.minimum is None or number >= setting.minimum)
    ok = ok and (setting.below is None or number < setting.below)
    if not ok:
        raise ValueError(f"{key}: expected {setting.expected()}, got {text[:40]!r}")
    if number == getattr(config, key):
        raise ValueError(f"{key} is {number:g} already")
    numbers: dict[str, Any] = {key: number}
    return arch, replace(config, **numbers)


def features_text(data: Dataset) -> str:
    """The network's inputs as a features edit writes them: 'x1, x2, x1*x2'."""
    return ", ".join(data.inputs)


def featured(text: str, data: Dataset, test: Dataset | None) -> tuple[Dataset, Dataset | None]:
    """The training and held-out rows with the inputs ``text`` names, computed from the data's own columns.

    ``text`` lists columns and formulas separated by commas ('x1, x2, x1*x2, sin(x1)'); empty means
    the data's own columns. ValueError names what is wrong, as a scenario's ``[data] features``.
    """
    if len(text) > MAX_TEXT:
        raise ValueError(f"features: a value of at most {MAX_TEXT} characters, got {len(text)}")
    names, _ = data.source or (data.inputs, data.x)
    wanted = tuple(p.strip() for p in text.split(",")) if text.strip() else names
    if not all(wanted):
        raise ValueError(f"features: expected {SETTINGS['features'].expected()}, got {text[:40]!r}")
    if len(set(wanted)) != len(wanted):
        raise ValueError(f"features: a feature repeats in {text[:40]!r}")
    if wanted == data.inputs:
        raise ValueError(f"features are {text[:40]} already")
    functions = []
    for name in wanted:
        try:
            functions.append(feature(name, names))
        except ValueError as e:
            raise ValueError(f"features: {name[:40]!r}: {e}") from None

    def derived(d: Dataset) -> Dataset:
        source = d.source or (d.inputs, d.x)
        columns = dict(zip(source[0], source[1].T))
        with np.errstate(all="ignore"):
            x = np.column_stack([np.broadcast_to(f(columns), len(d)) for f in functions]).astype(float)
        for k, name in enumerate(wanted):
            biggest = float(np.abs(x[:, k]).max()) if len(x) else 0.0
            if not biggest <= MAX_INPUT:
                raise ValueError(f"features: {name[:40]!r} reaches {biggest:.3g}, more than {MAX_INPUT:g}")
        return replace(d, inputs=wanted, x=x, source=source)

    return derived(data), None if test is None else derived(test)


def carried_inputs(
    old_inputs: tuple[str, ...], new_inputs: tuple[str, ...], new: Architecture, w0: np.ndarray, fresh: np.ndarray
) -> np.ndarray:
    """The first layer's weights for new inputs: the row of an input that stays (by name), else ``fresh``'s."""
    out = fresh.copy()
    for i, name in enumerate(new_inputs):
        if name in old_inputs:
            out[i] = w0[old_inputs.index(name)]
    return out


def kept_layers(old: Architecture, new: Architecture) -> list[tuple[int, int] | None]:
    """For each layer of weights of ``new``: how much of the old layer of the same place it keeps.

    A weight joins two nodes; it is kept when both nodes were there and were joined before: the
    first rows and columns (the overlap) of the same layer, when that layer fed a hidden layer in
    both networks or the output in both. None when nothing is kept (the layer is drawn anew).
    """
    out: list[tuple[int, int] | None] = []
    for layer, (n_in, n_out) in enumerate(new.shapes()):
        if layer >= old.n_layers or (layer == new.n_layers - 1) != (layer == old.n_layers - 1):
            out.append(None)
            continue
        o_in, o_out = old.shapes()[layer]
        out.append((min(n_in, o_in), min(n_out, o_out)))
    return out


def carried(old_arch: Architecture, new: Architecture, params: Params, init: str, rng: np.random.Generator) -> Params:
    """``params`` moved to ``new``: kept weights and biases (see kept_layers), the others drawn from ``rng``.

    Every new layer is drawn whole (so the draw depends only on the shapes and the rng), then the
    kept block is copied over it; a kept node keeps its bias, a new node's bias is 0.
    """
    fresh = init_params(new, init, rng)
    for layer, keep in enumerate(kept_layers(old_arch, new)):
        if keep is None:
            continue
        i, j = keep
        fresh.weights[layer][:i, :j] = params.weights[layer][:i, :j]
        if fresh.biases is not None and params.biases is not None:
            fresh.biases[layer][:j] = params.biases[layer][:j]
    return fresh


def carried_zeros(old_arch: Architecture, new: Architecture, state: Params) -> Params:
    """An optimiser's state array set moved to ``new``: kept where the weights are kept, 0 elsewhere."""
    return carried(old_arch, new, state, "zeros", np.random.default_rng(0))


def kept_text(old: Architecture, new: Architecture) -> str:
    """What an architecture edit kept and drew: 'w[0] kept; w[1] (4×2), w[2] (2×1) drawn anew'."""
    kept, partly, drawn = [], [], []
    for layer, keep in enumerate(kept_layers(old, new)):
        n_in, n_out = new.shapes()[layer]
        if keep is None:
            drawn.append(f"w[{layer}] ({n_in}×{n_out})")
        elif keep == (n_in, n_out) and old.shapes()[layer] == (n_in, n_out):
            kept.append(f"w[{layer}]")
        else:
            o_in, o_out = old.shapes()[layer]
            partly.append(f"w[{layer}] {o_in}×{o_out} → {n_in}×{n_out} ({keep[0]}×{keep[1]} kept)")
    parts = []
    if kept:
        parts.append(", ".join(kept) + " kept")
    if partly:
        parts.append(", ".join(partly))
    if drawn:
        parts.append(", ".join(drawn) + " drawn anew")
    return "; ".join(parts)
