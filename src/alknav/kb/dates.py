"""When each fact was last checked, and which facts are older than a chosen age.

Every `checked:` block has a date: its own `checked.date`, or else the date that manifest.yaml
`checked_on` gives for its file. A date may not be invalid, in the future of the release, or missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from alknav.errors import AlknavError, Issue
from alknav.kb.files import Loc, format_loc, item_label, walk

if TYPE_CHECKING:
    from alknav.kb.knowledge_base import KnowledgeBase, RawFile

_AGE = re.compile(r"^\s*(\d+)\s*([dwmy]?)\s*$", re.IGNORECASE)
_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365, "": 1}


@dataclass(frozen=True)
class FactDate:
    file: str
    field: str  # location of the fact in its file, e.g. drugs[3].approvals[0]
    label: str  # the id (or drug, ref, ...) of the nearest enclosing item
    checked: date | None
    explicit: bool  # from checked.date rather than the file default

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "field": self.field, "id": self.label,
                "checked": self.checked.isoformat() if self.checked else None, "explicit": self.explicit}


def parse_age(text: str) -> int:
    """'365d', '52w', '12m', '1y' or a bare number of days -> days."""
    m = _AGE.match(text)
    if m is None:
        raise AlknavError(f"age '{text}' is not a number of days, weeks, months or years (e.g. 365d, 12m, 1y)")
    return int(m[1]) * _DAYS[m[2].lower()]


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


def _label(data: Any, loc: Loc) -> str:
    return item_label(data, loc, ("id", "drug", "interaction_class", "toxicity", "ref"))


def fact_dates(kb: KnowledgeBase) -> list[FactDate]:
    """Every checked block in the knowledge base with the date that applies to it."""
    cached = kb.derived.get("fact_dates")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    out: list[FactDate] = []
    defaults = kb.manifest.checked_on
    for files in kb.raw.values():
        for raw in files:
            if raw.data is None:
                continue
            default = _day(defaults[raw.display]) if raw.display in defaults else None
            for loc, key, value in walk(raw.data):
                if key != "checked" or not isinstance(value, dict):
                    continue
                own = value.get("date")
                day = _day(own) if own is not None else default
                out.append(FactDate(raw.display, format_loc(loc), _label(raw.data, loc), day, own is not None))
    kb.derived["fact_dates"] = out
    return out


def check_dates(kb: KnowledgeBase, issues: list[Issue]) -> None:
    """Every fact has a date no later than the knowledge release date; checked_on names real files."""
    release = _day(kb.manifest.date)
    displays = {raw.display for files in kb.raw.values() for raw in files}
    for name, text in kb.manifest.checked_on.items():
        day = _day(text)
        if name not in displays:
            issues.append(Issue("manifest.yaml", None, f"checked_on.{name}", f"'{name}' is not a knowledge file"))
        elif day is None:
            issues.append(Issue("manifest.yaml", None, f"checked_on.{name}", f"'{text}' is not a calendar date"))
        elif release is not None and day > release:
            issues.append(Issue("manifest.yaml", None, f"checked_on.{name}",
                                f"checked {text}, after the knowledge release date {kb.manifest.date}"))
    raws: dict[str, RawFile] = {raw.display: raw for files in kb.raw.values() for raw in files}
    for fact in fact_dates(kb):
        raw = raws[fact.file]
        where = _loc_of(fact.field)
        if fact.checked is None:
            why = ("checked.date is not a calendar date" if fact.explicit else
                   f"fact has no date: give checked.date, or a checked_on entry for '{fact.file}' in manifest.yaml")
            issues.append(raw.issue((*where, "checked"), why))
        elif fact.explicit and release is not None and fact.checked > release:
            issues.append(raw.issue((*where, "checked", "date"),
                                    f"checked {fact.checked.isoformat()}, after the knowledge release date "
                                    f"{kb.manifest.date}: raise manifest.yaml date"))


def _loc_of(field: str) -> Loc:
    """Inverse of format_loc for the simple keys knowledge files use."""
    loc: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", field):
        loc.append(int(part[1:-1]) if part.startswith("[") else part)
    return tuple(loc)


def older_than(kb: KnowledgeBase, days: int, today: date | None = None) -> list[FactDate]:
    """Facts last checked more than `days` days before `today` (default: the system date)."""
    cutoff = (today or date.today()) - timedelta(days=days)
    return [f for f in fact_dates(kb) if f.checked is not None and f.checked < cutoff]


def date_summary(kb: KnowledgeBase) -> dict[str, Any]:
    facts = fact_dates(kb)
    days = sorted(f.checked for f in facts if f.checked is not None)
    by_day: dict[str, int] = {}
    for d in days:
        by_day[d.isoformat()] = by_day.get(d.isoformat(), 0) + 1
    return {"facts": len(facts), "explicit_dates": sum(f.explicit for f in facts),
            "oldest": days[0].isoformat() if days else None, "newest": days[-1].isoformat() if days else None,
            "by_date": by_day}
