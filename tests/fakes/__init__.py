"""Fake servers on 127.0.0.1 for the adapters and the end-to-end suite.

``from tests.fakes import FakeX, FakeFacebook, FakeYouTube, FakeBluesky, FakeMastodon,
FakeWebhook``; each is a
context manager exposing ``.url``, ``.requests`` and ``.posts``. Run one as a process with
``python -m tests.fakes serve --platform x --port 0`` (see ``tests/fakes/__main__.py``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["FAKES", "FakeBluesky", "FakeFacebook", "FakeMastodon", "FakeWebhook", "FakeX",
           "FakeYouTube", "fake_class"]

FAKES: dict[str, str] = {
    "x": "tests.fakes.x:FakeX",
    "twitter": "tests.fakes.x:FakeX",
    "facebook": "tests.fakes.facebook:FakeFacebook",
    "youtube": "tests.fakes.youtube:FakeYouTube",
    "bluesky": "tests.fakes.bluesky:FakeBluesky",
    "mastodon": "tests.fakes.mastodon:FakeMastodon",
    "youtube_posts": "tests.fakes.youtube:FakeYouTube",  # the same fake, for a posts-mode run
    "webhook": "tests.fakes.webhook:FakeWebhook",
}


def fake_class(platform: str) -> Any:
    import importlib

    module, _, name = FAKES[platform].partition(":")
    return getattr(importlib.import_module(module), name)


def __getattr__(name: str) -> Any:  # lazy: importing the package stays cheap
    for platform, target in FAKES.items():
        if target.endswith(":" + name):
            return fake_class(platform)
    raise AttributeError(name)
