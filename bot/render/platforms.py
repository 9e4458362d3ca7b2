"""How long a post may be on each platform, and how it is measured."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.config import Account
from bot.errors import ConfigError
from bot.render.length import plain_length, weighted_length, weighted_lower_bound


@dataclass(frozen=True)
class PlatformSpec:
    """The length rules of one platform (or of one account, see :func:`spec_for`)."""

    name: str
    max_length: int
    url_weight: int | None
    """What one URL counts for; None: URLs count as the characters they are written with."""
    weighted: bool
    """True: twitter-text weighted counting; False: plain code points."""

    def measure(self, text: str) -> int:
        return weighted_length(text) if self.weighted else plain_length(text)

    def fits(self, text: str) -> bool:
        if self.weighted and weighted_lower_bound(text) > self.max_length:
            return False  # certainly too long: skip the full count
        return self.measure(text) <= self.max_length


SPECS: dict[str, PlatformSpec] = {
    "twitter": PlatformSpec("twitter", 280, 23, True),
    "facebook": PlatformSpec("facebook", 63206, None, False),
    # No API for community posts; 1000 is a conservative size for a post or a comment.
    "youtube": PlatformSpec("youtube", 1000, None, False),
}


def spec_for(account: Account) -> PlatformSpec:
    """The platform's spec with the account's ``max_length`` applied, if it sets one."""
    try:
        spec = SPECS[account.platform]
    except KeyError:
        msg = f"account {account.name!r}: unknown platform {account.platform!r}"
        raise ConfigError(msg) from None
    if account.max_length is not None:
        spec = replace(spec, max_length=account.max_length)
    return spec
