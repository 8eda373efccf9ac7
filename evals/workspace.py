"""A scratch copy of the project under test, so the original is never modified.

Symbolic links never let the copy reach outside the project: a link whose resolved target
lies outside the project, is missing (dangling or a loop), is a special file or lies in an
excluded directory is not copied but recorded as a :class:`SkippedLink`. A link whose
target stays inside is copied as a link, rewritten to the relative path of its resolved
target, so it points into the copy even when the project wrote it as an absolute path to
itself. Directory links are never followed while copying.

The skipped links are on :attr:`Workspace.skipped_links` and, for the checks (which only
see the copy), in ``SKIPPED_LINKS_FILE`` at the workspace root (the parent of the copy,
``facts.options.workdir``): a JSON list of ``{"path", "target", "reason"}`` objects,
written by :func:`copy_project` next to every copy it makes.

:func:`workspace` fingerprints the original project before and after its block and raises
:class:`ProjectModifiedError` when anything in it changed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
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
SKIPPED_LINKS_FILE = ".evals-skipped-links.json"
MAX_CHANGED_NAMED = 10


@dataclass(frozen=True)
class SkippedLink:
    """A symbolic link of the project that was not copied.

    Attributes:
        path: The link, relative to the project root (forward slashes).
        target: What the link points to, as written in the link.
        reason: Why it was skipped (outside the project, dangling, ...).
    """

    path: str
    target: str
    reason: str

    def __str__(self) -> str:
        """``path -> target (reason)``."""
        return f"{self.path} -> {self.target} ({self.reason})"


@dataclass(frozen=True)
class Workspace:
    """The scratch area of one run.

    Attributes:
        root: Temporary directory owned by the run (deleted at the end).
        project: The copy of the project under test, inside ``root``.
        skipped_links: The project's links that were not copied, as
            ``path -> target (reason)``.
    """

    root: Path
    project: Path
    skipped_links: tuple[str, ...] = ()


class ProjectModifiedError(Exception):
    """The original project changed while it was being scored (its tests wrote into it).

    Attributes:
        project: The original project.
        changed: Every changed path (added, removed or modified), relative to ``project``.
    """

    def __init__(self, project: Path, changed: tuple[str, ...]) -> None:
        """Describe the change, naming at most ``MAX_CHANGED_NAMED`` paths."""
        self.project = project
        self.changed = changed
        named = ", ".join(changed[:MAX_CHANGED_NAMED])
        more = len(changed) - MAX_CHANGED_NAMED
        suffix = f" and {more} more" if more > 0 else ""
        super().__init__(
            f"the original project {project} was modified during the run "
            f"({len(changed)} paths: {named}{suffix}); its verdict cannot be trusted"
        )


def _is_special(path: Path) -> bool:
    """True for sockets, FIFOs and devices (a running server's socket, say): never copied."""
    return not (path.is_symlink() or path.is_file() or path.is_dir())


def _is_excluded(relative: str) -> bool:
    """Whether a project-relative path lies in an excluded directory or is bytecode."""
    parts = relative.split("/")
    return any(part in EXCLUDED_DIRS for part in parts) or relative.endswith(EXCLUDED_SUFFIXES)


def _outside(path: str, directory: str) -> bool:
    """Whether the resolved ``path`` lies outside the resolved ``directory``."""
    relative = os.path.relpath(path, directory)
    return relative == ".." or relative.startswith("../")


def link_problem(link: Path, root: str) -> str | None:
    """Why the symbolic link ``link`` must not be copied, or None when it stays inside.

    Args:
        link: A symbolic link under ``root``.
        root: The project root, already resolved (``os.path.realpath``).
    """
    resolved = os.path.realpath(link)
    if _outside(resolved, root):
        return "points outside the project"
    if not os.path.lexists(resolved) or os.path.islink(resolved):
        return "dangling"
    if _is_special(Path(resolved)):
        return "points to a socket, FIFO or device"
    if os.path.isdir(resolved) and not _outside(os.path.realpath(link.parent), resolved):
        return "points to a directory containing it (a loop)"
    if _is_excluded(os.path.relpath(resolved, root)):
        return "points into an excluded directory"
    return None


@dataclass
class _LinkSorter:
    """Sorts the links met while copying into skipped ones and ones to recreate."""

    source: Path
    root: str
    skipped: list[SkippedLink]
    kept: list[tuple[str, str]]

    def visit(self, link: Path) -> None:
        """Record ``link`` as skipped or as kept (with its target relative to the link)."""
        relative = link.relative_to(self.source).as_posix()
        problem = link_problem(link, self.root)
        if problem is not None:
            self.skipped.append(SkippedLink(relative, os.readlink(link), problem))
            return
        parent = os.path.realpath(link.parent)
        self.kept.append((relative, os.path.relpath(os.path.realpath(link), parent)))

    def ignore(self, directory: str, names: list[str]) -> set[str]:
        """``shutil.copytree`` filter: drops excluded and special files, and every link."""
        dropped = set()
        for name in names:
            path = Path(directory, name)
            if name in EXCLUDED_DIRS or name.endswith(EXCLUDED_SUFFIXES) or _is_special(path):
                dropped.add(name)
            elif path.is_symlink():
                self.visit(path)
                dropped.add(name)
        return dropped


def copy_tree(source: Path, destination: Path) -> tuple[SkippedLink, ...]:
    """Copy ``source`` to ``destination`` without excluded files or escaping links.

    Returns:
        The links that were not copied.
    """
    sorter = _LinkSorter(source, os.path.realpath(source), [], [])
    shutil.copytree(source, destination, symlinks=True, ignore=sorter.ignore)
    for relative, target in sorter.kept:
        os.symlink(target, destination / relative)
    return tuple(sorter.skipped)


def write_skipped_links(path: Path, links: tuple[SkippedLink, ...]) -> None:
    """Write ``links`` as the JSON list read by :func:`read_skipped_links` (read-only)."""
    path.unlink(missing_ok=True)
    path.write_text(json.dumps([asdict(link) for link in links], indent=1), encoding="utf-8")
    path.chmod(0o444)


def read_skipped_links(path: Path) -> tuple[SkippedLink, ...]:
    """The links recorded at ``path`` by :func:`copy_project`; none when it does not exist.

    Raises:
        ValueError: If the file exists but is not such a record.
    """
    if not path.is_file():
        return ()
    entries = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path} is not a list of skipped links")
    return tuple(SkippedLink(str(e["path"]), str(e["target"]), str(e["reason"])) for e in entries)


def copy_project(source: Path, destination: Path) -> Path:
    """Copy ``source`` to ``destination`` (which must not exist), skipping excluded files.

    Symbolic links leaving the project (or dangling) are not copied; they are recorded in
    ``destination.parent / SKIPPED_LINKS_FILE`` (see the module's documentation).

    Returns:
        ``destination``.
    """
    skipped = copy_tree(source, destination)
    write_skipped_links(destination.parent / SKIPPED_LINKS_FILE, skipped)
    return destination


def _entry_digest(path: Path, mode: int) -> str:
    """What a fingerprint records for one entry: a link's target, a file's SHA-256, a kind."""
    if stat.S_ISLNK(mode):
        return "link:" + os.readlink(path)
    if stat.S_ISDIR(mode):
        return "dir"
    if not stat.S_ISREG(mode):
        return "special"
    try:
        with path.open("rb") as handle:
            return "file:" + hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        return f"unreadable:{exc.errno}"


def _fingerprint_dir(root: Path, directory: Path, entries: dict[str, str]) -> None:
    """Add every entry under ``directory`` (not following links) to ``entries``."""
    with os.scandir(directory) as scan:
        children = sorted(scan, key=lambda entry: entry.name)
    for child in children:
        if child.name in EXCLUDED_DIRS or child.name.endswith(EXCLUDED_SUFFIXES):
            continue
        path = Path(child.path)
        mode = child.stat(follow_symlinks=False).st_mode
        entries[path.relative_to(root).as_posix()] = _entry_digest(path, mode)
        if stat.S_ISDIR(mode):
            _fingerprint_dir(root, path, entries)


def fingerprint_tree(root: Path) -> dict[str, str]:
    """A fingerprint of ``root``: each relative path with its content's SHA-256 or link target.

    Skips the directories and files the copy skips, never follows links and never opens
    anything but regular files (a FIFO would block).
    """
    entries: dict[str, str] = {}
    _fingerprint_dir(root, root, entries)
    return entries


def fingerprint_digest(fingerprint: Mapping[str, str]) -> str:
    """One SHA-256 over a whole fingerprint (paths, contents and link targets)."""
    digest = hashlib.sha256()
    for path, entry in sorted(fingerprint.items()):
        digest.update(f"{path}\0{entry}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def changed_paths(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[str, ...]:
    """Paths added, removed or modified between two fingerprints, sorted."""
    return tuple(sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p)))


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


async def verify_unchanged(project: Path, before: Mapping[str, str]) -> None:
    """Fingerprint ``project`` again and compare it with ``before``.

    Raises:
        ProjectModifiedError: If any path was added, removed or modified.
    """
    changed = changed_paths(before, await asyncio.to_thread(fingerprint_tree, project))
    if changed:
        raise ProjectModifiedError(project, changed)


async def _open(project: Path, prefix: str) -> tuple[Path, Workspace]:
    """Create the temporary root and copy ``project`` into it; returns (root, workspace)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        copy = root / "project"
        skipped = await asyncio.to_thread(copy_tree, project, copy)
        await asyncio.to_thread(write_skipped_links, root / SKIPPED_LINKS_FILE, skipped)
    except BaseException:
        await asyncio.to_thread(remove_tree, root)
        raise
    return root, Workspace(root, copy, tuple(str(link) for link in skipped))


@asynccontextmanager
async def workspace(project: Path, *, prefix: str = "evals-") -> AsyncIterator[Workspace]:
    """Copy ``project`` into a fresh temporary directory for the duration of the block.

    Args:
        project: The project to copy; it is only ever read.
        prefix: Prefix of the temporary directory's name.

    Yields:
        The workspace; its ``root`` is deleted when the block exits.

    Raises:
        ProjectModifiedError: If the original project changed during the block (raised
            from the block's own exception, if any; not on cancellation).
    """
    before = await asyncio.to_thread(fingerprint_tree, project)
    root, scratch = await _open(project, prefix)
    try:
        yield scratch
    except Exception:
        await verify_unchanged(project, before)
        raise
    finally:
        await asyncio.to_thread(remove_tree, root)
    await verify_unchanged(project, before)


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
