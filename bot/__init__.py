"""pubbot: announce published articles on X/Twitter, Facebook Pages and YouTube."""

__version__ = "0.1.0"
