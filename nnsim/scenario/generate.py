"""Generated 2-D datasets (as in TensorFlow Playground); derived inputs such as x1*x2 or sin(x1) are the engine's
(``engine.features``, named here too).

Every set has columns x1, x2 and y, drawn from a seed: the same seed gives the same rows. The four
classification sets have two classes (y is 0 or 1), as many rows of each as ``n`` allows (the
rows alternate 1, 0, 1, 0…); ``plane`` is a regression, y = (x1 + x2) / 2. ``noise`` adds a normal
jitter of that standard deviation to x1 and x2 (to y for the plane); the class stays the one the
point was drawn for.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine.features import MAX_POWER as MAX_POWER
from ..engine.features import Feature as Feature
from ..engine.features import feature as feature

Array = np.ndarray
GENERATORS = ("circle", "xor", "gaussians", "spiral", "plane")
COLUMNS = ("x1", "x2", "y")


def generate(kind: str, n: int, noise: float, seed: int) -> Array:
    """``n`` rows of (x1, x2, y) of the set ``kind``, drawn from ``seed``."""
    rng = np.random.default_rng((seed, GENERATORS.index(kind)))
    y = (np.arange(n) % 2 == 0).astype(float)  # 1, 0, 1, 0, …: the classes balance
    if kind == "circle":  # class 1 inside radius 0.5, class 0 in the ring from 0.7 to 1
        angle = rng.uniform(0, 2 * math.pi, n)
        u = rng.uniform(0, 1, n)
        radius = np.where(y == 1, 0.5 * np.sqrt(u), 0.7 + 0.3 * u)
        x = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    elif kind == "xor":  # class 1 where x1 and x2 have different signs
        size = rng.uniform(0.05, 1, (n, 2))
        first = rng.choice([-1.0, 1.0], n)
        second = np.where(y == 1, -first, first)
        x = size * np.column_stack([first, second])
    elif kind == "gaussians":  # class 1 around (0.5, 0.5), class 0 around (−0.5, −0.5)
        centre = np.where(y == 1, 0.5, -0.5)[:, None]
        x = centre + rng.normal(0, 0.25, (n, 2))
    elif kind == "spiral":  # two arms winding out from the centre, half a turn apart
        t = np.arange(n) // 2 / max(1, (n + 1) // 2)
        angle = 3.5 * math.pi * t + np.where(y == 1, 0.0, math.pi)
        x = np.column_stack([t * np.sin(angle), t * np.cos(angle)])
    elif kind == "plane":
        x = rng.uniform(-1, 1, (n, 2))
        y = (x[:, 0] + x[:, 1]) / 2
        if noise:
            y = y + rng.normal(0, noise, n)
    else:
        raise ValueError(f"unknown data set {kind!r} (expected one of: {', '.join(GENERATORS)})")
    if noise and kind != "plane":
        x = x + rng.normal(0, noise, (n, 2))
    return np.column_stack([x, y])
