"""The scratch copy of a project."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path

import pytest

from evals.workspace import (
    SKIPPED_LINKS_FILE,
    ProjectModifiedError,
    SkippedLink,
    copy_project,
    default_cache_dir,
    fingerprint_digest,
    fingerprint_tree,
    is_python_project,
    read_skipped_links,
    workspace,
)


async def test_workspace_copies_without_junk_and_is_removed(tmp_path: Path) -> None:
    source = tmp_path / "src_project"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "pkg" / "mod.py").write_text("x = 1\n")
    (source / "pkg" / "__pycache__" / "mod.pyc").write_bytes(b"\0")
    (source / ".git").mkdir()
    (source / ".git" / "HEAD").write_text("ref\n")
    (source / "link").symlink_to("/etc")
    async with workspace(source) as scratch:
        copied = sorted(
            p.relative_to(scratch.project).as_posix() for p in scratch.project.rglob("*")
        )
        (scratch.project / "pkg" / "mod.py").chmod(0o400)
        (scratch.project / "pkg").chmod(0o500)
        root = scratch.root
    assert copied == ["pkg", "pkg/mod.py"]  # the link to /etc is neither copied nor followed
    assert scratch.skipped_links == ("link -> /etc (points outside the project)",)
    assert not root.exists()
    assert (source / "pkg" / "mod.py").read_text() == "x = 1\n"


def test_python_project_detection(tmp_path: Path) -> None:
    assert not is_python_project(tmp_path)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "site.py").write_text("")
    assert not is_python_project(tmp_path)  # a venv's files do not count
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "tool.py").write_text("")
    assert is_python_project(tmp_path)


def test_pyproject_makes_a_python_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    assert is_python_project(tmp_path)


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVALS_CACHE_DIR", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("EVALS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "fastapi-command-eval"


def test_copy_skips_sockets_left_by_a_running_server(tmp_path: Path) -> None:
    source = tmp_path / "with_socket"
    (source / "data").mkdir(parents=True)
    (source / "data" / "kept.txt").write_text("kept\n")
    with socket.socket(socket.AF_UNIX) as server_socket:
        server_socket.bind(str(source / "data" / ".s.PGSQL.5432"))
        copied = copy_project(source, tmp_path / "copy")
    assert sorted(p.name for p in copied.rglob("*")) == ["data", "kept.txt"]


def _project_with_links(tmp_path: Path) -> Path:
    """A project with every kind of link: escaping, to /, dangling, inside and a loop."""
    secret = tmp_path / "credentials"
    secret.write_text("aws_secret_access_key = hunter2\n")
    source = tmp_path / "linked"
    (source / "src" / "app").mkdir(parents=True)
    (source / "src" / "app" / "real.py").write_text("X = 1\n")
    (source / "src" / "app" / "creds.py").symlink_to(secret)
    (source / "root").symlink_to("/")
    (source / "src" / "app" / "ghost.py").symlink_to("missing.py")
    (source / "src" / "app" / "alias.py").symlink_to("real.py")
    (source / "absolute.py").symlink_to(source / "src" / "app" / "real.py")
    (source / "src" / "again").symlink_to("..")
    return source


def test_copy_skips_links_leaving_the_project_and_records_them(tmp_path: Path) -> None:
    copy = copy_project(_project_with_links(tmp_path), tmp_path / "work" / "copy")
    skipped = {
        link.path: link for link in read_skipped_links(tmp_path / "work" / SKIPPED_LINKS_FILE)
    }
    assert set(skipped) == {"src/app/creds.py", "root", "src/app/ghost.py", "src/again"}
    assert skipped["src/app/creds.py"] == SkippedLink(
        "src/app/creds.py", str(tmp_path / "credentials"), "points outside the project"
    )
    assert skipped["root"].reason == "points outside the project"
    assert skipped["src/app/ghost.py"].reason == "dangling"
    assert "loop" in skipped["src/again"].reason
    for path in skipped:
        assert not os.path.lexists(copy / path)
    assert "hunter2" not in "".join(p.read_text() for p in copy.rglob("*.py"))


def test_links_inside_the_project_stay_links_into_the_copy(tmp_path: Path) -> None:
    copy = copy_project(_project_with_links(tmp_path), tmp_path / "copy")
    assert os.readlink(copy / "src" / "app" / "alias.py") == "real.py"
    # An absolute link to the original's own file is rewritten to point into the copy.
    assert os.readlink(copy / "absolute.py") == "src/app/real.py"
    assert (copy / "absolute.py").resolve() == (copy / "src" / "app" / "real.py").resolve()


async def test_workspace_lists_the_skipped_links(tmp_path: Path) -> None:
    async with workspace(_project_with_links(tmp_path)) as scratch:
        recorded = read_skipped_links(scratch.root / SKIPPED_LINKS_FILE)
    assert sorted(scratch.skipped_links) == sorted(str(link) for link in recorded)
    assert "root -> / (points outside the project)" in scratch.skipped_links


async def test_a_change_to_the_original_during_the_run_is_an_error(tmp_path: Path) -> None:
    source = tmp_path / "original"
    (source / "tests").mkdir(parents=True)
    (source / "tests" / "test_a.py").write_text("def test_a() -> None:\n    assert True\n")
    with pytest.raises(ProjectModifiedError) as caught:
        async with workspace(source):
            (source / "tests" / "test_a.py").write_text("rewritten\n")
            (source / "planted.txt").write_text("x\n")
    assert caught.value.changed == ("planted.txt", "tests/test_a.py")
    assert "planted.txt, tests/test_a.py" in str(caught.value)


async def test_the_change_is_reported_even_when_the_block_fails(tmp_path: Path) -> None:
    source = tmp_path / "original"
    source.mkdir()
    with pytest.raises(ProjectModifiedError) as caught:
        async with workspace(source):
            (source / "planted.txt").write_text("x\n")
            raise RuntimeError("the run failed")
    assert isinstance(caught.value.__context__, RuntimeError)


async def test_an_unchanged_project_passes_through(tmp_path: Path) -> None:
    source = _project_with_links(tmp_path)
    async with workspace(source) as scratch:
        (scratch.project / "src" / "app" / "real.py").write_text("X = 2\n")
        await asyncio.sleep(0)
    assert (source / "src" / "app" / "real.py").read_text() == "X = 1\n"


def test_fingerprint_sees_contents_and_link_targets_and_is_fast(reference_impl: Path) -> None:
    started = time.monotonic()
    fingerprint = fingerprint_tree(reference_impl)
    assert time.monotonic() - started < 2.0
    assert "pyproject.toml" in fingerprint
    assert not any(path.startswith(".venv/") for path in fingerprint)
    assert fingerprint_digest(fingerprint) == fingerprint_digest(fingerprint_tree(reference_impl))


def test_fingerprint_never_opens_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link").symlink_to("pipe")
    assert fingerprint_tree(tmp_path) == {"link": "link:pipe", "pipe": "special"}
