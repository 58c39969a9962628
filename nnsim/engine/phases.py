"""The phases of one training step, and what each one leaves behind.

A step is forward → loss → backward → update. The network's two passes are in ``network.py``;
the loss terms in ``functions.py``; the update, the line every lesson ends on, is here:

    w ← w − lr · dL/dw

with its two variations beside it: ``momentum_update`` and ``adam_update`` (PyTorch's forms).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from .network import Gradients, ParamRef, Params

Array = np.ndarray


class Phase(StrEnum):
    """What ran last. A run starts with a GUESS; each step is FORWARD, LOSS, BACKWARD, UPDATE."""

    GUESS = "guess"
    FORWARD = "forward"
    LOSS = "loss"
    BACKWARD = "backward"
    UPDATE = "update"


PHASES = (Phase.FORWARD, Phase.LOSS, Phase.BACKWARD, Phase.UPDATE)
NEXT_PHASE = {
    Phase.GUESS: Phase.FORWARD,
    Phase.FORWARD: Phase.LOSS,
    Phase.LOSS: Phase.BACKWARD,
    Phase.BACKWARD: Phase.UPDATE,
    Phase.UPDATE: Phase.FORWARD,
}


class StopReason(StrEnum):
    """Why training stopped."""

    CONVERGED = "converged"
    DIVERGED = "diverged"
    MAX_STEPS = "max_steps"


@dataclass(frozen=True)
class Stop:
    """Why training stopped, at which step, in a sentence."""

    reason: StopReason
    step: int
    message: str


@dataclass(frozen=True)
class LossResult:
    """Per-sample error y′ − y and loss term (the terms sum to ``data_loss``), and dL/dy′.

    ``total`` is the loss being minimised: ``data_loss`` plus the penalty l2·Σw² + l1·Σ|w|.
    ``dataset_total`` is that total over every training row: the same as ``total`` in full-batch
    mode; in sample and mini-batch modes it is what the stop test and the loss history use.
    ``accuracy`` and ``test_accuracy`` (a classification's share of rows right, over every training
    row and every held-out row) and ``test_loss`` (the data loss over the held-out rows) are at the
    same parameters; None when there is no test set or the network does not classify.
    """

    errors: Array
    terms: Array
    total: float
    grad_output: Array
    dataset_total: float
    data_loss: float = 0.0
    penalty: float = 0.0
    test_loss: float | None = None
    accuracy: float | None = None
    test_accuracy: float | None = None


class Score(NamedTuple):
    """One loss phase's scores: the loss over every training row (with the penalty), the data loss
    over the held-out rows, and the accuracies on each (None without a test set or classes).

    ``w`` is the weight at that loss phase when the network has exactly one parameter (the trail
    of past w values under the L(w) curve); None otherwise, so a big network's history stays small.
    """

    step: int
    loss: float
    test_loss: float | None
    accuracy: float | None
    test_accuracy: float | None
    w: float | None = None


@dataclass(frozen=True)
class Momentum:
    """Momentum's state: the velocity v of every parameter (it starts at 0)."""

    velocity: Params


@dataclass(frozen=True)
class Adam:
    """Adam's state: the running means m of g and v of g², and t, the number of updates so far."""

    m: Params
    v: Params
    t: int


OptimizerState = Momentum | Adam | None  # None: plain gradient descent (sgd) keeps no state
OPTIMIZERS = ("sgd", "momentum", "adam")


@dataclass(frozen=True)
class UpdateResult:
    """One update of every parameter: the old values, the gradients, the new values and the optimiser's state."""

    learning_rate: float
    old: Params
    grads: Gradients
    new: Params
    old_state: OptimizerState = None  # the optimiser's state before the update
    state: OptimizerState = None  # and after it

    def change(self, ref: ParamRef) -> float:
        return ref.get(self.new) - ref.get(self.old)


def update(params: Params, grads: Gradients, lr: float) -> Params:
    """Gradient descent: move every weight and bias a step of size lr against its slope."""
    weights = [w - lr * g for w, g in zip(params.weights, grads.weights)]
    biases = None
    if params.biases is not None and grads.biases is not None:
        biases = [b - lr * g for b, g in zip(params.biases, grads.biases)]
    return Params(weights, biases)


def momentum_update(params: Params, grads: Gradients, lr: float, state: Momentum, mu: float) -> tuple[Params, Momentum]:
    """Momentum: v ← μ·v + g, then w ← w − lr·v (the velocity remembers the past slopes)."""
    velocity = each(lambda v, g: mu * v + g, state.velocity, grads)
    return each(lambda w, v: w - lr * v, params, velocity), Momentum(velocity)


def adam_update(
    params: Params, grads: Gradients, lr: float, state: Adam, beta1: float, beta2: float, eps: float
) -> tuple[Params, Adam]:
    """Adam: running means of g and g², corrected for starting at 0, set each parameter's step.

    m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  m̂ = m/(1−β1ᵗ);  v̂ = v/(1−β2ᵗ);  w ← w − lr·m̂/(√v̂ + ε)
    """
    t = state.t + 1
    m = each(lambda m, g: beta1 * m + (1 - beta1) * g, state.m, grads)
    v = each(lambda v, g: beta2 * v + (1 - beta2) * g * g, state.v, grads)
    m_hat, v_hat = adam_corrected(Adam(m, v, t), beta1, beta2)
    step = each(lambda m, v: m / (np.sqrt(v) + eps), m_hat, v_hat)
    return each(lambda w, s: w - lr * s, params, step), Adam(m, v, t)


def adam_corrected(state: Adam, beta1: float, beta2: float) -> tuple[Params, Params]:
    """m̂ = m/(1−β1ᵗ) and v̂ = v/(1−β2ᵗ): the running means corrected for starting at 0."""
    t = state.t
    return each(lambda m, _: m / (1 - beta1**t), state.m, state.m), each(
        lambda v, _: v / (1 - beta2**t), state.v, state.v
    )


def zero_state(optimizer: str, params: Params) -> OptimizerState:
    """An optimiser's state before the first update: zeros shaped like the parameters (none for sgd)."""
    zeros = each(lambda w, _: np.zeros_like(w), params, params)
    if optimizer == "momentum":
        return Momentum(zeros)
    if optimizer == "adam":
        return Adam(zeros, zeros.copy(), 0)
    return None


def state_params(state: OptimizerState) -> dict[str, Params]:
    """The optimiser's arrays by name: {"velocity": …} or {"m": …, "v": …}; {} for sgd."""
    if isinstance(state, Momentum):
        return {"velocity": state.velocity}
    if isinstance(state, Adam):
        return {"m": state.m, "v": state.v}
    return {}


def each(f: Callable[[Array, Array], Array], a: Params, b: Params | Gradients) -> Params:
    """Params whose every array is f(a's array, b's array): weights with weights, biases with biases."""
    weights = [f(x, y) for x, y in zip(a.weights, b.weights)]
    biases = None
    if a.biases is not None and b.biases is not None:
        biases = [f(x, y) for x, y in zip(a.biases, b.biases)]
    return Params(weights, biases)
