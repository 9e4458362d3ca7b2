"""Keep secrets out of log records.

Vendor libraries log more than they should at DEBUG: tweepy prints request headers
(the bearer token), requests-oauthlib and oauthlib print OAuth parameters, httpx logs
request URLs (Graph API GETs carry ``access_token=`` in the query). :class:`SecretFilter`
scrubs every registered secret value and a few well-known credential patterns from a
record before any handler formats it.

Filters attached to a *logger* only see records created on that very logger, so
:func:`install_redaction` attaches one shared filter to the root logger's handlers and
to every existing logger of the vendor libraries (and their children). Adapters call
:func:`register_secrets` on construction, which also re-attaches to loggers created
by late imports.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "********"
MIN_SECRET_LEN = 4

VENDOR_LOGGERS: tuple[str, ...] = (
    "tweepy",
    "requests",
    "urllib3",
    "httpx",
    "httpcore",
    "googleapiclient",
    "google",
    "google_auth_httplib2",
    "google_auth_oauthlib",
    "requests_oauthlib",
    "oauthlib",
    "httplib2",
    "bot",
)

_CRED_NAMES = (
    "oauth_signature|oauth_token_secret|oauth_token|oauth_verifier|oauth_consumer_key|"
    "access_token|refresh_token|client_secret|fb_exchange_token|input_token|"
    "appsecret_proof|id_token|bearer_token|page_token|consumer_secret|access_token_secret"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization header in any rendering: "'Authorization': 'OAuth k=\"v\", …'",
    # '"Authorization": "Bearer x"', "Authorization: Basic x"
    (re.compile(r"(?i)(authorization'\s*:\s*b?')(bearer|oauth|basic)?[^'\n]*"), rf"\1\2 {MASK}"),
    (re.compile(r'(?i)(authorization"\s*:\s*b?")(bearer|oauth|basic)?[^"\n]*'), rf"\1\2 {MASK}"),
    (
        re.compile(r"(?i)(authorization\s*[:=]\s*)(bearer|oauth|basic)?[^\n,;'\"}]*"),
        rf"\1\2 {MASK}",
    ),
    # key=value (query strings, form bodies, OAuth header params)
    (re.compile(rf"(?i)\b({_CRED_NAMES})=(\"?)[^&\s\"',}}]+"), rf"\1=\2{MASK}"),
    # JSON / dict repr: "access_token": "value"
    (
        re.compile(rf"(?i)(['\"](?:{_CRED_NAMES})['\"]\s*:\s*b?['\"])[^'\"]+"),
        rf"\1{MASK}",
    ),
)


def _variants(secret: str) -> set[str]:
    return {v for v in (secret, quote(secret, safe=""), quote_plus(secret)) if v}


def scrub(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every given secret (also URL-encoded) and credential pattern masked.

    ``secrets`` defaults to every value registered so far (:func:`register_secrets`; each
    adapter registers its own): error messages built from a platform's answer may quote the
    very token it refused ("Malformed access token EAAG…"), and they end up in the ledger
    and on the terminal, where no logging filter runs.
    """
    if secrets is None:
        secrets = _FILTER.values()
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= MIN_SECRET_LEN:
            for v in _variants(secret):
                text = text.replace(v, MASK)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class SecretFilter(logging.Filter):
    """Rewrites a record's message (and exception text) with every secret masked.

    Never drops a record; always returns True.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self.add(secrets)

    def add(self, secrets: Iterable[str | None]) -> None:
        new = {s for s in secrets if s and len(s) >= MIN_SECRET_LEN}
        if not new - self._secrets:
            return
        with self._lock:
            self._secrets = self._secrets | new

    @property
    def count(self) -> int:
        return len(self._secrets)

    def values(self) -> frozenset[str]:
        """The registered secret values."""
        return self._secrets

    def scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_pubbot_scrubbed", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw parts, scrubbed
            message = f"{record.msg} {record.args}"
        record.msg = self.scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
            record.exc_info = None  # the formatter would render the raw text again
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        record._pubbot_scrubbed = True
        return True


_FILTER = SecretFilter()
_INSTALL_LOCK = threading.Lock()


def secret_filter() -> SecretFilter:
    """The process-wide filter every adapter registers its secrets with."""
    return _FILTER


def _attach(logger: logging.Logger | logging.Handler) -> None:
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


def _attach_all() -> None:
    with _INSTALL_LOCK:
        root = logging.getLogger()
        for handler in root.handlers:
            _attach(handler)
        for name in VENDOR_LOGGERS:
            _attach(logging.getLogger(name))
        prefixes = tuple(n + "." for n in VENDOR_LOGGERS)
        for name, obj in list(logging.root.manager.loggerDict.items()):
            if isinstance(obj, logging.Logger) and name.startswith(prefixes):
                _attach(obj)


def register_secrets(values: Iterable[str | None]) -> None:
    """Add secret values to the shared filter and make sure it is attached everywhere."""
    _FILTER.add(values)
    _attach_all()


def install_redaction(secret_values: Iterable[str | None] = ()) -> SecretFilter:
    """Attach the shared filter to the root handlers and vendor loggers; return it.

    Call after logging is configured (handlers added later are not covered).
    """
    register_secrets(secret_values)
    return _FILTER


def mask(value: str | None) -> str:
    """Show a secret as ``ab…yz`` (long values), ``********`` or, for a URL,
    ``https://host/********``; never whole."""
    if not value:
        return "(not set)"
    if re.match(r"^https?://[^/\s]+/", value):  # a webhook: the host is no secret, the path is
        return value[: value.index("/", value.index("//") + 2) + 1] + MASK
    if len(value) >= 16:
        return f"{value[:2]}…{value[-2:]}"
    return MASK
