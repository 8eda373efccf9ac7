"""A scratch copy of the project under test, so the original is never modified."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

# Directories never copied: VCS data, virtual environments and tool caches. They are
# large, irrelevant to the verdict, and a project's own venv must not leak into checks.
EXCLUDED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "htmlcov",
    }
)
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
CACHE_ENV_VAR = "EVALS_CACHE_DIR"


@dataclass(frozen=True)
class Workspace:
    """The scratch area of one run.

    Attributes:
        root: Temporary directory owned by the run (deleted at the end).
        project: The copy of the project under test, inside ``root``.
    """

    root: Path
    project: Path


def _is_special(path: Path) -> bool:
    """True for sockets, FIFOs and devices (a running server's socket, say): never copied."""
    return not (path.is_symlink() or path.is_file() or path.is_dir())


def _ignore(directory: str, names: list[str]) -> set[str]:
    """``shutil.copytree`` filter dropping excluded directories, bytecode and special files."""
    return {
        n
        for n in names
        if n in EXCLUDED_DIRS or n.endswith(EXCLUDED_SUFFIXES) or _is_special(Path(directory, n))
    }


def copy_project(source: Path, destination: Path) -> Path:
    """Copy ``source`` to ``destination`` (which must not exist), skipping excluded files.

    Symbolic links are copied as links, never followed, so a link to a directory
    outside the project cannot make the copy (or a check) reach outside it.

    Returns:
        ``destination``.
    """
    shutil.copytree(source, destination, symlinks=True, ignore=_ignore)
    return destination


def _make_writable(func: Callable[..., object], path: str, exc_info: object) -> None:
    """``shutil.rmtree`` error handler: retry once after granting write permission."""
    del exc_info
    try:
        os.chmod(path, 0o700)
        func(path)
    except OSError:
        return


def remove_tree(path: Path) -> None:
    """Delete ``path`` recursively, also when a project made files read-only."""
    shutil.rmtree(path, onerror=_make_writable)


@asynccontextmanager
async def workspace(project: Path, *, prefix: str = "evals-") -> AsyncIterator[Workspace]:
    """Copy ``project`` into a fresh temporary directory for the duration of the block.

    Args:
        project: The project to copy; it is only ever read.
        prefix: Prefix of the temporary directory's name.

    Yields:
        The workspace; its ``root`` is deleted when the block exits.
    """
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        copy = await asyncio.to_thread(copy_project, project, root / "project")
        yield Workspace(root, copy)
    finally:
        await asyncio.to_thread(remove_tree, root)


def default_cache_dir() -> Path:
    """Where installed environments are cached between runs.

    ``$EVALS_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/fastapi-command-eval``
    (``~/.cache/fastapi-command-eval`` by default).
    """
    explicit = os.environ.get(CACHE_ENV_VAR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fastapi-command-eval"


def _has_python_file(root: Path) -> bool:
    """Whether any ``.py`` file exists under ``root`` outside excluded directories."""
    for _dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in EXCLUDED_DIRS]
        if any(name.endswith(".py") for name in filenames):
            return True
    return False


def is_python_project(root: Path) -> bool:
    """Whether ``root`` looks like a Python project: pyproject.toml, setup.py or any .py file."""
    if (root / "pyproject.toml").is_file() or (root / "setup.py").is_file():
        return True
    return _has_python_file(root)
