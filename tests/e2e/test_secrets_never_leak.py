"""Secrets never leak: sentinel credentials through the bot's main paths, at DEBUG.

Every credential key of every platform gets a long random sentinel (see
``secrets_helpers``): an X account on OAuth 1.0a and one on OAuth 2.0 (with a refresh),
a Facebook Page, a Facebook Page whose API host is unreachable, a YouTube channel in
comment mode, and a YouTube hand-off account whose webhook URL has a secret path. Some
come in as ``BOT_CREDENTIALS__<ACCOUNT>__<KEY>`` variables, some as files in a secrets
directory. The fake platforms accept them, then fail on purpose (401, 403, 429, 500, an
unreachable host, a refused refresh, a failing webhook).

No 6-character piece of any sentinel (nor of the HTTP Basic / app-token strings built from
them) may appear in: log output at DEBUG (in-process and the CLI's stderr), command output
(``config show``, ``status``, ``feeds``, ``accounts check``, ``preview``, ``post``,
``youtube pending``, every ``--help``), error messages, ``/metrics`` and ``/readyz`` (of an
in-process HealthServer and of ``bot run``), and the ledger (every row; the error columns
must hold the forced errors, so the check is not vacuous). A database URL with a password
is checked the same way (against PostgreSQL when ``BOT_TEST_POSTGRES_URL`` is set).
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.cli_helpers import ROOT, bot, terminate
from tests.e2e.secrets_helpers import (
    DB_PASSWORD,
    SECRETS,
    WEBHOOK_PATH_SECRET,
    Seen,
    dump_sqlite,
    env_for,
    error_columns,
    leaks,
    write_secrets_dir,
)
from tests.fakes import FakeFacebook, FakeWebhook, FakeX, FakeYouTube
from tests.fakes.facebook import graph_error
from tests.fakes.feedserver import FeedServer, Item

PAGE_ID = "1234567890"
BODY = ("<p>The city council approved a plan on Monday to plant two thousand trees along the "
        "river, starting with the stretch between the two old bridges.</p>"
        "<p>The work begins in the autumn and should take three years, the council said, "
        "paid for by the parking fees of the new garage.</p>")
ARTICLE = ("---\ntitle: {title}\nurl: {url}\n---\n\n"
           "The regional library will open on Sundays from next month, after a vote by the "
           "board on Thursday evening.\n\nThe longer hours are paid for by a grant from the "
           "county, and the library will hire four new staff to cover them.\n")


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class World:
    fx: Any
    fx2: Any
    fb: Any
    yt: Any
    hook: Any
    feeds: FeedServer
    root: Path
    config: Path
    env: dict[str, str]

    @property
    def db(self) -> Path:
        return self.root / "data" / "bot.db"

    def fail_publishing(self) -> None:
        """Each platform refuses posts its own way; some echo the credential they refuse,
        as the Graph API does with "Malformed access token <token>"."""
        x_token, fb_token = SECRETS["x"]["access_token"], SECRETS["fb"]["page_token"]
        self.fx.expect(401, FakeX.problem(401, "Unauthorized", f"Unknown token {x_token}"),
                       method="POST", path="/2/tweets$", times=50)
        # the first post meets the expired bearer token (401, refresh), the next one a 429
        self.fx2.expect(429, FakeX.problem(429, "Too Many Requests", "Too Many Requests"),
                        {"x-rate-limit-remaining": "0",
                         "x-rate-limit-reset": str(int(time.time()) + 900)},
                        method="POST", path="/2/tweets$", times=50, after=1)
        err = graph_error(2, "An unexpected error has occurred. Please retry your request "
                             "later.", status=500)
        self.fb.expect(err.status, err.body, method="POST", path="/feed$", times=1)
        echo = graph_error(190, f"Malformed access token {fb_token}")
        self.fb.expect(echo.status, echo.body, method="POST", path="/feed$", times=50)
        self.yt.comments_disabled = True  # 403 commentsDisabled: refused for good
        self.hook.expect(500, "internal_error", method="POST", times=50)

    def fail_checks(self) -> None:
        self.fx.expect(401, FakeX.problem(401, "Unauthorized", "Unauthorized"), method="GET",
                       path="/2/users/me$", times=50)
        self.fb.token_invalid_subcode = 460  # the password of the Page's admin changed
        self.yt.revoke()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    x, x2, fb, yt = (SECRETS[a] for a in ("x", "x2", "fb", "yt"))
    with FakeX(**x) as fx, \
            FakeX(bearer_tokens=set(), refresh_token=x2["refresh_token"],
                  client_id=x2["client_id"], client_secret=x2["client_secret"]) as fx2, \
            FakeFacebook(page_id=PAGE_ID, **fb) as ffb, \
            FakeYouTube(**yt) as fyt, \
            FakeWebhook(path=f"/services/T0001/B0001/{WEBHOOK_PATH_SECRET}") as hook, \
            FeedServer() as feeds:
        feeds.add_feed("news", [
            Item(f"Trees for the river, part {n}", link=f"https://news.example.org/trees-{n}",
                 guid=f"trees-{n}", content=BODY.replace("Monday", f"day {n}"),
                 published=datetime.now(UTC))
            for n in (1, 2)
        ])
        down = f"http://127.0.0.1:{closed_port()}"
        live = {"min_spacing_minutes": 0}
        cfg = {
            "data_dir": str(tmp_path / "data"),
            "http": {"timeout_seconds": 3},
            "scheduler": {"dispatch_interval_seconds": 0.3, "max_attempts": 3},
            "accounts": [
                {"name": "x", "platform": "twitter", "api_base": fx.url, **live},
                {"name": "x2", "platform": "twitter", "auth": "oauth2", "api_base": fx2.url,
                 **live},
                {"name": "fb", "platform": "facebook", "page_id": PAGE_ID,
                 "api_base": ffb.url, **live},
                {"name": "fb_down", "platform": "facebook", "page_id": "999", "api_base": down,
                 **live},
                {"name": "yt", "platform": "youtube", "mode": "comment", "api_base": fyt.url,
                 **live},
                {"name": "yt_hand", "platform": "youtube", "mode": "handoff", **live},
            ],
            "feeds": [
                {"name": "news", "url": feeds.url("/news.xml"), "backfill": 5,
                 "fetch_page": "never", "interval_seconds": 3600},
                {"name": "gone", "url": f"{down}/feed.xml", "interval_seconds": 3600},
            ],
        }
        config = tmp_path / "bot.yaml"
        config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        secrets_dir = write_secrets_dir(tmp_path / "secrets")
        env = env_for(hook.hook_url, secrets_dir)
        yield World(fx, fx2, ffb, fyt, hook, feeds, tmp_path, config, env)


def assert_no_leaks(seen: Seen) -> None:
    found = seen.leaks()
    assert not found, "secret pieces shown in: " + "; ".join(
        f"{where}: {pieces[:3]}" for where, pieces in found.items())


def assert_errors_recorded(db: Path, *more: str) -> list[str]:
    """The forced failures are in the error columns (so scanning them means something)."""
    columns = error_columns(db)
    text = "\n".join(columns)
    # Facebook's refusal: the echoed token on a post, or (a retry looks on the Page first)
    # the same 190 on that lookup
    facebook = ("Malformed access token", "Graph error 190")
    for expected in ("HTTP 401", "cannot connect", facebook, *more):
        options = expected if isinstance(expected, tuple) else (expected,)
        assert any(o in text for o in options), (expected, columns)
    return columns


# --------------------------------------------------------------------------- in process
def test_in_process_paths_at_debug(world: World, monkeypatch: pytest.MonkeyPatch,
                                   restore_logging: None) -> None:
    from bot.accounts import check_accounts
    from bot.adapters.registry import get_adapter
    from bot.cli import setup_logging
    from bot.config import load_settings, masked_dump
    from bot.scheduler.health import HealthServer
    from bot.scheduler.jobs import dispatch_account_job, poll_feed_job
    from bot.store import make_owner, open_store

    for key, value in world.env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(world.config, log_level="DEBUG", log_format="json")
    assert settings.creds("fb").page_token is not None  # read from the secrets directory
    logs = io.StringIO()
    monkeypatch.setattr(sys, "stderr", logs)
    setup_logging(settings)  # what every command does: handler, level, redaction
    seen = Seen()
    seen.add("repr(settings)", repr(settings))
    seen.add("masked settings", masked_dump(settings))
    owner = make_owner()
    store = open_store(settings)
    try:
        reports = [poll_feed_job(settings, store, f, owner=owner) for f in settings.feeds]
        assert [r.status for r in reports] == ["ok", "error"]
        assert reports[0].queued == 2
        world.fail_publishing()
        outcomes = [o for acc in settings.accounts
                    for o in dispatch_account_job(settings, store, acc, owner=owner)]
        first: dict[str, str] = {}
        for o in outcomes:
            first.setdefault(o.account, o.status)
        assert first == {"x": "paused", "x2": "rate_limited", "fb": "retry", "fb_down": "retry",
                         "yt": "dead", "yt_hand": "awaiting_human"}
        assert [o.status for o in outcomes if o.account == "fb"] == ["retry", "paused"]
        seen.add("outcomes", [(o.error, o.summary(), o.as_json()) for o in outcomes])
        world.fail_checks()
        checks = check_accounts(settings, store)
        assert not any(c.ok for c in checks if c.account in ("x", "fb", "fb_down", "yt"))
        seen.add("accounts check", [(c.error, c.warning, c.identity) for c in checks])
        for acc in settings.accounts:
            adapter = get_adapter(acc, settings)
            seen.add("adapters", f"{adapter.describe()} {adapter!r}")
        with HealthServer(settings, store, port=0) as health:
            for path in ("/metrics", "/readyz", "/healthz"):
                seen.add(path, httpx.get(health.url + path, timeout=5).text)
    finally:
        store.close()
    seen.add("DEBUG log", logs.getvalue())
    assert '"level": "DEBUG"' in logs.getvalue()  # DEBUG really was on
    seen.add("error columns", assert_errors_recorded(
        world.db, "Malformed access token", "HTTP 500", "commentsDisabled", "HTTP 429"))
    seen.add("ledger", dump_sqlite(world.db))
    assert_no_leaks(seen)


# --------------------------------------------------------------------------- the CLI
def write_article(world: World, n: int) -> tuple[Path, str]:
    url = f"https://news.example.org/library-{n}"
    path = world.root / f"library-{n}.md"
    path.write_text(ARTICLE.format(title=f"Sunday opening for the library ({n})", url=url),
                    encoding="utf-8")
    return path, url


@pytest.mark.slow
def test_cli_commands_at_debug(world: World) -> None:
    seen = Seen()

    def run(*args: str, code: int | None = 0) -> subprocess.CompletedProcess[str]:
        res = bot("--log-level", "DEBUG", "--config", str(world.config), *args,
                  cwd=world.root, env=world.env, timeout=120)
        where = "bot " + " ".join(args)
        seen.add(where + " (stdout)", res.stdout)
        seen.add(where + " (stderr)", res.stderr)
        assert "Traceback" not in res.stderr, res.stderr[-3000:]
        if code is not None:
            assert res.returncode == code, (where, res.returncode, res.stderr[-2000:])
        return res

    article, url = write_article(world, 1)
    run("config", "show")
    run("config", "show", "--json")
    run("config", "check")
    run("preview", str(article), "--url", url)
    run("post", str(article), "--url", url, "--dry-run", "--json")
    run("poll", "--once", code=1)  # the "gone" feed is unreachable
    world.fail_checks()
    run("accounts", "check", code=1)
    run("accounts", "check", "--json", code=1)
    world.fail_publishing()
    live = run("post", str(article), "--url", url, code=1)
    assert "failed" in live.stdout or "paused" in live.stdout
    run("post", str(article), "--url", url, "--json", code=1)
    for args in (("status",), ("status", "--json"), ("feeds",), ("feeds", "--json"),
                 ("youtube", "pending"), ("retry", "--failed")):
        run(*args)
    assert '"level": "DEBUG"' in "".join(seen.texts.values())
    seen.add("error columns", assert_errors_recorded(world.db))
    seen.add("ledger", dump_sqlite(world.db))
    assert_no_leaks(seen)


@pytest.mark.slow
def test_bot_run_logs_and_metrics(world: World) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(world.env)
    env.update({"PYTHONPATH": str(ROOT), "BOT_HEALTH__PORT": "0", "BOT_LOG_FORMAT": "json"})
    world.fail_publishing()
    err_path = world.root / "run.stderr"
    seen = Seen()
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--log-level", "DEBUG", "--config", str(world.config),
             "run"], cwd=world.root, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            health = wait_for_health(err_path, proc)
            wait_for(lambda: "awaiting_human" in status_counts(world), "a hand-off", proc)
            for path in ("/metrics", "/readyz", "/healthz"):
                seen.add(path, httpx.get(health + path, timeout=5).text)
        finally:
            terminate(proc, timeout=30)
    log = err_path.read_text(encoding="utf-8", errors="replace")
    seen.add("bot run stderr", log)
    assert '"level": "DEBUG"' in log
    assert "pubbot_" in seen.texts["/metrics"] or "# HELP" in seen.texts["/metrics"]
    seen.add("error columns", assert_errors_recorded(world.db))
    seen.add("ledger", dump_sqlite(world.db))
    assert_no_leaks(seen)


def status_counts(world: World) -> str:
    if not world.db.exists():
        return ""
    import sqlite3

    con = sqlite3.connect(world.db)
    try:
        return " ".join(r[0] for r in con.execute("SELECT status FROM deliveries"))
    except sqlite3.Error:
        return ""
    finally:
        con.close()


def wait_for(cond: Any, what: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        if proc.poll() is not None:
            raise AssertionError(f"bot run exited ({proc.returncode}) before {what}")
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {timeout:g} s")


def wait_for_health(err_path: Path, proc: subprocess.Popen[bytes]) -> str:
    found: list[str] = []

    def ready() -> bool:
        for line in err_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{") and "health endpoints on " in line:
                found.append(json.loads(line)["msg"].rsplit(" ", 1)[1])
                return True
        return False

    wait_for(ready, "health endpoints", proc)
    return found[0]


# --------------------------------------------------------------------------- --help
def command_paths() -> list[list[str]]:
    import typer

    from bot.cli import _register, app

    _register()
    paths: list[list[str]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        paths.append(path)
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def test_help_of_every_command(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    paths = command_paths()
    assert ["post"] in paths and ["accounts", "check"] in paths and len(paths) > 15
    seen = Seen()
    runner = CliRunner()
    env = {**world.env, "BOT_CONFIG": str(world.config), "COLUMNS": "200"}
    for path in paths:
        res = runner.invoke(app, [*path, "--help"], env=env)
        assert res.exit_code == 0, (path, res.output)
        seen.add("bot " + " ".join(path) + " --help", res.output)
    assert_no_leaks(seen)


# --------------------------------------------------------------------------- the database
def test_database_password_is_never_shown(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://pubbot:{DB_PASSWORD}@127.0.0.1:{closed_port()}/pubbot_test"
    check_database_url(url, tmp_path)


@pytest.mark.postgres
def test_database_password_refused_by_postgres_is_never_shown(tmp_path: Path) -> None:
    real = os.environ.get("BOT_TEST_POSTGRES_URL")
    if not real:
        pytest.skip("BOT_TEST_POSTGRES_URL not set")
    from sqlalchemy.engine import make_url

    wrong = make_url(real).set(password=DB_PASSWORD)
    check_database_url(wrong.render_as_string(hide_password=False), tmp_path)


def check_database_url(url: str, cwd: Path) -> None:
    seen = Seen()
    env = {"BOT_DATABASE_URL": url, "BOT_DATA_DIR": str(cwd / "data")}
    for args, code in ((("status",), 3), (("status", "--json"), 3), (("db", "upgrade"), 3),
                       (("feeds",), 3), (("config", "show"), 0), (("config", "show", "--json"), 0)):
        res = bot("--log-level", "DEBUG", *args, env=env, cwd=cwd, timeout=60)
        where = "bot " + " ".join(args)
        assert res.returncode == code, (where, res.stdout, res.stderr[-2000:])
        if code == 3:
            lines = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
            assert len(lines) == 1, res.stderr
        seen.add(where, res.stdout + res.stderr)
    assert "********" in seen.texts["bot config show"]
    assert not leaks("\n".join(seen.texts.values()), [DB_PASSWORD]), seen.leaks()


# --------------------------------------------------------------------------- feed URLs
def test_feed_url_password_is_never_shown(tmp_path: Path) -> None:
    password = SECRETS["x"]["consumer_secret"][::-1]
    cfg = {"data_dir": str(tmp_path / "data"),
           "feeds": [{"name": "private",
                      "url": f"http://reader:{password}@127.0.0.1:{closed_port()}/feed.xml"}]}
    config = tmp_path / "bot.yaml"
    config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    shown = ""
    for args in (("poll", "--once"), ("feeds", "--json"), ("config", "show", "--json")):
        res = bot("--log-level", "DEBUG", "--config", str(config), *args, cwd=tmp_path)
        shown += res.stdout + res.stderr
    assert not leaks(shown, [password])
