"""nnsim's engine: pure NumPy, no user interface. Everything a screen shows comes out of here."""

from .functions import ACTIVATIONS, HIDDEN_ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS
from .network import INIT_SCHEMES, Architecture, ParamRef, Params, param_refs
from .trainer import (
    PHASES,
    Config,
    Dataset,
    PhaseError,
    Probe,
    Stop,
    Trainer,
    TrainingStopped,
    gradient_check,
)

__all__ = [
    "ACTIVATIONS",
    "HIDDEN_ACTIVATIONS",
    "INIT_SCHEMES",
    "LOSSES",
    "OUTPUT_ACTIVATIONS",
    "PHASES",
    "Architecture",
    "Config",
    "Dataset",
    "ParamRef",
    "Params",
    "PhaseError",
    "Probe",
    "Stop",
    "Trainer",
    "TrainingStopped",
    "gradient_check",
    "param_refs",
]
