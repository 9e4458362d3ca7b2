"""Run a fake platform as its own process.

    python -m tests.fakes serve --platform x --port 0 --state-file /tmp/fx.json \
        --fail-rate 0.3 --seed 1

prints the base URL on stdout (one line), then serves until SIGTERM/SIGINT. Control it with
``GET /_fake/posts``, ``GET /_fake/requests``, ``POST /_fake/config`` (JSON knobs, e.g.
``{"fail_rate": 0, "script": [{"status": 503, "path": "/2/tweets"}]}``) and
``POST /_fake/reset``. Platform options (tokens, ids) go in ``--set key=value``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

from tests.fakes import FAKES, fake_class
from tests.fakes.base import FAIL_KINDS


def _value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve one fake platform")
    serve.add_argument("--platform", required=True, choices=sorted(FAKES))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--state-file")
    serve.add_argument("--fail-rate", type=float, default=0.0)
    serve.add_argument("--seed", type=int)
    serve.add_argument("--fail-kinds", default=",".join(FAIL_KINDS),
                       help="comma-separated: 500,429,reset,timeout,ghost,slow")
    serve.add_argument("--fail-paths", help="regex: only these paths fail")
    serve.add_argument("--delay", type=float, default=0.0)
    serve.add_argument("--timeout-sleep", type=float, default=2.0)
    serve.add_argument("--rate-limit", help="N/SECONDS, e.g. 5/60")
    serve.add_argument("--no-duplicates", action="store_true", help="accept duplicate posts")
    serve.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="platform option, e.g. page_token=abc (JSON values allowed)")
    args = parser.parse_args(argv)

    options: dict[str, Any] = {}
    for item in args.set:
        key, _, raw = item.partition("=")
        options[key.replace("-", "_")] = _value(raw)
    rate = None
    if args.rate_limit:
        n, _, span = args.rate_limit.partition("/")
        rate = (int(n), float(span))
    fake = fake_class(args.platform)(
        host=args.host, port=args.port, state_file=args.state_file, fail_rate=args.fail_rate,
        seed=args.seed, fail_kinds=tuple(k for k in args.fail_kinds.split(",") if k),
        fail_paths=args.fail_paths, delay=args.delay, timeout_sleep=args.timeout_sleep,
        duplicates=not args.no_duplicates, rate_limit=rate, **options,
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    fake.start()
    print(fake.url, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
