"""Relative paths in a settings file are relative to the file's folder, not the current one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ConfigError


def _layout(tmp_path: Path) -> tuple[Path, Path]:
    """``site/conf/bot.yaml`` with relative paths, and an unrelated working directory."""
    conf = tmp_path / "site" / "conf"
    (conf / "tpl").mkdir(parents=True)
    (conf / "tpl" / "x-tr.j2").write_text("{{ title }} {{ link }}\n", encoding="utf-8")
    cfg = conf / "bot.yaml"
    cfg.write_text(
        "data_dir: data\n"
        "secrets_dir: ../secrets\n"
        "templates_dir: tpl\n"
        "accounts:\n"
        "  - {name: x, platform: twitter, template: tpl/x-tr.j2}\n"
        "  - {name: y, platform: twitter, template: /abs/elsewhere.j2, enabled: false}\n"
        "feeds: [{name: f, url: 'https://example.org/feed'}]\n",
        encoding="utf-8",
    )
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    return cfg, elsewhere


def test_relative_paths_in_the_file_follow_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, elsewhere = _layout(tmp_path)
    conf = cfg.parent
    monkeypatch.chdir(elsewhere)
    with pytest.raises(ConfigError) as info:  # the absolute template does not exist
        load_settings(Path("..") / "site" / "conf" / "bot.yaml")
    assert info.value.problems == ["accounts.1.template: file not found: /abs/elsewhere.j2"]
    cfg.write_text(cfg.read_text().replace("/abs/elsewhere.j2", str(conf / "tpl" / "x-tr.j2")))
    s = load_settings(Path("..") / "site" / "conf" / "bot.yaml")
    assert s.data_dir.resolve() == conf / "data"
    assert s.secrets_dir is not None and s.secrets_dir.resolve() == tmp_path / "site" / "secrets"
    assert s.templates_dir is not None and s.templates_dir.resolve() == conf / "tpl"
    assert s.accounts[0].template is not None
    assert s.accounts[0].template.resolve() == conf / "tpl" / "x-tr.j2"
    assert s.db_url == f"sqlite:///{conf / 'data' / 'bot.db'}"
    # The same file read from its own folder gives the same paths.
    monkeypatch.chdir(conf)
    again = load_settings("bot.yaml")
    assert again.data_dir.resolve() == s.data_dir.resolve()
    assert again.templates_dir is not None and again.templates_dir.resolve() == conf / "tpl"


def test_environment_and_defaults_stay_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, elsewhere = _layout(tmp_path)
    monkeypatch.chdir(elsewhere)
    cfg.write_text("feeds: [{name: f, url: 'https://example.org/feed'}]\n")
    assert load_settings(cfg).data_dir == Path("data")  # the default: ./data
    monkeypatch.setenv("BOT_DATA_DIR", "state")
    monkeypatch.setenv("BOT_TEMPLATES_DIR", "tpl")
    (elsewhere / "tpl").mkdir()
    cfg.write_text("data_dir: data\ntemplates_dir: nowhere\n"
                   "feeds: [{name: f, url: 'https://example.org/feed'}]\n")
    s = load_settings(cfg)  # the environment wins, and means the working directory
    assert s.data_dir == Path("state") and s.templates_dir == Path("tpl")


def test_a_ledger_left_at_the_old_place_is_not_silently_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, ``data_dir: data`` in ``config/bot.yaml`` meant ``./data``; a ledger there must
    not be swapped for a new, empty one in ``config/data`` without a word."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    cfg = tmp_path / "config" / "bot.yaml"
    cfg.write_text("data_dir: data\nfeeds: [{name: f, url: 'https://example.org/feed'}]\n")
    assert load_settings(cfg).data_dir == tmp_path / "config" / "data"  # nothing stored yet
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "bot.db").write_bytes(b"")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    (line,) = info.value.problems
    assert f"the ledger is in {tmp_path / 'data'}" in line
    assert f"means {tmp_path / 'config' / 'data'}" in line
    cfg.write_text("data_dir: ../data\nfeeds: [{name: f, url: 'https://example.org/feed'}]\n")
    assert load_settings(cfg).data_dir.resolve() == tmp_path / "data"


def test_the_example_settings_keep_the_ledger_in_the_working_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = Path(__file__).resolve().parents[3]
    monkeypatch.chdir(root)
    s = load_settings(root / "config" / "bot.example.yaml")
    assert s.data_dir.resolve() == root / "data"  # as README's `make run` without a file


def test_a_feed_read_from_a_file_follows_the_file_and_addresses_stay_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "site" / "conf"
    (conf / "feeds").mkdir(parents=True)
    cfg = conf / "bot.yaml"
    cfg.write_text(
        "feeds:\n"
        "  - {name: local, url: feeds/news.xml}\n"
        "  - {name: abs, url: /srv/feeds/other.xml}\n"
        "  - {name: web, url: 'https://example.org/feed'}\n"
        "  - {name: uri, url: 'file:///srv/feeds/third.xml'}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    urls = [f.url for f in load_settings(cfg).feeds]
    assert urls == [str(conf / "feeds" / "news.xml"), "/srv/feeds/other.xml",
                    "https://example.org/feed", "file:///srv/feeds/third.xml"]
