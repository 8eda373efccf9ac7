"""SQLAlchemy for the served variants, which the harness itself does not depend on.

When this interpreter cannot import ``sqlalchemy``, it is installed once with pip into
:func:`site_dir` (``--target``, no dependencies beyond ``greenlet``), and that directory is
put on the variants' ``PYTHONPATH``: the variants then run with the same interpreter,
FastAPI, Pydantic, uvicorn and asyncpg as the bare app.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

REQUIREMENTS = ("sqlalchemy>=2.0.30,<2.1", "greenlet>=3.0")
SITE_ENV = "EVALS_PERF_LAB_SITE"


class DependencyError(RuntimeError):
    """SQLAlchemy could not be made available."""


def site_dir() -> Path:
    """Where SQLAlchemy is installed (``EVALS_PERF_LAB_SITE``, else the user's cache)."""
    if os.environ.get(SITE_ENV):
        return Path(os.environ[SITE_ENV])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "evals" / "perf-lab-site"


def ensure_sqlalchemy(directory: Path | None = None) -> Path | None:
    """The directory to add to the variants' ``PYTHONPATH`` (None when already importable).

    Raises:
        DependencyError: If pip cannot install it.
    """
    if importlib.util.find_spec("sqlalchemy") is not None:
        return None
    target = directory or site_dir()
    if (target / "sqlalchemy").is_dir() and (target / "greenlet").is_dir():
        return target
    argv = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    argv += ["--no-deps", "--target", str(target), *REQUIREMENTS]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise DependencyError(f"pip could not install {REQUIREMENTS}: {done.stderr[-1000:]}")
    return target
