"""Every command's --help names what to type in plain words: no Python types (`<bool>` beside a flag,
`<str>`) and no braces around arguments (`{path}`), as newer Typer releases draw them."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from bot.cli.main import app


def command_paths() -> list[list[str]]:
    paths: list[list[str]] = [[]]
    root = typer.main.get_command(app)

    def walk(command: object, path: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*path, name])
            walk(sub, [*path, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "wuye")
def test_help_names_what_to_type_in_plain_words(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert not re.search(r"<(bool|str|int|float|path)>|\{[a-z_]+\}", result.output, re.I), result.output
