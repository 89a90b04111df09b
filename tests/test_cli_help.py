"""Every command documents itself, and the README mentions every top-level command."""

from __future__ import annotations

from pathlib import Path

import typer
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

    with pytest.raises(typer.Exit) as info:
        _need("fhir", "no_such_package_xyz.resources")
    assert info.value.exit_code == 2
    assert "pip install 'alknav[fhir]'" in capsys.readouterr().err
