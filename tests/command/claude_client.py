"""The real Claude Code CLI for the command tests: installed once with npm, run offline.

The client is the final word on whether the plugin loads (a manifest can validate against its
schema and still load nothing). ``@anthropic-ai/claude-code`` is installed with npm, at the
pinned version, into the user's cache directory once and reused by later test sessions. It runs
with a fresh environment: ``HOME`` and ``CLAUDE_CONFIG_DIR`` in a temporary directory, no API
key or any other credential, telemetry and non-essential traffic off. Without ``node``/``npm``,
or when npm cannot install the package (no network), the tests are skipped with that reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLAUDE_CODE_VERSION = "2.1.332"
PACKAGE = "@anthropic-ai/claude-code"
NPM_TIMEOUT_S = 600
CLIENT_TIMEOUT_S = 120


class ClientUnavailable(Exception):
    """The CLI cannot be installed here; the message is the reason to skip."""


def cache_dir() -> Path:
    """Where the pinned CLI is installed: ``$XDG_CACHE_HOME`` or ``~/.cache``, per version."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fastapi-backend-command" / f"claude-code-{CLAUDE_CODE_VERSION}"


def _binary(prefix: Path) -> Path:
    return prefix / "node_modules" / ".bin" / "claude"


def _reports_version(binary: Path) -> bool:
    if not binary.exists():
        return False
    try:
        result = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError:
        return False
    return result.returncode == 0 and result.stdout.startswith(CLAUDE_CODE_VERSION)


def _npm_install(npm: str, prefix: Path) -> None:
    spec = f"{PACKAGE}@{CLAUDE_CODE_VERSION}"
    argv = [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", spec]
    try:
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClientUnavailable(f"npm install {spec} failed: {exc}") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ClientUnavailable(f"npm install {spec} failed (no network?): {last}")


def install_client(prefix: Path | None = None) -> Path:
    """Return the pinned ``claude`` binary, installing it with npm into ``prefix`` first if needed.

    The install goes to a temporary sibling renamed into place, so an interrupted install is
    never reused.

    Raises:
        ClientUnavailable: If node or npm is missing or the install fails.
    """
    prefix = prefix or cache_dir()
    if _reports_version(_binary(prefix)):
        return _binary(prefix)
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        raise ClientUnavailable("node and npm are needed to install the Claude Code CLI")
    staging = prefix.with_name(f"{prefix.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _npm_install(npm, staging)
    finally:
        if not _binary(staging).exists():
            shutil.rmtree(staging, ignore_errors=True)
    if prefix.exists():
        shutil.rmtree(prefix)
    staging.rename(prefix)
    if not _reports_version(_binary(prefix)):
        raise ClientUnavailable(f"{_binary(prefix)} does not run or is not {CLAUDE_CODE_VERSION}")
    return _binary(prefix)


@dataclass(frozen=True)
class Client:
    """The CLI run with ``home`` as HOME and ``home/.claude`` as CLAUDE_CONFIG_DIR."""

    binary: Path
    home: Path

    @property
    def config_dir(self) -> Path:
        return self.home / ".claude"

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "CLAUDE_CONFIG_DIR": str(self.config_dir),
            "LANG": "C.UTF-8",
            "NO_COLOR": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_AUTOUPDATER": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        argv: Sequence[str] = (str(self.binary), *args)
        return subprocess.run(
            argv,
            cwd=cwd or self.home,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT_S,
            check=False,
        )

    def json(self, *args: str) -> Any:  # noqa: ANN401 - whatever JSON the CLI prints
        result = self.run(*args)
        assert result.returncode == 0, f"claude {' '.join(args)}: {result.stderr}{result.stdout}"
        return json.loads(result.stdout)

    def session_init(self, cwd: Path) -> dict[str, Any]:
        """The ``init`` message of a headless session started in ``cwd``.

        Without credentials the session stops at "Not logged in" before any API request, but
        its init message already lists the slash commands Claude Code loaded.
        """
        flags = ("--output-format", "stream-json", "--verbose", "--no-session-persistence")
        result = self.run("-p", *flags, "hi", cwd=cwd)
        init = json.loads(result.stdout.splitlines()[0])
        assert init["type"] == "system" and init["subtype"] == "init", result.stdout[:500]
        assert init["apiKeySource"] == "none"
        return dict(init)
