"""The false-fail corpus: score each corpus project and compare with its expected verdicts.

Every ``tests/corpus/<name>/expected.yaml`` describes one sound project written in a style
unlike ``reference_impl/``::

    description: what style this project represents and which false verdicts it guards against
    tier: full
    contract: contract.yaml
    items:
      structure.layout: {status: fail, reason: "application package is at app/", findings: 1}
      db.transactions: pass
      design.scenarios: pass

``contract`` is optional: a case contract of the project's own design (a file of the
project, ``evals/contract.schema.json``), loaded when the file is read and passed to
``score_project`` so the design-conformance items (``design.*``, ``kafka.publish_runtime``,
``kafka.consume_runtime``) run its scenarios; without one they skip.

An item is a status (``pass``, ``fail``, ``error``, ``skip``) or a mapping with ``status``,
an optional ``reason`` (a substring of the outcome's reason or of one of its findings) and
an optional ``findings`` (the exact number of findings). Items not listed are not checked.
The slow test scores each project once, selecting exactly the listed items, and reports
every disagreement in one assertion message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from evals.checklist import Checklist, load_checklist
from evals.cli import passthrough_env
from evals.contract import Contract, ContractError, load_contract
from evals.model import CheckResult, Finding, Outcome, RunResult, Status, Tier
from evals.runner import score_project

CORPUS = Path(__file__).resolve().parent
EXPECTED_NAME = "expected.yaml"
EXPECTED_FILES = sorted(CORPUS.glob(f"*/{EXPECTED_NAME}"))
TOP_KEYS = frozenset({"description", "tier", "items"})
OPTIONAL_TOP_KEYS = frozenset({"contract"})
ITEM_KEYS = frozenset({"status", "reason", "findings"})


class ExpectationError(Exception):
    """An expected.yaml file is malformed or names items the checklist does not have."""


@dataclass(frozen=True)
class ExpectedItem:
    """The verdict one item must reach.

    Attributes:
        id: Checklist item id.
        status: The expected status.
        reason: Substring the outcome's reason or one of its findings must contain.
        findings: Exact number of findings, when given.
    """

    id: str
    status: Status
    reason: str | None = None
    findings: int | None = None


@dataclass(frozen=True)
class Expectation:
    """One corpus project and the verdicts it must get.

    Attributes:
        project: The project folder.
        description: The style it represents and what it guards against.
        tier: The tier to score at.
        items: Expected verdicts by item id, in the file's order.
        contract: The case contract of the project's design, when the file names one.
    """

    project: Path
    description: str
    tier: Tier
    items: dict[str, ExpectedItem]
    contract: Contract | None = None


def _status(value: object, where: str) -> Status:
    try:
        return Status(str(value))
    except ValueError:
        choices = ", ".join(s.value for s in Status)
        raise ExpectationError(f"{where}: status {value!r} is not one of {choices}") from None


def _item(item_id: str, raw: object, where: str) -> ExpectedItem:
    """Parse one entry of ``items`` (a bare status or a mapping)."""
    if not isinstance(raw, dict):
        return ExpectedItem(item_id, _status(raw, where))
    unknown = sorted(set(raw) - ITEM_KEYS)
    if unknown or "status" not in raw:
        raise ExpectationError(f"{where}: needs 'status', may have 'reason' and 'findings'")
    reason, findings = raw.get("reason"), raw.get("findings")
    if reason is not None and not (isinstance(reason, str) and reason):
        raise ExpectationError(f"{where}: 'reason' must be a non-empty string")
    if findings is not None and (isinstance(findings, bool) or not isinstance(findings, int)):
        raise ExpectationError(f"{where}: 'findings' must be an integer")
    return ExpectedItem(item_id, _status(raw["status"], where), reason, findings)


def _header(document: object, where: str) -> tuple[str, Tier, dict[Any, Any]]:
    """Validate the top level: description, tier and a non-empty items mapping."""
    allowed = TOP_KEYS | OPTIONAL_TOP_KEYS
    if not isinstance(document, dict) or not TOP_KEYS <= set(document) <= allowed:
        raise ExpectationError(
            f"{where}: top-level keys must be {sorted(TOP_KEYS)}, optionally "
            f"{sorted(OPTIONAL_TOP_KEYS)}"
        )
    description, items = document["description"], document["items"]
    if not isinstance(description, str) or not description.strip():
        raise ExpectationError(f"{where}: 'description' must be a non-empty string")
    try:
        tier = Tier.parse(str(document["tier"]))
    except ValueError as exc:
        raise ExpectationError(f"{where}: {exc}") from None
    if not isinstance(items, dict) or not items:
        raise ExpectationError(f"{where}: 'items' must be a non-empty mapping")
    return description, tier, items


def _check_ids(
    items: dict[str, ExpectedItem], tier: Tier, checklist: Checklist, where: str
) -> None:
    """Every id is a checklist item the tier evaluates."""
    known = {item.id: item for item in checklist.items}
    unknown = sorted(i for i in items if i not in known)
    if unknown:
        raise ExpectationError(f"{where}: unknown checklist item(s): {', '.join(unknown)}")
    too_deep = sorted(i for i in items if known[i].tier > tier)
    if too_deep:
        raise ExpectationError(
            f"{where}: item(s) {', '.join(too_deep)} are not evaluated at tier {tier.name.lower()}"
        )


def _contract(name: object, project: Path, where: str) -> Contract | None:
    """The case contract ``name`` (relative to ``project``) names, loaded; None without one."""
    if name is None:
        return None
    if not isinstance(name, str) or not name:
        raise ExpectationError(f"{where}: 'contract' must be a file name relative to the project")
    try:
        return load_contract(project / name)
    except ContractError as exc:
        raise ExpectationError(f"{where}: {exc}") from None


def load_expectation(path: Path, checklist: Checklist) -> Expectation:
    """Parse and validate one expected.yaml.

    Raises:
        ExpectationError: If the file is malformed or names unknown items.
    """
    root = CORPUS.parent.parent
    where = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ExpectationError(f"{where}: cannot be read: {exc}") from None
    description, tier, raw_items = _header(document, where)
    items = {str(k): _item(str(k), v, f"{where}: {k}") for k, v in raw_items.items()}
    _check_ids(items, tier, checklist, where)
    contract = _contract(document.get("contract"), path.parent, where)
    return Expectation(path.parent, description, tier, items, contract)


def _texts(outcome: Outcome) -> list[str]:
    """The outcome's reason and every finding's message."""
    return [outcome.reason, *(finding.message for finding in outcome.findings)]


def _summary(result: CheckResult) -> str:
    """Status, reason and the first findings of an actual outcome, on one line."""
    outcome = result.outcome
    text = f"{outcome.status.value}"
    if outcome.reason:
        text += f" ({outcome.reason})"
    if outcome.findings:
        shown = "; ".join(f.message.splitlines()[0] for f in outcome.findings[:3])
        more = len(outcome.findings) - 3
        text += f" findings[{len(outcome.findings)}]: {shown}" + (f"; +{more}" if more > 0 else "")
    return text


def disagreement(expected: ExpectedItem, result: CheckResult | None) -> str | None:
    """Why ``result`` does not match ``expected``, or None when it does."""
    if result is None:
        return f"{expected.id}: expected {expected.status.value}, but the run did not evaluate it"
    outcome, problems = result.outcome, []
    if outcome.status is not expected.status:
        problems.append(f"expected {expected.status.value}")
    if expected.reason and not any(expected.reason in text for text in _texts(outcome)):
        problems.append(f"expected a reason or finding containing {expected.reason!r}")
    if expected.findings is not None and len(outcome.findings) != expected.findings:
        problems.append(f"expected {expected.findings} finding(s)")
    if not problems:
        return None
    return f"{expected.id}: {', '.join(problems)}; got {_summary(result)}"


def disagreements(expectation: Expectation, result: RunResult) -> list[str]:
    """Every way ``result`` departs from ``expectation``, one line per item."""
    actual = {check.id: check for check in result.checks}
    found = (disagreement(item, actual.get(item.id)) for item in expectation.items.values())
    return [line for line in found if line is not None]


# ---------------------------------------------------------------- fast tests


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    """The real checklist."""
    return load_checklist()


def test_the_corpus_has_projects() -> None:
    names = {path.parent.name for path in EXPECTED_FILES}
    assert {"app_layout", "unit_of_work", "uv_groups"} <= names


@pytest.mark.parametrize("path", EXPECTED_FILES, ids=lambda p: p.parent.name)
def test_expected_file_parses_and_names_real_items(path: Path, checklist: Checklist) -> None:
    expectation = load_expectation(path, checklist)
    assert expectation.items
    assert (expectation.project / "pyproject.toml").is_file()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / EXPECTED_NAME
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("description: x\ntier: full\nitems: {nope.nothing: pass}\n", "nope.nothing"),
        ("description: x\ntier: full\nitems: {db.models: maybe}\n", "status 'maybe'"),
        ("description: x\ntier: deep\nitems: {db.models: pass}\n", "unknown tier"),
        ("description: x\ntier: static\nitems: {tests.pass: pass}\n", "not evaluated"),
        ("description: x\ntier: full\nitems: {}\n", "non-empty mapping"),
        ("tier: full\nitems: {db.models: pass}\n", "top-level keys"),
        ("description: x\ntier: full\nextra: 1\nitems: {db.models: pass}\n", "top-level keys"),
        ("description: x\ntier: full\ncontract: 3\nitems: {db.models: pass}\n", "file name"),
        ("description: x\ntier: full\ncontract: no.yaml\nitems: {db.models: pass}\n", "no.yaml"),
        ("description: x\ntier: full\nitems: {db.models: {reason: y}}\n", "needs 'status'"),
        (
            "description: x\ntier: full\nitems: {db.models: {status: pass, findings: x}}\n",
            "integer",
        ),
        ("description: x\ntier: full\nitems: [\n", "cannot be read"),
    ],
)
def test_malformed_expectations_are_refused(
    tmp_path: Path, checklist: Checklist, text: str, message: str
) -> None:
    with pytest.raises(ExpectationError, match=message):
        load_expectation(_write(tmp_path, text), checklist)


def _result(*checks: tuple[str, Outcome]) -> RunResult:
    results = tuple(CheckResult(i, i, "c", True, 1.0, outcome, 0.0) for i, outcome in checks)
    return RunResult("p", Tier.FULL, 0.0, False, "sha", "1", results, "now", 0.0)


MISMATCHES = (
    "description: x\ntier: full\nitems:\n"
    "  structure.layout: {status: fail, reason: at app/, findings: 1}\n"
    "  db.models: pass\n  db.indexes: pass\n  db.pool: {status: pass, reason: pooled}\n"
    "  tests.pass: pass\n"
)


def _mismatching_result() -> RunResult:
    two = (Finding("application package is at app/"), Finding("missing src/app/main.py"))
    return _result(
        ("structure.layout", Outcome.failed("2 departures", two)),
        ("db.models", Outcome.failed("no relationship")),
        ("db.indexes", Outcome.passed()),
        ("db.pool", Outcome.passed("pool configured")),
    )


def test_every_disagreement_is_reported(tmp_path: Path, checklist: Checklist) -> None:
    expectation = load_expectation(_write(tmp_path, MISMATCHES), checklist)
    problems = disagreements(expectation, _mismatching_result())
    assert [p.split(":")[0] for p in problems] == [
        "structure.layout",
        "db.models",
        "db.pool",
        "tests.pass",
    ]
    assert "expected 1 finding(s)" in problems[0]
    assert "missing src/app/main.py" in problems[0]
    assert "got fail (no relationship)" in problems[1]
    assert "did not evaluate" in problems[3]


# ---------------------------------------------------------------- scoring (slow)


@pytest.mark.full
@pytest.mark.slow
@pytest.mark.parametrize("path", EXPECTED_FILES, ids=lambda p: p.parent.name)
async def test_corpus_project_gets_its_expected_verdicts(
    path: Path, checklist: Checklist, eval_cache_dir: Path
) -> None:
    expectation = load_expectation(path, checklist)
    result = await score_project(
        expectation.project,
        tier=expectation.tier,
        select=list(expectation.items),
        checklist=checklist,
        env=passthrough_env(),
        cache_dir=eval_cache_dir,
        contract=expectation.contract,
    )
    problems = disagreements(expectation, result)
    header = f"{expectation.project.name}: {len(problems)} disagreement(s) with {EXPECTED_NAME}"
    assert not problems, "\n".join([header, *(f"  - {p}" for p in problems)])
