"""How well a classifier does, counted: the confusion matrix (actual class × predicted class).

The class of a row is the arg-max of its one-hot target; the prediction is the arg-max of the
network's outputs (softmax). With one output column (sigmoid, 0/1 targets) the classes are 0
and 1 and the prediction is whether the output is above 0.5, as ``Trainer.accuracy`` counts.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def classes(values: Array) -> Array:
    """Each row's class: the arg-max of its columns, or (one column) whether it is above 0.5."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 1 or values.shape[1] == 1:
        return (values.reshape(-1) > 0.5).astype(int)
    return values.argmax(axis=1)


def confusion(outputs: Array, y: Array) -> Array:
    """counts[i, j]: how many rows of actual class i the network puts in class j (k × k integers).

    The diagonal holds the rows classified right; a row sums to the rows of that class.
    """
    y = np.asarray(y, dtype=float)
    k = 2 if y.ndim == 1 or y.shape[1] == 1 else y.shape[1]
    actual, predicted = classes(y), classes(outputs)
    return np.bincount(actual * k + predicted, minlength=k * k).reshape(k, k)
