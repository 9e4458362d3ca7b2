"""Rendering: from an Article and its Summary to fitted Posts, one per account."""

from bot.render.fit import truncate
from bot.render.length import plain_length, weighted_length
from bot.render.links import with_utm
from bot.render.renderer import render_post, render_posts
from bot.render.rules import PlatformRules
from bot.render.templates import Templates

__all__ = [
    "PlatformRules", "Templates", "plain_length", "render_post", "render_posts",
    "truncate", "weighted_length", "with_utm",
]
