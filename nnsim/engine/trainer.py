"""Training, one phase at a time: guess, forward, loss, backward, update.

A :class:`Trainer` keeps the network's state and the results of the latest phases as plain
data, so a screen (or a test) can look at every number after every phase. Every phase is
recorded as an action; undo and redo move through that list by replaying it from the nearest
checkpoint, so going back and forward again gives bit-identical numbers while memory holds only
the actions, a few floats per step and a checkpoint every ``checkpoint_every`` steps.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .functions import LOSSES
from .network import (
    Architecture,
    ForwardPass,
    Gradients,
    ParamRef,
    Params,
    backward,
    forward,
    init_params,
)

Array = np.ndarray
PHASES = ("forward", "loss", "backward", "update")


@dataclass(frozen=True)
class Dataset:
    """Inputs x (one row per sample) and targets y, with their column names."""

    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    x: Array
    y: Array

    def __post_init__(self) -> None:
        # row-major float arrays: every step multiplies x by the first weight matrix
        object.__setattr__(self, "x", np.ascontiguousarray(self.x, dtype=float))
        object.__setattr__(self, "y", np.ascontiguousarray(self.y, dtype=float))

    def __len__(self) -> int:
        return self.x.shape[0]


@dataclass(frozen=True)
class Config:
    """How to train: every field is a key of a scenario's [training] (or [network]) table."""

    loss: str = "sse"
    mean: bool = False
    learning_rate: float = 0.01
    batch: str | int = "full"
    stop_loss: float = 1e-6
    max_steps: int = 1000
    epsilon: float = 1e-4
    init: str = "xavier"
    seed: int = 0


@dataclass
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


@dataclass
class UpdateResult:
    """w ← w − lr·g for every parameter: the old values, the gradients and the new values."""

    learning_rate: float
    old: Params
    grads: Gradients
    new: Params

    def change(self, ref: ParamRef) -> float:
        return ref.get(self.new) - ref.get(self.old)


@dataclass(frozen=True)
class Stop:
    """Why training stopped: ``reason`` is 'converged', 'diverged' or 'max_steps'."""

    reason: str
    step: int
    message: str


@dataclass(frozen=True)
class Probe:
    """The nudge test for one parameter: L(w−ε), L(w), L(w+ε), the slope and the analytic dL/dw."""

    ref: ParamRef
    value: float
    epsilon: float
    loss_minus: float
    loss: float
    loss_plus: float
    analytic: float

    @property
    def slope(self) -> float:
        return (self.loss_plus - self.loss_minus) / (2.0 * self.epsilon)


class TrainingStopped(RuntimeError):
    """A phase was asked for after training stopped (converged, diverged or out of steps)."""


class PhaseError(RuntimeError):
    """A phase was asked for out of order."""


@dataclass
class _Checkpoint:
    params: Params
    rng_state: dict
    cursor: int
    order: Array | None
    step: int
    seed: int
    run_start: int


@dataclass
class _State:
    """Everything a phase changes; results of the phases of the current step."""

    params: Params = field(default_factory=lambda: Params([], None))
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    cursor: int = 0
    order: Array | None = None
    step: int = 0
    seed: int = 0
    run_start: int = 0
    done: str = "guess"
    forward: ForwardPass | None = None
    loss: LossResult | None = None
    grads: Gradients | None = None
    update: UpdateResult | None = None
    stop: Stop | None = None


_FORWARD, _LOSS, _BACKWARD = ("forward",), ("loss",), ("backward",)


class Trainer:
    """One network, one dataset, one training run, phase by phase, with undo and redo."""

    def __init__(
        self,
        arch: Architecture,
        data: Dataset,
        config: Config,
        initial: Params | None = None,
        checkpoint_every: int = 16,
    ) -> None:
        self.arch = arch
        self.data = data
        self.config = config
        self.learning_rate = config.learning_rate
        self.loss_fn = LOSSES[self._loss_name()]
        self.checkpoint_every = checkpoint_every
        self._initial = initial
        self._all_rows = np.arange(len(data))
        self._actions: list[tuple] = []
        self._pos = 0
        self._checkpoints: dict[int, _Checkpoint] = {}
        self._losses: list[tuple[int, int, float]] = []  # (action index, step, loss)
        self.s = _State()
        self.probe_result: Probe | None = None
        self._apply(("guess", config.seed, initial is not None))

    def _loss_name(self) -> str:
        if self.config.loss == "cross_entropy" and self.arch.output == "sigmoid":
            return "binary_cross_entropy"
        return self.config.loss

    # ----- what the screen reads -------------------------------------------------------------
    @property
    def params(self) -> Params:
        return self.s.params

    @property
    def step_count(self) -> int:
        """Completed steps (updates) since the last guess."""
        return self.s.step

    @property
    def seed(self) -> int:
        return self.s.seed

    @property
    def stop(self) -> Stop | None:
        return self.s.stop

    @property
    def last_phase(self) -> str:
        """The phase that ran last: 'guess', 'forward', 'loss', 'backward' or 'update'."""
        return self.s.done

    @property
    def next_phase(self) -> str:
        return {"guess": "forward", "update": "forward", "forward": "loss", "loss": "backward", "backward": "update"}[
            self.s.done
        ]

    @property
    def forward_pass(self) -> ForwardPass | None:
        return self.s.forward

    @property
    def loss_result(self) -> LossResult | None:
        return self.s.loss

    @property
    def gradients(self) -> Gradients | None:
        return self.s.grads

    @property
    def update_result(self) -> UpdateResult | None:
        return self.s.update

    def loss_history(self) -> list[tuple[int, float]]:
        """(step, loss) for every loss computed since the last guess."""
        return [(step, loss) for idx, step, loss in self._losses if idx >= self.s.run_start]

    def contributions(self, ref: ParamRef) -> Array:
        """Each sample's share of dL/d(ref) in the last backward pass (they sum to the gradient)."""
        fp, g = self.s.forward, self.s.grads
        if fp is None or g is None:
            raise PhaseError("no backward pass yet")
        delta = g.deltas[ref.layer]
        if ref.kind == "b":
            return delta[:, ref.index[0]].copy()
        i, j = ref.index
        return fp.a[ref.layer][:, i] * delta[:, j]

    # ----- phases ---------------------------------------------------------------------------
    def guess(self, seed: int | None = None) -> None:
        """Random guess: new parameters from ``seed`` (default: the next seed). Restarts the run."""
        self._apply(("guess", self.s.seed + 1 if seed is None else seed, False))

    def forward(self) -> None:
        self._expect("forward")
        self._apply(_FORWARD)

    def loss(self) -> None:
        self._expect("loss")
        self._apply(_LOSS)

    def backward(self) -> None:
        self._expect("backward")
        self._apply(_BACKWARD)

    def update(self) -> None:
        self._expect("update")
        self._apply(("update", self.learning_rate))

    def next(self) -> str:
        """Run the next phase; return its name."""
        phase = self.next_phase
        getattr(self, phase)()
        return phase

    def run_through(self, phase: str) -> bool:
        """Run phases until ``phase`` has run in this step; False if it had already run or training stopped."""
        order = PHASES.index(phase)
        current = -1 if self.s.done in ("guess", "update") else PHASES.index(self.s.done)
        if current >= order:
            return False
        while self.s.stop is None:
            if self.next() == phase:
                return True
        return False

    def step(self) -> bool:
        """One whole step (the remaining phases through update). False if training stopped first."""
        return self.run_through("update") if self.s.stop is None else False

    def run(self, steps: int | None = None) -> Stop | None:
        """Steps until stopped, or ``steps`` more have completed."""
        done = 0
        while self.s.stop is None and (steps is None or done < steps):
            if self.step():
                done += 1
        return self.s.stop

    def replay(self) -> "Iterator[Trainer]":
        """A copy of this run replayed from its start, yielded after each update since the last guess."""
        clone = Trainer(self.arch, self.data, self.config, self._initial, self.checkpoint_every)
        clone._actions = list(self._actions[: self._pos])
        clone._pos = 0
        clone._checkpoints.clear()
        clone._losses.clear()
        for action in clone._actions:
            clone._apply(action, record=False)
            if action[0] == "update" and clone.s.run_start >= self.s.run_start:
                yield clone

    def set_learning_rate(self, value: float) -> None:
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"learning rate must be a number > 0, got {value}")
        self.learning_rate = float(value)

    def _expect(self, phase: str) -> None:
        if self.s.stop is not None:
            raise TrainingStopped(self.s.stop.message)
        if self.next_phase != phase:
            raise PhaseError(f"the next phase is {self.next_phase}, not {phase}")

    # ----- undo / redo ----------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return self._pos > 1

    @property
    def can_redo(self) -> bool:
        return self._pos < len(self._actions)

    def undo(self) -> bool:
        """Go back one phase (the first guess cannot be undone)."""
        if not self.can_undo:
            return False
        self._restore(self._pos - 1)
        return True

    def redo(self) -> bool:
        """Replay the phase that was undone, exactly as it ran (with its learning rate)."""
        if not self.can_redo:
            return False
        self._apply(self._actions[self._pos], record=False)
        return True

    def _restore(self, n: int) -> None:
        below = [c for c in self._checkpoints if c < n]
        start = max(below) if below else 0
        if below:
            self._load(self._checkpoints[start])
        self._pos = start
        del self._losses[self._first_loss_at_or_after(start) :]
        for action in self._actions[start:n]:
            self._apply(action, record=False)

    def _first_loss_at_or_after(self, idx: int) -> int:
        for k in range(len(self._losses) - 1, -1, -1):
            if self._losses[k][0] < idx:
                return k + 1
        return 0

    def _save(self) -> _Checkpoint:
        s = self.s
        return _Checkpoint(
            s.params.copy(),
            copy.deepcopy(s.rng.bit_generator.state),
            s.cursor,
            None if s.order is None else s.order.copy(),
            s.step,
            s.seed,
            s.run_start,
        )

    def _load(self, c: _Checkpoint) -> None:
        rng = np.random.default_rng()
        rng.bit_generator.state = copy.deepcopy(c.rng_state)
        order = None if c.order is None else c.order.copy()
        self.s = _State(c.params.copy(), rng, c.cursor, order, c.step, c.seed, c.run_start, done="update")

    def _apply(self, action: tuple, record: bool = True) -> None:
        if record:
            del self._actions[self._pos :]
            for idx in [c for c in self._checkpoints if c > self._pos]:
                del self._checkpoints[idx]
            self._actions.append(action)
        self.probe_result = None
        with np.errstate(all="ignore"):
            getattr(self, "_do_" + action[0])(*action[1:])
        self._pos += 1
        if action[0] == "guess" or (action[0] == "update" and self.s.step % self.checkpoint_every == 0):
            self._checkpoints[self._pos] = self._save()

    # ----- what each phase does -------------------------------------------------------------
    def _do_guess(self, seed: int, explicit: bool) -> None:
        rng = np.random.default_rng(seed)
        if explicit and self._initial is not None:
            params = self._initial.copy()
        else:
            params = init_params(self.arch, self.config.init, rng)
        self.s = _State(params, rng, seed=seed, run_start=self._pos)

    def _batch_rows(self) -> Array:
        s, batch, n = self.s, self.config.batch, len(self.data)
        if batch == "full":
            return self._all_rows
        if batch == "sample":
            return self._all_rows[s.cursor % n : s.cursor % n + 1]
        if s.order is None or s.cursor >= n:
            s.order = s.rng.permutation(n)
            s.cursor = 0
        return s.order[s.cursor : s.cursor + int(batch)]

    def _batch(self, rows: Array) -> tuple[Array, Array]:
        if rows is self._all_rows:
            return self.data.x, self.data.y
        return self.data.x[rows], self.data.y[rows]

    def _do_forward(self) -> None:
        rows = self._batch_rows()
        x, _ = self._batch(rows)
        s = self.s
        s.forward = forward(self.arch, s.params, x, rows)
        s.loss = s.grads = s.update = None
        s.done = "forward"

    def _do_loss(self) -> None:
        s = self.s
        assert s.forward is not None
        _, y = self._batch(s.forward.rows)
        out = s.forward.output
        terms, grad = self.loss_fn.terms(out, y, self.config.mean)
        total = float(terms.sum())
        dataset_total = total if self.config.batch == "full" else self.loss_at(s.params, self._all_rows)
        s.loss = LossResult(out - y, terms, total, grad, dataset_total)
        s.done = "loss"
        self._losses.append((self._pos, s.step, dataset_total))
        total = dataset_total
        if not np.isfinite(total):
            s.stop = Stop("diverged", s.step, f"diverged at step {s.step}: the loss became {total}")
        elif total < self.config.stop_loss:
            s.stop = Stop(
                "converged",
                s.step,
                f"converged at step {s.step}: loss {total:.6g} < stop_loss {self.config.stop_loss:g}",
            )

    def _do_backward(self) -> None:
        s = self.s
        assert s.forward is not None and s.loss is not None
        s.grads = backward(self.arch, s.params, s.forward, s.loss.grad_output)
        s.done = "backward"

    def _do_update(self, lr: float) -> None:
        s = self.s
        assert s.grads is not None and s.forward is not None
        old = s.params
        g = s.grads
        new_w = [w - lr * gw for w, gw in zip(old.weights, g.weights)]
        new_b = None
        if old.biases is not None and g.biases is not None:
            new_b = [b - lr * gb for b, gb in zip(old.biases, g.biases)]
        s.params = Params(new_w, new_b)
        s.update = UpdateResult(lr, old, g, s.params)
        if self.config.batch != "full":
            s.cursor += len(s.forward.rows)
        s.step += 1
        s.done = "update"
        if not s.params.all_finite():
            bad = next(a for a in s.params.arrays() if not np.isfinite(a).all())
            value = bad[~np.isfinite(bad)].flat[0]
            s.stop = Stop("diverged", s.step, f"diverged at step {s.step}: a parameter became {value}")
        elif s.step >= self.config.max_steps:
            s.stop = Stop("max_steps", s.step, f"stopped after max_steps = {self.config.max_steps} steps")

    # ----- nudging: the numeric slope -------------------------------------------------------
    def probe_rows(self) -> Array:
        """The samples the probe uses: this step's batch (without drawing from the run's RNG)."""
        if self.s.forward is not None and self.s.done != "update":
            return self.s.forward.rows
        saved = copy.deepcopy(self.s.rng.bit_generator.state), self.s.cursor, self.s.order
        try:
            return self._batch_rows().copy()
        finally:
            self.s.rng.bit_generator.state, self.s.cursor, self.s.order = saved

    def loss_at(self, params: Params, rows: Array | None = None) -> float:
        """The total loss with ``params`` on ``rows`` (default: the probe's batch)."""
        rows = self.probe_rows() if rows is None else rows
        x, y = self._batch(rows)
        with np.errstate(all="ignore"):
            out = forward(self.arch, params, x, rows).output
            return float(self.loss_fn.terms(out, y, self.config.mean)[0].sum())

    def analytic_gradients(self, params: Params, rows: Array) -> Gradients:
        x, y = self._batch(rows)
        with np.errstate(all="ignore"):
            fp = forward(self.arch, params, x, rows)
            _, grad = self.loss_fn.terms(fp.output, y, self.config.mean)
            return backward(self.arch, params, fp, grad)

    def probe(self, ref: ParamRef, epsilon: float | None = None) -> Probe:
        """Nudge one parameter by ±ε and watch the loss: the slope without calculus."""
        eps = self.config.epsilon if epsilon is None else epsilon
        rows = self.probe_rows()
        value = ref.get(self.s.params)
        nudged = self.s.params.copy()
        losses = []
        for v in (value - eps, value, value + eps):
            ref.set(nudged, v)
            losses.append(self.loss_at(nudged, rows))
        g = self.analytic_gradients(self.s.params, rows)
        self.probe_result = Probe(ref, value, eps, losses[0], losses[1], losses[2], ref.get(g))
        return self.probe_result

    def loss_curve(self, ref: ParamRef, values: Array) -> Array:
        """The loss as a function of one parameter, the others held where they are."""
        rows = self.probe_rows()
        p = self.s.params.copy()
        out = np.empty(len(values))
        for k, v in enumerate(values):
            ref.set(p, float(v))
            out[k] = self.loss_at(p, rows)
        return out


def gradient_check(trainer: Trainer, epsilon: float = 1e-5) -> float:
    """Largest relative error between central differences and backprop over every parameter."""
    from .network import param_refs

    rows = trainer.probe_rows()
    params = trainer.params.copy()
    g = trainer.analytic_gradients(params, rows)
    worst = 0.0
    for ref in param_refs(trainer.arch):
        value = ref.get(params)
        ref.set(params, value + epsilon)
        plus = trainer.loss_at(params, rows)
        ref.set(params, value - epsilon)
        minus = trainer.loss_at(params, rows)
        ref.set(params, value)
        numeric = (plus - minus) / (2 * epsilon)
        analytic = ref.get(g)
        scale = max(abs(numeric), abs(analytic), 1e-3)
        worst = max(worst, abs(numeric - analytic) / scale)
    return worst
