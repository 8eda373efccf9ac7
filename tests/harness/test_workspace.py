"""The scratch copy of a project."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from evals.workspace import copy_project, default_cache_dir, is_python_project, workspace


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
        assert (scratch.project / "link").is_symlink()  # copied as a link, not followed
        (scratch.project / "pkg" / "mod.py").chmod(0o400)
        (scratch.project / "pkg").chmod(0o500)
        root = scratch.root
    assert copied == ["link", "pkg", "pkg/mod.py"]
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
