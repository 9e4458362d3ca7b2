"""Suite-wide fixtures, the no-internet guard and the layer markers.

Tests may talk to loopback servers they start themselves (fake platforms, feed servers,
PostgreSQL) and nothing else: any other connection fails the test at once.

Every test carries the marker of its layer, given by the folder it lives in (``LAYERS``), so
one layer runs alone (``pytest -m unit``, ``-m adapters``, ``-m e2e``; ``make check`` runs
``-m "unit or adapters"``). A test in a folder that names no layer stops the run: add the
folder to ``LAYERS`` and its marker to ``[tool.pytest.ini_options] markers``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.suite_services import (  # noqa: F401  (hooks: start PostgreSQL, name what is missing)
    ROOT,
    SHARED,
    pytest_collection_finish,
    pytest_terminal_summary,
    pytest_unconfigure,
)

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class InternetBlocked(RuntimeError):
    """A test tried to reach beyond loopback."""


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    if isinstance(address, tuple) and address:
        host = address[0]
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return False


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        raise InternetBlocked(f"tests must not reach the internet (tried {address!r})")
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_local(address):
        raise InternetBlocked(f"tests must not reach the internet (tried {address!r})")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
    if isinstance(host, bytes):
        host = host.decode()
    if host not in (None, "localhost") and isinstance(host, str):
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise InternetBlocked(f"tests must not resolve non-loopback hosts ({host!r})")
        except ValueError:
            raise InternetBlocked(
                f"tests must not resolve external host names ({host!r})"
            ) from None
    return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _no_internet() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _guarded_getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's BOT_* variables, .env or config/bot.yaml."""
    for key in list(os.environ):
        if key.startswith("BOT_") and key not in ("BOT_SHARED_DIR", "BOT_TEST_POSTGRES_URL"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("BOT_SECRETS_DIRS", str(tmp_path / "no-secrets"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ../shared folder; tests that need it skip when it is missing."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared corpora not found at {SHARED} (set BOT_SHARED_DIR)")
    return SHARED


@pytest.fixture(scope="session")
def sample_article_path(shared_dir: Path) -> Path:
    p = shared_dir / "corpora" / "articles" / "putin-ankara.txt"
    if not p.is_file():
        pytest.skip(f"sample article missing: {p}")
    return p


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger, its handlers and the quieted loggers back after a test that
    configures logging (bot.logs.setup_logging)."""
    from bot.logs import NOISY_LOGGERS

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {n: logging.getLogger(n).level for n in NOISY_LOGGERS}
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)
    for n, lvl in levels.items():
        logging.getLogger(n).setLevel(lvl)
    logging.captureWarnings(False)


# -- layer markers, by folder ---------------------------------------------------------------
TESTS = Path(__file__).resolve().parent
LAYERS = ("unit", "adapters", "e2e", "quality", "browser")
"""The top-level folders under tests/; every test in one carries the folder's name as marker."""


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its layer, from the folder it lives in."""
    for item in items:
        try:
            folder = item.path.resolve().relative_to(TESTS).parts[0]
        except ValueError:
            continue  # not under tests/
        if folder not in LAYERS:
            raise pytest.UsageError(
                f"tests/{folder}: not a known test layer; add it to LAYERS in tests/conftest.py "
                "and its marker to [tool.pytest.ini_options] markers in pyproject.toml")
        item.add_marker(folder)
