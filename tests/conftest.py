"""Every test runs in the same, deterministic environment."""

from __future__ import annotations

import os

from nnsim import one_blas_thread

one_blas_thread()  # as the nnsim command runs, and before NumPy is imported

import numpy as np  # noqa: E402
import pytest  # noqa: E402

# Textual reads these when it is imported: pin the theme and switch animation and blinking off
# before any test module imports it. NO_COLOR from the developer's shell must not leak in either.
os.environ.pop("NO_COLOR", None)
os.environ.pop("COLORTERM", None)  # "truecolor" in a developer's terminal would change every picture's colours
os.environ["TEXTUAL_THEME"] = "textual-dark"
os.environ["TEXTUAL_ANIMATIONS"] = "none"
os.environ["COLUMNS"] = "100"
os.environ["LINES"] = "40"


@pytest.fixture(autouse=True)
def _deterministic(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("NNSIM_GUEST", raising=False)  # a served session's mark: the tests are the presenter
    # nothing a test runs may write to the developer's own config (the SSH host key lives there)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("TEXTUAL_THEME", "textual-dark")
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    np.random.seed(0)
