"""`alknav recommend` runs without typer when its arguments are plain (alknav.entry.main). The
fast parser must give run_recommend exactly what the typer app gives it, or step aside (None)."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from alknav import cli, cli_core
from alknav.cli_core import parse_recommend

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "alknav" / "examples" / "demo_case.yaml"
FOLDER = str(ROOT / "tests")  # an existing folder: valid for --kb's check, refused as -o
TOKENS = ["a.yaml", "b.json", "--format", "json", "--format=markdown", "--lang", "zh", "--lang=en", "--region",
          "CN", "--kb", FOLDER, "nofolder", "-o", "out.txt", "--output", "--output=x.md", "--top", "3", "0",
          "-1", "x", "2.5", "--all", "--no-all", "--jobs", "2", "--help", "--", "-", "-oout", "--top=1", "--kb=",
          "--region=JP", "--unknown"]


def _typer_call(argv: list[str]) -> tuple[int, dict[str, Any] | None]:
    """What the typer app passes to run_recommend for these arguments (None when it does not call it)."""
    seen: dict[str, Any] = {}
    names = list(inspect.signature(cli_core.run_recommend).parameters)

    def capture(*args: Any) -> None:
        seen.update(zip(names, args, strict=True))

    with mock.patch.object(cli, "run_recommend", capture):
        result = CliRunner().invoke(cli.app, ["recommend", *argv])
    return result.exit_code, (seen or None)


def _as_call(parsed: dict[str, Any]) -> dict[str, Any]:
    defaults = {k: p.default for k, p in inspect.signature(cli_core.run_recommend).parameters.items()
                if p.default is not inspect.Parameter.empty}
    return {**defaults, **parsed}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=7))
def test_fast_parser_gives_what_typer_gives(argv: list[str]) -> None:
    parsed = parse_recommend(argv)
    if parsed is None:
        return  # typer parses these itself, errors included
    code, called = _typer_call(argv)
    assert code == 0 and called is not None, f"typer refused {argv} that the fast parser took"
    assert called == _as_call(parsed), argv


def test_fast_parser_takes_the_usual_commands() -> None:
    assert _as_call(parse_recommend(["c.yaml", "--format", "json", "-o", "r.json", "--top", "3"]) or {}) == _typer_call(
        ["c.yaml", "--format", "json", "-o", "r.json", "--top", "3"])[1]
    assert parse_recommend(["c.yaml", "--lang=zh", "--region", "CN", "--all", "d/"]) == {
        "cases": [Path("c.yaml"), Path("d/")], "lang": "zh", "region": "CN", "every": True}


def test_fast_parser_leaves_the_rest_to_typer() -> None:
    refused = (["--help"], [], ["c.yaml", "--top", "0"], ["c.yaml", "--top"], ["c.yaml", "--lang", "en", "--lang", "x"],
               ["c.yaml", "--kb", "no/such/folder"], ["c.yaml", "-o", FOLDER], ["c.yaml", "--", "-x.yaml"],
               ["c.yaml", "--jobs", "two"], ["c.yaml", "--no-all"], ["c.yaml", "-oout"], ["c.yaml", "--top", "٣"],
               ["c.yaml", "--kb="])
    for argv in refused:
        assert parse_recommend(argv) is None, argv


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    code = ("import sys; from alknav.entry import main\nsys.argv = ['alknav', *sys.argv[1:]]\n"
            "try:\n    main()\nfinally:\n    import os\n"
            "    print('typer loaded' if 'typer' in sys.modules else 'typer not loaded', "
            "os.environ.get('PYDANTIC_DISABLE_PLUGINS'), file=sys.stderr)\n")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_recommend_runs_without_typer_and_without_pydantic_plugins() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    done = subprocess.run([sys.executable, "-c", "import sys; from alknav.entry import main\n"
                           "sys.argv = ['alknav', 'recommend', sys.argv[1], '--format', 'json']\nmain()\n"
                           "import os; print('typer' in sys.modules, os.environ['PYDANTIC_DISABLE_PLUGINS'], "
                           "file=sys.stderr)", str(DEMO)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert '"rank": 1' in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "False __all__"


def test_plain_recommend_and_typer_print_the_same(tmp_path: Path) -> None:
    fast = _run("recommend", str(DEMO), "--format", "json", "--top", "2")
    assert fast.returncode == 0 and "typer not loaded" in fast.stderr
    slow = subprocess.run([sys.executable, "-c", "from alknav.cli import main; main()", "recommend", str(DEMO),
                           "--format", "json", "--top", "2"], capture_output=True, text=True, timeout=120)
    assert slow.returncode == 0 and fast.stdout == slow.stdout


def test_errors_and_help_still_reach_typer() -> None:
    bad = _run("recommend", str(DEMO), "--top", "0")
    assert bad.returncode == 2 and "typer loaded" in bad.stderr and "--top" in bad.stderr
    wrong = _run("recommend", str(DEMO), "--format", "xml")  # the fast path's own check: one line, exit 2
    assert wrong.returncode == 2 and "--format must be one of" in wrong.stderr
    missing = _run("recommend", "no_such_case.yaml")
    assert missing.returncode == 2 and "no_such_case.yaml" in missing.stderr and "Traceback" not in missing.stderr
    helped = _run("recommend", "--help")
    assert helped.returncode == 0 and "--format" in helped.stdout


def test_a_user_setting_of_pydantic_plugins_is_kept() -> None:
    done = _run("recommend", str(DEMO), "--format", "json", env={"PYDANTIC_DISABLE_PLUGINS": ""})
    assert done.returncode == 0 and done.stderr.strip().endswith("typer not loaded")


def test_pydantic_plugin_scan_is_skipped_only_while_plugins_are_off() -> None:
    """The stand-in for pydantic's plugin loader keeps importlib.metadata out of a run with plugins
    off, and hands over to pydantic's own loader when a user turns them on."""
    code = ("import sys; from alknav.entry import main\nsys.argv = ['alknav', 'recommend', sys.argv[1], '--format', "
            "'json']\nmain()\nprint('importlib.metadata' in sys.modules, type(sys.modules['pydantic.plugin._loader'])"
            ".__name__, file=sys.stderr)")
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    off = subprocess.run([sys.executable, "-c", code, str(DEMO)], capture_output=True, text=True, timeout=120, env=env)
    assert off.returncode == 0 and off.stderr.strip().splitlines()[-1] == "False _NoPluginScan", off.stderr
    on = subprocess.run([sys.executable, "-c", code, str(DEMO)], capture_output=True, text=True, timeout=120,
                        env={**env, "PYDANTIC_DISABLE_PLUGINS": ""})
    assert on.returncode == 0 and on.stderr.strip().splitlines()[-1] == "True module", on.stderr
    assert on.stdout == off.stdout


def test_plugin_loader_stand_in_hands_over(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from alknav.entry import _LOADER, _NoPluginScan

    real = importlib.import_module(_LOADER)
    stand_in = _NoPluginScan(_LOADER)
    monkeypatch.setitem(sys.modules, _LOADER, stand_in)
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")
    assert stand_in.get_plugins() == ()
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "some_plugin")
    assert list(stand_in.get_plugins()) == list(real.get_plugins())  # pydantic's own answer
    assert stand_in.PYDANTIC_ENTRY_POINT_GROUP == "pydantic"  # anything else: pydantic's module
