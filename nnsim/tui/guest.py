"""What a served session, a guest on the presenter's machine, may do there: which scenarios it opens, where it exports.

`nnsim serve` starts every session's app through ``nnsim.serve.child``, which marks it a guest
(GUEST_ENV) and writes down what the presenter allowed on the server's command line: the scenario
files named there (GUEST_SCENARIOS_ENV) and the ``--export-dir`` (GUEST_EXPORT_DIR_ENV). No client
can set these: the child sets or removes each one itself, and ssh passes on only a few colour and
language variables.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import GUEST_ENV, GUEST_EXPORT_DIR_ENV, GUEST_SCENARIOS_ENV
from ..scenario import shipped

SESSION_ENV = "NNSIM_SSH_SESSION"  # the SSH server's number for the session (1, 2, …)


@dataclass(frozen=True)
class Guest:
    """A served session's limits: it opens the shipped scenarios and `scenarios`; it exports into `export_dir` only.

    `export_dir` None: export is refused (over SSH without ``--export-dir``); a browser's export is a
    download whatever this says. `session` goes into the export's file names ("s3": nnsim-y4x-s3-1.csv).
    """

    scenarios: tuple[Path, ...] = ()
    export_dir: Path | None = None
    session: str = "guest"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Guest | None:
        """The limits the serving child wrote down; None if this app is no guest (the presenter's own)."""
        if env.get(GUEST_ENV) != "1":
            return None
        try:
            listed = json.loads(env.get(GUEST_SCENARIOS_ENV, "[]"))
        except ValueError:
            listed = []
        scenarios = tuple(Path(p) for p in listed if isinstance(p, str) and p) if isinstance(listed, list) else ()
        export_dir = env.get(GUEST_EXPORT_DIR_ENV) or None
        number = env.get(SESSION_ENV, "")
        return cls(scenarios, Path(export_dir) if export_dir else None, f"s{number}" if number.isdigit() else "guest")

    def openable(self) -> dict[str, Path]:
        """What the open dialog and the palette offer, by the name they show: the shipped scenarios by
        name, then the presenter's files by file name (``a.toml``; never the folder they are in)."""
        found = dict(shipped())
        seen = {_same(path) for path in found.values()}
        for path in self.scenarios:
            if _same(path) in seen:  # a shipped one, named by its path
                continue
            seen.add(_same(path))
            label, n = path.name, 2
            while label in found:
                label, n = f"{path.name} ({n})", n + 1
            found[label] = path
        return found


def _same(path: Path) -> Path:
    """The path a file is reached by, whatever way it was named (for telling two names of one file apart)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()
