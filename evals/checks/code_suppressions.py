"""Anti-gaming: count the suppressions a project uses to look clean, and gate on their density.

Counted in the application code and tests, wherever the layout puts them: code-less
``noqa``/``type: ignore`` and
file-wide ``ruff: noqa``/``flake8: noqa``/``mypy: ignore-errors`` (blanket, always a
finding), ``pragma: no cover`` and ``nosec``. Counted in pyproject.toml, setup.cfg,
tox.ini, .coveragerc, ruff.toml and mypy.ini: coverage ``omit`` entries, Ruff ``ignore``,
``extend-ignore`` and per-file ignores (one per rule code), mypy ``ignore_errors`` and
``disable_error_code`` entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from evals.context import CheckContext
from evals.facts.ast_index import LEXICAL, LexicalInfo, in_dir
from evals.facts.layout import LAYOUT
from evals.facts.project_config import INI_CONFIGS, PYPROJECT, RUFF_CONFIGS, IniSections
from evals.model import Finding, Outcome
from evals.registry import check

BARE_NOQA = re.compile(r"#\s*noqa\b(?!\s*:)", re.IGNORECASE)
BARE_TYPE_IGNORE = re.compile(r"#\s*type:\s*ignore\b(?!\s*\[)")
FILE_WIDE = re.compile(r"#\s*(?:(?:ruff|flake8):\s*noqa\b(?!\s*:)|mypy:\s*ignore[-_]errors)", re.I)
COUNTED_COMMENTS = {
    "pragma: no cover": re.compile(r"pragma:\s*no\s*cover", re.IGNORECASE),
    "nosec": re.compile(r"#.*\bnosec\b", re.IGNORECASE),
}
RUFF_IGNORE_KEYS = ("ignore", "extend-ignore")
RUFF_PER_FILE_KEYS = ("per-file-ignores", "extend-per-file-ignores")


@dataclass(frozen=True)
class Suppression:
    """One suppression found in the project.

    Attributes:
        kind: What it is (``bare noqa``, ``coverage omit``, ...).
        path: File it is in.
        line: Line in that file, when known.
        blanket: Whether it silences everything (always a finding).
    """

    kind: str
    path: str
    line: int | None = None
    blanket: bool = False

    def finding(self) -> Finding:
        """This suppression as a located finding."""
        what = "blanket suppression" if self.blanket else "suppression"
        return Finding(f"{what}: {self.kind}", self.path, self.line)


def comment_suppressions(path: str, comments: tuple[tuple[int, str], ...]) -> list[Suppression]:
    """Suppressions in the comments of one Python file."""
    found: list[Suppression] = []
    for line, text in comments:
        if FILE_WIDE.search(text):
            found.append(Suppression("file-wide suppression comment", path, line, blanket=True))
        elif BARE_NOQA.search(text):
            found.append(Suppression("noqa without a rule code", path, line, blanket=True))
        if BARE_TYPE_IGNORE.search(text):
            found.append(Suppression("type: ignore without an error code", path, line, True))
        for kind, pattern in COUNTED_COMMENTS.items():
            if pattern.search(text):
                found.append(Suppression(kind, path, line))
    return found


def _entries(value: object) -> list[str]:
    """A TOML/INI value as a list of entries (lists as-is, strings split on commas/lines)."""
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, str):
        return [part for part in re.split(r"[,\s]+", value) if part]
    return []


def _ruff_suppressions(table: dict[str, Any], path: str) -> Iterator[Suppression]:
    """Ruff ignores in a ruff table (``[tool.ruff]`` or ruff.toml) and its ``lint`` sub-table."""
    for section in (table, table.get("lint", {})):
        for key in RUFF_IGNORE_KEYS:
            for code in _entries(section.get(key)):
                yield Suppression(f"ruff {key} {code}", path)
        for key in RUFF_PER_FILE_KEYS:
            for pattern, codes in dict(section.get(key, {})).items():
                for code in _entries(codes):
                    yield Suppression(f"ruff {key} {pattern}: {code}", path)


def _mypy_suppressions(section: dict[str, Any], path: str, where: str) -> Iterator[Suppression]:
    if str(section.get("ignore_errors", "")).lower() == "true":
        yield Suppression(f"mypy ignore_errors ({where})", path)
    for code in _entries(section.get("disable_error_code")):
        yield Suppression(f"mypy disable_error_code {code} ({where})", path)


def _coverage_suppressions(section: dict[str, Any], path: str) -> Iterator[Suppression]:
    for pattern in _entries(section.get("omit")):
        yield Suppression(f"coverage omit {pattern}", path)


def pyproject_suppressions(data: dict[str, Any], path: str) -> list[Suppression]:
    """Suppressions configured in a parsed pyproject.toml."""
    tool = data.get("tool", {})
    found = list(_ruff_suppressions(tool.get("ruff", {}), path))
    mypy = tool.get("mypy", {})
    found += _mypy_suppressions(mypy, path, "global")
    for override in mypy.get("overrides", []):
        found += _mypy_suppressions(override, path, f"override {override.get('module', '?')}")
    coverage = tool.get("coverage", {})
    for section in ("run", "report"):
        found += _coverage_suppressions(coverage.get(section, {}), path)
    return found


def ini_suppressions(sections: IniSections, path: str) -> list[Suppression]:
    """Suppressions in an INI-style file (setup.cfg, tox.ini, .coveragerc, mypy.ini)."""
    found: list[Suppression] = []
    for name, section in sections.items():
        if name == "mypy" or name.startswith("mypy-"):
            found += _mypy_suppressions(section, path, name)
        coverage_section = name in {"run", "report"} and path.endswith(".coveragerc")
        if name.startswith("coverage:") or coverage_section:
            found += _coverage_suppressions(section, path)
    return found


async def config_suppressions(ctx: CheckContext) -> list[Suppression]:
    """Suppressions in the project's root tool configuration files (each parsed once)."""
    pyproject = await ctx.fact(PYPROJECT)
    found: list[Suppression] = []
    if isinstance(pyproject.data, dict):
        found += pyproject_suppressions(pyproject.data, pyproject.path)
    for name, document in (await ctx.fact(RUFF_CONFIGS)).items():
        data = document.data if isinstance(document.data, dict) else {}
        found += _ruff_suppressions(data, name)
    for name, sections in (await ctx.fact(INI_CONFIGS)).items():
        found += ini_suppressions(sections, name)
    return found


async def scanned_files(ctx: CheckContext) -> dict[str, LexicalInfo]:
    """Lexical data of the application code and the tests, by path."""
    lexical = await ctx.fact(LEXICAL)
    layout = await ctx.fact(LAYOUT)
    return {
        p: info for p, info in lexical.items() if layout.in_code(p) or in_dir(p, layout.tests_dir)
    }


@check("quality.suppressions")
async def suppressions(ctx: CheckContext) -> Outcome:
    """No blanket noqa/type: ignore, and suppressions per 1000 lines at most the threshold."""
    scanned = await scanned_files(ctx)
    found = [s for p, info in scanned.items() for s in comment_suppressions(p, info.comments)]
    found += await config_suppressions(ctx)
    lines = sum(len(info.code_lines) for info in scanned.values())
    density = round(1000 * len(found) / max(lines, 1), 2)
    blanket = sum(1 for s in found if s.blanket)
    metrics = {"suppressions": len(found), "blanket": blanket, "lines": lines, "density": density}
    if density > ctx.threshold:
        reason = f"{len(found)} suppressions in {lines} lines: {density} per 1000 lines"
        return Outcome.failed(
            f"{reason} > {ctx.threshold:g}", [s.finding() for s in found], **metrics
        )
    if blanket:
        findings = [s.finding() for s in found if s.blanket]
        return Outcome.failed(f"{blanket} blanket suppressions", findings, **metrics)
    return Outcome.passed(f"{density} suppressions per 1000 lines", **metrics)
