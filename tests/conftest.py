"""Shared fixtures: the project, one build of the real graph per test session, and a query store over it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from khasan_kg import api
from khasan_kg.build import Build
from khasan_kg.paths import Project
from khasan_kg.store import GraphStore

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "sources" / "000_4b84ee11cead879a.txt"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/expected/ from the current results")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def source_text() -> str:
    if not SOURCE.is_file():
        pytest.fail(f"the source document is missing: {SOURCE} (tests read it from ../shared/sources/)")
    return SOURCE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def built(project: Project, tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, Path]:
    """The real graph, built once into a temporary dist/ folder."""
    out = tmp_path_factory.mktemp("dist")
    result = api.build(out, project)
    return result, out


@pytest.fixture(scope="session")
def store(built: tuple[Build, Path]) -> GraphStore:
    return api.store_from_build(built[0])


def require_tool(name: str) -> str:
    """The path of a command-line tool the test needs: skip locally when absent, fail in CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (.ci/run installs it from Debian)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
