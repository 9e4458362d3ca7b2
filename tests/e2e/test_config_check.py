"""`bot config check` catches what would only fail later, each case through the real command;
`--online` fetches every feed once and checks every live account against the fake platforms."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.cli_helpers import bot
from tests.e2e.test_live_post import Live, live_platforms
from tests.e2e.test_run_health import items
from tests.fakes.feedserver import FeedServer

FEED = {"name": "site", "url": "https://example.org/feed"}


def check(tmp_path: Path, settings: dict[str, object], *extra: str,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "bot.yaml"
    cfg.write_text(yaml.safe_dump({"feeds": [FEED], **settings}), encoding="utf-8")
    res = bot("--config", str(cfg), "config", "check", *extra, cwd=tmp_path, env=env)
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    return res


def problems(res: subprocess.CompletedProcess[str]) -> list[str]:
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "configuration ok" not in res.stdout
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("config error: ")]
    return [ln.removeprefix("config error: ") for ln in lines]


def test_a_clean_configuration_passes(tmp_path: Path) -> None:
    res = check(tmp_path, {"accounts": [{"name": "x", "platform": "twitter"}]})
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("configuration ok: 1 accounts (live: none; dry run: x)")
    assert res.stderr == ""


def test_a_feed_file_that_is_not_there(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "here.xml").write_text("<rss version='2.0'><channel/></rss>")
    res = check(tmp_path, {"feeds": [{"name": "here", "url": "feeds/here.xml"},
                                     {"name": "gone", "url": "feeds/gone.xml"}]})
    assert problems(res) == [
        f"feeds.1.url: feed 'gone': no file at {tmp_path / 'feeds' / 'gone.xml'} (a relative "
        "path in the settings file counts from the file's folder)"]


def test_dry_run_false_without_credentials(tmp_path: Path) -> None:
    res = check(tmp_path, {"accounts": [
        {"name": "x", "platform": "twitter", "dry_run": False},
        {"name": "fb", "platform": "facebook", "dry_run": False, "page_id": "1"},
        {"name": "yt", "platform": "youtube", "dry_run": False},  # hand-off: needs none
        {"name": "off", "platform": "twitter", "dry_run": False, "enabled": False},
    ]})
    (x, fb) = problems(res)
    assert x.startswith("accounts.0 (x): `dry_run: false` but x account 'x': missing "
                        "credentials access_token, access_token_secret, consumer_key, "
                        "consumer_secret")
    assert "BOT_CREDENTIALS__X__<KEY>" in x and "bot auth twitter --account x" in x
    assert fb.startswith("accounts.1 (fb): `dry_run: false` but facebook account 'fb': "
                         "missing credentials page_token")


def test_some_credentials_make_an_account_live_and_the_rest_are_missing(tmp_path: Path) -> None:
    res = check(tmp_path, {"accounts": [{"name": "x", "platform": "twitter", "auth": "oauth1"}]},
                env={"BOT_CREDENTIALS__X__CONSUMER_KEY": "ck-123456",
                     "BOT_CREDENTIALS__X__CONSUMER_SECRET": "cs-123456"})
    (line,) = problems(res)
    assert line.startswith("accounts.0 (x): live, but x account 'x': missing credentials "
                           "access_token, access_token_secret")
    assert "ck-123456" not in res.stderr and "cs-123456" not in res.stderr


def test_invalid_boilerplate_expressions_are_all_named(tmp_path: Path) -> None:
    res = check(tmp_path, {"boilerplate": {"drop_lines": ["^ok$", "([unclosed"],
                                           "cut_from": ["*starts with a star"]}})
    got = problems(res)
    assert len(got) == 2
    assert got[0].startswith("boilerplate.drop_lines: invalid regular expression '([unclosed'")
    assert got[1].startswith("boilerplate.cut_from: invalid regular expression "
                             "'*starts with a star'")


def test_backoff_base_above_its_maximum(tmp_path: Path) -> None:
    res = check(tmp_path, {"scheduler": {"backoff_base_seconds": 600,
                                         "backoff_max_seconds": 60}})
    assert problems(res) == [
        "scheduler.backoff_base_seconds (600) is above scheduler.backoff_max_seconds (60): "
        "the first retry would wait longer than the longest"]


@pytest.mark.parametrize("lease", [15, 10])
def test_a_lease_not_above_the_http_timeout(tmp_path: Path, lease: int) -> None:
    res = check(tmp_path, {"scheduler": {"lease_seconds": lease},
                           "http": {"timeout_seconds": 15}})
    (line,) = problems(res)
    assert line.startswith(f"scheduler.lease_seconds ({lease}) must be above "
                           "http.timeout_seconds (15)")
    assert "sent twice" in line
    ok = check(tmp_path, {"scheduler": {"lease_seconds": 16}, "http": {"timeout_seconds": 15}})
    assert ok.returncode == 0, ok.stderr


def test_language_codes(tmp_path: Path) -> None:
    assert problems(check(tmp_path, {"summary": {"language": "xx"}})) == [
        "summary.language: 'xx' is not a language code (use an ISO 639-1 code such as en, "
        "de, tr)"]
    assert problems(check(tmp_path, {"summary": {"language": "english"}}))
    for known in ("de", "en-GB", "pt_BR"):
        res = check(tmp_path, {"summary": {"language": known}})
        assert res.returncode == 0, res.stderr
    # A real language without rules of its own for sentences: a warning, not a failure.
    tr = check(tmp_path, {"summary": {"language": "tr"}})
    assert tr.returncode == 0, tr.stderr
    assert tr.stderr == ("warning: summary.language: 'tr' has no abbreviation list in the "
                         "sentence splitter (pysbd); English abbreviations are used\n")


def test_every_problem_at_once(tmp_path: Path) -> None:
    res = check(tmp_path, {
        "accounts": [{"name": "x", "platform": "twitter", "dry_run": False}],
        "boilerplate": {"drop_lines": ["("]},
        "scheduler": {"backoff_base_seconds": 10, "backoff_max_seconds": 5,
                      "lease_seconds": 5},
        "summary": {"language": "zz"},
    })
    assert [p.split(" ")[0] for p in problems(res)] == [
        "accounts.0", "boilerplate.drop_lines:", "scheduler.backoff_base_seconds",
        "scheduler.lease_seconds", "summary.language:"]


# -- --online --------------------------------------------------------------------------------
@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Live, FeedServer]]:
    with live_platforms(tmp_path) as platforms, FeedServer() as srv:
        srv.add_feed("news", items(srv))
        platforms.settings["feeds"] = [{"name": "news", "url": srv.url("/news.xml")}]
        platforms.accounts.append({"name": "draft", "platform": "twitter",
                                   "api_base": platforms.x.url})  # no credentials: dry run
        yield platforms, srv


def test_online_fetches_each_feed_and_checks_each_live_account(
    live: tuple[Live, FeedServer],
) -> None:
    platforms, srv = live
    res = platforms.run("config", "check", "--online")
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    assert out[0].startswith("configuration ok: 5 accounts (live: x, fb, yt, ytc; "
                             "dry run: draft), 1 feed configured, none is the bundled sample")
    assert out[1].startswith("feed news: ok, 2 items")
    x = platforms.x.user
    assert f"account x: ok, posts as @{x['username']} ({x['id']})" in out
    assert f"account fb: ok, posts as {platforms.fb.page_name} ({platforms.fb.page_id})" in out
    assert not any(line.startswith("account draft") for line in out)  # dry run: not asked
    assert platforms.x.calls("GET", "/2/users/me")
    assert len(srv.requests("/news.xml")) == 1  # fetched once
    assert not (platforms.data / "bot.db").exists()  # and nothing stored

    # Without --online nothing leaves the machine.
    calls = len(platforms.x.calls("GET"))
    assert platforms.run("config", "check").returncode == 0
    assert len(platforms.x.calls("GET")) == calls and len(srv.requests("/news.xml")) == 1


def test_online_failures_name_the_feed_and_the_account(live: tuple[Live, FeedServer]) -> None:
    platforms, srv = live
    platforms.settings["feeds"].append({"name": "gone", "url": srv.url("/missing.xml")})
    platforms.creds["x"]["access_token"] = "1001-an-access-token-X-never-issued"
    res = platforms.run("config", "check", "--online")
    assert res.returncode == 1, res.stderr
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]
    assert errors[0].startswith("error: feed gone: ") and "404" in errors[0]
    assert errors[1].startswith("error: account x: ") and "HTTP 401" in errors[1]
    assert len(errors) == 2
    assert "feed news: ok" in res.stdout and "account fb: ok" in res.stdout
