"""A fully connected network: its shape, its parameters and the two passes through it.

Convention: ``weights[l][i, j]`` is the weight from node i of layer l to node j of layer l+1
(an n_in × n_out array) and ``biases[l][j]`` belongs to node j of layer l+1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .functions import ACTIVATIONS, Activation

Array = np.ndarray
INIT_SCHEMES = ("xavier", "he", "normal", "uniform", "zeros")


@dataclass(frozen=True)
class Architecture:
    """Layer sizes (inputs first, outputs last) and the activation after each layer of weights."""

    sizes: tuple[int, ...]
    activation: str = "sigmoid"  # every hidden layer's, or one each: "tanh,relu" (see hidden_activations)
    output: str = "identity"
    bias: bool = True

    @property
    def n_layers(self) -> int:
        """Number of weight matrices (layers of edges)."""
        return len(self.sizes) - 1

    def hidden_activations(self) -> list[str]:
        """Each hidden layer's activation: ``activation`` names one for all of them ("tanh") or one
        each, in order ("tanh,relu"; a list shorter than the layers repeats its last)."""
        names = self.activation.split(",")
        n = self.n_layers - 1
        return (names + names[-1:] * n)[:n]

    def activations(self) -> list[Activation]:
        return [ACTIVATIONS[name] for name in self.hidden_activations()] + [ACTIVATIONS[self.output]]

    def shapes(self) -> list[tuple[int, int]]:
        return list(zip(self.sizes[:-1], self.sizes[1:]))

    @property
    def n_params(self) -> int:
        return sum(i * o + (o if self.bias else 0) for i, o in self.shapes())


@dataclass
class Params:
    """The network's parameters: one weight matrix (and bias vector) per layer."""

    weights: list[Array]
    biases: list[Array] | None

    def copy(self) -> Params:
        return Params(
            [w.copy() for w in self.weights],
            None if self.biases is None else [b.copy() for b in self.biases],
        )

    def arrays(self) -> list[Array]:
        return self.weights + (self.biases or [])

    def all_finite(self) -> bool:
        return all(np.isfinite(a).all() for a in self.arrays())


@dataclass(frozen=True)
class ParamRef:
    """One parameter: ``kind`` 'w' or 'b', its layer, and its index (i, j) or (j,)."""

    kind: str
    layer: int
    index: tuple[int, ...]

    def label(self, single: bool = False) -> str:
        if single:
            return self.kind
        if self.kind == "w":
            i, j = self.index
            return f"w[{self.layer}][{i},{j}]"
        return f"b[{self.layer}][{self.index[0]}]"

    def get(self, params: Params | Gradients) -> float:
        """This parameter's entry in ``params`` (or in a Gradients: its dL/dw)."""
        arrays = params.weights if self.kind == "w" else params.biases
        assert arrays is not None
        return float(arrays[self.layer][self.index])

    def set(self, params: Params, value: float) -> None:
        arrays = params.weights if self.kind == "w" else params.biases
        assert arrays is not None
        arrays[self.layer][self.index] = value


def param_refs(arch: Architecture) -> list[ParamRef]:
    """Every parameter, layer by layer: that layer's weights (row by row), then its biases."""
    refs: list[ParamRef] = []
    for layer, (n_in, n_out) in enumerate(arch.shapes()):
        refs += [ParamRef("w", layer, (i, j)) for i in range(n_in) for j in range(n_out)]
        if arch.bias:
            refs += [ParamRef("b", layer, (j,)) for j in range(n_out)]
    return refs


def init_params(arch: Architecture, scheme: str, rng: np.random.Generator) -> Params:
    """The random guess: fresh parameters drawn from ``rng`` by ``scheme``; biases start at 0."""
    weights = []
    for n_in, n_out in arch.shapes():
        if scheme == "xavier":
            limit = np.sqrt(6.0 / (n_in + n_out))
            w = rng.uniform(-limit, limit, (n_in, n_out))
        elif scheme == "he":
            w = rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out))
        elif scheme == "normal":
            w = rng.normal(0.0, 1.0, (n_in, n_out))
        elif scheme == "uniform":
            w = rng.uniform(-1.0, 1.0, (n_in, n_out))
        elif scheme == "zeros":
            w = np.zeros((n_in, n_out))
        else:
            raise ValueError(f"unknown init scheme {scheme!r}")
        weights.append(w)
    biases = [np.zeros(n_out) for _, n_out in arch.shapes()] if arch.bias else None
    return Params(weights, biases)


@dataclass
class ForwardPass:
    """Every layer's pre-activation z (z[l] feeds layer l+1) and activation a (a[0] is the input)."""

    rows: Array  # indices of the samples in this batch
    z: list[Array]
    a: list[Array]

    @property
    def output(self) -> Array:
        return self.a[-1]


def forward(arch: Architecture, params: Params, x: Array, rows: Array) -> ForwardPass:
    """Input to output: z = a·W + b, a = f(z), layer by layer."""
    a = [x]
    z = []
    for layer, act in enumerate(arch.activations()):
        zl = a[-1] @ params.weights[layer]
        if params.biases is not None:
            zl = zl + params.biases[layer]
        z.append(zl)
        a.append(act.forward(zl))
    return ForwardPass(rows, z, a)


@dataclass
class Gradients:
    """dL/dz for every layer (one row per sample) and dL/dW, dL/db summed over the batch."""

    deltas: list[Array]
    weights: list[Array]
    biases: list[Array] | None = field(default=None)


def backward(arch: Architecture, params: Params, fp: ForwardPass, grad_output: Array) -> Gradients:
    """Output back to input: the chain rule, one layer at a time."""
    acts = arch.activations()
    n = arch.n_layers
    deltas: list[Array] = [np.empty(0)] * n
    grad_a = grad_output
    for layer in reversed(range(n)):
        delta = acts[layer].backward(fp.z[layer], fp.a[layer + 1], grad_a)
        deltas[layer] = delta
        if layer:
            grad_a = delta @ params.weights[layer].T
    gw = [fp.a[layer].T @ deltas[layer] for layer in range(n)]
    gb = [d.sum(axis=0) for d in deltas] if params.biases is not None else None
    return Gradients(deltas, gw, gb)
