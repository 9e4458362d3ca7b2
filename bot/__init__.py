"""pubbot: announce published articles on X/Twitter, Facebook Pages, YouTube, Bluesky and
Mastodon."""

__version__ = "0.1.0"
