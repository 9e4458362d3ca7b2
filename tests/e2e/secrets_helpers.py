"""Sentinel secrets for the leak test: values, where they go in, and how a leak is found."""

from __future__ import annotations

import base64
import random
import sqlite3
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PIECE = 6
"""A leak is any piece of a sentinel this long (or longer) showing up anywhere."""

_RNG = random.Random(20260509)
_ALPHABET = string.ascii_letters + string.digits


def sentinel(n: int = 40) -> str:
    """A long random value: none of its 6-character pieces occurs anywhere by chance."""
    return "".join(_RNG.choice(_ALPHABET) for _ in range(n))


KEYS: dict[str, tuple[str, ...]] = {
    # account: credential keys (every key of every platform is covered once)
    "x": ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
    "x2": ("bearer_token", "refresh_token", "client_id", "client_secret"),
    "fb": ("page_token", "app_id", "app_secret"),
    "fb_down": ("page_token", "app_id", "app_secret"),
    "yt": ("client_id", "client_secret", "refresh_token"),
    "bsky": ("app_password", "bsky_session"),
    "masto": ("access_token", "client_id", "client_secret"),
}
IN_SECRETS_DIR = ("fb", "yt", "masto")
"""Accounts whose credentials are files in a secrets directory; the rest come from env."""

SECRETS: dict[str, dict[str, str]] = {acc: {k: sentinel() for k in keys}
                                      for acc, keys in KEYS.items()}
WEBHOOK_PATH_SECRET = sentinel()
DB_PASSWORD = sentinel()


def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def watched() -> list[str]:
    """Every value that must never be seen, with the encodings a client derives from them."""
    values = [v for creds in SECRETS.values() for v in creds.values()]
    values += [WEBHOOK_PATH_SECRET, DB_PASSWORD]
    for acc in ("x2", "yt"):  # HTTP Basic auth of OAuth clients
        values.append(basic(SECRETS[acc]["client_id"], SECRETS[acc]["client_secret"]))
    fb = SECRETS["fb"]
    values.append(f"{fb['app_id']}|{fb['app_secret']}")  # a Graph API app token
    return values


def leaks(text: str, values: Iterable[str] | None = None) -> list[str]:
    """Every 6-character piece of a watched value found in ``text``."""
    found: list[str] = []
    for value in watched() if values is None else values:
        for i in range(len(value) - PIECE + 1):
            piece = value[i:i + PIECE]
            if piece in text:
                found.append(piece)
                break
    return found


def env_for(webhook_url: str, secrets_dir: Path) -> dict[str, str]:
    """BOT_CREDENTIALS__<ACCOUNT>__<KEY> variables for the accounts not in the secrets dir."""
    env = {"BOT_SECRETS_DIRS": str(secrets_dir)}
    for acc, creds in SECRETS.items():
        if acc in IN_SECRETS_DIR:
            continue
        for key, value in creds.items():
            env[f"BOT_CREDENTIALS__{acc.upper()}__{key.upper()}"] = value
    env["BOT_CREDENTIALS__YT_HAND__WEBHOOK_URL"] = webhook_url
    return env


def write_secrets_dir(root: Path) -> Path:
    """``credentials/<account>/<key>`` files, as Docker secrets or `bot auth` leave them."""
    for acc in IN_SECRETS_DIR:
        folder = root / "credentials" / acc
        folder.mkdir(parents=True, exist_ok=True)
        for key, value in SECRETS[acc].items():
            (folder / key).write_text(value + "\n", encoding="utf-8")
    return root


@dataclass
class Seen:
    """Everything the bot showed, by where it was shown, to be searched for leaks."""

    texts: dict[str, str] = field(default_factory=dict)

    def add(self, where: str, text: Any) -> None:
        self.texts[where] = self.texts.get(where, "") + "\n" + str(text)

    def leaks(self) -> dict[str, list[str]]:
        return {w: found for w, t in self.texts.items() if (found := leaks(t))}


def dump_sqlite(path: Path) -> str:
    """Every row of every table of the ledger, as SQL text."""
    con = sqlite3.connect(path)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def error_columns(path: Path) -> list[str]:
    """deliveries.last_error, feeds.last_error and account_state.paused_reason, all rows."""
    con = sqlite3.connect(path)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        out: list[str] = []
        for table, column in (("deliveries", "last_error"), ("feeds", "last_error"),
                              ("account_state", "paused_reason")):
            if table in tables:
                out += [r[0] for r in con.execute(f"SELECT {column} FROM {table}") if r[0]]
        return out
    finally:
        con.close()
