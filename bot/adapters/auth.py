"""Interactive credential flows for ``bot auth`` and the secret files they write.

I/O is injected (``prompt`` reads a line, ``echo`` prints one) so tests can drive the
flows against fake servers. Tokens are never echoed or logged: every value obtained is
registered with the log redaction at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import SecretStr

from bot.config import NAME_RE, Credentials, Settings
from bot.errors import AuthError, BotError, ConfigError, Transient
from bot.logs.redact import register_secrets, scrub

if TYPE_CHECKING:
    from bot.adapters.base import Adapter

log = logging.getLogger("bot.adapters.auth")

Prompt = Callable[[str], str]
Echo = Callable[[str], None]

X_HOST = "https://api.twitter.com"
GRAPH = "https://graph.facebook.com"
GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
YOUTUBE_SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


# -- X / Twitter: OAuth 1.0a PIN ("out of band") flow -----------------------------------------
def twitter_pin_flow(
    consumer_key: str, consumer_secret: str, *, prompt: Prompt, echo: Echo,
    api_base: str | None = None, timeout: float = 15.0,
) -> dict[str, str]:
    """Authorise the app for a user with a PIN; returns access_token/access_token_secret."""
    import tweepy

    from bot.adapters.x_api import TimeoutAdapter

    register_secrets([consumer_key, consumer_secret])
    base = (api_base or X_HOST).rstrip("/")

    class PinHandler(tweepy.OAuth1UserHandler):
        """tweepy's handler with a configurable host and a timeout on every request."""

        @property
        def oauth(self) -> Any:
            return self._session

        @oauth.setter
        def oauth(self, session: Any) -> None:
            for prefix in ("https://", "http://"):
                session.mount(prefix, TimeoutAdapter(timeout))
            self._session = session

        def _get_oauth_url(self, endpoint: str) -> str:
            return f"{base}/oauth/{endpoint}"

    handler = PinHandler(consumer_key, consumer_secret, callback="oob")
    try:
        url = handler.get_authorization_url()
    except tweepy.TweepyException as exc:
        raise AuthError(f"X refused the app's consumer key/secret: {_why(exc)}") from exc
    echo("Open this address, sign in as the account that should post, authorise the app,")
    echo("then type the PIN X shows you:")
    echo(url)
    pin = prompt("PIN").strip()
    if not pin:
        raise AuthError("no PIN given; nothing was changed")
    try:
        token, secret = handler.get_access_token(pin)
    except tweepy.TweepyException as exc:
        raise AuthError(f"X refused the PIN: {_why(exc)}") from exc
    register_secrets([token, secret])
    return {"access_token": str(token), "access_token_secret": str(secret)}


def _why(exc: BaseException) -> str:
    return scrub(" ".join(str(exc).split()))[:200] or type(exc).__name__


# -- YouTube: installed-app OAuth with a pasted code -------------------------------------------
@contextlib.contextmanager
def _allow_loopback_http(url: str) -> Iterator[None]:
    """oauthlib insists on https; a fake token endpoint on loopback (tests) may be http."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
        yield
        return
    old = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT")
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = old


def _code_from(answer: str, state: str) -> str:
    """The authorisation code from a pasted code or a pasted redirect address."""
    if "code=" not in answer and "error=" not in answer:
        return answer
    query = parse_qs(urlsplit(answer).query or answer.split("?", 1)[-1])
    if "error" in query:
        raise AuthError(f"Google did not authorise the app: {query['error'][0]}")
    if "state" in query and query["state"][0] != state:
        raise AuthError("the pasted address belongs to another sign-in attempt (state differs)")
    codes = query.get("code") or [""]
    return codes[0]


def youtube_installed_flow(
    client_id: str, client_secret: str, *, prompt: Prompt, echo: Echo,
    api_base: str | None = None, redirect_port: int = 8765, timeout: float = 15.0,
) -> dict[str, str]:
    """Authorise a YouTube channel; returns refresh_token, client_id, client_secret.

    The browser is sent to ``http://127.0.0.1:<redirect_port>/``; nothing needs to
    listen there: the user pastes the address (or its ``code``) back.
    """
    import requests
    from google_auth_oauthlib.flow import Flow
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    register_secrets([client_secret])
    base = api_base.rstrip("/") if api_base else None
    token_uri = f"{base}/token" if base else GOOGLE_TOKEN_URI
    redirect = f"http://127.0.0.1:{redirect_port}/"
    config = {"installed": {
        "client_id": client_id, "client_secret": client_secret,
        "auth_uri": f"{base}/o/oauth2/auth" if base else GOOGLE_AUTH_URI,
        "token_uri": token_uri, "redirect_uris": [redirect],
    }}
    flow = Flow.from_client_config(config, scopes=[YOUTUBE_SCOPE], redirect_uri=redirect)
    with _allow_loopback_http(token_uri):
        url, state = flow.authorization_url(access_type="offline", prompt="consent")
    echo("Open this address and allow access for the channel that should post.")
    echo("Your browser then goes to a 127.0.0.1 address that may not load: copy that")
    echo("whole address (or just its code= value) and paste it here.")
    echo(url)
    code = _code_from(prompt("Address or code").strip(), state)
    if not code:
        raise AuthError("no authorisation code given; nothing was changed")
    try:
        with _allow_loopback_http(token_uri):
            flow.fetch_token(code=code, timeout=timeout)
    except OAuth2Error as exc:
        raise AuthError(f"Google refused the code: {exc.error}") from exc
    except requests.RequestException as exc:
        raise Transient(f"cannot reach Google's token endpoint ({type(exc).__name__})") from exc
    creds = flow.credentials
    register_secrets([creds.token, creds.refresh_token])
    if not creds.refresh_token:
        raise AuthError(
            "Google returned no refresh token; remove the app at "
            "https://myaccount.google.com/permissions and run this again"
        )
    return {"refresh_token": creds.refresh_token, "client_id": client_id,
            "client_secret": client_secret}


# -- Facebook: long-lived user token -> Page token ----------------------------------------------
def facebook_exchange(
    app_id: str, app_secret: str, user_token: str, page_id: str | None, *,
    api_base: str | None = None, graph_version: str = "v26.0", timeout: float = 15.0,
    echo: Echo | None = None,
) -> dict[str, str]:
    """Swap a short-lived user token for a long-lived one, then take the Page's token.

    Returns ``{"page_token": ...}`` (only credential keys, ready for :func:`write_secret`);
    ``echo`` (optional) is told which Page was chosen, by name and id.
    """
    from bot.adapters.facebook import appsecret_proof

    register_secrets([app_secret, user_token])
    base = (api_base or GRAPH).rstrip("/")
    with httpx.Client(base_url=base, timeout=timeout) as client:
        long_lived = _graph_get(client, f"/{graph_version}/oauth/access_token", {
            "grant_type": "fb_exchange_token", "client_id": app_id,
            "client_secret": app_secret, "fb_exchange_token": user_token,
        }, "exchanging the user token").get("access_token")
        if not long_lived:
            raise AuthError("Facebook returned no long-lived user token")
        register_secrets([long_lived])
        pages = _graph_get(client, f"/{graph_version}/me/accounts", {
            "fields": "id,name,access_token", "limit": "100", "access_token": long_lived,
            "appsecret_proof": appsecret_proof(long_lived, app_secret),
        }, "listing the user's Pages").get("data") or []
    register_secrets([p.get("access_token") for p in pages if isinstance(p, dict)])
    seen = ", ".join(f"{p.get('name')} ({p.get('id')})" for p in pages) or "none"
    if page_id is not None:
        chosen = [p for p in pages if str(p.get("id")) == str(page_id)]
        if not chosen:
            raise AuthError(f"Page {page_id} is not among this user's Pages (saw: {seen})")
    elif len(pages) == 1:
        chosen = pages
    elif not pages:
        raise AuthError("this user manages no Pages the app may see (grant pages_show_list)")
    else:
        raise AuthError(f"this user manages several Pages; choose one by id (saw: {seen})")
    page = chosen[0]
    if not page.get("access_token"):
        raise AuthError(f"Facebook gave no token for Page {page.get('id')} (missing permissions?)")
    if echo is not None:
        echo(f"using Page {page.get('name')} ({page.get('id')}); set page_id to that id")
    return {"page_token": str(page["access_token"])}


def _graph_get(client: httpx.Client, path: str, params: dict[str, str], what: str) -> Any:
    try:
        resp = client.get(path, params=params)
    except httpx.HTTPError as exc:
        raise Transient(f"Facebook: {what} failed ({type(exc).__name__})") from exc
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if resp.is_success and isinstance(body, dict):
        return body
    err = body.get("error") if isinstance(body, dict) else None
    err = err if isinstance(err, dict) else {}
    desc = f"HTTP {resp.status_code}"
    if err.get("code") is not None:
        desc += f", Graph error {err.get('code')}"
        if err.get("error_subcode") is not None:
            desc += f"/{err['error_subcode']}"
    if err.get("message"):
        desc += f": {err['message']}"
    if err.get("fbtrace_id"):
        desc += f" [fbtrace_id {err['fbtrace_id']}]"
    msg = scrub(f"Facebook: {what} failed: {desc}")
    if resp.status_code >= 500:
        raise Transient(msg)
    raise AuthError(msg)


# -- storing secrets ---------------------------------------------------------------------------
def write_secret(dir: Path, account: str, key: str, value: str) -> Path:
    """Write ``dir/credentials/<account>/<key>`` atomically, mode 0600 (folders 0700).

    That layout is what the settings' nested secrets directory reads back.
    """
    if not NAME_RE.match(account):
        raise ConfigError(f"not an account name: {account!r}")
    if key not in Credentials.model_fields:
        known = ", ".join(Credentials.model_fields)
        raise ConfigError(f"unknown credential {key!r} (known: {known})")
    folder = Path(dir) / "credentials" / account
    for d in (Path(dir), Path(dir) / "credentials", folder):
        if not d.is_dir():
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
            d.chmod(0o700)
    for d in (Path(dir) / "credentials", folder):
        d.chmod(0o700)
    target = folder / key
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(value)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    register_secrets([value])
    return target


def persist_refreshed(settings: Settings, account: str, adapter: Adapter) -> list[str]:
    """Store credentials an adapter refreshed (X rotates its OAuth 2.0 refresh token on every
    use) in the token directory and in the loaded settings; returns the keys written."""
    fresh = adapter.refreshed_credentials()
    if not fresh:
        return []
    for key, value in fresh.items():
        write_secret(settings.token_dir, account, key, value)
    current = settings.creds(account)
    settings.credentials[account] = current.model_copy(
        update={k: SecretStr(v) for k, v in fresh.items()})
    log.info("account %s: stored refreshed credentials (%s) in %s", account,
             ", ".join(sorted(fresh)), settings.token_dir)
    return sorted(fresh)


def keep_refreshed(settings: Settings, account: str, adapter: Adapter) -> None:
    """:func:`persist_refreshed` after a platform call whose result must stand: a failure to
    store is logged, not raised (the post is out; X's old refresh token is spent, so the
    account needs new credentials if this fails)."""
    try:
        persist_refreshed(settings, account, adapter)
    except (OSError, BotError) as exc:
        log.error("%s: could not store refreshed credentials: %s", account, exc)
