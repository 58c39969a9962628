"""The confusion matrix: counts of rows by actual and predicted class."""

import numpy as np

from nnsim.engine import confusion


def test_confusion_counts_softmax_rows_like_a_loop_over_them():
    rng = np.random.default_rng(7)
    n, k = 200, 5
    outputs = rng.random((n, k))
    y = np.eye(k)[rng.integers(0, k, n)]
    expected = np.zeros((k, k), dtype=int)
    for out, target in zip(outputs, y):
        expected[int(np.argmax(target)), int(np.argmax(out))] += 1
    counts = confusion(outputs, y)
    assert counts.shape == (k, k)
    assert np.array_equal(counts, expected)
    assert counts.sum() == n
    assert np.array_equal(counts.sum(axis=1), y.sum(axis=0).astype(int))  # each row: the rows of that class


def test_confusion_of_one_sigmoid_output_thresholds_at_one_half():
    outputs = np.array([[0.1], [0.9], [0.6], [0.4], [0.5]])
    y = np.array([[0], [1], [0], [1], [0]])
    # actual 0: 0.1 → 0, 0.6 → 1, 0.5 → 0 (not above 0.5); actual 1: 0.9 → 1, 0.4 → 0
    assert confusion(outputs, y).tolist() == [[2, 1], [1, 1]]
