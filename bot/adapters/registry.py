"""Which adapter class serves which platform; live classes are imported lazily."""

from __future__ import annotations

import importlib

from bot.adapters.base import Adapter
from bot.adapters.dryrun import DryRunAdapter
from bot.config import Account, Settings
from bot.errors import ConfigError
from bot.render.rules import PlatformRules

ADAPTERS: dict[str, str] = {
    "twitter": "bot.adapters.twitter:TwitterAdapter",
    "facebook": "bot.adapters.facebook:FacebookAdapter",
    "youtube": "bot.adapters.youtube:YouTubeAdapter",
    "bluesky": "bot.adapters.bluesky:BlueskyAdapter",
    "mastodon": "bot.adapters.mastodon:MastodonAdapter",
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


def rules_for(account: Account, settings: Settings | None = None) -> PlatformRules:
    """The rules ``account``'s posts must follow, from its adapter's declaration (with
    ``settings``: and what was learned about its server, see :meth:`Adapter.rules_in`)."""
    cls = adapter_class(account.platform)
    return cls.rules_for(account) if settings is None else cls.rules_in(account, settings)


def all_rules() -> dict[str, PlatformRules]:
    """Every registered platform's declared rules, by platform key (for docs and checks)."""
    return {platform: adapter_class(platform).rules for platform in ADAPTERS}


def get_adapter(account: Account, settings: Settings, *, dry_run: bool | None = None) -> Adapter:
    """The adapter for ``account``.

    ``dry_run``: True forces a dry run, False forces the live adapter (which raises
    AuthError when credentials are missing), None lets ``settings.is_dry_run`` decide.
    """
    creds = settings.creds(account.name)
    dry = settings.is_dry_run(account) if dry_run is None else dry_run
    live = adapter_class(account.platform)
    if dry:
        return DryRunAdapter(account, creds, settings, live)
    return live(account, creds, settings)
