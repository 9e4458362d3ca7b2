"""The fake platforms themselves: scripting, failure injection, state, control, process mode."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.adapters.registry import get_adapter
from bot.config import Account
from bot.errors import RateLimited, Transient
from tests.adapters.conftest import FB_SECRETS, X_SECRETS, make_post, make_settings
from tests.fakes import FakeFacebook, FakeWebhook, FakeX, fake_class

ROOT = Path(__file__).resolve().parents[2]


def post_status(url: str, n: int = 1) -> list[int | str]:
    """POST to the webhook ``n`` times on fresh connections; status or error class name."""
    out: list[int | str] = []
    for i in range(n):
        try:
            with httpx.Client(timeout=2) as c:
                out.append(c.post(url, json={"text": f"m{i}"}).status_code)
        except httpx.HTTPError as exc:
            out.append(type(exc).__name__)
    return out


def test_scripted_replies_in_order_with_filters(hook: FakeWebhook) -> None:
    hook.expect(503, "first", path="^/other$")  # never matches the hook path
    hook.expect(500, "twice", method="POST", times=2)
    hook.expect(429, "later", method="POST", after=1)
    # call 1 and 2: the 500 (times=2); call 3: through (after=1); call 4: the 429
    assert post_status(hook.hook_url, 5) == [500, 500, 200, 429, 200]
    assert len(hook.posts) == 2
    assert len(hook.script) == 1 and hook.script[0].path == "^/other$"


def test_failure_injection_is_reproducible_with_a_seed() -> None:
    runs = []
    for _ in range(2):
        with FakeWebhook(fail_rate=0.5, seed=7, fail_kinds=("500", "429", "reset")) as fake:
            statuses = post_status(fake.hook_url, 16)
            runs.append((statuses, list(fake.injected), len(fake.posts)))
    assert runs[0] == runs[1]
    statuses, injected, stored = runs[0]
    kinds = {k for k, _ in injected}
    assert 0 < len(injected) < 16 and kinds <= {"500", "429", "reset"}
    assert stored == statuses.count(200) == 16 - len(injected)
    assert statuses.count(500) == sum(k == "500" for k, _ in injected)


def test_ghost_failure_posts_but_the_client_cannot_know(x_fake: FakeX) -> None:
    x_fake.expect(action="ghost", method="POST", path="/2/tweets")
    acc = Account(name="x", platform="twitter", api_base=x_fake.url)
    adapter = get_adapter(acc, make_settings(acc, X_SECRETS))
    with pytest.raises(Transient):
        adapter.publish(make_post("twitter"))
    assert len(x_fake.posts) == 1  # requests did not send it again
    found = adapter.find_existing("https://example.org/story")
    assert found is not None and found.remote_id == x_fake.posts[0]["id"]


def test_rate_window(hook: FakeWebhook) -> None:
    hook.configure(rate_limit=[2, 60])
    assert post_status(hook.hook_url, 3) == [200, 200, 429]
    wait = hook.rate_limited()
    assert wait is not None and 59 < wait <= 60


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "fb.json"
    acc_kw = {"name": "fb", "platform": "facebook"}
    with FakeFacebook(**FB_SECRETS, state_file=state) as fake:
        acc = Account(**acc_kw, api_base=fake.url, page_id=fake.page_id)
        first = get_adapter(acc, make_settings(acc, FB_SECRETS)).publish(make_post("facebook"))
    with FakeFacebook(**FB_SECRETS, state_file=state) as fake:
        assert [p["id"] for p in fake.posts] == [first.remote_id]
        acc = Account(**acc_kw, api_base=fake.url, page_id=fake.page_id)
        adapter = get_adapter(acc, make_settings(acc, FB_SECRETS))
        assert adapter.find_existing("https://example.org/story") is not None
        second = adapter.publish(make_post("facebook", text="another one"))
        assert second.remote_id != first.remote_id


def test_control_endpoints(hook: FakeWebhook) -> None:
    with httpx.Client(base_url=hook.url, timeout=2) as c:
        assert c.post("/_fake/config", json={"script": [{"status": 418, "body": "teapot"}]}
                      ).status_code == 200
        assert c.post(hook.path, json={"text": "a"}).status_code == 418
        assert c.post(hook.path, json={"text": "b"}).status_code == 200
        assert [p["text"] for p in c.get("/_fake/posts").json()["posts"]] == ["b"]
        reqs = c.get("/_fake/requests").json()["requests"]
        assert [json.loads(r["body"])["text"] for r in reqs] == ["a", "b"]
        assert c.post("/_fake/config", json={"no_such_knob": 1}).status_code == 400
        assert c.post("/_fake/reset").status_code == 200
        assert c.get("/_fake/posts").json() == {"posts": []}


def test_stop_closes_keep_alive_connections() -> None:
    fake = FakeWebhook().start()
    client = httpx.Client(timeout=1)
    try:
        assert client.post(fake.hook_url, json={"text": "x"}).status_code == 200
        fake.stop()
        with pytest.raises(httpx.HTTPError):
            client.post(fake.hook_url, json={"text": "y"})
        assert len(fake.posts) == 1
    finally:
        client.close()


def test_standalone_process(tmp_path: Path) -> None:
    state = tmp_path / "fb.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes", "serve", "--platform", "facebook", "--port", "0",
         "--state-file", str(state), "--seed", "1",
         "--set", f"page_token={FB_SECRETS['page_token']}", "--set", "page_id=777"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = (proc.stdout.readline() if proc.stdout else "").strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        acc = Account(name="fb", platform="facebook", api_base=url, page_id="777")
        creds = {"page_token": FB_SECRETS["page_token"]}
        result = get_adapter(acc, make_settings(acc, creds)).publish(make_post("facebook"))
        posts = httpx.get(f"{url}/_fake/posts", timeout=2).json()["posts"]
        assert [p["id"] for p in posts] == [result.remote_id]
        assert httpx.post(f"{url}/_fake/config", json={"fail_rate": 1.0, "fail_kinds": ["500"]},
                          timeout=2).status_code == 200
        assert httpx.get(f"{url}/v26.0/777", timeout=2).status_code == 500
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert json.loads(state.read_text())["posts"][0]["id"] == result.remote_id


def test_injected_failures_are_retryable_and_reconcilable() -> None:
    """Under random failures every publish either succeeds or raises a retryable error,
    and find_existing then tells exactly which posts the platform holds."""
    with FakeX(fail_rate=0.6, seed=3, fail_kinds=("500", "429", "reset", "ghost"),
               fail_paths="^/2/tweets$") as fake:
        acc = Account(name="x", platform="twitter", api_base=fake.url)
        adapter = get_adapter(acc, make_settings(acc, X_SECRETS))
        outcomes: dict[str, str] = {}
        for i in range(12):
            link = f"https://example.org/post-{i}"
            try:
                outcomes[link] = adapter.publish(make_post("twitter", text=f"n{i} {link}")).status
            except (Transient, RateLimited) as exc:
                assert exc.retryable
                outcomes[link] = type(exc).__name__
        kinds = {k for k, _ in fake.injected}
        assert {"ghost", "500"} <= kinds  # the seed exercises the interesting cases
        stored = {p["entities"]["urls"][0]["expanded_url"] for p in fake.posts}
        for link, outcome in outcomes.items():
            if outcome == "sent":
                assert link in stored
            assert (adapter.find_existing(link) is not None) == (link in stored)
        # ghosts: on the platform although the client saw an error
        assert any(outcomes[link] != "sent" for link in stored)


# -- lists page like the platforms ----------------------------------------------------------
@dataclass(frozen=True)
class Listing:
    """How one fake's list of the account's posts is asked for and read."""

    fake: str
    path: str
    size_param: str
    token_param: str
    default: int
    largest: int
    params: dict[str, str]
    next_token: Callable[[dict[str, Any]], str | None]
    ids: Callable[[dict[str, Any]], list[str]]
    error: Callable[[dict[str, Any]], object]


LISTINGS = [
    Listing("x", "/2/users/1001/tweets", "max_results", "pagination_token", 10, 100, {},
            lambda b: b["meta"].get("next_token"), lambda b: [i["id"] for i in b.get("data", [])],
            lambda b: b["errors"][0]["parameters"]),
    Listing("facebook", "/v26.0/1234567890/posts", "limit", "after", 25, 100,
            {"access_token": "fb-page-token-0123456789"},
            lambda b: b["paging"]["cursors"]["after"] if "next" in b.get("paging", {}) else None,
            lambda b: [i["id"] for i in b["data"]], lambda b: b["error"]["code"]),
    Listing("youtube", "/youtube/v3/commentThreads", "maxResults", "pageToken", 20, 100,
            {"part": "snippet", "allThreadsRelatedToChannelId": "UCfakechannel0001"},
            lambda b: b.get("nextPageToken"), lambda b: [i["id"] for i in b["items"]],
            lambda b: b["error"]["errors"][0]["reason"]),
]


@pytest.fixture(params=LISTINGS, ids=lambda listing: listing.fake)
def listed(request: pytest.FixtureRequest) -> Iterator[tuple[Listing, Any, httpx.Client]]:
    listing: Listing = request.param
    fake = fake_class(listing.fake)().start()
    if listing.fake == "youtube":
        fake.access_tokens.add("ya29.listing")
    headers = {"Authorization": "Bearer ya29.listing" if listing.fake == "youtube" else "Bearer t"}
    fake.add_others(2 * listing.largest + 30)
    try:
        with httpx.Client(base_url=fake.url, headers=headers, timeout=5) as client:
            yield listing, fake, client
    finally:
        fake.stop()


def _get(listing: Listing, client: httpx.Client, **params: Any) -> httpx.Response:
    return client.get(listing.path, params={**listing.params, **params})


def test_lists_are_newest_first_in_pages_of_the_documented_default(
        listed: tuple[Listing, Any, httpx.Client]) -> None:
    listing, fake, client = listed
    body = _get(listing, client).json()
    newest = [str(p["id"]) for p in reversed(fake.posts)]
    assert listing.ids(body) == newest[:listing.default]
    assert listing.next_token(body)


def test_paging_reads_everything_once_while_newer_posts_arrive(
        listed: tuple[Listing, Any, httpx.Client]) -> None:
    listing, fake, client = listed
    before = [str(p["id"]) for p in reversed(fake.posts)]
    seen: list[str] = []
    token = None
    while True:
        extra = {listing.token_param: token} if token else {}
        body = _get(listing, client, **{listing.size_param: listing.largest}, **extra).json()
        seen += listing.ids(body)
        fake.add_others(3)  # colleagues keep posting: the cursor must not shift
        token = listing.next_token(body)
        if not token:
            break
    assert seen == before
    assert fake.items_listed == len(before)


def test_bad_page_sizes_and_tokens_get_the_platforms_errors(
        listed: tuple[Listing, Any, httpx.Client]) -> None:
    listing, _, client = listed
    too_big = _get(listing, client, **{listing.size_param: listing.largest + 1})
    assert too_big.status_code == 400 and listing.error(too_big.json())
    stale = _get(listing, client, **{listing.token_param: "bm90LWEtdG9rZW4"})
    assert stale.status_code == 400 and listing.error(stale.json())
