"""Every report format renders the same result model faithfully."""

from __future__ import annotations

import dataclasses
import json
import math
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from evals.model import Outcome, RunResult, Status
from evals.reports import FORMATS, render
from evals.reports.html import perf_chart
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


PERF_METRICS: dict[str, float | int | str] = {
    "generator": "wrk",
    "connections": 64,
    "bare_rps": 18234.6,
    "bare_p50_ms": 3.12,
    "bare_p95_ms": 5.87,
    "bare_p99_ms": 8.4,
    "project_rps": 4120.3,
    "project_p50_ms": 14.2,
    "project_p95_ms": 27.65,
    "project_p99_ms": 41.07,
    "by_id_p99_ms": 39.5,
    "throughput_ratio": 0.226,
    "p99_ratio": 4.889,
}


def perf_run(**changes: float | int | str) -> RunResult:
    """A run whose perf.throughput and perf.latency results hold the perf metrics."""
    outcome = Outcome.passed("measured", **(PERF_METRICS | changes))
    checks = [
        dataclasses.replace(result(item_id, Status.PASS), outcome=outcome)
        for item_id in ("perf.throughput", "perf.latency")
    ]
    return run_result(*checks, result("lint.ruff", Status.PASS))


class _Chart(HTMLParser):
    """The SVG charts of a page: bars per group, texts, and every tag seen."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.group = ""
        self.bars: dict[str, list[float]] = {}
        self.texts: list[str] = []
        self.in_text = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "g":
            self.group = found.get("class") or ""
        elif tag == "rect":
            self.bars.setdefault(self.group, []).append(float(found.get("height") or "nan"))
        self.in_text = tag == "text"

    def handle_endtag(self, tag: str) -> None:
        self.in_text = False

    def handle_data(self, data: str) -> None:
        if self.in_text:
            self.texts.append(data)


def chart_of(run: RunResult) -> tuple[str, _Chart]:
    """The HTML report of ``run`` and its parsed charts."""
    text = render("html", run)
    parser = _Chart()
    parser.feed(text)
    return text, parser


def test_html_draws_both_latency_distributions_on_one_scale() -> None:
    text, chart = chart_of(perf_run())
    assert chart.tags.count("svg") == 2  # one under each perf item
    assert set(chart.bars) == {"perf-bare", "perf-project"}
    bare, project = chart.bars["perf-bare"], chart.bars["perf-project"]
    assert len(bare) == len(project) == 6
    assert bare == sorted(bare[:3]) * 2 and project == sorted(project[:3]) * 2
    assert math.isclose(project[2] / bare[2], 41.07 / 8.4, rel_tol=0.02)
    assert max(project) <= 120.0
    texts = chart.texts[: len(chart.texts) // 2]
    for label in ("p50", "p95", "p99", "bare app", "project", "3.12", "8.40", "14.2", "41.1"):
        assert label in texts
    assert {"0 ms", "25 ms", "50 ms"} <= set(texts)
    assert "18,235 req/s" in text and "4,120 req/s" in text
    assert "throughput 0.23x bare" in text and "p99 4.89x bare" in text
    assert "64 connections" in text


def test_html_draws_no_chart_without_perf_figures(sample: RunResult) -> None:
    assert "<svg" not in render("html", sample)
    bare_only = {name: value for name, value in PERF_METRICS.items() if "project" not in name}
    outcome = Outcome.passed("measured", **bare_only)
    check = dataclasses.replace(result("perf.latency", Status.PASS), outcome=outcome)
    text = render("html", run_result(check))
    assert "<svg" not in text
    assert "bare_p99_ms=8.4" in text  # the metrics line still lists them


def test_html_chart_never_carries_a_hostile_metric() -> None:
    text, chart = chart_of(perf_run(bare_p99_ms="<script>alert(1)</script>"))
    assert "script" not in chart.tags
    assert "<script>" not in text
    assert "svg" not in chart.tags
    assert "bare_p99_ms=&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.parametrize(
    "value", ["12 ms", "", "nan", "inf", math.nan, math.inf, -1.0, True, "-0.5"]
)
def test_perf_chart_needs_every_latency_as_a_finite_number_at_least_zero(
    value: float | str,
) -> None:
    assert perf_chart(PERF_METRICS | {"project_p95_ms": value}) is None
    without = {name: v for name, v in PERF_METRICS.items() if name != "bare_p50_ms"}
    assert perf_chart(without) is None


def test_perf_chart_parses_numeric_strings_and_skips_bad_notes() -> None:
    chart = perf_chart(
        PERF_METRICS | {"bare_p99_ms": " 8.4 ", "project_rps": "<b>", "p99_ratio": -2}
    )
    assert chart is not None
    assert chart.groups[0].bars[2].value == "8.40"
    assert chart.notes == ("bare app 18,235 req/s", "throughput 0.23x bare", "64 connections")


def test_perf_chart_of_zero_latencies_has_flat_bars_and_a_positive_scale() -> None:
    zeros: dict[str, float | int | str] = {
        f"{key}_{p}_ms": 0 for key in ("bare", "project") for p in ("p50", "p95", "p99")
    }
    chart = perf_chart(zeros)
    assert chart is not None
    assert {bar.height for group in chart.groups for bar in group.bars} == {"0.0"}
    assert [tick.label for tick in chart.ticks] == ["0 ms", "0.5 ms", "1 ms"]
    assert chart.notes == ()


def test_perf_chart_scales_huge_latencies_without_overflow() -> None:
    chart = perf_chart(PERF_METRICS | {"project_p99_ms": 1.7e308})
    assert chart is not None
    assert chart.groups[1].bars[2].height == "120.0"
    assert all(math.isfinite(float(bar.y)) for group in chart.groups for bar in group.bars)


def test_the_case_contract_is_named_in_every_human_report(sample: RunResult) -> None:
    with_case = dataclasses.replace(sample, case="order-service")
    assert validate_json_report(render("json", with_case))["case"] == "order-service"
    assert "Case: order-service" in render_text(with_case)
    assert "· case order" in render("markdown", with_case)
    assert "case <b>order-service</b>" in render("html", with_case)
    assert "Case:" not in render_text(sample)
