"""nnsim's engine: pure NumPy, no user interface. Everything a screen shows comes out of here.

- ``functions``: activations and losses, each with its derivative
- ``network``: the network's shape, its parameters, ``forward`` and ``backward``
- ``phases``: the phases of a step, why training stops, and ``update`` (w ← w − lr·g), with
  ``momentum_update`` and ``adam_update`` beside it
- ``actions``: every change to a run as a JSON-serialisable record
- ``edits``: the settings an Edit record changes live, their checks, and which weights they keep
- ``history``: the records so far, undo and redo
- ``probe``: nudge a parameter and watch the loss
- ``metrics``: a classifier's confusion matrix
- ``trainer``: one run, phase by phase
"""

from . import actions, edits
from .functions import ACTIVATIONS, HIDDEN_ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS
from .metrics import confusion
from .network import INIT_SCHEMES, Architecture, ParamRef, Params, param_refs
from .phases import (
    OPTIMIZERS,
    PHASES,
    Adam,
    LossResult,
    Momentum,
    OptimizerState,
    Phase,
    Score,
    Stop,
    StopReason,
    UpdateResult,
    adam_corrected,
    adam_update,
    momentum_update,
    state_params,
    update,
)
from .probe import Probe, gradient_check
from .trainer import Config, Dataset, PhaseError, Resume, Trainer, TrainingStopped

__all__ = [
    "ACTIVATIONS",
    "HIDDEN_ACTIVATIONS",
    "INIT_SCHEMES",
    "LOSSES",
    "OPTIMIZERS",
    "OUTPUT_ACTIVATIONS",
    "PHASES",
    "Adam",
    "Architecture",
    "Config",
    "Dataset",
    "LossResult",
    "Momentum",
    "OptimizerState",
    "ParamRef",
    "Params",
    "Phase",
    "PhaseError",
    "Resume",
    "Probe",
    "Score",
    "Stop",
    "StopReason",
    "Trainer",
    "TrainingStopped",
    "UpdateResult",
    "actions",
    "edits",
    "adam_corrected",
    "adam_update",
    "confusion",
    "gradient_check",
    "momentum_update",
    "param_refs",
    "state_params",
    "update",
]
