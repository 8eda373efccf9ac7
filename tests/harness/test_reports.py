"""Every report format renders the same result model faithfully."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from evals.model import RunResult, Status
from evals.reports import FORMATS, render
from evals.reports.json_report import SCHEMA_PATH
from evals.reports.terminal import render_text
from tests.harness.fakes import result, run_result, sample_result

SARIF_SCHEMA = Path(__file__).with_name("data") / "sarif-2.1.0-minimal.schema.json"


@pytest.fixture
def sample() -> RunResult:
    return sample_result()


def validate_json_report(text: str) -> dict[str, Any]:
    """Parse a JSON report and validate it against evals/result.schema.json."""
    document = json.loads(text)
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    assert isinstance(document, dict)
    return document


def validate_sarif(text: str) -> dict[str, Any]:
    """Parse a SARIF log and validate its structure against the vendored SARIF 2.1.0 subset."""
    document = json.loads(text)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    assert isinstance(document, dict)
    return document


def test_every_format_has_a_distinct_file_name() -> None:
    names = [fmt.filename for fmt in FORMATS.values()]
    assert len(set(names)) == len(names) == 6


def test_json_validates_and_holds_the_run_fields(sample: RunResult) -> None:
    document = validate_json_report(render("json", sample))
    assert document["score"] == 62.5
    assert document["passed"] is False
    assert document["tier"] == "static"
    assert document["command_version"] == "1.2.3"
    assert document["summary"] == {
        "counts": {"pass": 1, "fail": 2, "error": 1, "skip": 1},
        "gate_failures": ["code.function_length"],
        "errors": ["security.dependencies"],
    }
    assert document["metrics"]["code.function_length.count"] == 3


def test_json_checks_hold_item_fields_and_findings(sample: RunResult) -> None:
    length = validate_json_report(render("json", sample))["checks"][1]
    first = {"path": "src/app/main.py", "line": 12, "message": "function too long"}
    assert length["findings"][0] == first
    assert length["findings"][2] == {"path": None, "line": None, "message": "no location at all"}
    fields = {"id", "title", "category", "gate", "weight", "status", "reason", "duration_s"}
    assert set(length) >= fields


def test_json_schema_rejects_a_non_pass_without_reason(sample: RunResult) -> None:
    document = json.loads(render("json", sample))
    document["checks"][1]["reason"] = ""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_junit_counts_and_properties(sample: RunResult) -> None:
    root = ET.fromstring(render("junit", sample))  # noqa: S314 - our own output
    assert root.tag == "testsuites"
    counts = [root.get(name) for name in ("tests", "failures", "errors", "skipped")]
    assert counts == ["5", "2", "1", "1"]
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert properties["score"] == "62.5"
    assert properties["passed"] == "false"


def test_junit_has_one_testcase_per_item_with_the_right_elements(sample: RunResult) -> None:
    root = ET.fromstring(render("junit", sample))  # noqa: S314 - our own output
    cases = {case.get("name", "").split(":")[0]: case for case in root.iter("testcase")}
    assert len(cases) == 5
    assert list(cases["lint.ruff"]) == []
    failure = cases["code.function_length"].find("failure")
    assert failure is not None
    assert failure.get("message") == "code.function_length is fail"
    assert "src/app/main.py:12: function too long" in (failure.text or "")
    assert cases["security.dependencies"].find("error") is not None
    assert cases["kafka.dlq"].find("skipped") is not None


def test_sarif_validates_with_rules_and_located_results(sample: RunResult) -> None:
    document = validate_sarif(render("sarif", sample))
    run = document["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == [check.id for check in sample.checks]
    results = run["results"]
    located = results[0]["locations"][0]["physicalLocation"]
    assert located["artifactLocation"]["uri"] == "src/app/main.py"
    assert located["region"] == {"startLine": 12}
    assert "region" not in results[1]["locations"][0]["physicalLocation"]
    assert results[2]["locations"] == []
    assert [r["ruleId"] for r in results] == ["code.function_length"] * 3 + ["docs.readme"]
    assert [r["level"] for r in results][-1] == "warning"  # non-gate item
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = [n["descriptor"]["id"] for n in invocation["toolExecutionNotifications"]]
    assert notes == ["security.dependencies", "kafka.dlq"]


def test_sarif_rule_index_points_at_the_rule(sample: RunResult) -> None:
    run = json.loads(render("sarif", sample))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


def test_markdown_lists_gate_failures_errors_and_every_item(sample: RunResult) -> None:
    text = render("markdown", sample)
    assert "**Score 62.5/100, ❌ failed**" in text
    assert "## Gate failures" in text
    assert "## Errors" in text
    assert "`src/app/main.py:12` function too long" in text
    assert all(f"`{check.id}`" in text for check in sample.checks)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href"} and value and not value.startswith("#"):
                self.external.append(value)


def test_html_is_self_contained_escaped_and_collapsible(sample: RunResult) -> None:
    text = render("html", sample)
    parser = _Collector()
    parser.feed(text)
    assert parser.external == []
    assert "details" in parser.tags
    assert "missing docstring &lt;b&gt;&amp;&lt;/b&gt;" in text
    assert "<b>&</b>" not in text
    assert "FAILED" in text
    assert all(f'id="{check.id}"' in text for check in sample.checks)


def test_terminal_groups_by_category_and_lists_errors(sample: RunResult) -> None:
    text = render("terminal", sample)
    assert "\x1b[" not in text  # no colours in the plain scorecard
    for category in ("LINT", "CODE", "DOCS", "SECURITY", "KAFKA"):
        assert category in text
    assert "Errors: the harness could not evaluate" in text
    assert "security.dependencies" in text
    assert "Score 62.5/100" in text
    assert "FAILED" in text


def test_terminal_colours_on_request(sample: RunResult) -> None:
    assert "\x1b[" in render_text(sample, color=True)


def test_passing_run_renders_everywhere() -> None:
    passing = run_result(result("lint.ruff", Status.PASS), result("types.mypy", Status.PASS))
    validate_json_report(render("json", passing))
    validate_sarif(render("sarif", passing))
    assert ET.fromstring(render("junit", passing)).get("failures") == "0"  # noqa: S314
    assert "PASSED" in render("terminal", passing)
    assert "PASSED" in render("html", passing)
    assert "✅ passed" in render("markdown", passing)


def test_markdown_escapes_html_and_pipes(sample: RunResult) -> None:
    text = render("markdown", sample)
    assert "missing docstring &lt;b&gt;&amp;&lt;/b&gt;" in text
    assert "<b>&</b>" not in text
