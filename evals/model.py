"""The result model shared by checks, the runner and every report format."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

# Text from the scored project reaches terminals, XML, Markdown and HTML: control
# characters (C0, DEL, C1) would inject escape sequences or break documents, and lone
# surrogates cannot be encoded. Long text keeps newlines and tabs; one-line text (paths,
# names) shows line breaks as visible escapes so they cannot forge a line.
# Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) are removed too: they
# can reorder what a reader sees ("Trojan Source").
_CONTROLS = (*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_SURROGATES = dict.fromkeys(range(0xD800, 0xE000), "\ufffd")
_TEXT_TABLE: dict[int, str | None] = {
    **dict.fromkeys(_CONTROLS),
    **_SURROGATES,
    0x09: "\t",  # kept
    0x0A: "\n",  # kept
    0x2028: "\n",
    0x2029: "\n",
}
_LINE_TABLE: dict[int, str | None] = {
    **dict.fromkeys(_CONTROLS),
    **_SURROGATES,
    0x09: "\\t",
    0x0A: "\\n",
    0x0D: "\\r",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
_BIDI = "\u202a-\u202e\u2066-\u2069"
_UNSAFE_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI}\ud800-\udfff]")
_UNSAFE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` without control characters or lone surrogates; newlines and tabs stay.

    Unicode line and paragraph separators become newlines; lone surrogates become U+FFFD.
    """
    if not isinstance(text, str) or _UNSAFE_TEXT.search(text) is None:
        return text
    return text.translate(_TEXT_TABLE)


MAX_TEXT_CHARS = 20_000
"""Longest message or reason kept: a project's output must not swell every report."""


def capped(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was dropped."""
    if not isinstance(text, str) or len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters not shown]"


def clean_line(text: str) -> str:
    r"""``text`` as one safe line: line breaks and tabs shown as ``\n``, ``\r``, ``\t``.

    Other control characters are removed; lone surrogates become U+FFFD.
    """
    if not isinstance(text, str) or _UNSAFE_LINE.search(text) is None:
        return text
    return text.translate(_LINE_TABLE)


def _clean_metrics(metrics: dict[str, float | int | str]) -> dict[str, float | int | str]:
    """``metrics`` with one-line names and clean string values."""
    return {
        clean_line(name): clean_text(value) if isinstance(value, str) else value
        for name, value in metrics.items()
    }


class Status(StrEnum):
    """What a check concluded about one checklist item.

    PASS and FAIL are verdicts on the project. ERROR means the harness could not
    evaluate the item (never counted as pass or fail). SKIP means the item does not
    apply or a requirement did not pass; it always carries a reason.
    """

    PASS = "pass"  # noqa: S105 - a status name, not a password
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"


class Tier(IntEnum):
    """Cumulative depth of evaluation: each tier includes the ones below it."""

    STATIC = 1
    TOOLCHAIN = 2
    FULL = 3

    @classmethod
    def parse(cls, name: str) -> Tier:
        """Return the tier called ``name`` (static, toolchain or full).

        Raises:
            ValueError: If ``name`` is not a tier.
        """
        try:
            return cls[name.upper()]
        except KeyError:
            choices = ", ".join(t.name.lower() for t in cls)
            raise ValueError(f"unknown tier {name!r}; expected one of {choices}") from None


@dataclass(frozen=True)
class Finding:
    """One located observation backing a verdict.

    Attributes:
        message: What is wrong (or notable) here.
        path: File path relative to the project root, when the finding has one.
        line: 1-based line number in ``path``, when known.
    """

    message: str
    path: str | None = None
    line: int | None = None

    def __post_init__(self) -> None:
        """Strip control characters from the message and make the path one line."""
        object.__setattr__(self, "message", capped(clean_text(self.message)))
        if self.path is not None:
            object.__setattr__(self, "path", capped(clean_line(self.path), 1000))


@dataclass(frozen=True)
class Outcome:
    """The verdict of one check, with the evidence for it.

    Attributes:
        status: The verdict.
        reason: One human-readable sentence; required for every non-pass status.
        findings: Located evidence, most important first.
        metrics: Measured numbers (coverage, p95, counts) recorded in reports.
    """

    status: Status
    reason: str = ""
    findings: tuple[Finding, ...] = ()
    metrics: dict[str, float | int | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Strip control characters from the reason and the metrics (a copy is kept)."""
        object.__setattr__(self, "reason", capped(clean_text(self.reason)))
        if isinstance(self.metrics, dict):
            object.__setattr__(self, "metrics", _clean_metrics(self.metrics))

    @classmethod
    def passed(cls, reason: str = "", **metrics: float | int | str) -> Outcome:
        """Build a PASS outcome, optionally with a note and metrics."""
        return cls(Status.PASS, reason, (), dict(metrics))

    @classmethod
    def failed(
        cls,
        reason: str,
        findings: list[Finding] | tuple[Finding, ...] = (),
        **metrics: float | int | str,
    ) -> Outcome:
        """Build a FAIL outcome: the project falls short, with the evidence."""
        return cls(Status.FAIL, reason, tuple(findings), dict(metrics))

    @classmethod
    def errored(cls, reason: str, **metrics: float | int | str) -> Outcome:
        """Build an ERROR outcome: the harness could not evaluate the item."""
        return cls(Status.ERROR, reason, (), dict(metrics))

    @classmethod
    def skipped(cls, reason: str) -> Outcome:
        """Build a SKIP outcome: not applicable, or a requirement did not pass."""
        return cls(Status.SKIP, reason)

    @classmethod
    def from_findings(
        cls, findings: list[Finding], what: str, **metrics: float | int | str
    ) -> Outcome:
        """PASS when ``findings`` is empty, otherwise FAIL saying how many ``what`` were found.

        Args:
            findings: The problems found; empty means the item passes.
            what: A plural noun phrase for the reason, e.g. "functions without type hints".
            **metrics: Numbers to record either way.
        """
        if not findings:
            return cls.passed("", **metrics)
        return cls.failed(f"{len(findings)} {what}", findings, **metrics)


@dataclass(frozen=True)
class CheckResult:
    """One checklist item's result in a run: the item's identity plus its outcome.

    Attributes:
        id: Checklist id.
        title: Checklist title.
        category: Checklist category.
        gate: Whether a failure fails the verdict.
        weight: Weight in the score.
        outcome: The check's verdict and evidence.
        duration_s: Time the check took, including facts it waited for.
    """

    id: str
    title: str
    category: str
    gate: bool
    weight: float
    outcome: Outcome
    duration_s: float

    def __post_init__(self) -> None:
        """Make the id, title and category one safe line each."""
        for name in ("id", "title", "category"):
            object.__setattr__(self, name, clean_line(getattr(self, name)))

    @property
    def status(self) -> Status:
        """Shortcut for ``outcome.status``."""
        return self.outcome.status


@dataclass(frozen=True)
class RunResult:
    """The result of scoring one project; every report format is a view of it.

    Attributes:
        project: Path of the scored project as given by the user.
        tier: Tier of the run.
        score: Weighted score 0-100 over items that passed or failed.
        passed: The gate verdict: no gate item failed (nor errored, with fail-on-error).
        checklist_sha256: Fingerprint of the checklist used.
        command_version: Version of the command the checklist belongs to.
        checks: Results in checklist order.
        started_at: ISO-8601 UTC start time.
        duration_s: Wall-clock duration of the run.
        sandbox: How the project's processes were confined (``none (...)`` when not).
        case: The case contract the design items checked against ("" without one).
    """

    project: str
    tier: Tier
    score: float
    passed: bool
    checklist_sha256: str
    command_version: str
    checks: tuple[CheckResult, ...]
    started_at: str
    duration_s: float
    sandbox: str = ""
    case: str = ""

    def __post_init__(self) -> None:
        """Make the project path and the command version one safe line each."""
        object.__setattr__(self, "project", clean_line(self.project))
        object.__setattr__(self, "command_version", clean_line(self.command_version))

    def by_id(self, item_id: str) -> CheckResult:
        """Return the result for ``item_id``.

        Raises:
            KeyError: If the run did not evaluate that item.
        """
        for result in self.checks:
            if result.id == item_id:
                return result
        raise KeyError(item_id)
