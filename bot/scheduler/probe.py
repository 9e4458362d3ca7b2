"""The container health probe: ``python -m bot.scheduler.probe`` asks the running daemon's
``/healthz`` on loopback (``BOT_HEALTH__PORT``, default 8787) and exits 0 when it answers 200,
1 otherwise. The Dockerfile's HEALTHCHECK and compose.yaml's healthcheck both run it.

Standard library only, no settings loaded: a probe every 30 s costs next to nothing. Proxy
settings are ignored (the daemon is on loopback). Its command line has no argument with a
space in it on purpose: podman-compose 1.0 turns a ``CMD`` healthcheck into one shell string
and breaks such arguments apart.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    port = os.environ.get("BOT_HEALTH__PORT", "8787")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=4) as answer:
            return 0 if answer.status == 200 else 1
    except OSError:  # refused, timed out, or an HTTP error status
        return 1


if __name__ == "__main__":
    sys.exit(main())
