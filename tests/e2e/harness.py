"""Process harness for the fault suite: fake platforms, a feed server, daemons and their config.

Everything runs as a real process on 127.0.0.1, as in production:

* :class:`FakePlatform` — a fake X, Facebook or YouTube (``tests.fakes``) started through
  ``python -m tests.e2e.harness fake …``, which is ``python -m tests.fakes serve`` with two
  additions: the reset times of injected 429s are seconds instead of minutes (so a run
  stays short), and ``GET /_fake/injected`` lists the faults injected so far;
* :class:`FeedSite` — ``python -m tests.fakes.feedserver`` serving one RSS file that the
  harness rewrites (atomically) as it publishes articles;
* :class:`Fleet` — ``python -m bot run`` daemons that it kills with SIGKILL and restarts;
  a daemon that ends itself through a failpoint (``BOT_FAILPOINTS``, exit status 137) is
  counted apart from the SIGKILLs (status -9);
* :func:`write_config` — the YAML that points the daemons at all of the above.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
FAILPOINT_EXIT = 137

# Credentials the fakes accept (their defaults; X only checks the OAuth 1.0a header shape).
X_CREDS = {"consumer_key": "fault-ck-Qz7vCKHv93", "consumer_secret": "fault-cs-Wm4qCSjT61",
           "access_token": "1001-fault-at-Vb8nATLq", "access_token_secret": "fault-ats-Pk3wASnY"}
FB_PAGE_ID = "1234567890"
FB_CREDS = {"page_token": "fb-page-token-0123456789"}
YT_CREDS = {"client_id": "yt-client-id", "client_secret": "yt-client-secret-0123",
            "refresh_token": "yt-refresh-token-0123456789"}
BSKY_HANDLE = "news.example.org"
BSKY_CREDS = {"app_password": "abcd-efgh-ijkl-mnop"}
MASTODON_CREDS = {"access_token": "mastodon-user-token-0123456789"}
PLATFORMS = {"x": "twitter", "facebook": "facebook", "youtube": "youtube", "bluesky": "bluesky",
             "mastodon": "mastodon", "youtube_posts": "youtube"}
"""fake name -> the bot's platform name; the account of each is named after the fake
(``youtube`` comments, ``youtube_posts`` publishes through the posts API)."""
POST_PATHS = {"x": r"^/2/tweets$", "facebook": r"/feed$", "youtube": r"/commentThreads$",
              "bluesky": r"/xrpc/com\.atproto\.repo\.createRecord$",
              "mastodon": r"^/api/v1/statuses$", "youtube_posts": r"^/youtube/v3/posts$"}
"""fake name -> the path (regex) of its POST that makes a post."""


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: none of the caller's BOT_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env["PYTHONPATH"] = str(ROOT)
    env["BOT_SECRETS_DIRS"] = "/nonexistent-secrets"
    env.update(extra)
    return env


def _read_ready_line(proc: subprocess.Popen[str], what: str, timeout: float = 30) -> str:
    """The first stdout line of ``proc`` (its URL), or AssertionError after ``timeout``."""
    assert proc.stdout is not None
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()),  # type: ignore[union-attr]
                              daemon=True)
    reader.start()
    reader.join(timeout)
    if not box or not box[0].strip():
        proc.kill()
        raise AssertionError(f"{what} did not print its URL within {timeout:g} s")
    return box[0].strip()


def _stop(proc: subprocess.Popen[Any], timeout: float = 15) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


# --------------------------------------------------------------------------- fake platforms
class FakePlatform:
    """One fake platform process and its control endpoints."""

    def __init__(self, name: str, workdir: Path, *, fail_rate: float, seed: int,
                 fail_kinds: str = "500,429,reset,timeout,ghost", timeout_sleep: float = 1.5,
                 reset_seconds: float = 2.0, options: dict[str, Any] | None = None) -> None:
        self.name = name
        self.state_file = workdir / f"{name}-state.json"
        self.log_path = workdir / f"fake-{name}.log"
        argv = [sys.executable, "-m", "tests.e2e.harness", "fake", "--platform", name,
                "--port", "0", "--state-file", str(self.state_file),
                "--fail-rate", str(fail_rate), "--seed", str(seed), "--fail-kinds", fail_kinds,
                "--timeout-sleep", str(timeout_sleep)]
        options = dict(options or {})
        if name == "youtube":  # 50 units a comment: the default 10,000 a day is 200 posts
            options.setdefault("quota_per_day", 10_000_000)
        if name == "mastodon":  # 300 calls per 5 minutes: a run with retries makes more
            options.setdefault("requests_per_window", 1_000_000)
        if name == "youtube_posts":  # the backlog: channel posts made in YouTube Studio
            options.setdefault("others", "posts")
        for key, value in options.items():
            argv += ["--set", f"{key}={json.dumps(value)}"]
        self._log: IO[bytes] = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=child_env(FAULT_RESET_SECONDS=str(reset_seconds)),
            stdout=subprocess.PIPE, stderr=self._log, text=True)
        self.url = _read_ready_line(self.proc, f"fake {name}")
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def posts(self) -> list[dict[str, Any]]:
        posts: list[dict[str, Any]] = self.http.get("/_fake/posts").json()["posts"]
        return posts

    def injected(self) -> Counter[str]:
        """Faults injected so far, by kind (a ghost on a read is really a reset)."""
        return Counter(self.http.get("/_fake/injected").json()["kinds"])

    def configure(self, **knobs: Any) -> None:
        self.http.post("/_fake/config", json=knobs).raise_for_status()

    def items_listed(self) -> int:
        """Posts returned by its list answers so far (X bills each one)."""
        return int(self.http.get("/_fake/health").json()["items_listed"])

    def stop(self) -> None:
        self.http.close()
        _stop(self.proc)
        self._log.close()


def post_link(platform: str, post: dict[str, Any]) -> str | None:
    """The article link a fake's stored post carries."""
    if platform == "facebook" and post.get("link"):
        return str(post["link"])
    found = re.search(r"https?://\S+", str(post.get("text") or post.get("message") or ""))
    return found.group(0) if found else None


def harnessed_fake(platform: str) -> Any:
    """The fake class for ``platform`` with short 429 resets and ``/_fake/injected``."""
    from tests.fakes import fake_class
    from tests.fakes.records import Recorded, Reply

    base = fake_class(platform)
    reset = float(os.environ.get("FAULT_RESET_SECONDS", "2"))

    class Harnessed(base):  # type: ignore[misc,valid-type]
        def error_reply(self, kind: str, req: Recorded) -> Reply:
            reply: Reply = super().error_reply(kind, req)
            if kind != "429":
                return reply
            if self.platform == "x":  # X's own headers, with a reset seconds away
                reply.headers.update({"x-rate-limit-remaining": "0",
                                      "x-rate-limit-reset": str(int(time.time() + reset))})
            elif self.platform == "bluesky":  # the PDS's window, reset seconds away
                reply.headers["ratelimit-reset"] = str(int(time.time() + reset))
            elif self.platform == "mastodon":  # an ISO 8601 reset time
                reply.headers["X-RateLimit-Reset"] = datetime.fromtimestamp(
                    time.time() + reset, UTC).isoformat()
            elif self.platform == "facebook":  # Meta's usage header, regain time in minutes
                reply.headers.pop("X-App-Usage", None)
                reply.headers["X-Business-Use-Case-Usage"] = json.dumps({self.page_id: [{
                    "type": "pages", "call_count": 100, "total_cputime": 10, "total_time": 10,
                    "estimated_time_to_regain_access": round(reset / 60, 3)}]})
            return reply

        def _control(self, req: Recorded) -> Reply:
            if req.path == "/_fake/injected":
                with self.lock:
                    kinds = [self._effective(kind, path) for kind, path in self.injected]
                return Reply(200, {"kinds": kinds})
            reply: Reply = super()._control(req)
            return reply

        def _effective(self, kind: str, path: str) -> str:
            if kind == "ghost" and not re.search(self.post_paths, path):
                return "reset"  # the fake turns a ghost on a read into a reset
            return kind

    Harnessed.__name__ = f"Harnessed{base.__name__}"
    return Harnessed


# --------------------------------------------------------------------------- the feed
@dataclass
class FeedSite:
    """The feed server process and the RSS file it serves (``<dir>/news.xml``)."""

    workdir: Path
    name: str = "news"
    items: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dir = self.workdir / "feeds"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.write()
        self._log: IO[bytes] = open(self.workdir / "feedserver.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.feedserver", "--port", "0", "--dir",
             str(self.dir)], cwd=ROOT, env=child_env(), stdout=subprocess.PIPE,
            stderr=self._log, text=True)
        self.base_url = _read_ready_line(self.proc, "feed server").rstrip("/")

    @property
    def url(self) -> str:
        return f"{self.base_url}/{self.name}.xml"

    def write(self) -> None:
        """Write the feed (newest first) so that a reader never sees half a file."""
        from tests.fakes.feedserver import rss_document

        target = self.dir / f"{self.name}.xml"
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(rss_document(list(reversed(self.items)), title="Fault Suite News"))
        os.replace(tmp, target)

    def publish(self, items: list[Any]) -> None:
        self.items.extend(items)
        self.write()

    def stop(self) -> None:
        _stop(self.proc)
        self._log.close()


TOPICS = ["harbour", "railway", "library", "bridge", "orchard", "festival", "clinic",
          "museum", "reservoir", "market", "stadium", "observatory"]
PLACES = ["Northgate", "Elm Vale", "Kestrel Bay", "Old Mill", "Riverside", "Highfield"]


def make_article(n: int, run: str, rng: random.Random) -> Any:
    """Article number ``n``: unique title, link and sentences (X refuses repeated text)."""
    from tests.fakes.feedserver import Item

    topic, place = rng.choice(TOPICS), rng.choice(PLACES)
    sentences = [
        f"Report {n} says the {topic} in {place} will reopen after a long repair.",
        f"The council approved plan {n} for the {topic} on Tuesday after a short debate.",
        f"Engineers on project {n} expect the work in {place} to finish within months.",
        f"Residents told reporters that the {topic} matters to the whole of {place}.",
        f"A public meeting about item {n} is planned for the first week of next month.",
    ]
    html = "".join(f"<p>{s}</p>" for s in sentences)
    return Item(
        title=f"{place} {topic} plan {n} approved", link=f"https://news.example.org/{run}/{n}",
        guid=f"{run}-{n}", description=sentences[0], content=html, categories=["Local"],
        author="Fault Desk", published=datetime.now(UTC),
    )


# --------------------------------------------------------------------------- config
def write_config(path: Path, *, data_dir: Path, database_url: str | None, feed_url: str,
                 fakes: dict[str, FakePlatform], lease_seconds: float = 4.0) -> Path:
    """The daemons' YAML: a live account on each fake, one fast feed, short timings."""
    accounts: list[dict[str, Any]] = []
    credentials: dict[str, Any] = {}
    for name, fake in fakes.items():
        acc: dict[str, Any] = {"name": name, "platform": PLATFORMS[name], "api_base": fake.url,
                               "min_spacing_minutes": 0}
        if name == "facebook":
            acc["page_id"] = FB_PAGE_ID
            credentials[name] = FB_CREDS
        elif name in ("youtube", "youtube_posts"):
            acc.update(mode="comment" if name == "youtube" else "posts")
            credentials[name] = YT_CREDS
        elif name == "bluesky":
            acc["handle"] = BSKY_HANDLE
            credentials[name] = BSKY_CREDS
        elif name == "mastodon":
            acc.update(server=acc.pop("api_base"))
            credentials[name] = MASTODON_CREDS
        else:
            credentials[name] = X_CREDS
        accounts.append(acc)
    doc = {
        "site_name": "Fault Suite News",
        "data_dir": str(data_dir),
        "database_url": database_url,
        "accounts": accounts,
        "credentials": credentials,
        "feeds": [{"name": "news", "url": feed_url, "interval_seconds": 1,
                   "jitter_seconds": 0, "fetch_page": "never", "max_age_hours": 24}],
        "http": {"timeout_seconds": 1.0},
        "health": {"enabled": False},
        "scheduler": {"dispatch_interval_seconds": 0.2, "backoff_base_seconds": 0.2,
                      "backoff_max_seconds": 3, "lease_seconds": lease_seconds,
                      "max_attempts": 100,
                      # fakes and daemons share one clock: look-ups need no margin for skew
                      "lookup_margin_seconds": 1},
        "log_format": "json",
        "log_level": "INFO",
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- daemons
UP_BEFORE_KILL = 1.0
"""Seconds a daemon must have been running (past its "daemon started" line) before the
harness may kill it — or as long as it took to start, if that was longer: on a busy machine
a start takes seconds, and killing daemons that never get to work tests nothing."""


@dataclass
class Slot:
    index: int
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    log_offset: int = 0
    """Size of its log when the current process started."""
    spawned_at: float = 0.0
    up_since: float | None = None
    """When the harness first saw the current process's "daemon started" line (monotonic)."""


@dataclass
class Tally:
    kills: int = 0
    """SIGKILLs sent by the harness to a running daemon."""
    failpoint_exits: int = 0
    """Daemons that ended themselves between the platform call and the commit (137)."""
    other_exits: list[tuple[int, int]] = field(default_factory=list)
    """(slot, status) of any other end: a crash or a refusal to start."""
    starts: int = 0


class Fleet:
    """``n`` daemons on one config; restarts whatever ends, counts how each one ended."""

    def __init__(self, n: int, config: Path, workdir: Path, *, failpoints: str | None) -> None:
        self.config, self.workdir = config, workdir
        self.failpoints = failpoints
        self.slots = [Slot(i) for i in range(n)]
        self.tally = Tally()

    def log_path(self, slot: Slot) -> Path:
        return self.workdir / f"daemon-{slot.index}.log"

    def _start(self, slot: Slot) -> None:
        env = child_env(BOT_CONFIG=str(self.config))
        if self.failpoints:
            env["BOT_FAILPOINTS"] = self.failpoints
        with open(self.log_path(slot), "ab") as log:
            slot.log_offset, slot.up_since = log.tell(), None
            slot.spawned_at = time.monotonic()
            slot.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=self.workdir,
                                         env=env, stdout=subprocess.DEVNULL, stderr=log)
        slot.starts += 1
        self.tally.starts += 1

    def start(self) -> None:
        for slot in self.slots:
            self._start(slot)

    def reap(self) -> None:
        """Count and restart every daemon that ended on its own."""
        for slot in self.slots:
            if slot.proc is None or slot.proc.poll() is None:
                self._watch(slot)
                continue
            code = slot.proc.returncode
            if code == FAILPOINT_EXIT:
                self.tally.failpoint_exits += 1
            else:
                self.tally.other_exits.append((slot.index, code))
            self._start(slot)

    def _watch(self, slot: Slot) -> None:
        """Note when the slot's daemon logs that it started."""
        if slot.proc is None or slot.up_since is not None:
            return
        with open(self.log_path(slot), "rb") as log:
            log.seek(slot.log_offset)
            if b'"daemon started' in log.read():
                slot.up_since = time.monotonic()

    def working(self, slot: Slot) -> bool:
        """The slot's daemon has been running for ``UP_BEFORE_KILL`` seconds, or for as long
        as it took to start, whichever is longer."""
        if slot.proc is None or slot.proc.poll() is not None:
            return False
        self._watch(slot)
        if slot.up_since is None:
            return False
        startup = slot.up_since - slot.spawned_at
        return time.monotonic() - slot.up_since >= max(UP_BEFORE_KILL, startup)

    def kill_one(self, rng: random.Random) -> bool:
        """SIGKILL a random working daemon and start it again at once; False when none is
        working yet (nothing killed)."""
        self.reap()
        ready = [slot for slot in self.slots if self.working(slot)]
        if not ready:
            return False
        slot = rng.choice(ready)
        assert slot.proc is not None
        slot.proc.send_signal(signal.SIGKILL)
        slot.proc.wait()
        if slot.proc.returncode == -signal.SIGKILL:
            self.tally.kills += 1
        elif slot.proc.returncode == FAILPOINT_EXIT:  # it beat us to it
            self.tally.failpoint_exits += 1
        else:
            self.tally.other_exits.append((slot.index, slot.proc.returncode))
        self._start(slot)
        return True

    def kill_all(self) -> None:
        """SIGKILL every daemon (not restarted; counted as kills)."""
        self.reap()
        for slot in self.slots:
            assert slot.proc is not None
            slot.proc.send_signal(signal.SIGKILL)
            slot.proc.wait()
            if slot.proc.returncode == -signal.SIGKILL:
                self.tally.kills += 1
            elif slot.proc.returncode == FAILPOINT_EXIT:
                self.tally.failpoint_exits += 1
            slot.proc = None

    def restart_all(self, *, failpoints: str | None) -> None:
        self.failpoints = failpoints
        for slot in self.slots:
            if slot.proc is None or slot.proc.poll() is not None:
                self._start(slot)

    def stop(self, timeout: float = 30) -> list[int]:
        """SIGTERM every daemon; their exit statuses (0 is a clean stop)."""
        codes = []
        for slot in self.slots:
            if slot.proc is not None:
                codes.append(_stop(slot.proc, timeout))
        return codes

    def logs(self) -> list[dict[str, Any]]:
        """Every JSON log line of every daemon, in file order."""
        lines: list[dict[str, Any]] = []
        for slot in self.slots:
            path = self.log_path(slot)
            if not path.is_file():
                continue
            for raw in path.read_text("utf-8", "replace").splitlines():
                if raw.startswith("{"):
                    try:
                        lines.append(json.loads(raw))
                    except ValueError:
                        continue  # a line cut short by SIGKILL
        return lines

    def tail(self, chars: int = 3000) -> str:
        out = []
        for slot in self.slots:
            path = self.log_path(slot)
            if path.is_file():
                text = path.read_text("utf-8", "replace")
                out.append(f"--- daemon {slot.index}\n{text[-chars:]}")
        return "\n".join(out)


def stop_all(fleet: Fleet | None, site: FeedSite | None, fakes: dict[str, FakePlatform]
             ) -> None:
    """Stop what a run started (whatever got started): daemons, feed server, fakes."""
    if fleet is not None:
        fleet.stop(timeout=10)
    if site is not None:
        site.stop()
    for fake in fakes.values():
        fake.stop()


# --------------------------------------------------------------------------- look-ups
def lookup_figures(logs: list[dict[str, Any]], backlog: int) -> dict[str, dict[str, Any]]:
    """Per account: the look-ups the daemons logged (``bot.adapters.lookup``), how they
    ended, the posts each read, and how many found their post behind ``backlog`` or more
    newer posts."""
    out: dict[str, dict[str, Any]] = {}
    for rec in logs:
        if "lookup_posts" not in rec:
            continue
        fig = out.setdefault(rec["account"], {"look-ups": 0, "outcomes": Counter(),
                                              "posts read": []})
        fig["look-ups"] += 1
        fig["outcomes"][rec["lookup"]] += 1
        fig["posts read"].append(int(rec["lookup_posts"]))
    for fig in out.values():
        read = sorted(fig.pop("posts read"))
        fig["outcomes"] = dict(fig["outcomes"])
        fig["posts read: median / max / total"] = (read[len(read) // 2], read[-1], sum(read))
        fig["found behind >= backlog"] = 0
    for rec in logs:
        if rec.get("lookup") == "found" and int(rec.get("lookup_newer") or 0) >= backlog:
            out[rec["account"]]["found behind >= backlog"] += 1
    return out


# --------------------------------------------------------------------------- `bot status`
def bot_status(config: Path, workdir: Path) -> dict[str, Any]:
    """``bot status --json`` run as a user would."""
    res = subprocess.run([sys.executable, "-m", "bot", "status", "--json", "--limit", "1"],
                         cwd=workdir, env=child_env(BOT_CONFIG=str(config)),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr[-2000:]
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "fake":
        print("usage: python -m tests.e2e.harness fake --platform "
              f"{'|'.join(PLATFORMS)} [serve options of python -m tests.fakes]", file=sys.stderr)
        return 2
    from tests.fakes import __main__ as fakes_main

    fakes_main.fake_class = harnessed_fake
    return fakes_main.main(["serve", *args[1:]])


if __name__ == "__main__":
    sys.exit(main())
