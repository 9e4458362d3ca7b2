"""What a fake saw (``Recorded``) and what it answers (``Reply``, ``Scripted``)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Recorded:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)

    def q(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.text, keep_blank_values=True).items()}

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None

    def params(self) -> dict[str, str]:
        """Query and form fields together (form wins), like Graph API servers read them."""
        merged = {k: v[0] for k, v in self.query.items()}
        if "x-www-form-urlencoded" in (self.header("content-type") or ""):
            merged.update(self.form)
        return merged

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "query": self.query,
                "headers": self.headers, "body": self.text, "at": self.at}


@dataclass
class Reply:
    """What to answer. ``action``: None, "reset", "timeout", "ghost" or "slow"."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    action: str | None = None
    delay: float = 0.0


@dataclass
class Scripted:
    reply: Reply
    method: str | None = None
    path: str | None = None  # regular expression searched in the path
    times: int = 1
    after: int = 0  # let this many matching requests through first

    def matches(self, req: Recorded) -> bool:
        if self.method and self.method.upper() != req.method:
            return False
        return not self.path or re.search(self.path, req.path) is not None
