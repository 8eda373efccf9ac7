"""The command definition: paths, frontmatter parsing and the command version.

``commands/development-backend-python-fastapi.md`` is the single source of truth for the
command. It is a Markdown file with YAML frontmatter (``description``, ``argument-hint``,
``allowed-tools``, ``version`` and ``placeholders``) followed by a Jinja2 template body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMAND_NAME = "development-backend-python-fastapi"
SOURCE_RELPATH = Path("commands") / f"{COMMAND_NAME}.md"
# The Claude Code plugin is the .claude/ folder: its manifest, the rendered command, nothing else.
PLUGIN_ROOT_RELPATH = Path(".claude")
RENDERED_RELPATH = PLUGIN_ROOT_RELPATH / "commands" / f"{COMMAND_NAME}.md"
CHECKLIST_RELPATH = Path("evals") / "checklist.yaml"
SOURCE_PATH = REPO_ROOT / SOURCE_RELPATH
RENDERED_PATH = REPO_ROOT / RENDERED_RELPATH
CHECKLIST_PATH = REPO_ROOT / CHECKLIST_RELPATH

SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
PLACEHOLDER_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
FRONTMATTER_RE = re.compile(r"\A---\n(?P<meta>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)
REQUIRED_KEYS = ("description", "argument-hint", "allowed-tools", "version", "placeholders")


class DefinitionError(Exception):
    """The command definition is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class CommandDefinition:
    """The parsed source of the command.

    Attributes:
        path: Where the definition was read from.
        meta: The YAML frontmatter as a mapping, in file order.
        body: The Jinja2 template of the prompt (everything after the frontmatter).
        version: The command's semantic version (``meta["version"]``).
        placeholders: Declared placeholder names (e.g. ``TECH_DESIGN``), each written
            ``$NAME`` in the body and replaced when the command is rendered.
    """

    path: Path
    meta: dict[str, Any]
    body: str
    version: str
    placeholders: tuple[str, ...]


def split_frontmatter(text: str, origin: Path) -> tuple[dict[str, Any], str]:
    """Split a Markdown document into its YAML frontmatter mapping and its body.

    Args:
        text: The whole document.
        origin: The file it came from, for error messages.

    Returns:
        The frontmatter mapping and the body text.

    Raises:
        DefinitionError: If there is no frontmatter or it is not a YAML mapping.
    """
    match = FRONTMATTER_RE.match(text)
    if match is None:
        raise DefinitionError(f"{origin}: expected YAML frontmatter between '---' lines")
    try:
        meta = yaml.safe_load(match["meta"])
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{origin}: frontmatter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise DefinitionError(f"{origin}: frontmatter must be a mapping")
    return meta, match["body"]


def _check_meta(meta: dict[str, Any], origin: Path) -> tuple[str, tuple[str, ...]]:
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    if missing:
        raise DefinitionError(f"{origin}: frontmatter lacks {', '.join(missing)}")
    version = str(meta["version"])
    if not SEMVER_RE.match(version):
        raise DefinitionError(f"{origin}: version {version!r} is not a semantic version")
    placeholders = meta["placeholders"]
    if not isinstance(placeholders, dict) or not placeholders:
        raise DefinitionError(f"{origin}: placeholders must map NAME to a description")
    bad = [name for name in placeholders if not PLACEHOLDER_NAME_RE.match(str(name))]
    if bad:
        raise DefinitionError(f"{origin}: placeholder names must be UPPER_SNAKE_CASE: {bad}")
    return version, tuple(str(name) for name in placeholders)


def load_definition(path: Path = SOURCE_PATH) -> CommandDefinition:
    """Read and validate the command definition at ``path``.

    Raises:
        DefinitionError: If the file is unreadable or its frontmatter is incomplete.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(f"cannot read command definition {path}: {exc}") from None
    meta, body = split_frontmatter(text, path)
    version, placeholders = _check_meta(meta, path)
    return CommandDefinition(path, meta, body, version, placeholders)


def command_version(path: Path = SOURCE_PATH) -> str:
    """Return the command's semantic version, the single source of truth for all manifests.

    The eval harness records this in every result (``RunResult.command_version``).

    Raises:
        DefinitionError: If the definition cannot be read or has no valid version.
    """
    return load_definition(path).version
