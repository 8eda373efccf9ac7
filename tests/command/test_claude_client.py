"""Without node/npm or a reachable registry the Claude Code CLI tests skip with the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.command import claude_client
from tests.command.claude_client import CLAUDE_CODE_VERSION, ClientUnavailable, install_client


def test_missing_npm_is_a_reason_to_skip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ClientUnavailable, match="node and npm are needed"):
        install_client(tmp_path / "prefix")
    assert list(tmp_path.glob("prefix*")) == []


def test_cache_dir_follows_xdg_and_names_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    expected = Path("/somewhere/fastapi-backend-command") / f"claude-code-{CLAUDE_CODE_VERSION}"
    assert claude_client.cache_dir() == expected


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_unreachable_registry_is_a_reason_to_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    monkeypatch.setenv("npm_config_offline", "false")
    with pytest.raises(ClientUnavailable, match=r"npm install .* failed \(no network\?\)"):
        install_client(tmp_path / "prefix")
    assert list(tmp_path.glob("prefix*")) == []
