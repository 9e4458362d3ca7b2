"""Platform adapters: X/Twitter, Facebook Pages, YouTube, and a dry run.

Import-light on purpose: the live adapters (tweepy, googleapiclient) are only imported
when :func:`bot.adapters.registry.get_adapter` needs one.
"""

from __future__ import annotations

from bot.adapters.base import Adapter, Identity, PublishResult

__all__ = ["Adapter", "Identity", "PublishResult"]
