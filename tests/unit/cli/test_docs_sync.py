"""The README says what the code does: every setting with its real default, every option
next to its command, the exit codes the CLI can return, the platforms' rules.

Everything is read from the code (the settings models, the Typer app, the error tree and
the ``bot.cli`` sources), so a new setting, option or exit code fails here until the
README documents it, and a README row for something that is gone fails too.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import typing
from pathlib import Path
from typing import Any

import pytest
import typer.main
from pydantic import BaseModel

from bot.config import Account, Credentials, Feed, Settings
from bot.errors import BotError

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = (ROOT / "config" / "bot.example.yaml").read_text(encoding="utf-8")
SPAN = re.compile(r"`([^`]*)`")


# -- reading the README ------------------------------------------------------------------
def section(heading: str) -> str:
    """The README's text under ``heading`` (a whole line), up to the next heading."""
    found = re.search(rf"^{re.escape(heading)}\n(.*?)(?=^#)", README + "\n#", re.M | re.S)
    assert found, f"README lacks the section {heading!r}"
    return found.group(1)


def table(text: str, header: str) -> list[list[str]]:
    """The rows (cells, ``\\|`` kept as ``|``) of the table in ``text`` under ``header``."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(header)]
    assert starts, f"no table with header {header!r}"
    rows = []
    for line in lines[starts[0] + 2:]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
        rows.append([c.strip().replace("\\|", "|") for c in cells])
    return rows


def spans(cell: str) -> list[str]:
    return SPAN.findall(cell)


# -- settings, keys and their defaults ---------------------------------------------------
def nested_models() -> dict[str, type[BaseModel]]:
    return {name: f.annotation for name, f in Settings.model_fields.items()
            if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)}


def setting_fields() -> dict[str, Any]:
    """Every setting path (``http.timeout_seconds``) with its pydantic field."""
    fields: dict[str, Any] = {}
    nested = nested_models()
    for name, field in Settings.model_fields.items():
        if name in nested:
            fields |= {f"{name}.{sub}": f for sub, f in nested[name].model_fields.items()}
        else:
            fields[name] = field
    return fields


def shown(value: Any) -> str | None:
    """How a table shows a default value (None: not a scalar a table can show)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str, Path)):
        return str(value)
    if value == [] or value == {}:
        return "[]" if value == [] else "{}"
    return None


def default_problem(cell: str, field: Any, paths: set[str]) -> str | None:
    """Why ``cell`` misstates the default of ``field`` (None: it states it truly).

    ``—``: required, or no value. One code span: the value itself (``pubbot/0.1 …`` a
    prefix of it), or another setting / a ``<placeholder>`` the value is computed from.
    Prose (``bundled``, ``none``, ``all enabled``…): a value the code computes or leaves
    empty; code spans in prose name the items of a default list (the default accounts).
    """
    if field.is_required():
        return None if cell == "—" else f"{cell!r} for a required key (write —)"
    value = field.get_default(call_default_factory=True)
    if cell == "—":
        return None if value is None else f"— but the default is {value!r}"
    found = spans(cell)
    if len(found) == 1 and cell == f"`{found[0]}`":
        text = found[0]
        if text in paths or "<" in text:
            return None if value is None else f"{text} but the default is {value!r}"
        if text.endswith(" …"):
            ok = (shown(value) or "").startswith(text[:-2])
        else:
            ok = shown(value) == text
        return None if ok else f"{text} but the default is {shown(value) or value!r}"
    if isinstance(value, list) and value and all(hasattr(v, "name") for v in value):
        names = [v.name for v in value]
        return None if not found or found == names else f"{found} but the defaults are {names}"
    if value is None or value in ([], {}):
        return None
    return f"{cell!r} but the default is {shown(value) or value!r}"


def choices(annotation: Any) -> list[str]:
    """The allowed values of a ``Literal`` setting (also inside ``X | None``)."""
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return [c for arg in typing.get_args(annotation) for c in choices(arg)]


def check_rows(rows: list[list[str]], fields: dict[str, Any], what: str) -> None:
    """Each field has one row, each row names real fields, with the real default and every
    allowed value of a choice."""
    documented: list[str] = []
    problems = []
    for row in rows:
        names = spans(row[0])
        assert names, f"{what} row without a `name`: {row}"
        for name in names:
            documented.append(name)
            if name not in fields:
                problems.append(f"{name}: no such {what}")
                continue
            problem = default_problem(row[1], fields[name], set(fields) | set(setting_fields()))
            if problem:
                problems.append(f"{name}: default {problem}")
            text = " ".join(row)
            problems += [f"{name}: {c!r} not mentioned" for c in choices(fields[name].annotation)
                         if not re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text)]
    missing = [n for n in fields if n not in documented]
    twice = sorted({n for n in documented if documented.count(n) > 1})
    assert not missing, f"README has no row for the {what}s {missing}"
    assert not twice, f"README has several rows for the {what}s {twice}"
    assert not problems, "\n".join(problems)


def test_the_settings_table_has_every_setting_with_its_default() -> None:
    rows = table(section("## Configuration"), "| setting | default | meaning |")
    check_rows(rows, setting_fields(), "setting")


def test_the_feeds_table_has_every_feed_key_with_its_default() -> None:
    rows = table(section("### Feeds"), "| key | default | meaning |")
    check_rows(rows, dict(Feed.model_fields), "feed key")


def test_the_accounts_table_has_every_account_key_with_its_default() -> None:
    rows = table(section("### Accounts"), "| key | default | meaning |")
    check_rows(rows, dict(Account.model_fields), "account key")


def test_the_credentials_table_names_every_credential_key() -> None:
    rows = table(section("## Configuration"), "| platform | keys |")
    named = {s for row in rows for s in spans(row[1])}
    assert set(Credentials.model_fields) <= named, set(Credentials.model_fields) - named


def test_example_config_mentions_every_top_level_setting() -> None:
    for name in Settings.model_fields:
        if name == "credentials":
            continue  # secrets never go in the YAML file
        assert re.search(rf"^#? ?{name}:", EXAMPLE, re.M), f"config/bot.example.yaml lacks {name}"


# -- commands and their options ----------------------------------------------------------
def commands() -> dict[str, Any]:
    """Every command of the CLI by its words (``accounts check``), as Click sees it."""
    from bot.cli import _register, app

    _register()
    found: dict[str, Any] = {}

    def walk(cmd: Any, words: list[str]) -> None:
        if hasattr(cmd, "commands"):
            if words and getattr(cmd, "invoke_without_command", False):  # `bot web` itself
                found[" ".join(words)] = cmd
            for name, sub in cmd.commands.items():
                walk(sub, [*words, name])
        elif not getattr(cmd, "hidden", False):
            found[" ".join(words)] = cmd

    walk(typer.main.get_command(app), [])
    return found


def usages() -> list[list[str]]:
    """The usages in the first column of the commands table, each split into its words
    and its ``[…]`` groups: ``bot retry ID`` → ``["retry", "ID"]``."""
    found = []
    for row in table(section("## Commands"), "| command | what it does |"):
        for usage in spans(row[0]):
            assert usage.startswith("bot "), f"not a usage: {usage!r}"
            found.append(re.findall(r"\[[^\]]*\]|\S+", usage)[1:])
    return found


def documents(usage: list[str], words: str) -> bool:
    """Whether ``usage`` is one of command ``words`` (``auth twitter|facebook`` is two)."""
    wanted = words.split()
    return len(usage) >= len(wanted) and all(
        w in usage[i].split("|") for i, w in enumerate(wanted))


def positionals(usage: list[str], cmd: Any, skip: int) -> int:
    """How many arguments a usage shows: words after the command that are neither an
    option nor an option's value (``ID``, ``[URL]``; not ``[--limit N]``)."""
    takes_value = {o for p in cmd.params if not getattr(p, "is_flag", True) for o in p.opts}
    count, after_option = 0, None
    for token in usage[skip:]:
        if token.lstrip("[").startswith("-"):
            after_option = token if not token.startswith("[") else None
        elif after_option in takes_value:
            after_option = None
        else:
            count += 1
    return count


@pytest.mark.parametrize("words", sorted(commands()))
def test_every_option_and_argument_is_next_to_its_command(words: str) -> None:
    cmd = commands()[words]
    n = len(words.split())
    subcommands = getattr(cmd, "commands", {})  # a group that runs by itself: not `bot web passwd`
    shown_as = [u for u in usages()
                if documents(u, words) and not (len(u) > n and u[n] in subcommands)]
    assert shown_as, f"README's commands table lacks `bot {words}`"
    text = " ".join(" ".join(u) for u in shown_as)
    for param in cmd.params:
        if param.param_type_name != "option" or getattr(param, "hidden", False):
            continue
        longest = max(param.opts, key=len)
        assert re.search(rf"{re.escape(longest)}(?![\w-])", text), \
            f"README does not show {longest} next to `bot {words}`"
    arguments = sum(1 for p in cmd.params if p.param_type_name == "argument")
    assert max(positionals(u, cmd, len(words.split())) for u in shown_as) == arguments, \
        f"README shows `bot {words}` with other arguments than its {arguments}"


def test_every_usage_in_the_commands_table_is_a_real_command() -> None:
    known = commands()
    for usage in usages():
        assert any(documents(usage, words) for words in known), f"no command `bot {usage}`"


def test_every_global_option_is_listed() -> None:
    from bot.cli import app

    line = next(ln for ln in README.splitlines() if ln.startswith("Global options:"))
    for param in typer.main.get_command(app).params:
        longest = max(param.opts, key=len)
        assert f"`{longest}" in line, f"README's global options lack {longest}"


# -- exit codes --------------------------------------------------------------------------
def error_codes(cls: type[BotError] = BotError) -> set[int]:
    return {cls.exit_code} | {c for sub in cls.__subclasses__() for c in error_codes(sub)}


def cli_codes() -> set[int]:
    """Codes ``bot/cli`` returns itself: ``sys.exit(N)``, ``typer.Exit(N)``, ``fail(…, N)``
    (N a literal or a module constant); ``exc.exit_code`` is the error tree's."""
    import bot.cli

    fail_default = inspect.signature(bot.cli.fail).parameters["code"].default
    codes, unknown = {0}, []
    for path in sorted(Path(bot.cli.__file__).parent.glob("*.py")):
        module = importlib.import_module(
            "bot.cli" if path.stem == "__init__" else f"bot.cli.{path.stem}")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside_fail = {id(n) for f in ast.walk(tree)
                       if isinstance(f, ast.FunctionDef) and f.name == "fail" for n in ast.walk(f)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in inside_fail:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
                node.func, "id", "")
            if name not in ("exit", "Exit", "fail"):
                continue
            index = 1 if name == "fail" else 0
            arg = node.args[index] if len(node.args) > index else next(
                (k.value for k in node.keywords if k.arg == "code"), None)
            if arg is None:
                codes.add(fail_default if name == "fail" else 0)
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, int):
                codes.add(arg.value)
            elif isinstance(arg, ast.Name) and isinstance(getattr(module, arg.id, None), int):
                codes.add(getattr(module, arg.id))
            elif not (isinstance(arg, ast.Attribute) and arg.attr == "exit_code"):
                unknown.append(f"{path.name}:{node.lineno}")
    assert not unknown, f"exit codes this test cannot read (use a literal or a constant): {unknown}"
    return codes


def test_the_readme_lists_exactly_the_exit_codes_the_cli_returns() -> None:
    found = re.search(r"^Exit codes:(.*?)(?:\n\n)", README, re.M | re.S)
    assert found, "README lacks its 'Exit codes:' paragraph"
    listed = [int(c) for c in re.findall(r"`(\d+)`", found.group(1))]
    assert len(listed) == len(set(listed)), listed
    assert set(listed) == error_codes() | cli_codes()


# -- platforms ---------------------------------------------------------------------------
def test_the_readme_platform_table_is_what_the_adapters_declare() -> None:
    from itertools import takewhile

    from bot.adapters.registry import all_rules
    from bot.render.rules import DOC_HEADER

    header = "| " + " | ".join(DOC_HEADER) + " |"
    assert header in README, "README lacks the platform rules table"
    after = README[README.index(header):].splitlines()[2:]  # past the header and the |---|
    rows = list(takewhile(lambda line: line.startswith("|"), after))
    assert rows == ["| " + " | ".join(r.doc_row()) + " |" for r in all_rules().values()]
