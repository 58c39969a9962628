"""The engine and the headless modules never import the UI libraries."""

import subprocess
import sys


def test_engine_imports_neither_textual_nor_rich():
    code = (
        "import sys, nnsim.engine, nnsim.scenario, nnsim.trace, nnsim.present; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
