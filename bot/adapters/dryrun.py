"""An adapter that sends nothing and says exactly what it would have sent."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.adapters.base import Adapter, Identity, PublishResult
from bot.config import Account, Credentials, Settings
from bot.models import Post

log = logging.getLogger(__name__)

THREAD_SEPARATOR = "\n---\n"


def would_send(post: Post, account: Account) -> str:
    """The exact text(s) a live adapter would send: the post, then each thread reply."""
    parts = [post.text]
    if account.platform == "twitter" and post.thread:
        parts.extend(post.thread)
    return THREAD_SEPARATOR.join(parts)


class DryRunAdapter(Adapter):
    """Stands in for any platform; needs no credentials and never touches the network."""

    platform = "dry_run"
    label = "dry run"
    needs = frozenset()

    def __init__(self, account: Account, creds: Credentials, settings: Settings,
                 live: type[Adapter]) -> None:
        """``live``: the adapter class this dry run stands in for; its platform, label and
        rules (the account's, see :meth:`Adapter.rules_in`) shadow the class defaults."""
        super().__init__(account, creds, settings)
        self.platform = live.platform  # type: ignore[misc]
        self.label = live.label  # type: ignore[misc]
        self.rules = live.rules_in(account, settings)  # type: ignore[misc]

    def publish(self, post: Post, *, delivery_id: int | None = None) -> PublishResult:
        text = would_send(post, self.account)
        log.info(
            "dry run: %s would send (delivery %s, length %d of %s):\n%s",
            self.where, delivery_id, self.rules.measure(post.text), self.rules.describe(), text,
        )
        return PublishResult(remote_id=None, url=None, status="dry_run", detail=text)

    def verify(self) -> Identity:
        return Identity(
            id=self.account.name,
            name=f"{self.account.name} (dry run)",
            detail="dry run: nothing is sent and credentials are not checked",
        )

    def find_existing(self, link: str, *, since: datetime | None = None) -> PublishResult | None:
        return None  # a dry run never publishes anything

    def describe(self) -> str:
        return (
            f"{self.label} account {self.account.name!r}: dry run (nothing is sent); "
            f"credentials: {self.credential_summary()}"
        )
