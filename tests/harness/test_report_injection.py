"""A hostile project cannot break or inject into any report format.

The scored project controls file names, messages, reasons and metric values. None of
them may reach a report as a terminal escape sequence, raw HTML, Rich markup, a forged
line, or a character that makes a JUnit document not well-formed.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from xml.dom import minidom
from xml.etree import ElementTree as ET

import pytest
from markdown_it import MarkdownIt

from evals import cli
from evals.model import CheckResult, Finding, Outcome, RunResult, Status, clean_line, clean_text
from evals.reports import FORMATS, render
from evals.reports.common import inline
from evals.reports.html import _ENVIRONMENT
from evals.reports.markdown import _code
from evals.reports.terminal import render_text
from tests.harness.fakes import result, run_result
from tests.harness.test_reports import validate_json_report, validate_sarif

TEMPLATES = Path(__file__).resolve().parents[2] / "evals" / "reports" / "templates"
FORGED = "PASS forged"
HOSTILE = (
    "\x1b[2Jwiped.py",
    "\x1b]8;;http://x\x1b\\click\x1b]8;;\x1b\\",
    f"ok.py\n{FORGED}",
    "c1\x9b31mred.py",
    "nul\x00byte.py",
    "`<img src=x onerror=alert(1)>`",
    "<script>alert(1)</script>",
    "[/x]",
    "[link=http://x]click[/link]",
    "</testcase>",
    "del\x7f\x85\x1c\x0b\x0c\r.py",
    "lone\udcffsurrogate.py",
    "sep\u2028arated.py",
)
# Code points no report may contain (tab and newline are allowed where text is long).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
SGR = re.compile(r"\x1b\[[0-9;]*m")
WRAPPED = "word " * 40 + "FAKE: a line at column zero"
OTHER_STATUSES = (Status.ERROR, Status.SKIP, Status.PASS)
ALLOWED_TAGS = {
    "h1", "h2", "p", "strong", "em", "code", "ul", "li", "details", "summary",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def hostile_check(item_id: str, status: Status, text: str) -> CheckResult:
    """A check whose reason, finding path and message, and metric all are ``text``."""
    findings = (Finding(text, text, 3), Finding(text, text), Finding(text))
    outcome = Outcome(status, f"{text} | {WRAPPED}", findings, {"note": text, text: 1})
    return dataclasses.replace(result(item_id, status), outcome=outcome)


def hostile_result() -> RunResult:
    """A failed run: a failed check per hostile string, one of each other status with all."""
    checks = [
        hostile_check(f"code.hostile_{index}", Status.FAIL, text)
        for index, text in enumerate(HOSTILE)
    ]
    everything = " ".join(HOSTILE)
    checks += [hostile_check(f"docs.{s.value}", s, everything) for s in OTHER_STATUSES]
    run = run_result(*checks, passed=False, score=12.5)
    return dataclasses.replace(run, project="work/\x1b[2Jproj\nPASS forged/`<img src=x>`")


@pytest.fixture(scope="module")
def hostile() -> RunResult:
    return hostile_result()


@functools.cache
def report(name: str) -> str:
    """The hostile run rendered in format ``name`` (rendered once per format)."""
    return render(name, hostile_result())


@pytest.mark.parametrize("name", list(FORMATS))
def test_no_control_character_survives(name: str) -> None:
    text = report(name)
    assert CONTROL.findall(text) == []
    text.encode("utf-8")  # no lone surrogate either


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_writes_as_utf8_file(name: str, hostile: RunResult, tmp_path: Path) -> None:
    target = tmp_path / FORMATS[name].filename
    cli.write_reports(hostile, [name], target)
    assert CONTROL.findall(target.read_bytes().decode("utf-8")) == []


def test_cli_writes_all_formats_to_a_directory(hostile: RunResult, tmp_path: Path) -> None:
    cli.write_reports(hostile, list(FORMATS), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        fmt.filename for fmt in FORMATS.values()
    )


def forged_lines(text: str) -> list[str]:
    """Lines of ``text`` that start with the forged text or the wrapped fake line."""
    return [line for line in text.split("\n") if line.lstrip(" #->*").startswith(FORGED)]


def column_zero_fakes(text: str) -> list[str]:
    """Lines that a long reason wrapped to column zero."""
    return [line for line in text.split("\n") if line.startswith(("FAKE", "word"))]


def test_terminal_as_the_cli_prints_it(
    hostile: RunResult, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.write_reports(hostile, ["terminal"], None)
    out = capsys.readouterr().out
    assert CONTROL.findall(out) == []
    assert forged_lines(out) == []
    assert column_zero_fakes(out) == []
    assert "[link=http://x]click[/link]" in out
    assert "[/x]" in out
    assert "ok.py\\nPASS forged" in out  # the path shows its newline as an escape


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_terminal_in_colour_emits_only_its_own_colour_codes(hostile: RunResult, width: int) -> None:
    text = render_text(hostile, color=True, width=width)
    assert "\x1b]8;" not in text  # no hyperlink from [link=...] or from the project
    assert CONTROL.findall(SGR.sub("", text)) == []
    plain = SGR.sub("", text)
    assert forged_lines(plain) == []
    assert column_zero_fakes(plain) == []


def test_terminal_does_not_read_reasons_as_markup() -> None:
    check = dataclasses.replace(
        result("code.markup", Status.ERROR), outcome=Outcome.errored("[bold]x[/bold] [/x] :smile:")
    )
    text = render_text(run_result(check, passed=False), color=True)
    assert "[bold]x[/bold] [/x] :smile:" in SGR.sub("", text)


def test_junit_parses_with_elementtree_and_minidom() -> None:
    text = report("junit")
    root = ET.fromstring(text)  # noqa: S314 - our own output
    minidom.parseString(text)  # noqa: S318 - our own output
    cases = list(root.iter("testcase"))
    assert len(cases) == len(HOSTILE) + len(OTHER_STATUSES)
    failure = cases[HOSTILE.index("</testcase>")].find("failure")
    assert failure is not None
    assert (failure.get("message") or "").startswith("</testcase> | ")
    assert "</testcase>: </testcase>" in (failure.text or "")


def test_junit_guard_holds_when_the_model_is_bypassed() -> None:
    check = hostile_result().checks[0]  # a fresh copy: the test mutates it
    for name in ("id", "title", "category"):
        object.__setattr__(check, name, f"{name}\x00\x1b\x0c\ufffe\x9b")
    object.__setattr__(check.outcome, "reason", "reason\x01\x1b")
    text = render("junit", run_result(check, passed=False))
    minidom.parseString(text)  # noqa: S318 - our own output
    assert CONTROL.findall(text) == []
    assert "\ufffe" not in text


class TagCollector(HTMLParser):
    """Collects the tags and attribute names of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def collect(html: str) -> TagCollector:
    """Parse ``html`` and return its tags and attribute names."""
    collector = TagCollector()
    collector.feed(html)
    return collector


MARKDOWN_RENDERERS = {
    "commonmark": MarkdownIt("commonmark"),
    "gfm": MarkdownIt("commonmark").enable(["table", "strikethrough"]),
}


@pytest.mark.parametrize("flavour", list(MARKDOWN_RENDERERS))
def test_markdown_renders_no_html_from_the_project(flavour: str) -> None:
    html = MARKDOWN_RENDERERS[flavour].render(report("markdown"))
    parsed = collect(html)
    assert parsed.tags <= ALLOWED_TAGS
    assert parsed.attributes == set()  # no onerror=, href= or src=
    for raw in ("<img", "<script", "<a ", "</testcase>"):
        assert raw not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("flavour", list(MARKDOWN_RENDERERS))
def test_markdown_shows_project_text_literally(flavour: str) -> None:
    html = MARKDOWN_RENDERERS[flavour].render(report("markdown"))
    assert "[link=http://x]click[/link]" in html
    assert "<code>`&lt;img src=x onerror=alert(1)&gt;`:3</code>" in html
    assert "`&lt;img src=x onerror=alert(1)&gt;` | word" in html


def test_markdown_table_rows_keep_their_cells() -> None:
    html = MARKDOWN_RENDERERS["gfm"].render(report("markdown"))
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.DOTALL)
    assert len(rows) == 1 + len(HOSTILE) + len(OTHER_STATUSES)
    assert all(row.count("<td>") == 5 for row in rows[1:])


def test_markdown_forges_no_line() -> None:
    text = report("markdown")
    assert forged_lines(text) == []
    html = MARKDOWN_RENDERERS["commonmark"].render(text)
    assert forged_lines(re.sub(r"<[^>]+>", "", html)) == []


@pytest.mark.parametrize("text", ["a`b", "``x", "y`", " z ", "a```b``c", "plain"])
def test_markdown_code_span_survives_backticks(text: str) -> None:
    html = MarkdownIt("commonmark").render(f"- {_code(text)} after")
    assert f"<code>{text}</code> after" in html


def test_html_is_autoescaped_and_marks_nothing_safe() -> None:
    assert _ENVIRONMENT.autoescape is True
    for template in TEMPLATES.iterdir():
        assert "safe" not in template.read_text(encoding="utf-8").replace(" ", "")
    parsed = collect(report("html"))
    assert not {"img", "script", "testcase"} & parsed.tags
    assert not {name for name in parsed.attributes if name.startswith("on")}
    assert "&lt;img src=x onerror=alert(1)&gt;" in report("html")


def test_json_and_sarif_are_valid_and_hold_the_clean_text() -> None:
    document = validate_json_report(report("json"))
    first = document["checks"][0]
    assert first["findings"][0]["path"] == "[2Jwiped.py"
    assert first["metrics"]["note"] == "[2Jwiped.py"
    sarif = validate_sarif(report("sarif"))
    uris = [
        location["physicalLocation"]["artifactLocation"]["uri"]
        for item in sarif["runs"][0]["results"]
        for location in item["locations"]
    ]
    assert uris
    assert all(re.fullmatch(r"[A-Za-z0-9/._~%-]+", uri) for uri in uris)
    json.loads(report("sarif"))


def test_model_keeps_long_text_lines_but_makes_paths_one_line() -> None:
    finding = Finding("two\nlines\tand\x1b[2J\x9b\x00\x7f", "a\nb\tc\rd\x1b\u2028e.py", 1)
    assert finding.message == "two\nlines\tand[2J"
    assert finding.path == "a\\nb\\tc\\rd\\u2028e.py"
    assert clean_text("x\u2028y\udcff") == "x\ny\ufffd"
    assert clean_line("x\udcff") == "x\ufffd"
    plain = "nothing to clean"
    assert clean_text(plain) is plain
    assert clean_line(plain) is plain


def test_model_sanitises_every_constructor_path() -> None:
    failed = Outcome.failed("r\x1b", [Finding("m\x00", "p\n")], label="v\x07", **{"k\n": 1})
    assert (failed.reason, failed.findings[0].message, failed.findings[0].path) == (
        "r",
        "m",
        "p\\n",
    )
    assert failed.metrics == {"label": "v", "k\\n": 1}
    assert dataclasses.replace(failed, reason="again\x1b").reason == "again"
    assert Outcome.errored("e\x9b").reason == "e"
    assert Outcome.skipped("s\x1b").reason == "s"
    assert Outcome.passed("p\x1b").reason == "p"
    assert Outcome.from_findings([Finding("f\x1b")], "x\x1b").reason == "1 x"
    check = dataclasses.replace(result("a.b", Status.PASS), id="a\nb", title="t\x1b")
    assert (check.id, check.title) == ("a\\nb", "t")


def test_huge_blank_runs_collapse_before_the_terminal_wraps_them() -> None:
    blank = " \t" * 100_000
    check = dataclasses.replace(
        result("code.blank", Status.ERROR), outcome=Outcome.errored(f"a{blank}b\n{blank}c")
    )
    assert inline(f"a{blank}b\n{blank}c") == "a b c"
    rendered = render_text(run_result(check, passed=False))  # quadratic in Rich before
    assert "a " in rendered and "characters not shown]" in rendered  # the model caps the reason


def test_bidi_overrides_are_removed_and_long_text_is_capped() -> None:
    finding = Finding("safe\u202eevil\u2066" + "x" * 30_000, path="a\u202eb.py")
    assert "\u202e" not in finding.message and "\u2066" not in finding.message
    assert finding.path == "ab.py"
    assert len(finding.message) < 20_100
    assert finding.message.endswith("more characters not shown]")
