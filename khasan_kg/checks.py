"""Checks beyond SHACL that need the whole graph at once (run by validate.validate_loaded).

Each check takes the loaded files and the union graph and returns Problems; add one by appending it to CHECKS.
"""

from __future__ import annotations

from collections.abc import Callable

from rdflib import Graph

from .load import Loaded
from .validate import Problem

Check = Callable[[Loaded, Graph], list[Problem]]

CHECKS: list[Check] = []


def run_all(loaded: Loaded, union: Graph) -> list[Problem]:
    problems: list[Problem] = []
    for check in CHECKS:
        problems += check(loaded, union)
    return problems
