"""The results: what was measured, which targets were met, rendered three ways.

Plain text for the terminal, Markdown for ``bench/RESULTS.md``, and
reStructuredText for the marked section of ``docs/performance.rst``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MB = 1024 * 1024


def seconds(value: float) -> str:
    if value < 0.001:
        return f"{value * 1e6:.0f} µs"
    if value < 0.1:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e3:.0f} ms" if value < 1 else f"{value:.2f} s"


def megabytes(value: float) -> str:
    return f"{value / MB:.1f} MB"


def ratio(value: float) -> str:
    return f"{value:.2f}x"


@dataclass
class Measurement:
    """One line of the measurements table; empty cells are ``""``."""

    name: str
    sdk: str
    reference: str = ""
    floor: str = ""


@dataclass
class Check:
    """One target: what it is, what was measured, and whether it was met.

    ``met`` is None for a figure reported beside the targets (its ``target`` is
    ``"reported"``: it has no goal) or for a target this run could not measure.
    """

    name: str
    target: str
    measured: str
    met: bool | None

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "info" if self.target == "reported" else "NOT MEASURED"
        return "PASS" if self.met else "MISS"


def tally(checks: list[Check]) -> str:
    """One line: how many targets passed, missed, or could not be measured."""
    goals = [c for c in checks if c.target != "reported"]
    counts = {v: sum(c.verdict == v for c in goals) for v in ("PASS", "MISS", "NOT MEASURED")}
    line = f"{len(goals)} targets: {counts['PASS']} PASS, {counts['MISS']} MISS"
    if counts["NOT MEASURED"]:
        line += f", {counts['NOT MEASURED']} NOT MEASURED"
    return line


@dataclass
class Results:
    machine: str
    settings: str
    versions: dict[str, str]
    measurements: list[Measurement] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


MEASUREMENT_HEADER = ("Benchmark", "this SDK", "alphacast 0.1.9", "floor / baseline")
CHECK_HEADER = ("Target", "Goal", "Measured", "Result")


def _measurement_rows(results: Results) -> list[tuple[str, ...]]:
    return [(m.name, m.sdk, m.reference, m.floor) for m in results.measurements]


def _check_rows(results: Results) -> list[tuple[str, ...]]:
    return [(c.name, c.target, c.measured, c.verdict) for c in results.checks]


def _text_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(out)


def _render(
    results: Results,
    table: Callable[[tuple[str, ...], list[tuple[str, ...]]], str],
    *,
    heading: list[str],
    sentence_end: str = ".",
    bullet: str = "- ",
    plain: Callable[[str], str] = str,
) -> str:
    """The report in one markup: ``table`` draws a table, ``plain`` escapes a note."""
    end = sentence_end
    parts = [
        *heading,
        "Versions: " + "; ".join(f"{k} {v}" for k, v in results.versions.items()) + end,
        "",
        f"Settings: {results.settings}{end}",
        "",
        table(MEASUREMENT_HEADER, _measurement_rows(results)),
        "",
        table(CHECK_HEADER, _check_rows(results)),
        "",
        tally(results.checks) + end,
    ]
    parts += ["", *(bullet + plain(note) for note in results.notes)] if results.notes else []
    return "\n".join(parts).rstrip() + "\n"


def render_text(results: Results) -> str:
    heading = [f"Machine: {results.machine}"]
    return _render(results, _text_table, heading=heading, sentence_end="", bullet="* ")


def _md_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    def cells(row: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"

    return "\n".join([cells(header), "|" + "---|" * len(header), *map(cells, rows)])


def _rst_escape(text: str) -> str:
    """Plain text for reStructuredText: ``ak_...`` must not become a link target."""
    for char in "\\*_`|":
        text = text.replace(char, "\\" + char)
    return text


def _rst_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    def cell(text: str) -> str:
        return _rst_escape(text) or r"\-"

    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *rows]:
        out.append(f"   * - {cell(row[0])}")
        out += [f"     - {cell(c)}" for c in row[1:]]
    return "\n".join(out)


def render_markdown(results: Results, command: str) -> str:
    heading = ["# Benchmark results", "", f"Measured with `{command}` on: {results.machine}.", ""]
    return _render(results, _md_table, heading=heading)


def render_rst(results: Results, command: str) -> str:
    heading = [f"Measured with ``{command}`` on: {results.machine}.", ""]
    return _render(results, _rst_table, heading=heading, plain=_rst_escape)


#: The section of ``docs/performance.rst`` this tool owns.
BEGIN_MARK = ".. begin-benchmark-results"
END_MARK = ".. end-benchmark-results"


def replace_marked_section(page: Path, body: str) -> bool:
    """Replace the text between the markers in ``page``; False if it has none."""
    if not page.exists():
        return False
    text = page.read_text(encoding="utf-8")
    pattern = re.compile(
        rf"({re.escape(BEGIN_MARK)}[^\n]*\n)(.*?)(^{re.escape(END_MARK)})", re.S | re.M
    )
    if not pattern.search(text):
        return False
    new = pattern.sub(lambda m: f"{m.group(1)}\n{body}\n{m.group(3)}", text, count=1)
    page.write_text(new, encoding="utf-8")
    return True
