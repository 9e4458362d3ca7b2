"""Which adapter class serves which platform; live classes are imported lazily."""

from __future__ import annotations

import importlib

from bot.adapters.base import Adapter
from bot.adapters.dryrun import DryRunAdapter
from bot.config import Account, Settings
from bot.errors import ConfigError

ADAPTERS: dict[str, str] = {
    "twitter": "bot.adapters.twitter:TwitterAdapter",
    "facebook": "bot.adapters.facebook:FacebookAdapter",
    "youtube": "bot.adapters.youtube:YouTubeAdapter",
}


def adapter_class(platform: str) -> type[Adapter]:
    """The live adapter class for ``platform`` (imports its vendor library)."""
    try:
        target = ADAPTERS[platform]
    except KeyError:
        known = ", ".join(sorted(ADAPTERS))
        raise ConfigError(f"no adapter for platform {platform!r} (known: {known})") from None
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise ConfigError(f"{target} is not an Adapter")
    return cls


def get_adapter(account: Account, settings: Settings, *, dry_run: bool | None = None) -> Adapter:
    """The adapter for ``account``.

    ``dry_run``: True forces a dry run, False forces the live adapter (which raises
    AuthError when credentials are missing), None lets ``settings.is_dry_run`` decide.
    """
    creds = settings.creds(account.name)
    dry = settings.is_dry_run(account) if dry_run is None else dry_run
    if dry:
        return DryRunAdapter(account, creds, settings)
    return adapter_class(account.platform)(account, creds, settings)
