"""nnsim: watch a neural network learn, one keypress at a time."""

__version__ = "0.1.0"
