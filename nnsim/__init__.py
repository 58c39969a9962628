"""nnsim: watch a neural network learn, one keypress at a time."""

import os

__version__ = "0.1.0"

# Set (to "1") in every served session's process: the app then opens only the shipped scenarios
# and writes no files on the presenter's machine.
GUEST_ENV = "NNSIM_GUEST"
# Set with it by the same child process, from what the presenter gave `nnsim serve` (never from a
# client): the scenario files a guest may open besides the shipped ones (a JSON list of paths),
# and the folder a guest's export writes into (`--export-dir`; unset: export is refused).
GUEST_SCENARIOS_ENV = "NNSIM_GUEST_SCENARIOS"
GUEST_EXPORT_DIR_ENV = "NNSIM_GUEST_EXPORT_DIR"

BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """Ask NumPy's BLAS for a single thread (unless the user chose a number), before NumPy loads.

    OpenBLAS starts a thread per core, and after each matrix product those threads keep spinning
    for a while: on this project's matrices (at most 1,797 × 64) a digits key cost 140 ms of CPU
    with them and 32 ms without, and one thread trains faster too (README, Performance). With many
    SSH sessions on one machine the spinning threads would take the cores from the others.
    Child processes (SSH and web sessions) inherit the setting.
    """
    for var in BLAS_THREAD_VARS:
        os.environ.setdefault(var, "1")
