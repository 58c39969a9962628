"""Training, one phase at a time: guess, forward, loss, backward, update.

A :class:`Trainer` keeps the network's state and the results of the latest phases as plain
data, so a screen (or a test) can look at every number after every phase. Every change is an
action record (``actions.py``) kept in the run's history (``history.py``): undo and redo move
through it, and a run rebuilt elsewhere from the same scenario and records is bit-identical.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .actions import (
    PHASE_ACTIONS,
    Action,
    Backward,
    Edit,
    Forward,
    Guess,
    Loss,
    Reset,
    SetLearningRate,
    SetParam,
    Update,
)
from .actions import Probe as ProbeRecord
from .edits import carried, carried_inputs, carried_zeros, edited, featured, kept_text, value_text
from .functions import LOSSES, penalty, penalty_gradient
from .functions import Loss as LossFunction
from .history import CHECKPOINT_EVERY, Checkpoint, History
from .network import Architecture, ForwardPass, Gradients, ParamRef, Params, backward, forward, init_params, param_refs
from .phases import (
    NEXT_PHASE,
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
    adam_update,
    momentum_update,
    update,
    zero_state,
)
from .probe import Probe, loss_curve, probe

Array = np.ndarray


@dataclass(frozen=True)
class Dataset:
    """Inputs x (one row per sample) and targets y, with their column names.

    ``source`` is the data's own input columns (names, values) when x holds derived inputs
    computed from them (``[data] features``); None when x is the data's own columns.
    """

    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    x: Array
    y: Array
    source: tuple[tuple[str, ...], Array] | None = None

    def __post_init__(self) -> None:
        # row-major float arrays: every step multiplies x by the first weight matrix
        object.__setattr__(self, "x", np.ascontiguousarray(self.x, dtype=float))
        object.__setattr__(self, "y", np.ascontiguousarray(self.y, dtype=float))

    def __len__(self) -> int:
        return self.x.shape[0]

    def take(self, rows: Array) -> Dataset:
        """The rows ``rows`` (indices, in that order) as a dataset of their own."""
        source = None if self.source is None else (self.source[0], self.source[1][rows])
        return Dataset(self.inputs, self.targets, self.x[rows], self.y[rows], source)

    def split(self, fraction: float, seed: int) -> tuple[Dataset, Dataset | None]:
        """(training rows, held-out rows): a seeded share ``fraction`` of the rows held out for testing.

        round(fraction · rows) rows are held out, at least one and never all; each part keeps the
        rows in their order. With fraction 0 every row trains and there is no test set.
        """
        n = len(self)
        if fraction == 0:
            return self, None
        if not 0 < fraction < 1:
            raise ValueError(f"a test fraction is from 0 to below 1, got {fraction}")
        if n < 2:
            raise ValueError(f"holding rows out for testing needs at least 2 rows, got {n}")
        n_test = min(max(1, round(fraction * n)), n - 1)
        held_out = np.sort(np.random.default_rng(seed).permutation(n)[:n_test])
        training = np.setdiff1d(np.arange(n), held_out)
        return self.take(training), self.take(held_out)

    def classes(self) -> bool:
        """Whether every target is 0 or 1 (a classification's targets)."""
        return bool(np.isin(self.y, (0.0, 1.0)).all())


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
    optimizer: str = "sgd"
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    adam_eps: float = 1e-8
    l2: float = 0.0
    l1: float = 0.0


@dataclass(frozen=True)
class Resume:
    """Where a saved run goes on from (with the scenario's own parameters as the first guess).

    ``step`` updates done, the optimiser's state the next update starts from, and ``cursor``, the
    next row of sample-by-sample training. A mini-batch run's shuffle starts afresh.
    """

    step: int = 0
    optimizer: OptimizerState = None
    cursor: int = 0


class TrainingStopped(RuntimeError):
    """A phase was asked for after training stopped (converged, diverged or out of steps)."""


class PhaseError(RuntimeError):
    """A phase was asked for out of order."""


@dataclass
class _State:
    """Everything an action changes, with the results of the current step's phases."""

    learning_rate: float
    arch: Architecture
    config: Config
    data: Dataset
    test: Dataset | None
    params: Params = field(default_factory=lambda: Params([], None))
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    cursor: int = 0
    order: Array | None = None
    step: int = 0
    seed: int = 0
    run_start: int = 0
    done: Phase = Phase.GUESS
    forward: ForwardPass | None = None
    loss: LossResult | None = None
    grads: Gradients | None = None
    update: UpdateResult | None = None
    stop: Stop | None = None
    probe: Probe | None = None
    optimizer: OptimizerState = None
    note: str | None = None  # what the last action (an edit) kept and drew anew, until the next action
    was: str | None = None  # the edited setting's value before it


@functools.lru_cache(maxsize=16)
def _refs_of(arch: Architecture) -> frozenset[ParamRef]:
    return frozenset(param_refs(arch))


class Trainer:
    """One network, one dataset, one training run, phase by phase, with undo and redo."""

    def __init__(
        self,
        arch: Architecture,
        data: Dataset,
        config: Config,
        initial: Params | None = None,
        checkpoint_every: int = CHECKPOINT_EVERY,
        test: Dataset | None = None,
        resume: Resume | None = None,
    ) -> None:
        sets = [data] if test is None else [data, test]
        self._targets_are_classes = all(d.classes() for d in sets)
        # the scenario's set-up: a run starts (and Reset goes back) there
        self._arch0, self._config0, self._data0, self._test0 = arch, config, data, test
        self._initial = initial
        self._resume = resume if initial is not None else None
        self._all_rows = np.arange(len(data))
        self.history = History(checkpoint_every)
        self.s = _State(config.learning_rate, arch, config, data, test)
        self.apply(self.first_guess())

    @property
    def own_weights(self) -> bool:
        """Whether the run's parameters came from the scenario itself (its weights; a saved run's step
        and optimiser state too) rather than a draw from a seed."""
        guess = self.history.records[self.s.run_start] if self.s.run_start < len(self.history.records) else None
        initial = isinstance(guess, Reset) or (isinstance(guess, Guess) and guess.initial)
        return initial and self._initial is not None and self.arch == self._arch0 and self.data is self._data0

    @property
    def resumed_at(self) -> int | None:
        """The step a saved run goes on from, while on the scenario's own parameters."""
        return self._resume.step if self._resume is not None and self.own_weights else None

    def first_guess(self) -> Guess:
        """The record every run starts with: the scenario's own weights, or a guess from its seed."""
        return Guess(self._config0.seed, self._initial is not None)

    # ----- the set-up: the scenario's, as edits (actions.Edit) have changed it ---------------
    @property
    def arch(self) -> Architecture:
        """The network's shape now (an edit changes it; undo, redo and replay bring it back)."""
        return self.s.arch

    @property
    def config(self) -> Config:
        """How training goes now (an edit changes it; undo, redo and replay bring it back)."""
        return self.s.config

    @property
    def data(self) -> Dataset:
        """The training rows, their inputs as the network sees them now (an edit of the features changes them)."""
        return self.s.data

    @property
    def test_data(self) -> Dataset | None:
        """The held-out rows (None without a test fraction), their inputs as the network sees them now."""
        return self.s.test

    @property
    def classifies(self) -> bool:
        """Whether accuracy is reported: softmax or sigmoid outputs and 0/1 targets."""
        return self.s.arch.output in ("softmax", "sigmoid") and self._targets_are_classes

    @property
    def loss_fn(self) -> LossFunction:
        """The loss: cross_entropy on a sigmoid output is the binary cross-entropy."""
        loss = self.s.config.loss
        return LOSSES["binary_cross_entropy" if loss == "cross_entropy" and self.s.arch.output == "sigmoid" else loss]

    @property
    def edit_note(self) -> str | None:
        """What the last action, when it was an edit, kept and drew anew (for the screen), else None."""
        return self.s.note

    @property
    def edited_from(self) -> str | None:
        """The edited setting's value before the last action, when that was an edit (as its text), else None."""
        return self.s.was

    # ----- what the screen reads -------------------------------------------------------------
    @property
    def params(self) -> Params:
        return self.s.params

    @property
    def learning_rate(self) -> float:
        """The learning rate the next update uses."""
        return self.s.learning_rate

    @property
    def step_count(self) -> int:
        """Completed steps (updates) since the last guess."""
        return self.s.step

    @property
    def cursor(self) -> int:
        """Where sample-by-sample training is: batch = "sample" trains on row cursor % n next."""
        return self.s.cursor

    @property
    def seed(self) -> int:
        return self.s.seed

    @property
    def stop(self) -> Stop | None:
        return self.s.stop

    @property
    def last_phase(self) -> Phase:
        """The phase that ran last (GUESS after a guess, a reset, or an edit before the first update)."""
        return self.s.done

    @property
    def next_phase(self) -> Phase:
        return NEXT_PHASE[self.s.done]

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

    @property
    def optimizer_state(self) -> OptimizerState:
        """The optimiser's state the next update starts from: Momentum, Adam, or None for sgd."""
        return self.s.optimizer

    @property
    def probe_result(self) -> Probe | None:
        """The last nudge test, until the next action."""
        return self.s.probe

    @property
    def checkpoint_every(self) -> int:
        return self.history.checkpoint_every

    def loss_history(self) -> list[tuple[int, float]]:
        """(step, loss) for every loss computed since the last guess."""
        return self.history.loss_history(self.s.run_start)

    def score_history(self) -> list[Score]:
        """Every loss phase's scores since the last guess: step, loss, test loss, accuracy, test accuracy."""
        return self.history.score_history(self.s.run_start)

    def actions(self) -> list[Action]:
        """The records that made this state, the first guess first: apply them to a new trainer to rebuild it."""
        return self.history.done()

    @property
    def last_action(self) -> Action:
        return self.history.records[self.history.pos - 1]

    def contributions(self, ref: ParamRef) -> Array:
        """Each sample's share of dL/d(ref) in the last backward pass.

        They sum to the gradient of the data loss: with l2 or l1, the gradient also has the penalty's slope.
        """
        fp, g = self.s.forward, self.s.grads
        if fp is None or g is None:
            raise PhaseError("no backward pass yet")
        delta = g.deltas[ref.layer]
        if ref.kind == "b":
            return delta[:, ref.index[0]].copy()
        i, j = ref.index
        return fp.a[ref.layer][:, i] * delta[:, j]

    # ----- actions --------------------------------------------------------------------------
    def guess(self, seed: int | None = None) -> None:
        """Random guess: new parameters from ``seed`` (default: the next seed). Restarts the run."""
        self.apply(Guess(self.s.seed + 1 if seed is None else seed))

    def forward(self) -> None:
        self.apply(Forward())

    def loss(self) -> None:
        self.apply(Loss())

    def backward(self) -> None:
        self.apply(Backward())

    def update(self) -> None:
        self.apply(Update())

    def set_learning_rate(self, value: float) -> None:
        self.apply(SetLearningRate(value))

    def set_param(self, ref: ParamRef, value: float) -> None:
        """Type a value into one parameter; the step starts again from forward."""
        self.apply(SetParam(ref, value))

    def reset(self) -> None:
        """Back to the scenario's set-up, first guess and learning rate (undoable)."""
        self.apply(Reset())

    def edit(self, key: str, value: str) -> str:
        """Change one setting (edits.SETTINGS) to ``value``; return what was kept and drawn anew."""
        self.apply(Edit(key, value))
        assert self.s.note is not None
        return self.s.note

    def probe(self, ref: ParamRef, epsilon: float | None = None) -> Probe:
        """Nudge one parameter by ±ε and watch the loss: the slope without calculus."""
        self.apply(ProbeRecord(ref, self.config.epsilon if epsilon is None else epsilon))
        assert self.s.probe is not None
        return self.s.probe

    def next(self) -> Phase:
        """Run the next phase; return it."""
        phase = self.next_phase
        self.apply(_PHASE_ACTION[phase]())
        return phase

    def run_through(self, phase: str) -> bool:
        """Run phases until ``phase`` has run in this step; False if it had already run or training stopped."""
        order = PHASES.index(Phase(phase))
        current = -1 if self.s.done in (Phase.GUESS, Phase.UPDATE) else PHASES.index(self.s.done)
        if current >= order:
            return False
        while self.s.stop is None:
            if self.next() == phase:
                return True
        return False

    def step(self) -> bool:
        """One whole step (the remaining phases through update). False if training stopped first."""
        return self.run_through(Phase.UPDATE) if self.s.stop is None else False

    def run(self, steps: int | None = None) -> Stop | None:
        """Steps until stopped, or ``steps`` more have completed."""
        done = 0
        while self.s.stop is None and (steps is None or done < steps):
            if self.step():
                done += 1
        return self.s.stop

    def apply(self, action: Action) -> None:
        """Check ``action`` against the state, record it (dropping the redo branch) and carry it out."""
        self.check(action)
        self.history.add(action)
        self._carry_out(action)

    def check(self, action: Action) -> None:
        """Raise if ``action`` cannot be applied now: PhaseError, TrainingStopped or ValueError."""
        if isinstance(action, PHASE_ACTIONS):
            if self.s.stop is not None:
                raise TrainingStopped(self.s.stop.message)
            if self.next_phase != action.kind:
                raise PhaseError(f"the next phase is {self.next_phase}, not {action.kind}")
        elif isinstance(action, SetLearningRate):
            if not (np.isfinite(action.value) and action.value > 0):
                raise ValueError(f"learning rate must be a number > 0, got {action.value}")
        elif isinstance(action, (ProbeRecord, SetParam)):
            if action.param not in _refs_of(self.arch):
                raise ValueError(f"no parameter {action.param.label()} in a {self.arch.sizes} network")
            number = action.epsilon if isinstance(action, ProbeRecord) else action.value
            if not np.isfinite(number) or (isinstance(action, ProbeRecord) and number <= 0):
                raise ValueError(f"{action.kind}: expected a finite number, got {number}")
        elif isinstance(action, Edit) and action.key == "features":
            featured(action.value, self.data, self.test_data)
        elif isinstance(action, Edit):
            edited(action.key, action.value, self.arch, self.config, len(self.data))
        elif isinstance(action, Guess) and action.seed < 0:
            raise ValueError(f"a seed is a whole number >= 0, got {action.seed}")

    def replay(self) -> Iterator[Trainer]:
        """A copy of this run replayed from its start, yielded after each update since the last guess.

        The records are taken when replay() is called: the run may go on (in another thread, say)
        while the copy is replayed.
        """
        records, run_start = self.history.done(), self.s.run_start
        clone = self._blank()

        def replayed() -> Iterator[Trainer]:
            for action in records:
                clone.apply(action)
                if isinstance(action, Update) and clone.s.run_start >= run_start:
                    yield clone

        return replayed()

    def _blank(self) -> Trainer:
        clone = Trainer.__new__(Trainer)
        clone.__dict__.update(self.__dict__)
        clone.history = History(self.checkpoint_every)
        clone.s = self._start()
        return clone

    def rebuilt(self, records: Iterable[Action]) -> Trainer:
        """A new trainer on this network, data and config that applied ``records`` (from ``actions()``)."""
        clone = self._blank()
        for action in records:
            clone.apply(action)
        return clone

    def follow(self, base: int, records: Sequence[Action]) -> None:
        """Make the run the first ``base`` records of this one followed by ``records`` (a classroom's
        follower catching up with its presenter). Nothing is done when the run is that already."""
        n = base + len(records)
        h = self.history
        if h.pos == n and h.records[base:n] == list(records):
            return
        if base > h.pos:
            raise ValueError(f"cannot follow from record {base}: this run has {h.pos}")
        if base < h.pos:
            self._go_to(base)
        for action in records:
            self.apply(action)

    # ----- undo / redo ----------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return self.history.pos > 1

    @property
    def can_redo(self) -> bool:
        return self.history.pos < len(self.history.records)

    def undo(self) -> bool:
        """Go back one action (the first guess cannot be undone)."""
        if not self.can_undo:
            return False
        self._go_to(self.history.pos - 1)
        return True

    def redo(self) -> bool:
        """Apply again the action that was undone, exactly as it ran."""
        if not self.can_redo:
            return False
        self._carry_out(self.history.records[self.history.pos])
        return True

    def _go_to(self, n: int) -> None:
        start, checkpoint = self.history.start_for(n)
        self.history.rewind(start)
        if checkpoint is not None:
            self._load(checkpoint)
        else:
            self.s = self._start()
        for action in self.history.records[start:n]:
            self._carry_out(action)

    def _start(self) -> _State:
        """The state before the first record: the scenario's set-up."""
        return _State(self._config0.learning_rate, self._arch0, self._config0, self._data0, self._test0)

    def _save(self) -> Checkpoint:
        s = self.s
        order = None if s.order is None else s.order.copy()
        rng_state = dict(copy.deepcopy(s.rng.bit_generator.state))
        return Checkpoint(
            s.params.copy(),
            rng_state,
            s.cursor,
            order,
            s.step,
            s.seed,
            s.run_start,
            s.learning_rate,
            s.optimizer,
            s.arch,
            s.config,
            (s.data, s.test),
        )

    def _load(self, c: Checkpoint) -> None:
        rng = np.random.default_rng()
        rng.bit_generator.state = copy.deepcopy(c.rng_state)
        order = None if c.order is None else c.order.copy()
        done = Phase.UPDATE if c.step else Phase.GUESS
        arch, config = c.arch or self._arch0, c.config or self._config0
        data, test = c.data or (self._data0, self._test0)
        self.s = _State(
            c.learning_rate,
            arch,
            config,
            data,
            test,
            c.params.copy(),
            rng,
            c.cursor,
            order,
            c.step,
            c.seed,
            c.run_start,
            done,
        )
        self.s.optimizer = c.optimizer  # never changed in place: every update makes new arrays

    def _carry_out(self, action: Action) -> None:
        if isinstance(action, Forward) and self.history.wants_checkpoint(self.s.step):
            self.history.checkpoints[self.history.pos] = self._save()
        self.s.probe = self.s.note = self.s.was = None
        with np.errstate(all="ignore"):
            _DO[type(action)](self, action)
        self.history.pos += 1

    # ----- what each action does ------------------------------------------------------------
    def _do_guess(self, a: Guess) -> None:
        """New parameters for the network as it is now (the scenario's own weights fit only its own shape)."""
        rng = np.random.default_rng(a.seed)
        s = self.s
        arch, config = s.arch, s.config
        own = a.initial and self._initial is not None and arch == self._arch0 and s.data is self._data0
        if own:
            assert self._initial is not None
            params = self._initial.copy()
        else:
            params = init_params(arch, config.init, rng)
        run_start = self.history.pos
        self.s = _State(s.learning_rate, arch, config, s.data, s.test, params, rng, seed=a.seed, run_start=run_start)
        self.s.optimizer = zero_state(config.optimizer, params)
        if own and self._resume is not None:  # a saved run goes on where it was saved
            resume = self._resume
            self.s.step, self.s.optimizer, self.s.cursor = resume.step, resume.optimizer, resume.cursor
            if self.s.step >= config.max_steps:
                message = f"stopped after max_steps = {config.max_steps} steps"
                self.s.stop = Stop(StopReason.MAX_STEPS, self.s.step, message)

    def _do_reset(self, a: Reset) -> None:
        self.s.arch, self.s.config, self.s.data, self.s.test = self._arch0, self._config0, self._data0, self._test0
        self._do_guess(self.first_guess())
        self.s.learning_rate = self._config0.learning_rate

    def _do_edit(self, a: Edit) -> None:
        """One setting changed: only what it touches is drawn anew (from the run's rng), and the step starts again."""
        s = self.s
        if a.key == "features":
            self._edit_features(a)
        else:
            self._edit_setting(a)
        s.forward = s.loss = s.grads = s.update = s.stop = None
        s.done = Phase.UPDATE if s.step else Phase.GUESS

    def _edit_features(self, a: Edit) -> None:
        """New inputs: the first layer keeps the row of every input that stays, by name, and draws the others."""
        s = self.s
        old = s.data.inputs
        s.data, s.test = featured(a.value, s.data, s.test)
        new = s.data.inputs
        arch = replace(s.arch, sizes=(len(new), *s.arch.sizes[1:]))
        fresh = init_params(replace(arch, sizes=arch.sizes[:2]), s.config.init, s.rng).weights[0]
        params = s.params.copy()
        params.weights[0] = carried_inputs(old, new, arch, params.weights[0], fresh)
        state = s.optimizer
        zeros = np.zeros_like(fresh)
        if isinstance(state, Momentum):
            velocity = state.velocity.copy()
            velocity.weights[0] = carried_inputs(old, new, arch, velocity.weights[0], zeros)
            state = Momentum(velocity)
        elif isinstance(state, Adam):
            m, v = state.m.copy(), state.v.copy()
            m.weights[0] = carried_inputs(old, new, arch, m.weights[0], zeros)
            v.weights[0] = carried_inputs(old, new, arch, v.weights[0], zeros)
            state = Adam(m, v, state.t)
        kept = [name for name in new if name in old]
        drawn = [name for name in new if name not in old]
        parts = [f"w[0] keeps the rows of {', '.join(kept)}"] if kept else []
        parts += [f"new rows for {', '.join(drawn)} drawn"] if drawn else []
        s.was = ", ".join(old)
        s.arch, s.params, s.optimizer, s.note = arch, params, state, "; ".join(parts)

    def _edit_setting(self, a: Edit) -> None:
        s = self.s
        old_arch, old_config = s.arch, s.config
        arch, config = edited(a.key, a.value, old_arch, old_config, len(self.data))
        s.arch, s.config = arch, config
        params, state, note = s.params.copy(), s.optimizer, "every weight kept"
        if arch.sizes != old_arch.sizes:
            params = carried(old_arch, arch, s.params, config.init, s.rng)
            state = _carried_state(old_arch, arch, s.optimizer)
            note = kept_text(old_arch, arch)
            if state is not None:
                some = " kept" in note
                note += "; the optimiser's state " + ("kept with them" if some else "starts at 0")
        elif a.key == "init":
            params = init_params(arch, config.init, s.rng)
            state = zero_state(config.optimizer, params)
            note = f"every weight drawn anew ({config.init}), biases 0" + (
                "; the optimiser's state zeroed" if state else ""
            )
        elif a.key == "optimizer":
            state = zero_state(config.optimizer, params)
            note = "every weight kept; the optimiser's state " + ("starts at 0" if state else "dropped (sgd has none)")
        elif a.key == "batch":
            s.cursor, s.order = 0, None
            note = "every weight kept; the rows start again from the first batch"
        elif a.key in ("momentum", "beta1", "beta2", "adam_eps"):
            note = "every weight and the optimiser's state kept"
        s.params, s.optimizer, s.note, s.was = params, state, note, value_text(a.key, old_arch, old_config)

    def _do_set_learning_rate(self, a: SetLearningRate) -> None:
        self.s.learning_rate = a.value

    def _do_set_param(self, a: SetParam) -> None:
        s = self.s
        s.params = s.params.copy()
        a.param.set(s.params, a.value)
        s.forward = s.loss = s.grads = s.update = s.stop = None
        s.done = Phase.UPDATE if s.step else Phase.GUESS

    def _do_probe(self, a: ProbeRecord) -> None:
        self.s.probe = probe(self, a.param, a.epsilon)

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

    def _do_forward(self, a: Forward) -> None:
        rows = self._batch_rows()
        x, _ = self._batch(rows)
        s = self.s
        s.forward = forward(self.arch, s.params, x, rows)
        s.loss = s.grads = s.update = None
        s.done = Phase.FORWARD

    def _do_loss(self, a: Loss) -> None:
        s = self.s
        assert s.forward is not None
        _, y = self._batch(s.forward.rows)
        out = s.forward.output
        terms, grad = self.loss_fn.terms(out, y, self.config.mean)
        data_loss = float(terms.sum())
        extra = penalty(s.params.weights, self.config.l2, self.config.l1)
        total = data_loss + extra
        if self.config.batch == "full":
            dataset_total, accuracy = total, self.accuracy(out, y)
        else:
            all_rows, accuracy = self.evaluate(s.params, self.data)
            dataset_total = all_rows + extra
        test_loss, test_accuracy = (None, None) if self.test_data is None else self.evaluate(s.params, self.test_data)
        s.loss = LossResult(
            out - y, terms, total, grad, dataset_total, data_loss, extra, test_loss, accuracy, test_accuracy
        )
        s.done = Phase.LOSS
        w = float(s.params.weights[0][0, 0]) if self.arch.n_params == 1 else None  # the L(w) curve's trail
        score = Score(s.step, dataset_total, test_loss, accuracy, test_accuracy, w)
        self.history.scores.append((self.history.pos, score))
        if not np.isfinite(dataset_total):
            s.stop = Stop(StopReason.DIVERGED, s.step, f"diverged at step {s.step}: the loss became {dataset_total}")
        elif dataset_total < self.config.stop_loss:
            message = f"loss {dataset_total:.6g} < stop_loss {self.config.stop_loss:g}"
            s.stop = Stop(StopReason.CONVERGED, s.step, f"converged at step {s.step}: {message}")

    def _do_backward(self, a: Backward) -> None:
        s = self.s
        assert s.forward is not None and s.loss is not None
        s.grads = self._with_penalty(backward(self.arch, s.params, s.forward, s.loss.grad_output), s.params)
        s.done = Phase.BACKWARD

    def _with_penalty(self, grads: Gradients, params: Params) -> Gradients:
        """The gradients with the regularisation's slope 2·l2·w + l1·sign(w) added to every weight's."""
        l2, l1 = self.config.l2, self.config.l1
        if not (l2 or l1):
            return grads
        weights = [g + penalty_gradient(w, l2, l1) for g, w in zip(grads.weights, params.weights)]
        return Gradients(grads.deltas, weights, grads.biases)

    def _do_update(self, a: Update) -> None:
        s = self.s
        assert s.grads is not None and s.forward is not None
        old, old_state, c = s.params, s.optimizer, self.config
        if isinstance(old_state, Momentum):
            s.params, s.optimizer = momentum_update(old, s.grads, s.learning_rate, old_state, c.momentum)
        elif isinstance(old_state, Adam):
            s.params, s.optimizer = adam_update(old, s.grads, s.learning_rate, old_state, c.beta1, c.beta2, c.adam_eps)
        else:
            s.params = update(old, s.grads, s.learning_rate)
        s.update = UpdateResult(s.learning_rate, old, s.grads, s.params, old_state, s.optimizer)
        if self.config.batch != "full":
            s.cursor += len(s.forward.rows)
        s.step += 1
        s.done = Phase.UPDATE
        if not s.params.all_finite():
            bad = next(a for a in s.params.arrays() if not np.isfinite(a).all())
            value = bad[~np.isfinite(bad)].flat[0]
            s.stop = Stop(StopReason.DIVERGED, s.step, f"diverged at step {s.step}: a parameter became {value}")
        elif s.step >= self.config.max_steps:
            s.stop = Stop(StopReason.MAX_STEPS, s.step, f"stopped after max_steps = {self.config.max_steps} steps")

    # ----- the loss at other parameters (the probe, the loss curve) -------------------------
    def probe_rows(self) -> Array:
        """The samples the probe uses: this step's batch (without drawing from the run's RNG)."""
        if self.s.forward is not None and self.s.done != Phase.UPDATE:
            return self.s.forward.rows
        saved = copy.deepcopy(self.s.rng.bit_generator.state), self.s.cursor, self.s.order
        try:
            return self._batch_rows().copy()
        finally:
            self.s.rng.bit_generator.state, self.s.cursor, self.s.order = saved

    def loss_at(self, params: Params, rows: Array | None = None) -> float:
        """The total loss (with the penalty) with ``params`` on ``rows`` (default: the probe's batch)."""
        rows = self.probe_rows() if rows is None else rows
        x, y = self._batch(rows)
        with np.errstate(all="ignore"):
            out = forward(self.arch, params, x, rows).output
            data_loss = float(self.loss_fn.terms(out, y, self.config.mean)[0].sum())
            return data_loss + penalty(params.weights, self.config.l2, self.config.l1)

    def evaluate(self, params: Params, data: Dataset) -> tuple[float, float | None]:
        """The data loss (no penalty) of ``params`` over every row of ``data``, and the accuracy (or None)."""
        with np.errstate(all="ignore"):
            out = forward(self.arch, params, data.x, np.arange(len(data))).output
            loss = float(self.loss_fn.terms(out, data.y, self.config.mean)[0].sum())
        return loss, self.accuracy(out, data.y)

    def accuracy(self, outputs: Array, y: Array) -> float | None:
        """The share of rows classified right (None when the network does not classify).

        Softmax: the largest output is the target's class. Sigmoid: every output is on the target's
        side of 0.5.
        """
        if not self.classifies or not len(y):
            return None
        if self.arch.output == "softmax":
            right = outputs.argmax(axis=1) == y.argmax(axis=1)
        else:
            right = ((outputs > 0.5) == (y > 0.5)).all(axis=1)
        return float(right.mean())

    def dataset_loss(self) -> float:
        """The loss (with the penalty) over every training row at the current parameters, whatever the batch mode."""
        return self.loss_at(self.s.params, self._all_rows)

    def analytic_gradients(self, params: Params, rows: Array) -> Gradients:
        x, y = self._batch(rows)
        with np.errstate(all="ignore"):
            fp = forward(self.arch, params, x, rows)
            _, grad = self.loss_fn.terms(fp.output, y, self.config.mean)
            return self._with_penalty(backward(self.arch, params, fp, grad), params)

    def loss_curve(self, ref: ParamRef, values: Array) -> Array:
        """The loss as a function of one parameter, the others held where they are."""
        return loss_curve(self, ref, values)


_PHASE_ACTION: dict[Phase, type[Forward | Loss | Backward | Update]] = {
    Phase.FORWARD: Forward,
    Phase.LOSS: Loss,
    Phase.BACKWARD: Backward,
    Phase.UPDATE: Update,
}


def _carried_state(old: Architecture, new: Architecture, state: OptimizerState) -> OptimizerState:
    """The optimiser's state moved to a new shape: kept where the weights are kept, 0 for new ones."""
    if isinstance(state, Momentum):
        return Momentum(carried_zeros(old, new, state.velocity))
    if isinstance(state, Adam):
        return Adam(carried_zeros(old, new, state.m), carried_zeros(old, new, state.v), state.t)
    return None


_DO: dict[type, Callable[[Trainer, Any], None]] = {
    Guess: Trainer._do_guess,
    Forward: Trainer._do_forward,
    Loss: Trainer._do_loss,
    Backward: Trainer._do_backward,
    Update: Trainer._do_update,
    SetLearningRate: Trainer._do_set_learning_rate,
    ProbeRecord: Trainer._do_probe,
    SetParam: Trainer._do_set_param,
    Reset: Trainer._do_reset,
    Edit: Trainer._do_edit,
}
