"""Fixtures shared by every test directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.workspace import default_cache_dir
from tests.mutations.helpers import REFERENCE_IMPL, copy_reference

FIXTURE_PROJECTS = Path(__file__).resolve().parent / "fixtures" / "projects"
# The fixture projects hold test files of their own (some hang or print 50 MB): they are
# inputs of the harness, never part of this test suite.
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture
def reference_copy(tmp_path: Path) -> Path:
    """A fresh copy of reference_impl/ (without venvs and caches) that the test may edit."""
    return copy_reference(tmp_path / "reference")


@pytest.fixture(scope="session")
def reference_impl() -> Path:
    """The real reference_impl/ directory: read it, never modify it."""
    return REFERENCE_IMPL


@pytest.fixture(scope="session")
def fixture_projects() -> Path:
    """Directory of the bad-input fixture projects (tests/fixtures/projects)."""
    return FIXTURE_PROJECTS


@pytest.fixture(scope="session")
def eval_cache_dir() -> Path:
    """Cache of installed environments shared by every test of the session (and later runs)."""
    cache = default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    return cache
