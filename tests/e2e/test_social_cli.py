"""Bluesky and Mastodon through the real `bot` command: dry run, account check, live post, auth.

A publication adds one account of each to its config; the fakes of a Bluesky PDS and a
Mastodon server run in this process on 127.0.0.1, and so does the publication's site (an
article page with an Open Graph image, for the Bluesky link card).
"""

from __future__ import annotations

import io
import json
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from PIL import Image

from tests.adapters.conftest import leaked
from tests.e2e.cli_helpers import assert_clean_failure, bot
from tests.e2e.test_auth_cli import Interactive, stored
from tests.fakes import FakeBluesky, FakeMastodon
from tests.fakes.feedserver import FeedServer

APP_PASSWORD = "kq7v-w2zx-m4np-t8rb"
TOKEN = "Zq8Lw3Xv9Rt2-Kp4Mn7Bx-Wd6Hs1"
ARTICLE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Harbour plan approved after a long debate</title>
<meta property="og:title" content="Harbour plan approved after a long debate">
<meta property="og:image" content="{image}">
<link rel="canonical" href="{url}"></head><body><article>
<h1>Harbour plan approved after a long debate</h1>
<p>The council of Kestrel Bay approved the harbour plan on Tuesday after a debate that lasted
most of the evening and drew residents from every part of the town.</p>
<p>Work on the new quay starts next spring, and the engineers expect it to be finished within
a year if the weather allows.</p>
<p>Fishermen said the plan will protect their boats from the winter storms that have damaged
the old harbour wall three times in the last decade.</p>
<p>A public meeting about the timetable is planned for the first week of next month.</p>
</article></body></html>"""


@dataclass
class Social:
    tmp: Path
    pds: FakeBluesky
    masto: FakeMastodon
    site: FeedServer

    @property
    def data(self) -> Path:
        return self.tmp / "data"

    @property
    def article_url(self) -> str:
        return self.site.url("/2026/harbour-plan")

    def config(self, live: bool = True) -> Path:
        accounts = [
            {"name": "bsky", "platform": "bluesky", "handle": self.pds.handle,
             "api_base": self.pds.url, "min_spacing_minutes": 0},
            {"name": "masto", "platform": "mastodon", "server": self.masto.url,
             "visibility": "unlisted", "min_spacing_minutes": 0},
        ]
        if not live:
            for a in accounts:
                a["dry_run"] = True
        path = self.tmp / "bot.yaml"
        path.write_text(yaml.safe_dump({"site_name": "Kestrel Bay News", "feeds": [],
                                        "data_dir": str(self.data), "accounts": accounts}),
                        encoding="utf-8")
        return path

    def env(self) -> dict[str, str]:
        return {"BOT_CREDENTIALS__BSKY__APP_PASSWORD": APP_PASSWORD,
                "BOT_CREDENTIALS__MASTO__ACCESS_TOKEN": TOKEN}

    def run(self, *args: str, live: bool = True) -> Any:
        res = bot("--config", str(self.config(live)), *args, env=self.env())
        assert "Traceback" not in res.stderr, res.stderr
        assert leaked(res.stdout + res.stderr, [APP_PASSWORD, TOKEN], size=8) == []
        return res


@pytest.fixture
def social(tmp_path: Path) -> Iterator[Social]:
    img = io.BytesIO()
    Image.new("RGB", (1200, 630), (20, 90, 160)).save(img, format="JPEG")
    with FakeBluesky(app_password=APP_PASSWORD) as pds, \
            FakeMastodon(access_token=TOKEN, max_characters=700) as masto, FeedServer() as site:
        site.serve("/img/harbour.jpg", img.getvalue(), content_type="image/jpeg")
        url = site.url("/2026/harbour-plan")
        site.serve_html("/2026/harbour-plan",
                        ARTICLE.format(image=site.url("/img/harbour.jpg"), url=url))
        yield Social(tmp_path, pds, masto, site)


def test_dry_run_shows_both_accounts_under_their_own_rules(social: Social) -> None:
    res = social.run("post", "--dry-run", "--json", social.article_url, live=False)
    assert res.returncode == 0, res.stderr
    posts = {p["account"]: p for p in json.loads(res.stdout)["posts"]}
    bsky, masto = posts["bsky"], posts["masto"]
    assert (bsky["platform"], bsky["limit"], masto["platform"], masto["limit"]) == (
        "bluesky", 300, "mastodon", 500)  # no limits read from the server yet: the defaults
    assert social.article_url in bsky["text"] and social.article_url in masto["text"]
    assert bsky["card"] == {"uri": social.article_url,
                            "title": "Harbour plan approved after a long debate",
                            "description": bsky["card"]["description"],
                            "image": social.site.url("/img/harbour.jpg")}
    assert bsky["card"]["description"] and bsky["card"]["description"] not in bsky["text"]
    assert bsky["language"] == masto["language"] == "en"
    assert social.pds.requests == [] and social.masto.requests == []  # nothing was called
    text = social.run("post", "--dry-run", social.article_url, live=False).stdout
    assert "Bluesky · bsky" in text and "/300 graphemes" in text and "Mastodon · masto" in text


def test_check_then_post_live_then_nothing_twice(social: Social) -> None:
    check = social.run("accounts", "check", "--json")
    assert check.returncode == 0, check.stderr
    rows = {r["account"]: r for r in json.loads(check.stdout)["accounts"]}
    assert rows["bsky"]["identity"] == f"@{social.pds.handle} ({social.pds.did})"
    assert rows["masto"]["identity"] == f"@{social.masto.username} ({social.masto.account_id})"
    # the Bluesky session is kept where `bot auth` writes, private
    session_file = social.data / "secrets" / "credentials" / "bsky" / "bsky_session"
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    # the Mastodon server's own limit now shapes the posts
    dry = json.loads(social.run("post", "--dry-run", "--json", social.article_url).stdout)
    assert {p["account"]: p["limit"] for p in dry["posts"]}["masto"] == 700

    res = social.run("post", "--json", social.article_url)
    assert res.returncode == 0, res.stderr
    posts = {p["account"]: p for p in json.loads(res.stdout)["posts"]}
    assert {n: p["status"] for n, p in posts.items()} == {"bsky": "sent", "masto": "sent"}
    (record,) = social.pds.posts
    (status,) = social.masto.posts
    assert posts["bsky"]["remote_id"] == record["id"]
    assert posts["masto"]["remote_id"] == status["id"]
    assert record["record"]["text"] == posts["bsky"]["text"]
    card = record["record"]["embed"]["external"]
    assert card["uri"] == social.article_url and "thumb" in card
    assert status["text"] == posts["masto"]["text"] and status["visibility"] == "unlisted"
    # the stored session did the work: one sign-in in all (the check's)
    assert len(social.pds.calls("POST", "createSession$")) == 1
    (sent,) = social.masto.calls("POST", "/api/v1/statuses$")
    assert re.fullmatch(r"pubbot-delivery-\d+-[0-9a-f]{12}", sent.header("idempotency-key") or "")

    again = social.run("post", "--json", social.article_url)
    assert {p["status"] for p in json.loads(again.stdout)["posts"]} == {"already_sent"}
    assert len(social.pds.posts) == 1 and len(social.masto.posts) == 1


# --------------------------------------------------------------------------- bot auth
def test_auth_bluesky_stores_the_app_password_and_a_session(social: Social) -> None:
    config = social.config()
    session = Interactive("--config", str(config), "auth", "bluesky", "--account", "bsky",
                          env={})
    session.answer(APP_PASSWORD)
    res = session.finish()
    assert res.returncode == 0, res.stderr
    assert f"signed in as @{social.pds.handle}" in res.stdout
    files = stored(social.data, "bsky")
    assert set(files) == {"app_password", "bsky_session"}
    assert files["app_password"] == APP_PASSWORD
    handle, did, _access, refresh, _pds = files["bsky_session"].split(":::")
    assert (handle, did) == (social.pds.handle, social.pds.did) and refresh in social.pds.refresh
    assert leaked(res.stdout + res.stderr, [APP_PASSWORD, refresh], size=8) == []
    # read back from secrets_dir: the check signs in with the stored session, not again
    check = bot("--config", str(config), "accounts", "check", "--account", "bsky")
    assert check.returncode == 0, check.stderr
    assert len(social.pds.calls("POST", "createSession$")) == 1


def test_auth_bluesky_with_a_wrong_password_stores_nothing(social: Social) -> None:
    # the password comes from the environment: nothing is asked
    session = Interactive("--config", str(social.config()), "auth", "bluesky", "--account",
                          "bsky", env={"BOT_CREDENTIALS__BSKY__APP_PASSWORD": "wrong-pass-xxxx"})
    line = assert_clean_failure(session.finish(), 1)
    assert "Invalid identifier or password" in line
    assert not (social.data / "secrets" / "credentials" / "bsky").exists()


def test_auth_mastodon_registers_the_app_and_stores_the_token(social: Social) -> None:
    config = social.config()
    session = Interactive("--config", str(config), "auth", "mastodon", "--account", "masto",
                          env={})
    address = session.wait_for(r"(http://127\.0\.0\.1:\d+/oauth/authorize\?\S+)").group(1)
    page = httpx.get(address).text  # the user signs in and authorises; the server shows a code
    session.answer(page.rsplit(" ", 1)[-1])
    res = session.finish()
    assert res.returncode == 0, res.stderr
    assert f"registered the app 'pubbot' on {social.masto.url}" in res.stdout
    files = stored(social.data, "masto")
    assert set(files) == {"access_token", "client_id", "client_secret"}
    assert files["access_token"] in social.masto.tokens
    assert httpx.URL(address).params["scope"] == "read:accounts read:statuses write:statuses"
    assert leaked(res.stdout + res.stderr, [files["access_token"], files["client_secret"]],
                  size=8) == []
    check = bot("--config", str(config), "accounts", "check", "--account", "masto", "--json")
    assert check.returncode == 0, check.stderr
    (row,) = json.loads(check.stdout)["accounts"]
    assert row["identity"] == f"@{social.masto.username} ({social.masto.account_id})"
