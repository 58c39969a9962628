"""Activations and losses: each a forward formula and its derivative.

Every array here has one row per sample. Derivatives are the ones the chain rule needs:
an activation turns dL/da into dL/dz, a loss gives its per-sample terms and dL/dy'.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """a = forward(z); backward(z, a, dL/da) gives dL/dz."""

    name: str
    formula: str
    forward: Callable[[Array], Array]
    backward: Callable[[Array, Array, Array], Array]


def _sigmoid(z: Array) -> Array:
    # 0.5 * (1 + tanh(z / 2)) is the logistic function without overflow in exp.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _softmax(z: Array) -> Array:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softmax_backward(z: Array, a: Array, grad_a: Array) -> Array:
    # Jacobian-vector product of softmax: dz_j = a_j (da_j - sum_k da_k a_k)
    return a * (grad_a - (grad_a * a).sum(axis=1, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation("identity", "a = z", lambda z: z, lambda z, a, g: g),
    "relu": Activation("relu", "a = max(0, z)", lambda z: np.maximum(z, 0.0), lambda z, a, g: g * (z > 0)),
    "sigmoid": Activation("sigmoid", "a = 1 / (1 + e^-z)", _sigmoid, lambda z, a, g: g * a * (1.0 - a)),
    "tanh": Activation("tanh", "a = tanh(z)", np.tanh, lambda z, a, g: g * (1.0 - a * a)),
    "softmax": Activation("softmax", "a = e^z / Σ e^z", _softmax, _softmax_backward),
}
HIDDEN_ACTIVATIONS = ("identity", "relu", "sigmoid", "tanh")
OUTPUT_ACTIVATIONS = HIDDEN_ACTIVATIONS + ("softmax",)

# log() never sees exactly 0 or 1: a saturated output gives a large finite loss, not inf.
_CLIP = 1e-12


@dataclass(frozen=True)
class Loss:
    """terms(y_pred, y, mean) -> (per-sample terms that sum to the loss, dL/dy')."""

    name: str
    formula: str
    terms: Callable[[Array, Array, bool], tuple[Array, Array]]


def _sse(p: Array, y: Array, mean: bool) -> tuple[Array, Array]:
    d = p - y
    return (d * d).sum(axis=1), 2.0 * d


def _half_sse(p: Array, y: Array, mean: bool) -> tuple[Array, Array]:
    d = p - y
    return 0.5 * (d * d).sum(axis=1), d


def _mse(p: Array, y: Array, mean: bool) -> tuple[Array, Array]:
    d = p - y
    scale = 1.0 / d.size
    return scale * (d * d).sum(axis=1), 2.0 * scale * d


def _cross_entropy(p: Array, y: Array, mean: bool, binary: bool) -> tuple[Array, Array]:
    pc = np.clip(p, _CLIP, 1.0 - _CLIP)
    if binary:
        terms = -(y * np.log(pc) + (1.0 - y) * np.log(1.0 - pc)).sum(axis=1)
        grad = -y / pc + (1.0 - y) / (1.0 - pc)
    else:
        terms = -(y * np.log(pc)).sum(axis=1)
        grad = -y / pc
    if mean:
        n = p.shape[0]
        return terms / n, grad / n
    return terms, grad


LOSSES: dict[str, Loss] = {
    "sse": Loss("sse", "L = Σ (y′ − y)²", _sse),
    "half_sse": Loss("half_sse", "L = ½ Σ (y − y′)²", _half_sse),
    "mse": Loss("mse", "L = (1/nk) Σ (y′ − y)²", _mse),
    "cross_entropy": Loss(
        "cross_entropy", "L = −Σ y·log y′", lambda p, y, mean: _cross_entropy(p, y, mean, binary=False)
    ),
    "binary_cross_entropy": Loss(
        "binary_cross_entropy",
        "L = −Σ [y·log y′ + (1−y)·log(1−y′)]",
        lambda p, y, mean: _cross_entropy(p, y, mean, binary=True),
    ),
}


def penalty(weights: list[Array], l2: float, l1: float) -> float:
    """Regularisation: l2·Σw² + l1·Σ|w| over the weights (never the biases), added to the loss."""
    if not (l2 or l1):
        return 0.0
    return float(sum(l2 * (w * w).sum() + l1 * np.abs(w).sum() for w in weights))


def penalty_gradient(w: Array, l2: float, l1: float) -> Array:
    """The penalty's slope for one weight matrix: 2·l2·w + l1·sign(w)."""
    return 2.0 * l2 * w + l1 * np.sign(w)
