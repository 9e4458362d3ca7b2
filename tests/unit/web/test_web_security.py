"""The web desk's defences: passwords, throttled sign-ins, cookies, no secret on any page."""

from __future__ import annotations

import socket

import httpx
import pytest
from starlette.testclient import TestClient

from bot.config import Settings
from bot.errors import ConfigError
from bot.store import Store
from bot.web.app import create_app
from bot.web.security import LoginThrottle, authenticate, hash_password
from bot.web.server import DeskServer
from tests.adapters.conftest import FB_SECRETS, X_SECRETS, leaked

from .conftest import PASSWORD, SECRET, add_article, desk_settings, sign_in, token_in


def test_passwords_are_argon2id_hashes_and_verify(settings: Settings) -> None:
    h = hash_password("a long passphrase")
    assert h.startswith("$argon2id$") and "a long passphrase" not in h
    assert authenticate(settings.web, "editor", PASSWORD) is not None
    assert authenticate(settings.web, "editor", PASSWORD + "!") is None
    assert authenticate(settings.web, "nobody", PASSWORD) is None
    viewer = authenticate(settings.web, "reader", "just looking, thanks")
    assert viewer is not None and not viewer.can_edit


def test_a_wrong_password_is_refused_and_repeated_ones_are_throttled(client: TestClient) -> None:
    for _ in range(5):  # web.login_attempts
        res = sign_in(client, password="guess")
        assert res.status_code == 401 and "Wrong name or password." in res.text
    res = sign_in(client)  # even the right password now waits
    assert res.status_code == 429 and "Too many failed sign-ins" in res.text
    assert client.get("/").status_code == 303  # still signed out
    res = sign_in(client, name="reader", password="just looking, thanks")
    assert res.status_code == 429  # the same address is held, whatever the name


def test_the_throttle_window_slides() -> None:
    t = LoginThrottle(attempts=2, window_seconds=60)
    t.failed("ip:a", now=0)
    t.failed("ip:a", now=10)
    assert t.wait("ip:a", now=20) == pytest.approx(40)
    assert t.wait("ip:b", now=20) == 0
    assert t.wait("ip:a", now=61) == 0  # the first failure left the window
    t.succeeded("ip:a")
    assert t.wait("ip:a", now=11) == 0


def test_session_cookie_flags_and_a_fresh_session_on_sign_in(client: TestClient) -> None:
    login = client.get("/login")
    cookie = login.headers["set-cookie"]
    assert "pubbot_desk=" in cookie and "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower() and "secure" not in cookie.lower()
    before = token_in(login.text)
    res = client.post("/login", data={"name": "editor", "password": PASSWORD, "csrf": before,
                                      "next": "//evil.example.org/x"})
    assert res.status_code == 303 and res.headers["location"] == "/"  # never off-site
    after = token_in(client.get("/").text)
    assert after != before  # no session fixation: a new token after signing in


def test_behind_tls_cookies_are_secure_and_hsts_is_sent(store: Store) -> None:
    app = create_app(desk_settings(secure_cookies=True), store)
    with TestClient(app, base_url="https://desk.example.org", follow_redirects=False) as c:
        res = c.get("/login")
        assert "secure" in res.headers["set-cookie"].lower()
        assert res.headers["strict-transport-security"].startswith("max-age=")


def test_no_secret_is_ever_rendered(client: TestClient, settings: Settings,
                                    store: Store) -> None:
    add_article(store, settings, 1)
    assert sign_in(client).status_code == 303
    secrets = [*X_SECRETS.values(), *FB_SECRETS.values(), "Zx8KqLm5", SECRET,
               settings.web.users["editor"].get_secret_value()]
    for path in ("/", "/d/1", "/d/2", "/d/3", "/history", "/health", "/login"):
        text = client.get(path).text
        assert leaked(text, secrets, size=8) == [], path


def test_a_user_removed_from_the_secrets_is_signed_out(settings: Settings, store: Store) -> None:
    with TestClient(create_app(settings, store), follow_redirects=False) as c:
        assert sign_in(c).status_code == 303
        assert c.get("/").status_code == 200
        settings.web.users.clear()
        assert c.get("/").status_code == 303


def test_no_desk_without_a_user(store: Store) -> None:
    s = desk_settings()
    s.web.users.clear()
    s.web.viewers.clear()
    with pytest.raises(ConfigError, match="bot web passwd"):
        create_app(s, store)


def test_the_server_listens_where_told_and_says_so_when_it_cannot(settings: Settings,
                                                                  store: Store) -> None:
    server = DeskServer(settings, store, host="127.0.0.1", port=0).start()
    try:
        res = httpx.get(server.url + "/login", timeout=5)
        assert res.status_code == 200 and "Sign in" in res.text
        port = int(server.url.rsplit(":", 1)[1])
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            DeskServer(settings, store, host="127.0.0.1", port=port).start()
    finally:
        server.stop()
    with socket.socket() as probe:  # the port is free again after stop()
        probe.bind(("127.0.0.1", port))
