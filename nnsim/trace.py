"""A training run as plain records: one per step, for JSON lines, CSV and exports.

No Rich or Textual here: the CLI and the TUI both write what these functions return.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .engine import Adam, OptimizerState, Trainer, param_refs, state_params

CSV_HEADER = [
    "step",
    "loss",
    "learning_rate",
    "parameter",
    "layer",
    "kind",
    "i",
    "j",
    "value",
    "gradient",
    "change",
    "new_value",
]


def number(value: float) -> float | str:
    """A float for JSON: finite as is, inf and NaN as the strings "inf", "-inf" and "nan"."""
    value = float(value)
    return value if math.isfinite(value) else str(value)


def nested(array: np.ndarray) -> Any:
    """An array as nested lists of JSON-safe numbers."""
    if np.isfinite(array).all():
        return array.tolist()
    if array.ndim == 0:
        return number(float(array))
    return [nested(a) for a in array]


def arrays(items: list[np.ndarray] | None) -> Any:
    return None if items is None else [nested(a) for a in items]


def optional(value: float | None) -> float | str | None:
    return None if value is None else number(value)


def optimizer_record(state: OptimizerState) -> dict[str, Any] | None:
    """The optimiser's state as JSON: {"velocity": {"weights", "biases"}} or {"m": …, "v": …, "t": n}; None for sgd."""
    if state is None:
        return None
    out: dict[str, Any] = {
        name: {"weights": arrays(p.weights), "biases": arrays(p.biases)} for name, p in state_params(state).items()
    }
    if isinstance(state, Adam):
        out["t"] = state.t
    return out


def step_record(trainer: Trainer, full: bool = False) -> dict[str, Any]:
    """The step that just completed (the trainer's last phase must be 'update').

    ``full`` adds every node's numbers for every sample of the batch (in the order of ``rows``):
    ``z`` and ``delta`` (dL/dz, the sample's share of the loss) per layer of weights, and ``a``
    per layer of nodes, ``a[0]`` being the input row.
    """
    up, fp, loss = trainer.update_result, trainer.forward_pass, trainer.loss_result
    assert up is not None and fp is not None and loss is not None
    record = {
        "step": trainer.step_count,
        "loss": number(loss.total),
        "data_loss": number(loss.data_loss),
        "accuracy": optional(loss.accuracy),
        "test_loss": optional(loss.test_loss),
        "test_accuracy": optional(loss.test_accuracy),
        "learning_rate": up.learning_rate,
        "rows": [int(r) for r in fp.rows],
        "weights": arrays(up.old.weights),
        "biases": arrays(up.old.biases),
        "outputs": nested(fp.output),
        "grad_weights": arrays(up.grads.weights),
        "grad_biases": arrays(up.grads.biases),
        "new_weights": arrays(up.new.weights),
        "new_biases": arrays(up.new.biases),
        "optimizer_state": optimizer_record(up.state),
    }
    if full:
        record["z"] = arrays(fp.z)
        record["a"] = arrays(fp.a)
        record["delta"] = arrays(up.grads.deltas)
    return record


def stop_record(trainer: Trainer, requested: bool = True) -> dict[str, Any]:
    """The last line: why the run ended, how many steps, and the loss over every row at the final parameters.

    With no stop reason the run ended after the steps asked for (``requested``), or, in an export
    of a run still going, ``stop`` is null.
    """
    stop = trainer.stop
    if stop is not None:
        reason: str | None = stop.reason
        message = stop.message
    elif requested:
        reason, message = "steps", f"ran the requested number of steps ({trainer.step_count})"
    else:
        reason, message = None, f"still training after {trainer.step_count} steps"
    return {"stop": reason, "message": message, "steps": trainer.step_count, "loss": number(trainer.dataset_loss())}


def csv_rows(trainer: Trainer) -> Iterator[list[Any]]:
    """One row per parameter for the step that just completed (see CSV_HEADER)."""
    up, loss = trainer.update_result, trainer.loss_result
    assert up is not None and loss is not None
    single = trainer.arch.n_params == 1
    for ref in param_refs(trainer.arch):
        i, j = ref.index if ref.kind == "w" else (None, ref.index[0])
        yield [
            trainer.step_count,
            number(loss.total),
            up.learning_rate,
            ref.label(single),
            ref.layer,
            ref.kind,
            "" if i is None else i,
            j,
            number(ref.get(up.old)),
            number(ref.get(up.grads)),
            number(up.change(ref)),
            number(ref.get(up.new)),
        ]
