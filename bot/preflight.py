"""What `bot config check` finds beyond loading the settings: what would only fail later.

Loading already rejects what cannot be parsed or does not fit together (unknown keys,
bad time zones, routes to unknown accounts). These checks look for settings that load
but would break on the first article, the first post or the first crash:

* offline (:func:`offline`): a live account without the credentials its platform needs,
  boilerplate rules that are not regular expressions, a first retry delay longer than the
  longest, a sending lease that can run out while a request is still waiting, a summary
  language that is no language at all (and, as a warning, one the sentence splitter has
  no abbreviation list for);
* online (:func:`online`, ``--online``): each feed fetched and parsed once (nothing is
  stored) and each live account's credentials checked with its platform - the code path
  of `bot accounts check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.errors import AuthError, BotError


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    """Settings that would fail: `bot config check` exits 2."""
    failures: list[str] = field(default_factory=list)
    """Online checks that failed (a feed, an account): exit 1."""
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the online checks saw when they passed."""


def offline(settings: Settings) -> Findings:
    from bot.extract.boilerplate import invalid_rules

    found = Findings()
    found.problems += missing_credentials(settings)
    found.problems += invalid_rules(settings.boilerplate)
    found.problems += timing(settings)
    found.problems += missing_feed_files(settings)
    problem, warning = language(settings.summary.language)
    found.problems += [problem] if problem else []
    found.warnings += [warning] if warning else []
    return found


def missing_feed_files(settings: Settings) -> list[str]:
    """Each feed read from a local file that is not there (a relative path in the settings
    file counts from the file's folder)."""
    from bot.sources.feeds import local_path

    out = []
    for i, feed in enumerate(settings.feeds):
        path = local_path(feed.url)
        if path is not None and not path.is_file():
            out.append(f"feeds.{i}.url: feed {feed.name!r}: no file at {path} (a relative path "
                       "in the settings file counts from the file's folder)")
    return out


def missing_credentials(settings: Settings) -> list[str]:
    """Each enabled live account whose adapter would refuse to start for want of keys."""
    from bot.adapters.registry import get_adapter

    out = []
    for i, account in enumerate(settings.accounts):
        if not account.enabled or settings.is_dry_run(account):
            continue
        try:
            adapter = get_adapter(account, settings, dry_run=False)
        except AuthError as exc:
            how = ("`dry_run: false` but " if account.dry_run is False else "live, but ")
            out.append(f"accounts.{i} ({account.name}): {how}{exc} (set them as "
                       f"BOT_CREDENTIALS__{account.name.upper()}__<KEY> or in a secrets "
                       f"directory, or run `bot auth {account.platform} --account "
                       f"{account.name}`)")
            continue
        close = getattr(adapter, "close", None)
        if callable(close):
            close()
    return out


def timing(settings: Settings) -> list[str]:
    sch, http = settings.scheduler, settings.http
    out = []
    if sch.backoff_base_seconds > sch.backoff_max_seconds:
        out.append(f"scheduler.backoff_base_seconds ({sch.backoff_base_seconds:g}) is above "
                   f"scheduler.backoff_max_seconds ({sch.backoff_max_seconds:g}): the first "
                   "retry would wait longer than the longest")
    if sch.lease_seconds <= http.timeout_seconds:
        out.append(f"scheduler.lease_seconds ({sch.lease_seconds:g}) must be above "
                   f"http.timeout_seconds ({http.timeout_seconds:g}): a post still waiting for "
                   "the platform's answer would be taken for a crash and could be sent twice")
    return out


def language(code: str) -> tuple[str | None, str | None]:
    """(problem, warning) for ``summary.language``: an unknown code is a problem, a language
    pysbd has no abbreviation list for a warning (English abbreviations are used)."""
    from babel import Locale, UnknownLocaleError
    from pysbd.languages import LANGUAGE_CODES

    from bot.summarize.sentences import normalize_language

    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return (f"summary.language: {code!r} is not a language code (use an ISO 639-1 code "
                "such as en, de, tr)"), None
    if normalize_language(code) not in LANGUAGE_CODES:
        return None, (f"summary.language: {code!r} has no abbreviation list in the sentence "
                      "splitter (pysbd); English abbreviations are used")
    return None, None


def online(settings: Settings) -> Findings:
    found = Findings()
    _feeds(settings, found)
    _accounts(settings, found)
    return found


def _feeds(settings: Settings, found: Findings) -> None:
    from bot.sources.feeds import poll_many

    results = poll_many([(f, None, None) for f in settings.feeds], settings.http)
    for feed, r in zip(settings.feeds, results, strict=True):
        if not r.ok:
            found.failures.append(f"feed {feed.name}: {r.error}")
            continue
        found.notes.append(f"feed {feed.name}: ok, {len(r.items)} items ({r.elapsed:.1f} s)")
        if r.warning:
            found.warnings.append(f"feed {feed.name}: {r.warning}")


def _accounts(settings: Settings, found: Findings) -> None:
    from bot.accounts import check_accounts

    live = [a.name for a in settings.accounts if a.enabled and not settings.is_dry_run(a)]
    if not live:
        found.notes.append("no live account to check")
        return
    try:
        results = check_accounts(settings, None, names=live)
    except BotError as exc:  # check_accounts handles each account; this is a safety net
        found.failures.append(f"accounts: {exc}")
        return
    for r in results:
        if r.ok:
            found.notes.append(f"account {r.account}: ok, posts as {r.identity}")
            if r.warning:
                found.warnings.append(f"account {r.account}: {r.warning}")
        else:
            found.failures.append(f"account {r.account}: {r.error}")
