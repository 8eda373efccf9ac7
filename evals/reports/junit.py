"""The JUnit XML report: one testcase per checklist item, one testsuite per category."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from evals.model import CheckResult, RunResult, Status
from evals.reports.common import by_category, location

SUITES_NAME = "fastapi-command-eval"
# Characters XML 1.0 forbids (C0 controls but tab, newline and carriage return; surrogates;
# U+FFFE and U+FFFF) plus the discouraged DEL and C1 controls: a single one would make the
# document not well-formed, and CI systems drop such a report entirely.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _details(check: CheckResult) -> str:
    """The check's reason followed by one line per finding."""
    lines = [check.outcome.reason]
    lines += [f"{location(f) or '-'}: {f.message}" for f in check.outcome.findings]
    return "\n".join(lines)


def _testcase(parent: ET.Element, check: CheckResult) -> None:
    case = ET.SubElement(
        parent,
        "testcase",
        classname=f"evals.{check.category}",
        name=f"{check.id}: {check.title}",
        time=f"{check.duration_s:.3f}",
    )
    tag = {Status.FAIL: "failure", Status.ERROR: "error", Status.SKIP: "skipped"}.get(check.status)
    if tag is None:
        return
    element = ET.SubElement(case, tag, message=check.outcome.reason)
    if tag != "skipped":
        element.set("type", check.status.value)
        element.text = _details(check)


def _set_counts(element: ET.Element, checks: list[CheckResult]) -> None:
    element.set("tests", str(len(checks)))
    element.set("failures", str(sum(c.status is Status.FAIL for c in checks)))
    element.set("errors", str(sum(c.status is Status.ERROR for c in checks)))
    element.set("skipped", str(sum(c.status is Status.SKIP for c in checks)))
    element.set("time", f"{sum(c.duration_s for c in checks):.3f}")


def _properties(parent: ET.Element, result: RunResult) -> None:
    props = ET.SubElement(parent, "properties")
    values = {
        "score": f"{result.score:g}",
        "passed": str(result.passed).lower(),
        "tier": result.tier.name.lower(),
        "checklist_sha256": result.checklist_sha256,
        "command_version": result.command_version,
        "project": result.project,
    }
    for name, value in values.items():
        ET.SubElement(props, "property", name=name, value=value)


def _xml_safe(text: str) -> str:
    """``text`` without the characters an XML 1.0 document cannot hold."""
    return _NOT_XML.sub("", text)


def _scrub(root: ET.Element) -> None:
    """Remove characters XML cannot hold from every text and attribute under ``root``.

    The result model already strips control characters from project text; this guards
    whatever else reaches the document (checklist ids, titles, categories, versions).
    """
    for element in root.iter():
        if element.text:
            element.text = _xml_safe(element.text)
        for name, value in element.attrib.items():
            element.attrib[name] = _xml_safe(value)


def render(result: RunResult) -> str:
    """The result as a JUnit XML document."""
    root = ET.Element("testsuites", name=SUITES_NAME)
    _set_counts(root, list(result.checks))
    root.set("time", f"{result.duration_s:.3f}")
    for category, checks in by_category(result):
        suite = ET.SubElement(root, "testsuite", name=f"{SUITES_NAME}.{category}")
        _set_counts(suite, checks)
        _properties(suite, result)
        for check in checks:
            _testcase(suite, check)
    _scrub(root)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
