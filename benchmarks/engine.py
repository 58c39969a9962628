"""Engine throughput: full-batch training steps per second on digits, history recording on,
against a minimal hand-written NumPy loop doing the same maths (written here, as the reference)."""

from __future__ import annotations

import time

import numpy as np

from nnsim.scenario import load

from .common import Result, alternate

STEPS = 300
ROUNDS = 9
GOAL = 0.8


def reference_loop(
    x: np.ndarray,
    y: np.ndarray,
    w: list[np.ndarray],
    b: list[np.ndarray],
    lr: float,
    steps: int,
    test: tuple[np.ndarray, np.ndarray],
) -> None:
    """64 → 16 relu → 10 softmax, mean cross-entropy, plain gradient descent; each step also
    scores the held-out rows (loss, accuracy) and the training accuracy, as the engine reports them."""
    tx, ty = test
    w = [a.copy() for a in w]
    b = [a.copy() for a in b]
    n = x.shape[0]
    for _ in range(steps):
        z1 = x @ w[0] + b[0]
        a1 = np.maximum(z1, 0.0)
        z2 = a1 @ w[1] + b[1]
        e = np.exp(z2 - z2.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        pc = np.clip(p, 1e-12, 1 - 1e-12)
        loss = -(y * np.log(pc)).sum(axis=1) / n
        if not np.isfinite(loss.sum()):
            break
        (p.argmax(axis=1) == y.argmax(axis=1)).mean()
        t1 = np.maximum(tx @ w[0] + b[0], 0.0)
        t2 = t1 @ w[1] + b[1]
        te = np.exp(t2 - t2.max(axis=1, keepdims=True))
        tp = te / te.sum(axis=1, keepdims=True)
        (-(ty * np.log(np.clip(tp, 1e-12, 1 - 1e-12))).sum(axis=1) / tx.shape[0]).sum()
        (tp.argmax(axis=1) == ty.argmax(axis=1)).mean()
        g = -y / pc / n
        d2 = p * (g - (g * p).sum(axis=1, keepdims=True))
        d1 = (d2 @ w[1].T) * (z1 > 0)
        gw = [x.T @ d1, a1.T @ d2]
        gb = [d1.sum(axis=0), d2.sum(axis=0)]
        for k in range(2):
            w[k] -= lr * gw[k]
            b[k] -= lr * gb[k]


def run() -> list[Result]:
    scenario = load("digits")
    data = scenario.data
    probe = scenario.trainer(stop_loss=0.0, max_steps=10**9)
    w0 = [a.copy() for a in probe.params.weights]
    b0 = [a.copy() for a in probe.params.biases]
    lr = scenario.config.learning_rate

    def engine() -> float:
        t = scenario.trainer(stop_loss=0.0, max_steps=10**9)
        start = time.perf_counter()
        t.run(STEPS)
        elapsed = time.perf_counter() - start
        assert t.step_count == STEPS
        return STEPS / elapsed

    def reference() -> float:
        start = time.perf_counter()
        reference_loop(data.x, data.y, w0, b0, lr, STEPS, (scenario.test.x, scenario.test.y))
        return STEPS / (time.perf_counter() - start)

    engine(), reference()  # warm up
    # steps per second: higher is better, so the ratio is engine / reference
    r = alternate(engine, reference, ROUNDS)
    return [
        Result(
            "engine throughput",
            "digits, full batch, history on",
            f"{r.subject:.0f} steps/s",
            f"hand-written NumPy loop {r.reference:.0f} steps/s",
            r.ratio,
            f"≥ {GOAL}×",
            r.ratio >= GOAL,
        )
    ]
