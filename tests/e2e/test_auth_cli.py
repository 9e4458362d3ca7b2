"""`bot auth twitter|facebook|youtube` through the real command, answered like a person would.

The flows themselves are tested at function level in tests/adapters/test_adapter_auth_flows.py;
here the CLI wiring is: prompts answered on stdin, the "browser" step done by this test
against the fake (opening the printed address: X shows a PIN, Google redirects to the
loopback address with a code), tokens written as 0600 files under
``<data_dir>/secrets/credentials/<account>/<key>``, nothing secret printed, and the stored
tokens then good enough for ``bot accounts check``.

The command runs in a new session (no controlling terminal), so hidden prompts read stdin
as a pipe instead of opening /dev/tty.
"""

from __future__ import annotations

import json
import os
import queue
import re
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import httpx
import yaml

from tests.adapters.conftest import FB_SECRETS, X_SECRETS, YT_SECRETS, leaked
from tests.e2e.cli_helpers import ROOT, assert_clean_failure, bot
from tests.fakes import FakeFacebook, FakeX, FakeYouTube


class Interactive:
    """A `bot` process whose output is read line by line while the test answers prompts."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
        full_env.update(
            PYTHONPATH=str(ROOT), BOT_SECRETS_DIRS="/nonexistent-secrets", COLUMNS="120", **env
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            env=full_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [
            threading.Thread(
                target=self._read, args=(self.proc.stdout, self.stdout, True), daemon=True
            ),
            threading.Thread(
                target=self._read, args=(self.proc.stderr, self.stderr, False), daemon=True
            ),
        ]
        for t in self._readers:
            t.start()

    def _read(self, stream: IO[bytes], into: list[str], announce: bool) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace")
            into.append(line)
            if announce:
                self.lines.put(line)
        if announce:
            self.lines.put(None)

    def answer(self, *lines: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(f"{ln}\n" for ln in lines).encode())
        self.proc.stdin.flush()

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        """The first stdout line matching ``pattern`` (fails on exit or timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.proc.kill()
                raise AssertionError(f"no line like {pattern!r}: {''.join(self.stdout)}") from None
            if line is None:
                raise AssertionError(f"exited before {pattern!r}: {''.join(self.stderr)}")
            found = re.search(pattern, line)
            if found:
                return found

    def finish(self, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=timeout)
        for t in self._readers:
            t.join(timeout=5)
        return subprocess.CompletedProcess(
            self.proc.args, code, "".join(self.stdout), "".join(self.stderr)
        )


def write_config(tmp: Path, account: dict[str, Any]) -> Path:
    path = tmp / "bot.yaml"
    path.write_text(yaml.safe_dump({"feeds": [], "accounts": [account]}), encoding="utf-8")
    return path


def stored(data: Path, account: str) -> dict[str, str]:
    """The secret files `bot auth` wrote for ``account``, after checking they are private."""
    folder = data / "secrets" / "credentials" / account
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = {}
    for f in sorted(folder.iterdir()):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        files[f.name] = f.read_text(encoding="utf-8")
    return files


def no_secret_in(res: subprocess.CompletedProcess[str], secrets: list[str]) -> None:
    text = res.stdout + res.stderr
    assert leaked(text, [s for s in secrets if len(s) >= 8], size=8) == []
    assert all(s not in text for s in secrets)


def check(
    config: Path, data: Path, account: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    res = bot(
        "--config",
        str(config),
        "accounts",
        "check",
        "--json",
        env={"BOT_DATA_DIR": str(data), **(env or {})},
    )
    assert res.returncode == 0, res.stderr
    (only,) = json.loads(res.stdout)["accounts"]
    assert only["account"] == account and only["mode"] == "live" and only["ok"], only
    return only


# -- X: OAuth 1.0a PIN -------------------------------------------------------------------------
def test_auth_twitter_stores_the_access_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key, secret = X_SECRETS["consumer_key"], X_SECRETS["consumer_secret"]
    with FakeX(consumer_key=key, consumer_secret=secret) as fake:
        config = write_config(tmp_path, {"name": "x", "platform": "twitter", "api_base": fake.url})
        session = Interactive(
            "--config", str(config), "auth", "twitter", env={"BOT_DATA_DIR": str(data)}
        )
        session.answer(key, secret)  # the two hidden prompts
        address = session.wait_for(r"(http://127\.0\.0\.1:\d+/oauth/authorize\?\S+)").group(1)
        page = httpx.get(address).text  # the user signs in; X shows a PIN
        session.answer(re.search(r"PIN: (\d+)", page).group(1))  # type: ignore[union-attr]
        res = session.finish()
        assert res.returncode == 0, res.stderr

        files = stored(data, "x")
        assert set(files) == {
            "access_token",
            "access_token_secret",
            "consumer_key",
            "consumer_secret",
        }
        assert files["consumer_key"] == key and files["consumer_secret"] == secret
        assert fake.token_secrets[files["access_token"]] == files["access_token_secret"]
        assert "stored access_token in" in res.stdout and "(mode 0600)" in res.stdout
        no_secret_in(res, [secret, files["access_token"], files["access_token_secret"]])

        # the stored tokens work: the fake verifies the OAuth 1.0a signature made with them
        secrets_dir = str(data / "secrets")
        got = check(config, data, "x", env={"BOT_SECRETS_DIRS": secrets_dir})
        assert got["identity"] == "@pubbot (1001)"
        me = fake.calls("GET", "/2/users/me")[-1]
        assert f'oauth_token="{files["access_token"]}"' in (me.header("authorization") or "")


def test_auth_twitter_wrong_pin_stores_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with FakeX(
        consumer_key=X_SECRETS["consumer_key"], consumer_secret=X_SECRETS["consumer_secret"]
    ) as fake:
        config = write_config(tmp_path, {"name": "x", "platform": "twitter", "api_base": fake.url})
        # the app's keys come from the environment: only the PIN is asked for
        session = Interactive(
            "--config",
            str(config),
            "auth",
            "twitter",
            env={
                "BOT_DATA_DIR": str(data),
                "BOT_CREDENTIALS__X__CONSUMER_KEY": X_SECRETS["consumer_key"],
                "BOT_CREDENTIALS__X__CONSUMER_SECRET": X_SECRETS["consumer_secret"],
            },
        )
        session.wait_for(r"/oauth/authorize\?")
        session.answer("0000000")
        res = session.finish()
    line = assert_clean_failure(res, 1)
    assert "refused the PIN" in line
    assert not (data / "secrets" / "credentials" / "x").exists()
    no_secret_in(res, [X_SECRETS["consumer_secret"]])


# -- YouTube: installed-app OAuth with the redirect address pasted back ------------------------
def test_auth_youtube_stores_the_refresh_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with FakeYouTube(**YT_SECRETS) as fake:
        config = write_config(tmp_path, {"name": "yt", "platform": "youtube", "api_base": fake.url})
        session = Interactive(
            "--config",
            str(config),
            "auth",
            "youtube",
            "--account",
            "yt",
            env={"BOT_DATA_DIR": str(data)},
        )
        session.answer(YT_SECRETS["client_id"], YT_SECRETS["client_secret"])
        address = session.wait_for(r"(http://127\.0\.0\.1:\d+/o/oauth2/auth\?\S+)").group(1)
        # the user allows access; the browser is sent to the loopback address, which may not
        # load: they copy it from the address bar and paste it
        consent = httpx.get(address, follow_redirects=False)
        assert consent.status_code == 302
        redirect = consent.headers["location"]
        assert redirect.startswith("http://127.0.0.1:")
        session.answer(redirect)
        res = session.finish()
        assert res.returncode == 0, res.stderr

        files = stored(data, "yt")
        assert set(files) == {"refresh_token", "client_id", "client_secret"}
        assert files["refresh_token"] in fake.refresh_tokens
        assert files["refresh_token"] != YT_SECRETS["refresh_token"]  # a new grant
        assert files["client_secret"] == YT_SECRETS["client_secret"]
        assert httpx.URL(address).params["scope"] == (
            "https://www.googleapis.com/auth/youtube.force-ssl"
        )
        no_secret_in(res, [YT_SECRETS["client_secret"], files["refresh_token"]])

        # read back from the token directory without any setting: the channel answers
        got = check(config, data, "yt")
        assert got["identity"] == f"{fake.channel_title} ({fake.channel_id})"
        refresh = fake.calls("POST", "/token")[-1]
        assert refresh.form["refresh_token"] == files["refresh_token"]


# -- Facebook: user token -> long-lived token -> Page token ------------------------------------
def test_auth_facebook_stores_the_page_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with FakeFacebook(**FB_SECRETS) as fake:
        config = write_config(
            tmp_path,
            {"name": "fb", "platform": "facebook", "api_base": fake.url, "page_id": fake.page_id},
        )
        # app id, app secret and the user token from the Graph API Explorer: all hidden prompts
        res = Interactive(
            "--config",
            str(config),
            "auth",
            "facebook",
            "--account",
            "fb",
            env={"BOT_DATA_DIR": str(data)},
        )
        res.answer(FB_SECRETS["app_id"], FB_SECRETS["app_secret"], fake.user_token)
        done = res.finish()
        assert done.returncode == 0, done.stderr
        assert f"using Page {fake.page_name} ({fake.page_id})" in done.stdout

        files = stored(data, "fb")
        assert files == {
            "page_token": fake.page_token,
            "app_id": FB_SECRETS["app_id"],
            "app_secret": FB_SECRETS["app_secret"],
        }
        exchange = fake.calls("GET", r"/v27\.0/oauth/access_token$")[0]
        assert exchange.q("fb_exchange_token") == fake.user_token
        listing = fake.calls("GET", r"/me/accounts$")[0]
        assert listing.q("access_token") == fake.long_user_token  # the long-lived token
        no_secret_in(
            done, [FB_SECRETS["app_secret"], fake.page_token, fake.user_token, fake.long_user_token]
        )

        got = check(config, data, "fb")
        assert got["identity"] == f"{fake.page_name} ({fake.page_id})"
        page = fake.calls("GET", rf"^/v27\.0/{fake.page_id}$")[-1]
        assert page.q("access_token") == fake.page_token
        assert page.q("appsecret_proof")  # the stored app secret signs the calls
