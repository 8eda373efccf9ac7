"""The plugin and the installer as the real Claude Code CLI sees them (offline, no API key).

``claude plugin validate / marketplace add / install / details / uninstall`` and the init
message of a headless session (which lists the loaded slash commands before the missing login
stops it) are the client's own word; see ``tests/command/claude_client.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.definition import COMMAND_NAME, PLUGIN_ROOT_RELPATH, RENDERED_PATH, REPO_ROOT
from scripts.definition import command_version as definition_version
from scripts.versioning import MARKETPLACE_RELPATH, PLUGIN_RELPATH, read_json
from tests.command.claude_client import Client, ClientUnavailable, install_client
from tests.command.conftest import run_module

pytestmark = pytest.mark.slow

PLUGIN = str(read_json(REPO_ROOT / PLUGIN_RELPATH)["name"])
MARKETPLACE = str(read_json(REPO_ROOT / MARKETPLACE_RELPATH)["name"])
PLUGIN_ID = f"{PLUGIN}@{MARKETPLACE}"
PLUGIN_COMMAND = f"{PLUGIN}:{COMMAND_NAME}"
MAX_PLUGIN_BYTES = 1_000_000
TEMPLATE_MARKERS = ("{%", "{{")


@pytest.fixture(scope="session")
def claude_binary() -> Path:
    try:
        return install_client()
    except ClientUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def client(claude_binary: Path, tmp_path: Path) -> Client:
    (tmp_path / "home").mkdir()
    return Client(claude_binary, tmp_path / "home")


def add_and_install(client: Client) -> None:
    added = client.run("plugin", "marketplace", "add", str(REPO_ROOT))
    assert added.returncode == 0, added.stderr + added.stdout
    installed = client.run("plugin", "install", PLUGIN_ID)
    assert installed.returncode == 0, installed.stderr + installed.stdout


@pytest.fixture(scope="module")
def installed(claude_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    client = Client(claude_binary, tmp_path_factory.mktemp("installed-home"))
    add_and_install(client)
    yield client


def listed(client: Client) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in client.json("plugin", "list", "--json")}


@pytest.mark.parametrize("target", [Path("."), PLUGIN_ROOT_RELPATH])
def test_client_validates_marketplace_and_plugin_strictly(client: Client, target: Path) -> None:
    report = client.json("plugin", "validate", "--strict", "--json", str(REPO_ROOT / target))
    assert report["success"] is True
    assert report["manifest"]["errors"] == [] and report["manifest"]["warnings"] == []
    expected_type = "marketplace" if target == Path(".") else "plugin"
    assert report["manifest"]["type"] == expected_type
    if expected_type == "plugin":
        assert report["provides"]["commands"] == [PLUGIN_COMMAND]


def test_install_enables_this_version(installed: Client) -> None:
    entry = listed(installed)[PLUGIN_ID]
    assert entry["enabled"] is True
    assert entry["version"] == definition_version()
    assert "notes" not in entry, entry.get("notes")


def test_details_lists_the_command(installed: Client) -> None:
    details = installed.run("plugin", "details", PLUGIN_ID)
    assert details.returncode == 0, details.stderr
    assert re.search(rf"^\s*\w+ \(1\)\s+{COMMAND_NAME}\s*$", details.stdout, re.M), details.stdout


def installed_files(client: Client) -> dict[str, bytes]:
    root = Path(listed(client)[PLUGIN_ID]["installPath"])
    files = (path for path in root.rglob("*") if path.is_file())
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in files}


def test_installed_plugin_is_the_rendered_command_only(installed: Client) -> None:
    files = installed_files(installed)
    assert sorted(files) == [".claude-plugin/plugin.json", f"commands/{COMMAND_NAME}.md"]
    assert sum(len(content) for content in files.values()) < MAX_PLUGIN_BYTES
    assert files[f"commands/{COMMAND_NAME}.md"] == RENDERED_PATH.read_bytes()
    for name, content in files.items():
        text = content.decode("utf-8")
        assert not [marker for marker in TEMPLATE_MARKERS if marker in text], name


def test_a_session_offers_the_plugin_command(installed: Client, tmp_path: Path) -> None:
    init = installed.session_init(tmp_path)
    assert PLUGIN_COMMAND in init["slash_commands"]
    assert PLUGIN in [plugin["name"] for plugin in init["plugins"]]


def test_uninstall_leaves_nothing_behind(client: Client) -> None:
    add_and_install(client)
    removed = client.run("plugin", "uninstall", PLUGIN_ID)
    assert removed.returncode == 0, removed.stderr + removed.stdout
    assert PLUGIN_ID not in listed(client)
    assert client.run("plugin", "details", PLUGIN_ID).returncode != 0
    plugins = client.config_dir / "plugins"
    assert json.loads((plugins / "installed_plugins.json").read_text())["plugins"] == {}
    settings = json.loads((client.config_dir / "settings.json").read_text())
    assert PLUGIN_ID not in settings.get("enabledPlugins", {})
    # The client keeps an uninstalled version's files only as marked for its deferred cleanup.
    versions = [path for path in (plugins / "cache" / MARKETPLACE).glob("*/*") if path.is_dir()]
    assert all((version / ".orphaned_at").is_file() for version in versions), versions
    assert client.run("plugin", "marketplace", "remove", MARKETPLACE).returncode == 0
    assert json.loads((plugins / "known_marketplaces.json").read_text()) == {}


def test_user_install_is_read_by_the_client(client: Client, tmp_path: Path) -> None:
    result = run_module("scripts.install", env=client.env())
    assert result.returncode == 0, result.stderr
    assert (client.config_dir / "commands" / f"{COMMAND_NAME}.md").is_file()
    assert COMMAND_NAME in client.session_init(tmp_path)["slash_commands"]


def test_project_install_is_read_by_the_client(client: Client, tmp_path: Path) -> None:
    project, elsewhere = tmp_path / "service", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    result = run_module("scripts.install", "--project", str(project), env=client.env())
    assert result.returncode == 0, result.stderr
    validated = client.run("plugin", "validate", "--strict", str(project / ".claude"))
    assert validated.returncode == 0, validated.stdout
    assert COMMAND_NAME in client.session_init(project)["slash_commands"]
    assert COMMAND_NAME not in client.session_init(elsewhere)["slash_commands"]
