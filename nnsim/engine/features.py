"""Derived inputs, as TensorFlow Playground's feature toggles: x1*x2, x1^2, sin(x1), read by hand (never eval).

A scenario's ``[data] features`` and a live edit of them (``Edit("features", "x1, x2, x1*x2")``)
both compute the network's inputs from the data's own input columns with :func:`feature`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

Array = np.ndarray
MAX_POWER = 9

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
