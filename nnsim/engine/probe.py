"""The nudge test: move one parameter a little and watch the loss; the slope without calculus.

At w = 2 in the worked example, L(2.0001) = 119.988 and L(1.9999) = 120.012, so the slope is
(119.988 − 120.012) / 0.0002 = −120, the same number backprop gives. The probe keeps every row's
y′ and loss term at w + ε and at w − ε too, so a table can set them side by side as the lesson does
(row x = 4: y′ = 8.0004 and (y′ − y)² = 63.9936 at w = 2.0001).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .functions import penalty
from .network import ParamRef, Params, forward, param_refs

if TYPE_CHECKING:
    from .trainer import Trainer

Array = np.ndarray


@dataclass(frozen=True, eq=False)
class Probe:
    """The nudge test for one parameter: L(w−ε), L(w), L(w+ε), the slope and the analytic dL/dw.

    ``rows`` are the dataset rows the losses are over (``trainer.probe_rows()``, in that order);
    ``outputs_minus``/``outputs_plus`` hold each row's outputs y′ (rows × outputs) and
    ``terms_minus``/``terms_plus`` each row's loss term at w − ε and at w + ε: the terms sum to
    ``loss_minus``/``loss_plus`` less the regularisation penalty (which is not a row's).
    ``analytic`` is backprop's dL/dw at the current parameters on the same rows, computed whatever
    phase the step is in: a view names it only once backprop has run.
    """

    ref: ParamRef
    value: float
    epsilon: float
    loss_minus: float
    loss: float
    loss_plus: float
    analytic: float
    rows: Array
    outputs_minus: Array
    outputs_plus: Array
    terms_minus: Array
    terms_plus: Array

    @property
    def slope(self) -> float:
        return (self.loss_plus - self.loss_minus) / (2.0 * self.epsilon)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Probe):
            return NotImplemented
        scalars = ("ref", "value", "epsilon", "loss_minus", "loss", "loss_plus", "analytic")
        arrays = ("rows", "outputs_minus", "outputs_plus", "terms_minus", "terms_plus")
        return all(getattr(self, f) == getattr(other, f) for f in scalars) and all(
            np.array_equal(getattr(self, f), getattr(other, f), equal_nan=True) for f in arrays
        )

    __hash__ = None  # type: ignore[assignment]


def _at(trainer: Trainer, params: Params, rows: Array) -> tuple[Array, Array, float]:
    """Each row's outputs and loss term with ``params`` on ``rows``, and the loss (with the penalty)."""
    x, y = trainer.data.x[rows], trainer.data.y[rows]
    c = trainer.config
    with np.errstate(all="ignore"):
        out = forward(trainer.arch, params, x, rows).output
        terms = trainer.loss_fn.terms(out, y, c.mean)[0]
        return out, terms, float(terms.sum()) + penalty(params.weights, c.l2, c.l1)


def probe(trainer: Trainer, ref: ParamRef, epsilon: float) -> Probe:
    """L at w − ε, w and w + ε on this step's batch, each row's y′ and loss term at w ± ε, and backprop's dL/dw."""
    rows = np.asarray(trainer.probe_rows()).copy()
    value = ref.get(trainer.params)
    nudged = trainer.params.copy()
    ref.set(nudged, value - epsilon)
    out_minus, terms_minus, loss_minus = _at(trainer, nudged, rows)
    ref.set(nudged, value + epsilon)
    out_plus, terms_plus, loss_plus = _at(trainer, nudged, rows)
    loss = trainer.loss_at(trainer.params, rows)
    g = trainer.analytic_gradients(trainer.params, rows)
    return Probe(
        ref, value, epsilon, loss_minus, loss, loss_plus, ref.get(g), rows, out_minus, out_plus, terms_minus, terms_plus
    )


def loss_curve(trainer: Trainer, ref: ParamRef, values: Array) -> Array:
    """The loss as a function of one parameter, the others held where they are."""
    rows = trainer.probe_rows()
    p = trainer.params.copy()
    out = np.empty(len(values))
    for k, v in enumerate(values):
        ref.set(p, float(v))
        out[k] = trainer.loss_at(p, rows)
    return out


def gradient_check(trainer: Trainer, epsilon: float = 1e-5) -> float:
    """Largest relative error between central differences and backprop over every parameter."""
    rows = trainer.probe_rows()
    params = trainer.params.copy()
    g = trainer.analytic_gradients(params, rows)
    worst = 0.0
    for ref in param_refs(trainer.arch):
        value = ref.get(params)
        ref.set(params, value + epsilon)
        plus = trainer.loss_at(params, rows)
        ref.set(params, value - epsilon)
        minus = trainer.loss_at(params, rows)
        ref.set(params, value)
        numeric = (plus - minus) / (2 * epsilon)
        analytic = ref.get(g)
        scale = max(abs(numeric), abs(analytic), 1e-3)
        worst = max(worst, abs(numeric - analytic) / scale)
    return worst
