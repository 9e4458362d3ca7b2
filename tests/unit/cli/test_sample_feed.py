"""The bundled sample feed is a demo: only with no configuration at all, never live."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SAMPLE_FEED, load_settings
from bot.demo import is_sample_feed_url, is_sample_link, sample_links
from bot.errors import ConfigError

X_KEYS = ("CONSUMER_KEY", "CONSUMER_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")


def live_x(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in X_KEYS:
        monkeypatch.setenv(f"BOT_CREDENTIALS__X__{key}", f"value-of-{key.lower()}")


def write(p: Path, text: str) -> Path:
    p.write_text(text, encoding="utf-8")
    return p


def test_no_configuration_at_all_is_the_dry_run_demo() -> None:
    s = load_settings()
    assert [f.name for f in s.feeds] == ["sample"] and is_sample_feed_url(s.feeds[0].url)
    assert all(s.is_dry_run(a) for a in s.accounts)


def test_a_live_account_without_feeds_is_a_config_error_naming_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live_x(monkeypatch)  # credentials for the embedded account x, no config file
    with pytest.raises(ConfigError) as info:
        load_settings()
    (line,) = info.value.problems
    assert line.startswith("feeds: none configured while x is live")
    assert "`feeds:`" in line and "`feeds: []`" in line and "sample feed is a demo" in line


def test_a_config_file_with_a_live_account_and_no_feeds_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_x(monkeypatch)
    cfg = write(tmp_path / "bot.yaml", "accounts: [{name: x, platform: twitter}]\n")
    with pytest.raises(ConfigError, match="invalid configuration"):
        load_settings(cfg)
    # `feeds: []` says it on purpose: posting by hand only
    cfg = write(tmp_path / "bot.yaml", "accounts: [{name: x, platform: twitter}]\nfeeds: []\n")
    assert load_settings(cfg).feeds == []


def test_a_config_file_without_feeds_never_gets_the_sample(tmp_path: Path) -> None:
    cfg = write(tmp_path / "bot.yaml", "site_name: Mine\n")  # every account in dry run
    assert load_settings(cfg).feeds == []
    assert load_settings(accounts=[{"name": "x", "platform": "twitter"}]).feeds == []


@pytest.mark.parametrize(("route", "refused"), [("", True), ("accounts: [x]", True),
                                                 ("accounts: [fb]", False)])
def test_the_sample_file_configured_for_a_live_account_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, route: str, refused: bool
) -> None:
    live_x(monkeypatch)
    cfg = write(tmp_path / "bot.yaml", (
        "accounts: [{name: x, platform: twitter}, {name: fb, platform: facebook}]\n"
        f"feeds: [{{name: demo, url: '{SAMPLE_FEED}', {route}}}]\n").replace(", }", "}"))
    if not refused:  # routed to a dry-run account only: a demo it may stay
        assert load_settings(cfg).feeds[0].name == "demo"
        return
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert info.value.problems == [
        "feeds.0.url: the bundled sample feed is a demo and cannot feed a live account; "
        "use your own feed's URL"]


def test_sample_links_are_the_bundled_articles_with_or_without_tracking() -> None:
    assert len(sample_links()) == 4
    assert is_sample_link("https://example.org/analysis/central-bank-holds-rates")
    assert is_sample_link("https://www.example.org/analysis/central-bank-holds-rates/"
                          "?utm_source=twitter&utm_medium=social#top")
    assert not is_sample_link("https://example.org/analysis/another-story")
    assert not is_sample_link("https://example.org/")  # the channel's own link is no article
    assert not is_sample_link(None)
    # the bundled sample article (bot preview's example) is one of them
    md = (SAMPLE_FEED.parent / "sample-article.md").read_text(encoding="utf-8")
    url = next(line.split(":", 1)[1].strip() for line in md.splitlines()
               if line.startswith("url:"))
    assert is_sample_link(url)
