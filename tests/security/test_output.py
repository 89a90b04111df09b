"""Terminal and Markdown output print case text literally: rich markup, ANSI and OSC-8 escapes in
case fields are shown as text, HTML in case fields is escaped in Markdown."""

from __future__ import annotations

import io
import re
from typing import Any

from rich.console import Console

from alknav.inputs.case_reader import parse_case_data
from alknav.outputs.recommendation_text import result_view, to_markdown
from alknav.outputs.render import render_result
from alknav.recommend.engine import recommend
from tests.security.conftest import demo_case

MARKUP = "[bold red]FAKE[/bold red]"
ANSI = "\x1b[2J\x1b[31mred"
OSC8 = "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07"
HTML = "<img src=x onerror=alert(1)>"


def _result(kb: Any) -> Any:
    case = demo_case(id=f"id{MARKUP}{ANSI}")
    case["current"]["alterations"] = ["ALK G1202R", f"{MARKUP} {ANSI}", OSC8, HTML, "a | b"]
    # the engine's result is language-neutral; the outputs print a rendered one
    return render_result(recommend(parse_case_data(case), kb), kb, "en")


def test_terminal_output_is_literal(kb: Any) -> None:
    buffer = io.StringIO()
    Console(file=buffer, width=400, color_system=None, force_terminal=False).print(result_view(_result(kb),
                                                                                               trace=True))
    text = buffer.getvalue()
    assert "\x1b" not in text and "\x07" not in text  # no escape reaches the terminal
    assert MARKUP in text  # the markup is shown, not applied
    assert "\\x1b[31mred" in text  # the escape shown escaped


def test_markdown_output_escapes_html_and_pipes(kb: Any) -> None:
    text = to_markdown(_result(kb))
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "\x1b" not in text
    assert "a \\| b" in text
    # every table row of the alterations keeps its four columns
    rows = [ln for ln in text.splitlines() if ln.startswith("| ") and "G1202R" not in ln]
    assert rows and all(len(re.findall(r"(?<!\\)\|", ln)) == 5 for ln in rows), rows
