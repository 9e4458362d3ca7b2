"""Credential flows against the fakes, and the secret files they end in."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.adapters.auth import (
    facebook_exchange,
    twitter_pin_flow,
    write_secret,
    youtube_installed_flow,
)
from bot.config import load_settings
from bot.errors import AuthError, ConfigError
from tests.adapters.conftest import FB_SECRETS, X_SECRETS, YT_SECRETS, leaked
from tests.fakes import FakeFacebook, FakeX, FakeYouTube


class Terminal:
    """Records what a flow prints; answers prompts with a function of the printed lines."""

    def __init__(self, answer: Any) -> None:
        self.lines: list[str] = []
        self.prompts: list[str] = []
        self.answer = answer

    def echo(self, line: str) -> None:
        self.lines.append(line)

    def prompt(self, question: str) -> str:
        self.prompts.append(question)
        return str(self.answer(self))

    @property
    def url(self) -> str:
        return next(line for line in self.lines if line.startswith("http"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines + self.prompts)


# -- X PIN flow ---------------------------------------------------------------------------------
def read_pin(term: Terminal) -> str:
    """The user opens the printed address; the fake's page shows the PIN."""
    page = httpx.get(term.url).text
    return re.search(r"PIN: (\d+)", page).group(1)  # type: ignore[union-attr]


def test_twitter_pin_flow() -> None:
    with FakeX(consumer_key=X_SECRETS["consumer_key"],
               consumer_secret=X_SECRETS["consumer_secret"]) as fake:
        term = Terminal(read_pin)
        tokens = twitter_pin_flow(X_SECRETS["consumer_key"], X_SECRETS["consumer_secret"],
                                  prompt=term.prompt, echo=term.echo, api_base=fake.url)
        assert set(tokens) == {"access_token", "access_token_secret"}
        assert fake.token_secrets[tokens["access_token"]] == tokens["access_token_secret"]
        assert term.url.startswith(f"{fake.url}/oauth/authorize?oauth_token=req-")
        request_call = fake.calls("POST", "/oauth/request_token")[0]
        assert 'oauth_callback="oob"' in (request_call.header("authorization") or "")
        access_call = fake.calls("POST", "/oauth/access_token")[0]
        assert "oauth_verifier=" in (access_call.header("authorization") or "")
    # the consumer secret and the new tokens never reach the terminal
    assert leaked(term.text, [X_SECRETS["consumer_secret"], *tokens.values()]) == []


def test_twitter_wrong_pin() -> None:
    with FakeX(consumer_key=X_SECRETS["consumer_key"]) as fake:
        term = Terminal(lambda t: "0000000")
        with pytest.raises(AuthError, match="refused the PIN"):
            twitter_pin_flow(X_SECRETS["consumer_key"], X_SECRETS["consumer_secret"],
                             prompt=term.prompt, echo=term.echo, api_base=fake.url)


def test_twitter_wrong_consumer_key() -> None:
    with FakeX(consumer_key="the-registered-key") as fake:
        term = Terminal(lambda t: "1")
        with pytest.raises(AuthError, match="consumer key"):
            twitter_pin_flow("another-key-entirely", "secret-value-0001", prompt=term.prompt,
                             echo=term.echo, api_base=fake.url)
        assert term.prompts == []


# -- YouTube installed-app flow -----------------------------------------------------------------
def consent(term: Terminal) -> str:
    """The user allows access; the browser lands on the loopback redirect address."""
    resp = httpx.get(term.url, follow_redirects=False)
    assert resp.status_code == 302
    return resp.headers["location"]


def test_youtube_installed_flow_with_pasted_address(yt_fake: FakeYouTube) -> None:
    term = Terminal(consent)
    values = youtube_installed_flow(YT_SECRETS["client_id"], YT_SECRETS["client_secret"],
                                    prompt=term.prompt, echo=term.echo, api_base=yt_fake.url)
    assert values["refresh_token"] in yt_fake.refresh_tokens
    assert values["refresh_token"] != YT_SECRETS["refresh_token"]
    auth = yt_fake.calls("GET", "/o/oauth2/auth")[0]
    assert auth.q("access_type") == "offline"
    assert auth.q("scope") == "https://www.googleapis.com/auth/youtube.force-ssl"
    assert auth.q("code_challenge_method") == "S256"  # the fake checked the PKCE verifier
    assert auth.q("redirect_uri", ).startswith("http://127.0.0.1:")
    token = yt_fake.calls("POST", "/token")[0]
    assert token.form["grant_type"] == "authorization_code"
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ  # only relaxed during the call
    assert leaked(term.text, [YT_SECRETS["client_secret"], values["refresh_token"]]) == []


def test_youtube_flow_accepts_the_bare_code(yt_fake: FakeYouTube) -> None:
    def code_only(term: Terminal) -> str:
        return httpx.URL(consent(term)).params["code"]

    term = Terminal(code_only)
    values = youtube_installed_flow(YT_SECRETS["client_id"], YT_SECRETS["client_secret"],
                                    prompt=term.prompt, echo=term.echo, api_base=yt_fake.url)
    assert values["refresh_token"] in yt_fake.refresh_tokens


@pytest.mark.parametrize(("answer", "message"), [
    (lambda t: consent(t).replace("state=", "state=x"), "another sign-in"),
    (lambda t: "http://127.0.0.1:8765/?error=access_denied", "access_denied"),
    (lambda t: "4/not-a-code-we-issued", "invalid_grant"),
    (lambda t: "", "no authorisation code"),
])
def test_youtube_flow_failures(yt_fake: FakeYouTube, answer: Any, message: str) -> None:
    term = Terminal(answer)
    with pytest.raises(AuthError, match=message):
        youtube_installed_flow(YT_SECRETS["client_id"], YT_SECRETS["client_secret"],
                               prompt=term.prompt, echo=term.echo, api_base=yt_fake.url)


# -- Facebook token exchange --------------------------------------------------------------------
def test_facebook_exchange_returns_the_page_token(fb_fake: FakeFacebook) -> None:
    said: list[str] = []
    values = facebook_exchange(FB_SECRETS["app_id"], FB_SECRETS["app_secret"], fb_fake.user_token,
                               fb_fake.page_id, api_base=fb_fake.url, echo=said.append)
    assert values == {"page_token": fb_fake.page_token}
    exchange, accounts = fb_fake.calls("GET")
    assert exchange.path == "/v26.0/oauth/access_token"
    assert exchange.q("grant_type") == "fb_exchange_token"
    assert exchange.q("fb_exchange_token") == fb_fake.user_token
    assert accounts.path == "/v26.0/me/accounts"
    assert accounts.q("access_token") == fb_fake.long_user_token  # the long-lived one
    assert said and fb_fake.page_id in said[0] and fb_fake.page_token not in said[0]


def test_facebook_exchange_single_page_is_chosen(fb_fake: FakeFacebook) -> None:
    values = facebook_exchange(FB_SECRETS["app_id"], FB_SECRETS["app_secret"], fb_fake.user_token,
                               None, api_base=fb_fake.url)
    assert values["page_token"] == fb_fake.page_token


def test_facebook_exchange_unknown_page_lists_what_it_saw(fb_fake: FakeFacebook) -> None:
    fb_fake.configure(other_pages=[{"id": "555", "name": "Other Page", "access_token": "t" * 20}])
    with pytest.raises(AuthError) as err:
        facebook_exchange(FB_SECRETS["app_id"], FB_SECRETS["app_secret"], fb_fake.user_token,
                          "999", api_base=fb_fake.url)
    assert "999" in str(err.value)
    assert f"Sample Page ({fb_fake.page_id})" in str(err.value)
    assert "Other Page (555)" in str(err.value)
    assert "t" * 20 not in str(err.value)
    with pytest.raises(AuthError, match="several Pages"):
        facebook_exchange(FB_SECRETS["app_id"], FB_SECRETS["app_secret"], fb_fake.user_token,
                          None, api_base=fb_fake.url)


@pytest.mark.parametrize(("app_secret", "user_token", "message"), [
    (FB_SECRETS["app_secret"], "expired-user-token-1", "Graph error 190/463"),
    ("wrong-app-secret-0000", None, "Graph error 1"),
])
def test_facebook_exchange_refusals(fb_fake: FakeFacebook, app_secret: str,
                                    user_token: str | None, message: str) -> None:
    with pytest.raises(AuthError, match=message) as err:
        facebook_exchange(FB_SECRETS["app_id"], app_secret, user_token or fb_fake.user_token,
                          None, api_base=fb_fake.url)
    assert app_secret not in str(err.value)


# -- secret files ----------------------------------------------------------------------------------
def test_write_secret_is_private_and_read_back(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    secrets_dir = tmp_path / "secrets"
    path = write_secret(secrets_dir, "x", "access_token", X_SECRETS["access_token"])
    assert path == secrets_dir / "credentials" / "x" / "access_token"
    assert path.read_text() == X_SECRETS["access_token"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (secrets_dir, secrets_dir / "credentials", path.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    # overwrite in place, no temporary files left behind
    write_secret(secrets_dir, "x", "access_token", "replaced-token-value")
    assert path.read_text() == "replaced-token-value"
    assert sorted(p.name for p in path.parent.iterdir()) == ["access_token"]
    # the settings' nested secrets directory reads the layout back
    monkeypatch.setenv("BOT_SECRETS_DIRS", str(secrets_dir))
    settings = load_settings(feeds=[])  # a live account needs its feeds said (none here)
    token = settings.creds("x").access_token
    assert token is not None and token.get_secret_value() == "replaced-token-value"


@pytest.mark.parametrize(("account", "key"), [("../etc", "access_token"), ("x", "passwd"),
                                              ("x", "../../x")])
def test_write_secret_refuses_odd_names(tmp_path: Path, account: str, key: str) -> None:
    with pytest.raises(ConfigError):
        write_secret(tmp_path, account, key, "value-0000")
    assert not (tmp_path / "credentials").exists()
