"""Is the code as the house style asks: ruff-clean?"""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_the_code_is_ruff_clean() -> None:
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "khasan_kg", "tests", "benchmarks"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
