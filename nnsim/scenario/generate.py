"""Generated 2-D datasets (as in TensorFlow Playground) and derived inputs such as x1*x2 or sin(x1).

Every set has columns x1, x2 and y, drawn from a seed: the same seed gives the same rows. The four
classification sets have two classes (y is 0 or 1), as many rows of each as ``n`` allows (the
rows alternate 1, 0, 1, 0…); ``plane`` is a regression, y = (x1 + x2) / 2. ``noise`` adds a normal
jitter of that standard deviation to x1 and x2 (to y for the plane); the class stays the one the
point was drawn for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np

Array = np.ndarray
GENERATORS = ("circle", "xor", "gaussians", "spiral", "plane")
COLUMNS = ("x1", "x2", "y")
MAX_POWER = 9


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


# ----- derived inputs: a tiny grammar, read by hand (never eval) ---------------------------------
#   feature := product;  product := power ('*' power)*;  power := atom ('^' digit)?
#   atom := column | 'sin' '(' product ')' | 'cos' '(' product ')' | '(' product ')'
Feature = Callable[[dict[str, Array]], Array]
_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_.]*)|(\d+)|(\S))")
_FUNCTIONS: dict[str, Callable[[Array], Array]] = {"sin": np.sin, "cos": np.cos}


class _Parser:
    def __init__(self, text: str, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:  # only spaces are left
                break
            pos = match.end()
            kind = "name" if match[1] else "number" if match[2] else "symbol"
            self.tokens.append((kind, match[0].strip()))
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.at += 1
        return token

    def expect(self, symbol: str) -> None:
        kind, text = self.take()
        if text != symbol:
            raise ValueError(
                f"expected {symbol!r}, got {text!r}" if kind != "end" else f"expected {symbol!r} at the end"
            )

    def feature(self) -> Feature:
        f = self.product()
        if self.peek()[0] != "end":
            raise ValueError(f"unexpected {self.peek()[1]!r}")
        return f

    def product(self) -> Feature:
        factors = [self.power()]
        while self.peek() == ("symbol", "*"):
            self.take()
            factors.append(self.power())
        if len(factors) == 1:
            return factors[0]

        def product(values: dict[str, Array]) -> Array:
            out = factors[0](values)
            for f in factors[1:]:
                out = out * f(values)
            return out

        return product

    def power(self) -> Feature:
        base = self.atom()
        if self.peek() != ("symbol", "^"):
            return base
        self.take()
        kind, text = self.take()
        if kind != "number" or not 1 <= int(text) <= MAX_POWER:
            raise ValueError(f"a power is a whole number from 1 to {MAX_POWER}, got {text!r}")
        k = int(text)
        return lambda values: base(values) ** k

    def atom(self) -> Feature:
        kind, text = self.take()
        if kind == "name" and text in _FUNCTIONS and self.peek() == ("symbol", "("):
            self.take()
            inner = self.product()
            self.expect(")")
            function = _FUNCTIONS[text]
            return lambda values: function(inner(values))
        if kind == "name":
            if text not in self.columns:
                raise ValueError(f"{text!r} is not an input (inputs: {', '.join(self.columns)})")
            return lambda values: values[text]
        if text == "(":
            inner = self.product()
            self.expect(")")
            return inner
        raise ValueError("expected a column, sin(…), cos(…) or (…)" + (f", got {text!r}" if text else " at the end"))


def feature(text: str, columns: tuple[str, ...]) -> Feature:
    """A derived input such as 'x1*x2', 'x1^2' or 'sin(x1)' over ``columns``, as a function of the
    columns' values; ValueError says what is wrong. A column's own name (whatever its characters) is
    that column."""
    if text in columns:
        return lambda values: values[text]
    return _Parser(text, columns).feature()
