"""The README documents every setting and every command the code has."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main
from pydantic import BaseModel

from bot.config import Account, Credentials, Feed, Settings

README = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
EXAMPLE = (Path(__file__).resolve().parents[3] / "config" / "bot.example.yaml").read_text(
    encoding="utf-8"
)

NESTED = ("summary", "boilerplate", "http", "health", "scheduler", "web")


def setting_paths() -> list[str]:
    paths = []
    for name in Settings.model_fields:
        if name in NESTED:
            sub = Settings.model_fields[name].annotation
            assert isinstance(sub, type) and issubclass(sub, BaseModel)
            paths += [f"{name}.{f}" for f in sub.model_fields]
        else:
            paths.append(name)
    return paths


@pytest.mark.parametrize("path", setting_paths())
def test_every_setting_is_in_the_readme(path: str) -> None:
    assert f"`{path}`" in README, f"README does not document setting {path}"


@pytest.mark.parametrize("field", list(Account.model_fields))
def test_every_account_key_is_in_the_readme(field: str) -> None:
    assert f"`{field}`" in README, f"README does not document accounts[].{field}"


@pytest.mark.parametrize("field", list(Feed.model_fields))
def test_every_feed_key_is_in_the_readme(field: str) -> None:
    assert f"`{field}`" in README, f"README does not document feeds[].{field}"


@pytest.mark.parametrize("field", list(Credentials.model_fields))
def test_every_credential_key_is_in_the_readme(field: str) -> None:
    assert f"`{field}`" in README, f"README does not document credential {field}"


def _commands() -> list[str]:
    from bot.cli import _register, app

    _register()
    group = typer.main.get_command(app)
    assert hasattr(group, "commands")
    names = []
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            names += [f"{name} {sub}" for sub in cmd.commands]
        else:
            names.append(name)
    return sorted(names)


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_in_the_readme(command: str) -> None:
    head, _, sub = command.partition(" ")
    assert f"bot {command}" in README or (sub and f"bot {head} " in README and sub in README), (
        f"README does not document `bot {command}`"
    )


def test_example_config_mentions_every_top_level_setting() -> None:
    for name in Settings.model_fields:
        if name == "credentials":
            continue  # secrets never go in the YAML file
        assert name in EXAMPLE, f"config/bot.example.yaml lacks {name}"


def test_the_readme_platform_table_is_what_the_adapters_declare() -> None:
    from itertools import takewhile

    from bot.adapters.registry import all_rules
    from bot.render.rules import DOC_HEADER

    header = "| " + " | ".join(DOC_HEADER) + " |"
    assert header in README, "README lacks the platform rules table"
    after = README[README.index(header):].splitlines()[2:]  # past the header and the |---|
    rows = list(takewhile(lambda line: line.startswith("|"), after))
    assert rows == ["| " + " | ".join(r.doc_row()) + " |" for r in all_rules().values()]
