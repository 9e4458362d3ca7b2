"""Relative paths in a settings file are relative to that file's folder.

``data_dir: data`` in ``/etc/pubbot/bot.yaml`` means ``/etc/pubbot/data`` wherever the bot
is started from (a service manager, cron, a container's working directory). The same holds
for ``secrets_dir``, ``templates_dir``, each account's ``template`` and a feed read from a
local file (``url: feeds/news.xml``). Paths given in the
environment (``BOT_DATA_DIR=…``) or left at their defaults stay relative to the current
directory, as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic_settings import YamlConfigSettingsSource

PATH_KEYS = ("data_dir", "secrets_dir", "templates_dir")
ACCOUNT_PATH_KEYS = ("template",)


def rebase(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """``data`` (a parsed settings file) with its relative paths made relative to ``folder``."""
    out = dict(data)
    for key in PATH_KEYS:
        if key in out:
            out[key] = _rebased(out[key], folder)
    feeds = out.get("feeds")
    if isinstance(feeds, list):  # a feed read from a file: a path, not an address
        out["feeds"] = [
            {**f, "url": _rebased(f["url"], folder)}
            if isinstance(f, dict) and isinstance(f.get("url"), str) and "://" not in f["url"]
            else f
            for f in feeds
        ]
    accounts = out.get("accounts")
    if isinstance(accounts, list):
        out["accounts"] = [
            {**a, **{k: _rebased(a[k], folder) for k in ACCOUNT_PATH_KEYS if k in a}}
            if isinstance(a, dict) else a
            for a in accounts
        ]
    return out


def _rebased(value: Any, folder: Path) -> Any:
    if not isinstance(value, str) or not value:
        return value
    p = Path(value).expanduser()
    return value if p.is_absolute() else str(folder / p)


class ConfigFileSource(YamlConfigSettingsSource):
    """The YAML settings file, its relative paths taken from the file's folder."""

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        data = super()._read_file(file_path)
        if not isinstance(data, dict) or not isinstance(file_path, Path):
            return data
        return rebase(data, file_path.absolute().parent)


def moved_ledger(raw: dict[str, Any], config: Path, data_dir: Path) -> str | None:
    """When ``data_dir`` in ``config`` used to mean a folder below the current directory that
    holds a ledger, and now means an empty one beside the file, say so (instead of quietly
    starting a new, empty ledger)."""
    value = raw.get("data_dir")
    if not isinstance(value, str) or Path(value).expanduser().is_absolute():
        return None
    old = Path(value).expanduser().absolute()
    if old == data_dir.absolute() or not (old / "bot.db").is_file():
        return None
    if (data_dir / "bot.db").exists():
        return None
    return (f"data_dir: {value!r} in {config} means {data_dir} (relative to the file's folder), "
            f"but the ledger is in {old}; set data_dir to {old} (or a path relative to "
            f"{config.absolute().parent}) so nothing already posted is forgotten")
