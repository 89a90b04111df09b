"""Every command documents itself, and the README mentions every top-level command."""

from __future__ import annotations

from pathlib import Path

import typer
import typer.main
from typer.testing import CliRunner

from alknav.cli import app

runner = CliRunner()
README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [(*prefix, c.name or c.callback.__name__) for c in group.registered_commands]  # type: ignore[union-attr]
    for sub in group.registered_groups:
        out += _commands(sub.typer_instance, (*prefix, sub.name or ""))  # type: ignore[arg-type]
    return out


def test_every_command_has_help() -> None:
    commands = _commands(app)
    assert len(commands) >= 15
    for command in commands:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage" in result.output and len(result.output) > 200, command


def test_readme_names_every_command() -> None:
    for command in _commands(app):
        assert f"alknav {' '.join(command)}" in README or (command[0] == "kb" and "kb " + command[-1] in README), \
            f"README does not mention 'alknav {' '.join(command)}'"


def test_missing_extra_is_one_clear_line(capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from alknav.cli import _need

    with pytest.raises(SystemExit) as info:
        _need("fhir", "no_such_package_xyz.resources")
    assert info.value.code == 2
    assert "pip install 'alknav[fhir]'" in capsys.readouterr().err


def _all_params() -> list[tuple[str, object]]:
    root = typer.main.get_command(app)
    out: list[tuple[str, object]] = []

    def walk(command: object, path: str) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, f"{path} {name}")
            return
        out.extend((path, p) for p in command.params)  # type: ignore[attr-defined]

    walk(root, "alknav")
    return out


def test_every_option_is_described() -> None:
    undocumented = [(path, p.opts) for path, p in _all_params() if not getattr(p, "help", None)]  # type: ignore[attr-defined]
    assert not undocumented


def test_help_names_values_not_python_types() -> None:
    for command in _commands(app):
        output = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "120"}).output
        for noise in ("<bool>", "<list[", "<str>", "<int>", "<float>", "<Path>"):
            assert noise not in output, (command, noise)
    output = runner.invoke(app, ["cohort", "recommend", "--help"], env={"COLUMNS": "120"}).output
    assert "PATH..." in output and "DIR" in output  # repeated files, an output folder


def test_service_help_lists_the_environment() -> None:
    for command in (["serve"], ["keys"], ["keys", "create"]):
        output = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "120"}).output
        for name in ("ALKNAV_DATA_DIR", "ALKNAV_DATABASE_URL", "ALKNAV_SECRET_KEY", "ALKNAV_MAX_REQUEST_BYTES",
                     "ALKNAV_KB_DIR"):
            assert name in output, (command, name)
