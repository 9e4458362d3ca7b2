"""``bot auth bluesky`` and ``bot auth mastodon``: get an account's credentials once.

As in :mod:`bot.adapters.auth`, I/O is injected (``prompt``, ``echo``) so tests drive the
flows against the fakes, and every secret obtained is registered with the log redaction
at once. The functions return credential keys ready for
:func:`bot.adapters.auth.write_secret`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.adapters.auth import LOOPBACK_HOSTS, Echo, Prompt
from bot.errors import AuthError, Transient
from bot.logs.redact import register_secrets, scrub

APP_PASSWORD = re.compile(r"^[a-z0-9]{4}(-[a-z0-9]{4}){3}$")
MASTODON_SCOPES = ["read:accounts", "read:statuses", "write:statuses"]
"""Least privilege: who the token is, its own statuses (the look-up), posting."""
OOB = "urn:ietf:wg:oauth:2.0:oob"
APP_NAME = "pubbot"


def bluesky_sign_in(handle: str, app_password: str, *, echo: Echo, api_base: str | None = None,
                    timeout: float = 15.0) -> dict[str, str]:
    """Sign in once with the app password; returns ``app_password`` and the session
    (``bsky_session``) the adapter keeps refreshing from then on."""
    from bot.adapters.bluesky import ENTRYWAY
    from bot.adapters.bluesky_api import Session

    register_secrets([app_password])
    handle = handle.lstrip("@")
    if not APP_PASSWORD.match(app_password):
        echo("warning: that does not look like an app password (xxxx-xxxx-xxxx-xxxx). Create "
             "one under Settings → Privacy and security → App passwords rather than giving "
             "the bot the account's own password.")
    session = Session(where=f"bluesky @{handle}", base=(api_base or ENTRYWAY).rstrip("/"),
                      force_base=api_base is not None, handle=handle, app_password=app_password,
                      stored=None, timeout=timeout, on_post_answer=lambda _state: None)
    try:
        session.create_session()
        me = session.call("checking the account", session.client.com.atproto.server.get_session)
    finally:
        session.close()
    if not session.new_session:
        raise AuthError(f"Bluesky signed @{handle} in but gave no session")
    echo(f"signed in as @{me.handle} ({me.did})")
    return {"app_password": app_password, "bsky_session": session.new_session}


def mastodon_authorize(
    server: str, *, prompt: Prompt, echo: Echo, client_id: str | None = None,
    client_secret: str | None = None, timeout: float = 15.0, user_agent: str = APP_NAME,
) -> dict[str, str]:
    """Register the app on ``server`` (unless its keys are given), send the user to the
    server's authorisation page, and trade the code shown there for a user token.

    Returns ``access_token``, ``client_id`` and ``client_secret``.
    """
    from mastodon import Mastodon
    from mastodon.errors import MastodonError, MastodonNetworkError

    base = server.rstrip("/")
    parts = urlsplit(base)
    allow_http = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    try:
        if not (client_id and client_secret):
            client_id, client_secret = Mastodon.create_app(
                APP_NAME, scopes=MASTODON_SCOPES, redirect_uris=OOB, api_base_url=base,
                request_timeout=timeout, user_agent=user_agent)
            echo(f"registered the app {APP_NAME!r} on {base}")
        register_secrets([client_secret])
        api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base,
                       request_timeout=timeout, user_agent=user_agent)
        url = api.auth_request_url(redirect_uris=OOB, scopes=MASTODON_SCOPES,
                                   allow_http=allow_http)
        echo("Open this address, sign in as the account that should post, authorise the app,")
        echo("then paste the authorisation code the server shows:")
        echo(url)
        code = prompt("Authorisation code").strip()
        if not code:
            raise AuthError("no authorisation code given; nothing was changed")
        token = api.log_in(code=code, redirect_uri=OOB, scopes=MASTODON_SCOPES,
                           allow_http=allow_http)
        register_secrets([token])
        me = Mastodon(access_token=token, api_base_url=base, request_timeout=timeout,
                      user_agent=user_agent).account_verify_credentials()
    except MastodonNetworkError as exc:
        raise Transient(f"cannot reach {base} ({type(exc).__name__})") from exc
    except MastodonError as exc:
        raise AuthError(scrub(f"{base} refused: {' '.join(str(exc).split())[:200]}")) from exc
    echo(f"authorised @{me['acct']} on {base}")
    return {"access_token": token, "client_id": str(client_id),
            "client_secret": str(client_secret)}
