"""The nudge test: move one parameter a little and watch the loss; the slope without calculus.

At w = 2 in the worked example, L(2.0001) = 119.988 and L(1.9999) = 120.012, so the slope is
(119.988 − 120.012) / 0.0002 = −120, the same number backprop gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .network import ParamRef, param_refs

if TYPE_CHECKING:
    from .trainer import Trainer

Array = np.ndarray


@dataclass(frozen=True)
class Probe:
    """The nudge test for one parameter: L(w−ε), L(w), L(w+ε), the slope and the analytic dL/dw."""

    ref: ParamRef
    value: float
    epsilon: float
    loss_minus: float
    loss: float
    loss_plus: float
    analytic: float

    @property
    def slope(self) -> float:
        return (self.loss_plus - self.loss_minus) / (2.0 * self.epsilon)


def probe(trainer: Trainer, ref: ParamRef, epsilon: float) -> Probe:
    """L at w − ε, w and w + ε on this step's batch, and backprop's dL/dw to compare."""
    rows = trainer.probe_rows()
    value = ref.get(trainer.params)
    nudged = trainer.params.copy()
    losses = []
    for v in (value - epsilon, value, value + epsilon):
        ref.set(nudged, v)
        losses.append(trainer.loss_at(nudged, rows))
    g = trainer.analytic_gradients(trainer.params, rows)
    return Probe(ref, value, epsilon, losses[0], losses[1], losses[2], ref.get(g))


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
