"""Credential checks: ``verify()`` every account, record who it is and when its token expires."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import utcnow
from bot.config import Settings
from bot.errors import BotError

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger("bot.accounts")


@dataclass
class AccountCheck:
    account: str
    platform: str
    ok: bool
    mode: str
    """live or dry run"""
    identity: str = ""
    expires_at: datetime | None = None
    error: str | None = None
    warning: str | None = None


def check_accounts(
    settings: Settings,
    store: Store | None = None,
    *,
    names: list[str] | None = None,
    now: datetime | None = None,
) -> list[AccountCheck]:
    """Call verify() for each enabled account (or the named ones); never raises for one account."""
    from bot.adapters.auth import persist_refreshed
    from bot.adapters.registry import get_adapter

    now = now or utcnow()
    warn_before = timedelta(days=settings.scheduler.token_expiry_warn_days)
    results: list[AccountCheck] = []
    for account in settings.accounts:
        if names is not None and account.name not in names:
            continue
        if names is None and not account.enabled:
            continue
        dry = settings.is_dry_run(account)
        check = AccountCheck(
            account.name, account.platform, ok=False, mode="dry run" if dry else "live"
        )
        try:
            with get_adapter(account, settings) as adapter:
                ident = adapter.verify()
                persist_refreshed(settings, account.name, adapter)
        except BotError as exc:
            check.error = str(exc)
            log.error(
                "account %s: check failed: %s", account.name, exc, extra={"account": account.name}
            )
        else:
            check.ok = True
            check.identity = f"{ident.name} ({ident.id})" if ident.id else ident.name
            check.expires_at = ident.expires_at
            check.warning = ident.warning or None
            if ident.expires_at is not None and ident.expires_at - now <= warn_before:
                left = ident.expires_at - now
                expiry = f"token expires in {max(0, left.days)} days ({ident.expires_at:%Y-%m-%d})"
                check.warning = "; ".join(w for w in (expiry, check.warning) if w)
                log.warning(
                    "account %s: %s — renew it with `bot auth %s --account %s`",
                    account.name,
                    expiry,
                    account.platform,
                    account.name,
                    extra={"account": account.name},
                )
            if store is not None:
                store.record_verification(
                    account.name, identity=check.identity, expires_at=ident.expires_at, now=now
                )
        results.append(check)
    return results
