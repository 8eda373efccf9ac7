"""Detectors of committed secrets, used by the ``config.secrets`` check.

Three kinds of evidence: secret files (``.env``, private keys) that are not git-ignored;
credential literals in Python sources under src/ (found on the syntax tree); and
credentials in configuration files (found with patterns). Development placeholders are
allowed where they belong: templates such as ``.env.example``, Compose files, CI
workflows and tests only get the checks for real key material.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from evals.facts.ast_index import in_dir
from evals.facts.source import PythonModule
from evals.model import Finding

ENV_TEMPLATES = frozenset({".env.example", ".env.sample", ".env.template", ".env.dist"})
SECRET_FILE_GLOBS = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".netrc",
    ".pgpass",
    ".htpasswd",
)
CONFIG_SUFFIXES = (".toml", ".ini", ".cfg", ".conf", ".yaml", ".yml", ".json", ".properties")
LOCK_FILES = frozenset({"poetry.lock", "package-lock.json", "Pipfile.lock", "uv.lock"})
MAX_CONFIG_BYTES = 1_000_000
CREDENTIAL_WORDS = (
    r"password|passwd|pwd|secret|token|(?:api|access|secret|private)_?key|credentials?"
)
SECRET_NAME = re.compile(rf"(?:^|_)(?:{CREDENTIAL_WORDS})$")
KEY_VALUE = re.compile(
    r"""(?im)^[ \t]*(?:-[ \t]*)?(?:ENV[ \t]+|export[ \t]+)?["']?([\w.-]+)["']?[ \t]*[:=][ \t]*"""
    r"""["']?([^\s"'#,}]*)"""
)
URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://([^:/@\s'\"]+):([^@/\s'\"]+)@", re.IGNORECASE)
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
PLACEHOLDER_WORDS = frozenset(
    {"", "pass", "password", "secret", "changeme", "none", "null", "todo", "string"}
)
PLACEHOLDER_MARKERS = ("change", "example", "placeholder", "your", "dummy", "redacted", "replace")
PLACEHOLDER_MARKERS_RAW = ("xxx", "***", "...", "<", "${", "{{", "%(", "$(", "$")
ENV_VAR_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
NON_SECRET_VALUE = re.compile(r"^(?:\d+(?:\.\d+)?|true|false|yes|no|on|off|~)$", re.IGNORECASE)


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is clearly not a real credential (empty, template, variable...)."""
    lowered = value.strip().lower()
    if lowered in PLACEHOLDER_WORDS or NON_SECRET_VALUE.match(lowered):
        return True
    if ENV_VAR_NAME.match(value.strip()):
        return True
    if any(marker in lowered for marker in PLACEHOLDER_MARKERS):
        return True
    return any(marker in lowered for marker in PLACEHOLDER_MARKERS_RAW)


def is_secret_name(name: str) -> bool:
    """Whether an identifier names a credential (``db_password``, ``apiKey``, ``SECRET_KEY``)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_")
    return bool(SECRET_NAME.search(snake.rsplit(".", 1)[-1]))


def _gitignore_rules(project: Path) -> list[tuple[str, bool]]:
    """``(pattern, negated)`` pairs of the project's root .gitignore."""
    path = project / ".gitignore"
    if not path.is_file() or path.is_symlink():
        return []
    rules = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            rules.append((line[1:], True) if line.startswith("!") else (line, False))
    return rules


def _rule_matches(pattern: str, relative: str) -> bool:
    """A simplified gitignore match of one pattern against a file path or its parents."""
    dir_only = pattern.endswith("/")
    pattern = pattern.strip("/")
    anchored = "/" in pattern
    parts = PurePosixPath(relative).parts
    candidates = [parts[: i + 1] for i in range(len(parts) - 1 if dir_only else len(parts))]
    for candidate in candidates:
        text = "/".join(candidate) if anchored else candidate[-1]
        if fnmatch.fnmatchcase(text, pattern):
            return True
    return False


def is_gitignored(relative: str, rules: list[tuple[str, bool]]) -> bool:
    """Whether ``relative`` is ignored by ``rules`` (the last matching rule wins)."""
    ignored = False
    for pattern, negated in rules:
        if _rule_matches(pattern, relative):
            ignored = not negated
    return ignored


def _is_secret_file(relative: str) -> bool:
    name = PurePosixPath(relative).name
    if name in ENV_TEMPLATES:
        return False
    return any(fnmatch.fnmatchcase(name, glob) for glob in SECRET_FILE_GLOBS)


def committed_secret_files(project: Path, files: tuple[str, ...]) -> list[Finding]:
    """Secret-bearing files in the project that its .gitignore does not exclude."""
    rules = _gitignore_rules(project)
    return [
        Finding("secret file committed (keep it out of the repository)", relative)
        for relative in files
        if _is_secret_file(relative) and not is_gitignored(relative, rules)
    ]


def key_material(text: str) -> Iterator[tuple[int, str]]:
    """``(offset, what)`` of private key blocks and AWS access key ids in ``text``."""
    for match in PRIVATE_KEY.finditer(text):
        yield match.start(), "private key block"
    for match in AWS_KEY_ID.finditer(text):
        if "EXAMPLE" not in match.group(0):
            yield match.start(), "AWS access key id"


def url_credentials(text: str) -> Iterator[tuple[int, str]]:
    """``(offset, what)`` of URLs with a non-placeholder ``user:password@``."""
    for match in URL_CREDENTIALS.finditer(text):
        if not is_placeholder(match.group(2)):
            yield match.start(), f"credentials in URL ({match.group(1)}:***@)"


def _assigned_literals(node: ast.AST) -> Iterator[tuple[str, ast.expr | None]]:
    """``(name, value)`` pairs of assignments, keyword arguments and dict entries."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield ast.unparse(target), node.value
    elif isinstance(node, ast.AnnAssign):
        yield ast.unparse(node.target), node.value
    elif isinstance(node, ast.keyword) and node.arg:
        yield node.arg, node.value
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield key.value, value


def _defaults(node: ast.AST) -> Iterator[tuple[str, ast.expr | None]]:
    """``(parameter, default)`` pairs of a function's parameters."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    yield from zip((a.arg for a in positional[::-1]), args.defaults[::-1], strict=False)
    yield from zip((a.arg for a in args.kwonlyargs), args.kw_defaults, strict=True)


def _literal_credentials(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        for name, value in (*_assigned_literals(node), *_defaults(node)):
            if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                continue
            if is_secret_name(name) and not is_placeholder(value.value):
                yield value.lineno, f"hard-coded credential assigned to {name}"


def _string_constants(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of string literals that are values (docstrings excluded)."""
    bare = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in bare:
            yield node.lineno, node.value


def python_secrets(module: PythonModule) -> list[Finding]:
    """Credential literals, credentials in URLs and key material in one Python module."""
    if module.tree is None:
        return []
    found = list(_literal_credentials(module.tree))
    for line, text in _string_constants(module.tree):
        hits = [*key_material(text), *url_credentials(text)]
        found.extend((line, what) for _, what in hits)
    return [Finding(what, module.path, line) for line, what in sorted(set(found))]


def _placeholders_allowed(relative: str) -> bool:
    name = PurePosixPath(relative).name
    compose = name.startswith(("docker-compose", "compose")) and name.endswith((".yml", ".yaml"))
    ci = relative.startswith((".github/", ".gitlab-ci", ".circleci/"))
    return name in ENV_TEMPLATES or compose or ci or in_dir(relative, "tests")


def _is_config_file(relative: str) -> bool:
    name = PurePosixPath(relative).name
    if name in LOCK_FILES or relative.endswith(".py"):
        return False
    return name.endswith(CONFIG_SUFFIXES) or name.startswith(("Dockerfile", ".env"))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def config_text_secrets(relative: str, text: str) -> list[Finding]:
    """Credentials found in the text of one configuration file."""
    hits = list(key_material(text))
    if not _placeholders_allowed(relative):
        hits += url_credentials(text)
        hits += [
            (match.start(), f"hard-coded credential assigned to {match.group(1)}")
            for match in KEY_VALUE.finditer(text)
            if is_secret_name(match.group(1)) and not is_placeholder(match.group(2))
        ]
    return [Finding(what, relative, _line_of(text, offset)) for offset, what in sorted(hits)]


def config_file_secrets(project: Path, files: tuple[str, ...]) -> list[Finding]:
    """Credentials in committed configuration files (git-ignored, lock files, symlinks skipped)."""
    rules = _gitignore_rules(project)
    findings: list[Finding] = []
    for relative in files:
        path = project / relative
        if not _is_config_file(relative) or path.is_symlink() or is_gitignored(relative, rules):
            continue
        if path.stat().st_size <= MAX_CONFIG_BYTES:
            text = path.read_text(encoding="utf-8", errors="replace")
            findings.extend(config_text_secrets(relative, text))
    return findings
