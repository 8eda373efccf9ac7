"""Facts about the project's configuration files, each parsed once per run.

``pyproject.toml`` and ``poetry.lock`` (TOML), ``.pre-commit-config.yaml`` and the Compose
file (YAML, with the line of every mapping key), the Makefile's targets, the README's
headings and diagrams, the Dockerfiles' instructions and ``alembic.ini``'s script location.
A missing file is a fact too (``exists`` is False); a file that does not parse carries its
error, so checks report the project's shortcoming instead of crashing.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from evals.context import Facts
from evals.facts.source import PROJECT_FILES
from evals.registry import FactKey, provides

COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
MAKEFILE_NAMES = ("GNUmakefile", "makefile", "Makefile")
README_NAMES = ("README.md", "README.rst", "README")
KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class ConfigDocument:
    """One configuration file and what parsing it gave.

    Attributes:
        path: Path relative to the project root.
        exists: Whether the file is there.
        data: The parsed document; None when missing or invalid.
        error: Why it could not be read or parsed; None otherwise.
        error_line: Line of the parse error, when known.
        lines: For YAML: line of every mapping key, by its key path (list indexes as text).
    """

    path: str
    exists: bool
    data: Any = None
    error: str | None = None
    error_line: int | None = None
    lines: dict[KeyPath, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the file exists and parsed."""
        return self.exists and self.error is None

    def line_of(self, *keys: str) -> int | None:
        """Line of the mapping key at ``keys``, or of its nearest known ancestor."""
        path = tuple(keys)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path)


@dataclass(frozen=True)
class Makefile:
    """The project's Makefile (and the files it includes).

    Attributes:
        path: Path relative to the project root.
        exists: Whether it is there.
        targets: Every explicit target name with the line of its first rule.
    """

    path: str
    exists: bool
    targets: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Heading:
    """A Markdown heading.

    Attributes:
        level: 1 for ``#``, 2 for ``##`` (setext: ``===`` is 1, ``---`` is 2).
        text: The heading's text.
        line: Its line.
    """

    level: int
    text: str
    line: int


@dataclass(frozen=True)
class Readme:
    """The README's structure.

    Attributes:
        path: Path relative to the project root.
        exists: Whether it is there.
        headings: Headings outside code blocks, in order.
        diagram_line: Line of the first Mermaid block or image, if any.
    """

    path: str
    exists: bool
    headings: tuple[Heading, ...] = ()
    diagram_line: int | None = None


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction (continuation lines joined).

    Attributes:
        keyword: The instruction, upper case (``FROM``, ``USER``, ...).
        arguments: The rest of the instruction.
        line: Line where it starts.
    """

    keyword: str
    arguments: str
    line: int


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile.

    Attributes:
        path: Path relative to the project root.
        instructions: Its instructions in order.
    """

    path: str
    instructions: tuple[Instruction, ...]

    def stages(self) -> list[list[Instruction]]:
        """Instructions grouped by build stage (each starts with ``FROM``)."""
        stages: list[list[Instruction]] = []
        for instruction in self.instructions:
            if instruction.keyword == "FROM" or not stages:
                stages.append([])
            stages[-1].append(instruction)
        return stages


@dataclass(frozen=True)
class AlembicConfig:
    """Where Alembic is configured.

    Attributes:
        path: The config file (``alembic.ini``, or ``pyproject.toml`` with ``[tool.alembic]``).
        exists: Whether any Alembic configuration was found.
        script_location: The migration directory relative to the project root.
    """

    path: str
    exists: bool
    script_location: str = "alembic"


PYPROJECT: FactKey[ConfigDocument] = FactKey("config_pyproject")
POETRY_LOCK: FactKey[ConfigDocument] = FactKey("config_poetry_lock")
UV_LOCK: FactKey[ConfigDocument] = FactKey("config_uv_lock")
PRECOMMIT: FactKey[ConfigDocument] = FactKey("config_precommit")
COMPOSE: FactKey[ConfigDocument] = FactKey("config_compose")
MAKEFILE: FactKey[Makefile] = FactKey("config_makefile")
README: FactKey[Readme] = FactKey("config_readme")
DOCKERFILES: FactKey[tuple[Dockerfile, ...]] = FactKey("config_dockerfiles")
ALEMBIC: FactKey[AlembicConfig] = FactKey("config_alembic")
IniSections = dict[str, dict[str, str]]
INI_NAMES = ("setup.cfg", "tox.ini", ".coveragerc", "mypy.ini", ".mypy.ini")
RUFF_NAMES = ("ruff.toml", ".ruff.toml")
INI_CONFIGS: FactKey[dict[str, IniSections]] = FactKey("config_ini_files")
RUFF_CONFIGS: FactKey[dict[str, ConfigDocument]] = FactKey("config_ruff_files")


def read_text(root: Path, relative: str) -> str | None:
    """The text of ``root / relative``, or None when it is not a readable file."""
    try:
        return (root / relative).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def parse_toml(root: Path, relative: str) -> ConfigDocument:
    """Read and parse a TOML file; a missing file or a syntax error is recorded, not raised."""
    text = read_text(root, relative)
    if text is None:
        return ConfigDocument(relative, exists=False, error="file not found")
    try:
        return ConfigDocument(relative, exists=True, data=tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        return ConfigDocument(relative, True, error=f"invalid TOML: {exc}", error_line=line)


def _key_lines(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int]) -> None:
    """Record the line of every mapping key below ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, str(key.value))
            lines.setdefault(path, key.start_mark.line + 1)
            _key_lines(value, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            lines.setdefault((*prefix, str(index)), value.start_mark.line + 1)
            _key_lines(value, (*prefix, str(index)), lines)


def parse_yaml(root: Path, relative: str) -> ConfigDocument:
    """Read and parse a YAML file, with key lines; errors are recorded, not raised."""
    text = read_text(root, relative)
    if text is None:
        return ConfigDocument(relative, exists=False, error="file not found")
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return ConfigDocument(relative, True, error=f"invalid YAML: {exc}", error_line=line)
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _key_lines(node, (), lines)
    return ConfigDocument(relative, True, data=data, lines=lines)


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(first line number, text)`` with backslash-continued lines joined."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        yield start, " ".join([*pending, raw])
        pending = []
    if pending:
        yield start, " ".join(pending)


_ASSIGNMENT = re.compile(r"^\s*(?:(?:export|override|private)\s+)*[^\s:#=]+\s*(?::::|::|[:+?!])?=")
_RULE = re.compile(r"^(?P<targets>[^\t#:=][^:=]*?)\s*::?(?!=)(?P<rest>.*)$")
_INCLUDE = re.compile(r"^\s*-?s?include\s+(?P<files>.+)$")
_DEFINE = re.compile(r"^\s*(?:(?:export|override)\s+)?define\b")


def _rule_targets(line: str) -> list[str]:
    """Target names defined by ``line`` when it is a rule line, else an empty list."""
    if line.startswith("\t") or _ASSIGNMENT.match(line):
        return []
    rule = _RULE.match(line)
    if rule is None or _ASSIGNMENT.match(rule.group("rest")):
        return []
    names = rule.group("targets").split()
    return [n for n in names if not n.startswith(".") and "%" not in n and "$" not in n]


def _makefile_lines(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines of a Makefile outside ``define ... endef`` blocks, comments stripped."""
    in_define = False
    for number, line in logical_lines(text):
        if in_define:
            in_define = line.strip() != "endef"
            continue
        if _DEFINE.match(line):
            in_define = True
            continue
        yield number, line if line.startswith("\t") else line.split("#", 1)[0]


def makefile_targets(text: str) -> tuple[dict[str, int], list[str]]:
    """Targets (with the line of their first rule) and literal include paths of a Makefile."""
    targets: dict[str, int] = {}
    includes: list[str] = []
    for number, line in _makefile_lines(text):
        include = _INCLUDE.match(line)
        if include:
            includes.extend(p for p in include.group("files").split() if "$" not in p)
            continue
        for name in _rule_targets(line):
            targets.setdefault(name, number)
    return targets, includes


def _collect_targets(root: Path, relative: str, seen: set[str]) -> dict[str, int]:
    """Targets of ``relative`` and, recursively, of the Makefiles it includes."""
    seen.add(relative)
    text = read_text(root, relative)
    if text is None:
        return {}
    targets, includes = makefile_targets(text)
    for include in includes:
        if include not in seen:
            for name, line in _collect_targets(root, include, seen).items():
                targets.setdefault(name, line)
    return targets


_MARKDOWN = MarkdownIt("commonmark")
_IMG_TAG = re.compile(r"<img\s", re.IGNORECASE)


def _shows_image(token: Token) -> bool:
    """Whether a block-level token shows an image (Markdown syntax or an HTML ``<img>``)."""
    if token.type == "html_block":
        return bool(_IMG_TAG.search(token.content))
    children = token.children or [] if token.type == "inline" else []
    return any(
        child.type == "image" or (child.type == "html_inline" and _IMG_TAG.search(child.content))
        for child in children
    )


def _is_mermaid(token: Token) -> bool:
    """Whether the token is a fenced Mermaid diagram."""
    return token.type == "fence" and token.info.strip().lower().startswith("mermaid")


def _first_line(token: Token) -> int:
    """1-based first source line of a block-level token."""
    return token.map[0] + 1 if token.map else 0


def parse_markdown(relative: str, text: str) -> Readme:
    """Headings (outside code blocks), and the first Mermaid block or image, via markdown-it."""
    tokens = _MARKDOWN.parse(text)
    headings: list[Heading] = []
    diagrams: list[int] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            title = tokens[index + 1].content.strip()
            headings.append(Heading(int(token.tag[1:]), title, _first_line(token)))
        elif _is_mermaid(token) or _shows_image(token):
            diagrams.append(_first_line(token))
    return Readme(relative, True, tuple(headings), min(diagrams, default=None))


def parse_dockerfile(relative: str, text: str) -> Dockerfile:
    """Instructions of a Dockerfile (comments and blank lines dropped)."""
    instructions = []
    for number, line in logical_lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        keyword, _, arguments = stripped.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), number))
    return Dockerfile(relative, tuple(instructions))


def is_dockerfile(relative: str) -> bool:
    """Whether a file is named ``Dockerfile``, ``Dockerfile.<x>`` or ``<x>.Dockerfile``."""
    name = relative.rsplit("/", 1)[-1].lower()
    return name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile")


def _first_existing(files: tuple[str, ...], names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in files), None)


def _alembic_from_ini(root: Path, text: str) -> AlembicConfig:
    """Alembic settings from an ``alembic.ini`` text (``%(here)s`` is the project root)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return AlembicConfig("alembic.ini", True)
    location = parser.get("alembic", "script_location", fallback="alembic")
    location = location.replace("%(here)s", str(root)).strip()
    resolved = Path(location) if Path(location).is_absolute() else root / location
    try:
        return AlembicConfig("alembic.ini", True, resolved.relative_to(root).as_posix())
    except ValueError:
        return AlembicConfig("alembic.ini", True, location)


def parse_ini(text: str) -> IniSections:
    """The sections of an INI text as plain dicts; a malformed file reads as empty."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    return {name: dict(parser[name]) for name in parser.sections()}


@provides(INI_CONFIGS)
async def ini_configs(facts: Facts) -> dict[str, IniSections]:
    """setup.cfg, tox.ini, .coveragerc and mypy.ini at the project root, parsed once."""
    texts = {name: read_text(facts.project, name) for name in INI_NAMES}
    return {name: parse_ini(text) for name, text in texts.items() if text is not None}


@provides(RUFF_CONFIGS)
async def ruff_configs(facts: Facts) -> dict[str, ConfigDocument]:
    """ruff.toml and .ruff.toml at the project root, parsed once (missing ones left out)."""
    documents = {name: parse_toml(facts.project, name) for name in RUFF_NAMES}
    return {name: doc for name, doc in documents.items() if doc.exists}


@provides(PYPROJECT)
async def pyproject(facts: Facts) -> ConfigDocument:
    """``pyproject.toml``, parsed."""
    return parse_toml(facts.project, "pyproject.toml")


@provides(POETRY_LOCK)
async def poetry_lock(facts: Facts) -> ConfigDocument:
    """``poetry.lock``, parsed as TOML."""
    return parse_toml(facts.project, "poetry.lock")


@provides(UV_LOCK)
async def uv_lock(facts: Facts) -> ConfigDocument:
    """``uv.lock``, parsed as TOML."""
    return parse_toml(facts.project, "uv.lock")


@provides(PRECOMMIT)
async def precommit(facts: Facts) -> ConfigDocument:
    """``.pre-commit-config.yaml`` (or ``.yml``), parsed."""
    files = await facts.get(PROJECT_FILES)
    name = _first_existing(files, (".pre-commit-config.yml", ".pre-commit-config.yaml"))
    return parse_yaml(facts.project, name or ".pre-commit-config.yaml")


@provides(COMPOSE)
async def compose(facts: Facts) -> ConfigDocument:
    """The Compose file (``docker-compose.yml`` or one of its other standard names), parsed."""
    files = await facts.get(PROJECT_FILES)
    name = _first_existing(files, COMPOSE_NAMES)
    return parse_yaml(facts.project, name or "docker-compose.yml")


@provides(MAKEFILE)
async def makefile(facts: Facts) -> Makefile:
    """The Makefile's targets, including those of literally included makefiles."""
    files = await facts.get(PROJECT_FILES)
    name = _first_existing(files, MAKEFILE_NAMES)
    if name is None:
        return Makefile("Makefile", exists=False)
    return Makefile(name, True, _collect_targets(facts.project, name, set()))


@provides(README)
async def readme(facts: Facts) -> Readme:
    """The README's headings and diagrams."""
    files = await facts.get(PROJECT_FILES)
    name = _first_existing(files, README_NAMES)
    text = read_text(facts.project, name) if name else None
    if name is None or text is None:
        return Readme("README.md", exists=False)
    return parse_markdown(name, text)


@provides(DOCKERFILES)
async def dockerfiles(facts: Facts) -> tuple[Dockerfile, ...]:
    """Every Dockerfile of the project, parsed."""
    files = await facts.get(PROJECT_FILES)
    found = []
    for relative in (f for f in files if is_dockerfile(f)):
        text = read_text(facts.project, relative)
        if text is not None:
            found.append(parse_dockerfile(relative, text))
    return tuple(found)


@provides(ALEMBIC)
async def alembic_config(facts: Facts) -> AlembicConfig:
    """Alembic's configuration: ``alembic.ini``, else ``[tool.alembic]`` in pyproject.toml."""
    text = read_text(facts.project, "alembic.ini")
    if text is not None:
        return _alembic_from_ini(facts.project, text)
    document = await facts.get(PYPROJECT)
    tool = document.data.get("tool", {}) if isinstance(document.data, dict) else {}
    section = tool.get("alembic") if isinstance(tool, dict) else None
    if isinstance(section, dict):
        location = str(section.get("script_location", "alembic")).replace("%(here)s/", "")
        return AlembicConfig("pyproject.toml", True, location)
    return AlembicConfig("alembic.ini", exists=False)
