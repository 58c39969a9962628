"""The phases of one training step, and what each one leaves behind.

A step is forward → loss → backward → update. The network's two passes are in ``network.py``;
the loss terms in ``functions.py``; the update, the line every lesson ends on, is here:

    w ← w − lr · dL/dw
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
    """Per-sample error y′ − y and loss term (the terms sum to ``total``), and dL/dy′.

    ``dataset_total`` is the loss over every row: the same as ``total`` in full-batch mode; in
    sample and mini-batch modes it is what the stop test and the loss history use.
    """

    errors: Array
    terms: Array
    total: float
    grad_output: Array
    dataset_total: float


@dataclass(frozen=True)
class UpdateResult:
    """w ← w − lr·g for every parameter: the old values, the gradients and the new values."""

    learning_rate: float
    old: Params
    grads: Gradients
    new: Params

    def change(self, ref: ParamRef) -> float:
        return ref.get(self.new) - ref.get(self.old)


def update(params: Params, grads: Gradients, lr: float) -> Params:
    """Gradient descent: move every weight and bias a step of size lr against its slope."""
    weights = [w - lr * g for w, g in zip(params.weights, grads.weights)]
    biases = None
    if params.biases is not None and grads.biases is not None:
        biases = [b - lr * g for b, g in zip(params.biases, grads.biases)]
    return Params(weights, biases)
