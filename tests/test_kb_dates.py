"""Every fact carries the day it was last checked; `alknav kb info` shows the release date and which
facts are older than a chosen age; the validator refuses undated, future-dated or misnamed dates."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from alknav.cli import app
from alknav.errors import AlknavError
from alknav.kb.dates import fact_dates, older_than, parse_age
from alknav.kb.loader import load_kb, validate_kb


def _errors(root: Path) -> list[str]:
    return [str(i) for i in validate_kb(root) if i.severity == "error"]


def _manifest(root: Path) -> dict:
    return yaml.safe_load((root / "manifest.yaml").read_text(encoding="utf-8"))


def _write_manifest(root: Path, data: dict) -> None:
    (root / "manifest.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_every_packaged_fact_has_a_date_not_after_the_release() -> None:
    kb = load_kb()
    facts = fact_dates(kb)
    release = date.fromisoformat(kb.manifest.date)
    assert facts and all(f.checked is not None and f.checked <= release for f in facts)
    # the per-file defaults cover every file that holds a checked block
    assert {f.file for f in facts if not f.explicit} <= set(kb.manifest.checked_on)


def test_facts_checked_in_this_release_carry_their_own_date() -> None:
    """The facts re-read for v2 (e.g. the lorlatinib lactation item) say so one by one."""
    kb = load_kb()
    explicit = [f for f in fact_dates(kb) if f.explicit]
    assert explicit, "no fact carries its own checked.date"
    assert any(f.label == "lorlatinib_breastfeeding" for f in explicit)


def test_missing_file_default_is_an_error(kb_copy: Path) -> None:
    data = _manifest(kb_copy)
    del data["checked_on"]["fusions.yaml"]
    _write_manifest(kb_copy, data)
    errors = _errors(kb_copy)
    assert any(e.startswith("fusions.yaml:") and "fact has no date" in e for e in errors), errors[:3]


def test_future_fact_date_is_an_error(kb_copy: Path) -> None:
    path = kb_copy / "genes.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["genes"][0]["checked"]["date"] = "2099-01-01"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    errors = _errors(kb_copy)
    assert any(e.startswith("genes.yaml:") and "genes[0].checked.date" in e and "after the knowledge release" in e
               for e in errors), errors[:3]


def test_checked_on_naming_no_file_or_after_release_is_an_error(kb_copy: Path) -> None:
    data = _manifest(kb_copy)
    data["checked_on"]["nowhere.yaml"] = "2026-01-01"
    data["checked_on"]["genes.yaml"] = "2099-01-01"
    _write_manifest(kb_copy, data)
    errors = _errors(kb_copy)
    assert any("checked_on.nowhere.yaml" in e and "not a knowledge file" in e for e in errors), errors[:3]
    assert any("checked_on.genes.yaml" in e and "after the knowledge release" in e for e in errors), errors[:3]


def test_impossible_calendar_date_is_an_error(kb_copy: Path) -> None:
    data = _manifest(kb_copy)
    data["checked_on"]["genes.yaml"] = "2026-02-30"
    _write_manifest(kb_copy, data)
    assert any("checked_on.genes.yaml" in e and "not a calendar date" in e for e in _errors(kb_copy))


def test_older_than_uses_explicit_date_over_file_default(kb_copy: Path) -> None:
    path = kb_copy / "genes.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["genes"][0]["checked"]["date"] = "2020-05-01"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    kb = load_kb(kb_copy)
    release = date.fromisoformat(kb.manifest.date)
    stale = older_than(kb, 365, release)
    assert [(f.file, f.label, f.checked) for f in stale] == [("genes.yaml", data["genes"][0]["id"], date(2020, 5, 1))]
    # a day after the oldest file default, that file's facts become older than 0 days
    oldest = min(f.checked for f in fact_dates(kb) if f.checked is not None and f.checked.year > 2020)
    assert older_than(kb, 0, oldest) == stale


@pytest.mark.parametrize(("text", "days"), [("365d", 365), ("52w", 364), ("12m", 360), ("1y", 365), ("30", 30)])
def test_parse_age(text: str, days: int) -> None:
    assert parse_age(text) == days


def test_parse_age_rejects_words() -> None:
    with pytest.raises(AlknavError):
        parse_age("a year")


def test_cli_info_shows_release_date_and_stale_facts(kb_copy: Path) -> None:
    runner = CliRunner()
    release = _manifest(kb_copy)["date"]
    out = runner.invoke(app, ["kb", "info", "--kb", str(kb_copy)])
    assert out.exit_code == 0, out.output
    assert f"released {release}" in out.output
    fresh = runner.invoke(app, ["kb", "info", "--kb", str(kb_copy), "--older-than", "365d", "--as-of", release,
                                "--json"])
    info = json.loads(fresh.output)
    assert info["release_date"] == release and info["older"] == [] and info["older_than_days"] == 365
    later = runner.invoke(app, ["kb", "info", "--kb", str(kb_copy), "--older-than", "1y", "--as-of", "2030-01-01",
                                "--json"])
    stale = json.loads(later.output)
    assert len(stale["older"]) == stale["fact_dates"]["facts"] > 0
    bad = runner.invoke(app, ["kb", "info", "--older-than", "soon"])
    assert bad.exit_code == 2
