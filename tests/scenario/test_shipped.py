"""The shipped scenarios load, match their description and train to their stop_loss."""

import numpy as np
import pytest

from nnsim.scenario import load, shipped


def test_all_seven_are_shipped_in_order():
    assert list(shipped()) == ["y4x", "linear", "hidden", "xor", "circle", "spiral", "digits"]


def test_y4x_is_the_worked_example():
    s = load("y4x")
    assert s.data.x[:, 0].tolist() == [0, 1, 2, 3, 4]
    assert s.data.y[:, 0].tolist() == [0, 4, 8, 12, 16]
    assert s.arch.sizes == (1, 1) and not s.arch.bias and s.arch.output == "identity"
    assert s.config.loss == "sse" and s.config.learning_rate == 0.01 and s.config.stop_loss == 1e-6
    assert s.initial.weights[0].tolist() == [[2.0]]


def test_shapes():
    assert load("linear").arch.sizes[0] >= 3 and load("linear").arch.bias
    assert load("hidden").arch.sizes == (4, 2, 1)
    xor = load("xor")
    assert xor.arch.sizes == (2, 2, 1) and xor.arch.activation == "sigmoid" and xor.arch.output == "sigmoid"
    digits = load("digits")
    assert digits.arch.sizes[0] == 64 and digits.arch.sizes[-1] == 10 and digits.arch.output == "softmax"
    assert digits.config.loss == "cross_entropy"
    assert len(digits.data) + len(digits.test) == 1797 and len(digits.test) == 539  # test_fraction = 0.3
    assert digits.data.x.min() == 0 and digits.data.x.max() == 1  # 0..16 scaled by 1/16
    assert (digits.data.y.sum(axis=1) == 1).all()


@pytest.mark.parametrize("name", ["y4x", "linear", "hidden", "xor", "circle", "spiral", "digits"])
def test_trains_to_stop_loss(name):
    s = load(name)
    t = s.trainer()
    stop = t.run()
    assert stop.reason == "converged", stop.message
    assert t.loss_history()[-1][1] < s.config.stop_loss


def test_digits_learns_to_classify():
    t = load("digits").trainer()
    t.run()
    t.run_through("forward") if t.last_phase in ("update", "guess") else None
    predicted = t.forward_pass.output.argmax(axis=1)
    truth = t.data.y[t.forward_pass.rows].argmax(axis=1)
    assert (predicted == truth).mean() > 0.95
    # and on the 539 images it never trained on
    assert t.loss_result.test_accuracy > 0.9


def test_load_by_path(tmp_path):
    path = shipped()["y4x"]
    assert load(str(path)).name == "y4x"


def test_explicit_biases(tmp_path):
    (tmp_path / "b.toml").write_text(
        '[data]\ninputs=["x"]\ntargets=["y"]\ncolumns=["x","y"]\nrows=[[1,2]]\n'
        "[network]\nweights=[[[0.5]]]\nbiases=[[0.25]]\n"
    )
    s = load(tmp_path / "b.toml")
    assert s.initial.biases[0].tolist() == [0.25]
    t = s.trainer()
    t.run_through("forward")
    assert t.forward_pass.output[0, 0] == pytest.approx(0.75)
    assert np.isclose(s.config.learning_rate, 0.01)  # the documented default
