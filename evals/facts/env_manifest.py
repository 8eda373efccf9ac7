"""Hash manifests of cached environments: written right after a build, checked before reuse.

A manifest maps every entry of the environment (relative path) to what it is: a regular
file's permission bits and the SHA-256 of its bytes, a symbolic link's target, a
directory's permission bits, or the type of anything else (a FIFO is never opened). It is
stored in the environment as :data:`MANIFEST_FILE`, written by the harness (never inside
a sandbox) after the installers finished and the scripts were relocated. Hashing the
content of every file costs 0.4 to 0.9 s for the reference environment (9,212 entries,
313 MB, warm page cache) on a quiet machine, 1.9 s on a loaded one; the harness runs it in
a thread and reports the time.

What it catches: anything a run (or a process outside the harness) added, removed or
changed in the environment after it was built, such as a ``.pth`` file in site-packages.
Left out: mypy's cache of the environment (``.evals-mypy-cache``, written by the
``types.mypy`` step inside its sandbox; mypy data, never imported); a project's mypy run
can alter it, which could mislead a later project's ``types.mypy`` but runs no code.
What it cannot catch: a file planted during the build itself, e.g. by a package's build
script poisoning the shared download cache or the cached uv for a later build; the
manifest is made after that build and records the planted file as part of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MANIFEST_FILE = ".evals-manifest.json"
# Top-level entries left out: mypy's cache of the environment's packages, which the
# ``types.mypy`` step writes on purpose (data for mypy, never imported or executed).
UNHASHED = frozenset({MANIFEST_FILE, ".evals-mypy-cache"})
MANIFEST_VERSION = 1
EXAMPLES = 3


def describe_entry(path: Path) -> str:
    """What ``path`` is: ``file:<mode>:<sha256>``, ``link:<target>``, ``dir:<mode>``, ..."""
    info = path.lstat()
    mode = f"{stat.S_IMODE(info.st_mode):o}"
    if stat.S_ISLNK(info.st_mode):
        return f"link:{os.readlink(path)}"
    if stat.S_ISDIR(info.st_mode):
        return f"dir:{mode}"
    if not stat.S_ISREG(info.st_mode):
        return f"special:{stat.S_IFMT(info.st_mode):o}:{mode}"
    with path.open("rb") as handle:
        return f"file:{mode}:{hashlib.file_digest(handle, 'sha256').hexdigest()}"


def _entries(root: Path) -> Iterator[Path]:
    """Every file, link and directory under ``root`` but :data:`UNHASHED` (links not followed)."""
    for directory, dirs, files in os.walk(root):
        base = Path(directory)
        skipped = UNHASHED if base == root else frozenset()
        dirs[:] = [name for name in dirs if name not in skipped]
        yield from (base / name for name in [*dirs, *files] if name not in skipped)


def snapshot(root: Path) -> dict[str, str]:
    """The manifest entries of the tree at ``root`` (its manifest and mypy cache left out)."""
    return {path.relative_to(root).as_posix(): describe_entry(path) for path in _entries(root)}


def write_manifest(root: Path) -> int:
    """Record the manifest of the environment at ``root``; the number of entries."""
    entries = snapshot(root)
    document = {"version": MANIFEST_VERSION, "entries": entries}
    (root / MANIFEST_FILE).write_text(json.dumps(document, sort_keys=True), encoding="utf-8")
    return len(entries)


def read_manifest(root: Path) -> dict[str, str] | None:
    """The recorded manifest of ``root``; None when it is missing, unreadable or foreign."""
    try:
        document = json.loads((root / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("version") != MANIFEST_VERSION:
        return None
    entries = document.get("entries")
    if not isinstance(entries, dict):
        return None
    return {str(key): str(value) for key, value in entries.items()}


def changes(recorded: dict[str, str], current: dict[str, str]) -> str:
    """What differs between two manifests, e.g. ``1 added (lib/.../evil.pth)``; empty if none."""
    added = sorted(current.keys() - recorded.keys())
    removed = sorted(recorded.keys() - current.keys())
    changed = sorted(k for k in current.keys() & recorded.keys() if current[k] != recorded[k])
    parts = []
    for label, paths in (("added", added), ("removed", removed), ("changed", changed)):
        if paths:
            parts.append(f"{len(paths)} {label} ({', '.join(paths[:EXAMPLES])})")
    return "; ".join(parts)


@dataclass(frozen=True)
class Verification:
    """The check of a cached environment against its manifest.

    Attributes:
        problem: What does not match (empty when everything does).
        entries: Entries hashed.
        seconds: Time the check took.
    """

    problem: str
    entries: int
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether the environment is exactly what was built."""
        return not self.problem


def verify_manifest(root: Path) -> Verification:
    """Hash the environment at ``root`` again and compare it with its manifest."""
    started = time.perf_counter()
    recorded = read_manifest(root)
    current = snapshot(root)
    problem = "no valid manifest" if recorded is None else changes(recorded, current)
    return Verification(problem, len(current), round(time.perf_counter() - started, 3))
