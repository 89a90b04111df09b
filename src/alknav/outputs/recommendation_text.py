"""Human renderings of a Result: plain text (rich) for the terminal, Markdown for documents.

Case text reaches both (alteration inputs, the case id, names and messages that quote the case),
so every value is shown literally: in the terminal as rich ``Text`` (never parsed as markup) with
control characters escaped (no ANSI or OSC-8 escape can reach the terminal), in Markdown with HTML
and table pipes escaped."""

from __future__ import annotations

import html

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from alknav.outputs.i18n import t, term
from alknav.outputs.render import Option, level_words
from alknav.outputs.render import RenderedResult as Result
from alknav.recommend.result import Efficacy


def _clean(value: object) -> str:
    """Control characters (ESC, BEL, ...) escaped; line breaks kept, they are the layout's own."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else f"\\x{ord(ch):02x}" if ord(ch) < 256
                   else f"\\u{ord(ch):04x}" for ch in text)


def _lit(value: object, style: str = "") -> Text:
    """A table cell or title shown as written: rich markup in it is not interpreted."""
    return Text(_clean(value), style=style)


def _md(value: object) -> str:
    """A value inside Markdown: HTML escaped, pipes escaped (table cells), one line."""
    return html.escape(_clean(value).replace("\n", " "), quote=False).replace("|", "\\|")


_SEVERITY_STYLE = {"info": "cyan", "caution": "yellow", "warning": "bold yellow", "contraindication": "bold red"}


def efficacy_text(e: Efficacy, lang: str = "en") -> str:
    unit = {"months": " " + t(lang, "months"), "percent": "%"}.get(e.unit, "")
    value = f"{e.value:g}{unit}" if e.value is not None else (e.value_text or "")
    ci = ""
    if e.ci_low is not None or e.ci_high is not None:
        high = f"{e.ci_high:g}" if e.ci_high is not None else "NR"
        ci = f" (95% CI {e.ci_low:g}–{high})" if e.ci_low is not None else ""
    who = f", {e.assessor}" if e.assessor not in ("", "NR", "not_applicable") else ""
    return f"{e.endpoint} {value}{ci}{who} — {e.trial}"


_ADMIN_ORDER = ("dose", "dose_other_region", "dose_levels", "interaction", "population", "toxicity", "monitoring")


def admin_lines(o: Option, lang: str = "en") -> list[str]:
    """How to give an option safely, one line per label item (dose, reductions, interactions,
    populations, re-challenge, monitoring), in the order a prescriber needs them."""
    lines = []
    for kind in _ADMIN_ORDER:
        for item in o.administration:
            if item.kind != kind:
                continue
            text = item.text
            if kind == "monitoring" and item.detail:
                text = f"{item.text} — {item.detail}"
            elif kind == "dose_other_region":
                text = f"{item.text} ({item.detail})"
            lines.append(f"{t(lang, 'adm_' + kind)}: {text}")
    return lines


def result_view(res: Result, *, top: int = 6, trace: bool = False) -> RenderableType:
    lang = res.language
    parts: list[RenderableType] = []
    alts = Table(title=t(lang, "alterations"), expand=True)
    for col in ("col_input", "col_normalized", "col_kind", "col_recognized"):
        alts.add_column(t(lang, col), overflow="fold")
    for a in res.alterations:
        ok = Text(t(lang, "recognized"), style="green") if a["recognized"] else \
            _lit(f"{t(lang, 'not_recognized')}: {a.get('reason', '')}", style="bold red")
        alts.add_row(_lit(a["input"]), _lit(a.get("normalized") or "—"), _lit(term(lang, "kind", a["kind"])), ok)
    if res.alterations:
        parts.append(alts)
    opts = Table(title=t(lang, "options"), expand=True, show_lines=True)
    for col in ("rank", "option", "category", "evidence", "availability", "efficacy", "why"):
        opts.add_column(t(lang, col), overflow="fold")
    for o in res.options[:top]:
        eff = "\n".join(efficacy_text(e, lang) for e in o.expected_efficacy) or "—"
        words = level_words(o.evidence.level, o.evidence.level_label)
        level = f"{o.evidence.level} ({words})" if words else o.evidence.level
        opts.add_row(f"{o.rank}{'=' if o.tied else ''}", _lit(o.name, style="bold"),
                     _lit(term(lang, "cat", o.category)), _lit(level), _lit(_status(lang, o.availability.status)),
                     _lit(eff), _lit(o.rationale))
    parts.append(opts)
    admin = Table(title=t(lang, "how_to_give"), expand=True, show_lines=True)
    admin.add_column(t(lang, "option"))
    admin.add_column(t(lang, "how_to_give"), overflow="fold")
    for o in res.options[:3]:
        lines = admin_lines(o, lang)
        if lines:
            admin.add_row(_lit(f"{o.rank}. {o.name}", style="bold"), _lit("\n".join(lines)))
    if admin.row_count:
        parts.append(admin)
    if len(res.options) > top:
        parts.append(Text(f"… {len(res.options) - top} more options (--all or --top N shows them)", style="dim"))
    if res.warnings:
        w = Table(title=t(lang, "warnings"), expand=True)
        w.add_column(t(lang, "col_severity"))
        w.add_column(t(lang, "col_message"), overflow="fold")
        for x in res.warnings:
            w.add_row(_lit(term(lang, "sev", x.severity), style=_SEVERITY_STYLE.get(x.severity, "")), _lit(x.message))
        parts.append(w)
    if res.suggested_tests:
        tt = Table(title=t(lang, "tests"), expand=True)
        tt.add_column(t(lang, "col_test"))
        tt.add_column(t(lang, "why"), overflow="fold")
        for test in res.suggested_tests:
            tt.add_row(_lit(test.test), _lit(test.why))
        parts.append(tt)
    if trace:
        parts.append(trace_view(res))
    parts.append(Text(res.disclaimer, style="italic"))
    title = f"alknav — {t(lang, 'case')} {res.case_id or ''} · {res.region} · {t(lang, 'knowledge')} " \
            f"{res.knowledge_version}"
    return Panel(Group(*parts), title=_lit(title))


def trace_view(res: Result) -> RenderableType:
    lang = res.language
    tr = Table(title=t(lang, "trace"), expand=True)
    for col in ("rule", "target", "effect", "citations"):
        tr.add_column(col, overflow="fold")
    for step in res.trace:
        tr.add_row(_lit(step.rule), _lit(step.target), _lit(step.effect), _lit("; ".join(step.citations)))
    parts: list[RenderableType] = [tr]
    if res.excluded:
        ex = Table(title=t(lang, "excluded"), expand=True)
        ex.add_column("option")
        ex.add_column("reasons", overflow="fold")
        for x in res.excluded:
            ex.add_row(_lit(x.name), _lit("; ".join(x.reasons)))
        parts.append(ex)
    interp = Table(title=t(lang, "interpretation"), expand=True)
    interp.add_column("fact")
    interp.add_column("value", overflow="fold")
    for key, value in res.interpretation.items():
        interp.add_row(_lit(key), _lit(value))
    parts.append(interp)
    return Group(*parts)


def _status(lang: str, status: str) -> str:
    return t(lang, "unknown_status" if status == "unknown" else status)


def to_markdown(res: Result, *, top: int = 8) -> str:
    lang = res.language
    lines = [f"# alknav — {t(lang, 'case')} {_md(res.case_id or '')}".rstrip(), "",
             f"{t(lang, 'knowledge')} {res.knowledge_version} · {t(lang, 'region')} {res.region}", ""]
    if res.alterations:
        head = [t(lang, k) for k in ("col_input", "col_normalized", "col_kind", "col_recognized")]
        lines += [f"## {t(lang, 'alterations')}", "", "| " + " | ".join(head) + " |", "|---|---|---|---|"]
        for a in res.alterations:
            ok = t(lang, "yes") if a["recognized"] else f"**{t(lang, 'no')}** — {_md(a.get('reason', ''))}"
            lines.append(f"| {_md(a['input'])} | {_md(a.get('normalized') or '—')} | "
                         f"{_md(term(lang, 'kind', a['kind']))} | {ok} |")
        lines.append("")
    lines += [f"## {t(lang, 'options')}", ""]
    for o in res.options[:top]:
        level = t(lang, "evidence_level", level=o.evidence.level)
        where = t(lang, "in_region", status=_status(lang, o.availability.status),
                  region=t(lang, f"regname_{res.region}"))
        tie = f" ({t(lang, 'tie')})" if o.tied else ""
        words = level_words(o.evidence.level, o.evidence.level_label)
        lines.append(f"{o.rank}. **{_md(o.name)}**{tie} — {_md(term(lang, 'cat', o.category))}, {level}"
                     f"{f' ({_md(words)})' if words else ''}, {_md(where)}")
        lines.append(f"   - {_md(o.rationale)}")
        for e in o.expected_efficacy:
            lines.append(f"   - {_md(efficacy_text(e, lang))} ({_md(e.citation)})")
        adm = admin_lines(o, lang)
        if adm:
            lines.append(f"   - **{t(lang, 'how_to_give')}**")
            lines += [f"     - {_md(x)}" for x in adm]
        if o.evidence.citations:
            lines.append(f"   - {t(lang, 'sources')}: {_md(', '.join(o.evidence.citations))}")
    lines.append("")
    if res.warnings:
        lines += [f"## {t(lang, 'warnings')}", ""]
        lines += [f"- **{term(lang, 'sev', w.severity)}** (`{_md(w.code)}`): {_md(w.message)}" for w in res.warnings]
        lines.append("")
    if res.suggested_tests:
        lines += [f"## {t(lang, 'tests')}", ""]
        lines += [f"- **{_md(x.test)}** — {_md(x.why)}" for x in res.suggested_tests]
        lines.append("")
    lines += ["---", f"*{res.disclaimer}*", ""]
    return "\n".join(lines)
