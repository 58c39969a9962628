"""The engine under stress: absurd learning rates and very long runs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnsim.engine import param_refs
from nnsim.present import explain, param_rows, sample_table
from nnsim.scenario import load, shipped

RATES = [1e-8, 1e-4, 1e-2, 1.0, 1e2, 1e4]
STEPS = 150


@pytest.mark.parametrize("name", sorted(shipped()))
@pytest.mark.parametrize("lr", RATES)
def test_any_learning_rate_trains_or_stops_with_a_reason(name, lr):
    t = load(name).trainer(learning_rate=lr, max_steps=STEPS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not one warning, let alone a flood
        stop = t.run()
    assert stop is not None and stop.reason in ("converged", "diverged", "max_steps")
    losses = [loss for _, loss in t.loss_history()]
    if stop.reason == "diverged":
        assert f"step {stop.step}" in stop.message and ("inf" in stop.message or "nan" in stop.message)
        assert all(np.isfinite(losses[:-1]))  # it stopped at the first bad loss
    else:
        assert all(np.isfinite(losses)) and all(p.all_finite() for p in [t.params])
        if stop.reason == "max_steps":
            assert t.step_count == STEPS
    # what the screen and the report show: NaN and infinity spelled out, never Python's "nan"
    ref = param_refs(t.arch)[0]
    shown = [*sample_table(t, ref).rows[:20], sample_table(t, ref).total, *(r.cells for r in param_rows(t)[:20])]
    words = " ".join(" ".join(cells) for cells in shown).split()
    assert "nan" not in words and "-nan" not in words


def test_a_huge_learning_rate_diverges_and_says_where():
    t = load("y4x").trainer(learning_rate=1e4)
    stop = t.run()
    assert stop.reason == "diverged" and stop.step < 100
    text = " ".join(explain(t, param_refs(t.arch)[0]))
    assert "inf" in text or "NaN" in text


def test_ten_thousand_steps_undo_to_the_start_and_redo_bit_for_bit():
    t = load("hidden").trainer(stop_loss=0.0, max_steps=10**9)
    t.run(10_000)
    final = [a.tobytes() for a in t.params.arrays()]
    losses = t.loss_history()
    undone = 0
    while t.undo():
        undone += 1
    assert t.step_count == 0 and undone == 4 * 10_000
    for _ in range(undone):
        assert t.redo()
    assert t.step_count == 10_000
    assert [a.tobytes() for a in t.params.arrays()] == final
    assert t.loss_history() == losses
