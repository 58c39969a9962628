"""A run's history: the action records so far, where undo has taken us, and checkpoints.

Undo and redo never store whole states: going to position n loads the last checkpoint before
n and applies the records from there (the trainer does the applying). Memory holds the
records, one loss per loss phase, and a checkpoint every ``checkpoint_every`` steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .actions import Action
from .network import Architecture, Params
from .phases import OptimizerState, Score


@dataclass(frozen=True)
class Checkpoint:
    """What a run needs to go on from just before a forward phase: no results, only state."""

    params: Params
    rng_state: dict
    cursor: int
    order: np.ndarray | None
    step: int
    seed: int
    run_start: int
    learning_rate: float
    optimizer: OptimizerState = None
    arch: Architecture | None = None  # the set-up then (edits change it); None: the scenario's
    config: Any = None  # the trainer's Config then (trainer.py imports this module)
    data: Any = None  # (training rows, held-out rows) with their inputs then (edited features); None: the scenario's


CHECKPOINT_EVERY = 16  # steps between checkpoints: undo replays at most this many steps


class History:
    """The records (``records[:pos]`` are done; the rest can be redone), checkpoints and scores."""

    def __init__(self, checkpoint_every: int = CHECKPOINT_EVERY) -> None:
        self.checkpoint_every = checkpoint_every
        self.records: list[Action] = []
        self.pos = 0
        self.checkpoints: dict[int, Checkpoint] = {}  # the state just before records[k]
        self.scores: list[tuple[int, Score]] = []  # (record index, the loss phase's scores)

    def add(self, action: Action) -> None:
        """A new action at the current position: whatever was undone beyond it is dropped."""
        del self.records[self.pos :]
        for k in [k for k in self.checkpoints if k > self.pos]:
            del self.checkpoints[k]
        self.records.append(action)

    def done(self) -> list[Action]:
        """The records that made the current state, oldest first."""
        return self.records[: self.pos]

    def wants_checkpoint(self, step: int) -> bool:
        return step % self.checkpoint_every == 0 and self.pos not in self.checkpoints

    def start_for(self, n: int) -> tuple[int, Checkpoint | None]:
        """Where replaying must start to reach position ``n``: the last checkpoint before it, or 0."""
        below = [k for k in self.checkpoints if k < n]
        if not below:
            return 0, None
        k = max(below)
        return k, self.checkpoints[k]

    def rewind(self, k: int) -> None:
        """Back to position k (the caller then replays): scores computed from there on go."""
        self.pos = k
        while self.scores and self.scores[-1][0] >= k:
            self.scores.pop()

    def loss_history(self, run_start: int) -> list[tuple[int, float]]:
        """(step, loss) for every loss phase since the record ``run_start``."""
        return [(score.step, score.loss) for score in self.score_history(run_start)]

    def score_history(self, run_start: int) -> list[Score]:
        """The scores of every loss phase since the record ``run_start``."""
        return [score for idx, score in self.scores if idx >= run_start]
