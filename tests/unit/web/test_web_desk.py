"""The web desk: signing in, the queue with previews, the four decisions, CSRF, roles."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from bot.config import Settings, load_settings
from bot.store import DeliveryStatus as S
from bot.store import Store
from bot.web.app import create_app

from .conftest import (
    PASSWORD,
    SECRET,
    VIEWER_PASSWORD,
    add_article,
    form_of,
    hashed,
    sign_in,
    token_in,
)


def test_every_page_needs_a_signed_in_user(client: TestClient, settings: Settings,
                                           store: Store) -> None:
    (row, *_) = add_article(store, settings, 1)
    for path in ("/", f"/d/{row.id}", "/history", "/health"):
        res = client.get(path)
        assert res.status_code == 303 and res.headers["location"] == f"/login?next={path}"
    res = client.post(f"/d/{row.id}/approve", data={"version": str(row.version)})
    assert res.status_code == 401
    assert store.get_delivery(row.id).status == S.AWAITING_REVIEW  # type: ignore[union-attr]


def test_the_queue_previews_each_post_as_its_platform_shows_it(editor: TestClient,
                                                               settings: Settings,
                                                               store: Store) -> None:
    x, fb, yt = add_article(store, settings, 1)
    html = editor.get("/").text
    assert "3</b> awaiting review" in html
    x_card = html[html.index(f'id="d{x.id}"'):]
    x_card = x_card[:x_card.index("</article>")]
    assert 'class="preview x"' in x_card and "@x" in x_card
    assert 'class="card large"' in x_card and "From news.example.org" in x_card
    assert ">news.example.org/2026/sto…<" in x_card  # the link as X prints it
    fb_card = html[html.index(f'id="d{fb.id}"'):]
    fb_card = fb_card[:fb_card.index("</article>")]
    assert 'class="preview fb"' in fb_card and "NEWS.EXAMPLE.ORG" in fb_card
    assert "The city&#39;s harbour ferry will sail again" in fb_card  # the description
    assert 'src="http://127.0.0.1:9/img/1.jpg"' in fb_card
    assert 'class="preview yt"' in html[html.index(f'id="d{yt.id}"'):]
    assert f"{x.payload['post']['length']} / 280 weighted" in x_card


def test_script_in_a_title_or_post_is_shown_as_text(editor: TestClient, settings: Settings,
                                                    store: Store) -> None:
    (row, *_) = add_article(store, settings, 1, title='<script>alert("t")</script> & <b>bold</b>')
    for path in ("/", f"/d/{row.id}"):
        html = editor.get(path).text
        escaped = "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
        assert escaped in html
        assert "<script>alert" not in html and "<b>bold" not in html


def test_no_inline_script_or_style_and_strict_headers(editor: TestClient, settings: Settings,
                                                      store: Store) -> None:
    (row, *_) = add_article(store, settings, 1)
    for path in ("/", f"/d/{row.id}", "/history", "/health", "/login"):
        res = editor.get(path)
        assert res.status_code in (200, 303)
        scripts = re.findall(r"<script([^>]*)>", res.text)
        assert all('src="/static/' in s for s in scripts)
        assert not re.search(r"\sstyle=|\son[a-z]+=", res.text)
        csp = res.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert res.headers["x-frame-options"] == "DENY"
        assert res.headers["x-content-type-options"] == "nosniff"
        assert res.headers["referrer-policy"] == "no-referrer"


def test_approve_skip_and_reschedule_are_one_form_each(editor: TestClient, settings: Settings,
                                                       store: Store) -> None:
    x, fb, yt = add_article(store, settings, 1)
    fields = form_of(editor)
    res = editor.post(f"/d/{x.id}/approve", data=fields(x.id, "approve"))
    assert res.status_code == 303 and res.headers["location"] == "/"
    assert f"Delivery {x.id} approved." in editor.get("/").text
    res = editor.post(f"/d/{fb.id}/skip", data=fields(fb.id, "skip"))
    assert res.status_code == 303
    res = editor.post(f"/d/{yt.id}/reschedule", data=fields(yt.id, "reschedule",
                                                             at="2031-05-01T09:30"))
    assert res.status_code == 303
    rows = {r.id: r for r in store.list_deliveries(limit=10)}
    assert rows[x.id].status == S.PENDING and rows[fb.id].status == S.SKIPPED
    assert rows[yt.id].status == S.AWAITING_REVIEW
    assert rows[yt.id].next_attempt_at.isoformat() == "2031-05-01T09:30:00+00:00"  # yt is UTC
    for r in (x, fb, yt):
        assert store.history(r.id)[-1].actor == "web:editor"


def test_an_edit_that_does_not_fit_is_refused_with_the_reason(editor: TestClient,
                                                               settings: Settings,
                                                               store: Store) -> None:
    (x, *_) = add_article(store, settings, 1)
    fields = form_of(editor, f"/d/{x.id}")
    long = "Far too many words for one post. " * 9 + str(x.link)
    res = editor.post(f"/d/{x.id}/edit", data=fields(x.id, "edit", text=long))
    assert res.status_code == 422
    assert "too long for X: 320 &gt; 280" in res.text
    assert long.split(" https")[0][:60] in res.text  # the draft is kept for another go
    assert store.get_delivery(x.id).text == x.text  # type: ignore[union-attr]
    short = f"The ferry is back. {x.link}"
    res = editor.post(f"/d/{x.id}/edit", data=fields(x.id, "edit", text=short))
    assert res.status_code == 303 and res.headers["location"] == f"/d/{x.id}"
    assert store.get_delivery(x.id).text == short  # type: ignore[union-attr]
    assert "old text" in editor.get(f"/d/{x.id}").text  # the history keeps it


def test_a_decision_on_a_changed_delivery_is_a_conflict(editor: TestClient, settings: Settings,
                                                        store: Store) -> None:
    (x, *_) = add_article(store, settings, 1)
    fields = form_of(editor)(x.id, "approve")
    store.skip(x.id, now=x.created_at, actor="cli:other")
    res = editor.post(f"/d/{x.id}/approve", data=fields)
    assert res.status_code == 409 and "changed since you read it" in res.text


def test_a_post_without_the_csrf_token_is_refused(editor: TestClient, settings: Settings,
                                                  store: Store) -> None:
    (x, *_) = add_article(store, settings, 1)
    fields = form_of(editor)(x.id, "approve")
    for bad in ({}, {"csrf": "forged-token"}):
        data = {k: v for k, v in fields.items() if k != "csrf"} | bad
        res = editor.post(f"/d/{x.id}/approve", data=data)
        assert res.status_code == 403 and "CSRF" in res.text
    res = editor.post(f"/d/{x.id}/measure", json={"text": "hi"})
    assert res.status_code == 403
    assert store.get_delivery(x.id).status == S.AWAITING_REVIEW  # type: ignore[union-attr]
    fresh = TestClient(editor.app, follow_redirects=False)
    res = fresh.post("/login", data={"name": "editor", "password": PASSWORD})
    assert res.status_code == 403  # signing in needs the login page's token too


def test_the_counter_measures_with_the_servers_rules(editor: TestClient, settings: Settings,
                                                     store: Store) -> None:
    (x, *_) = add_article(store, settings, 1)
    token = token_in(editor.get(f"/d/{x.id}").text)
    text = "港" * 129 + " " + str(x.link)
    res = editor.post(f"/d/{x.id}/measure", json={"text": text}, headers={"X-CSRF-Token": token})
    assert res.json() == {"length": 282, "limit": 280, "fits": False, "counting": "weighted",
                          "problem": "too long for X: 282 > 280 (280 weighted characters, "
                                     "every URL counts 23)"}
    res = editor.post(f"/d/{x.id}/measure", json={"nope": 1}, headers={"X-CSRF-Token": token})
    assert res.status_code == 400


def test_a_read_only_user_sees_but_cannot_decide(client: TestClient, settings: Settings,
                                                 store: Store) -> None:
    (x, *_) = add_article(store, settings, 1)
    assert sign_in(client, "reader", VIEWER_PASSWORD).status_code == 303
    html = client.get("/").text
    assert "(read-only)" in html and f"/d/{x.id}/approve" not in html
    res = client.post(f"/d/{x.id}/approve", data={"csrf": token_in(html),
                                                   "version": str(x.version)})
    assert res.status_code == 403 and "read-only" in res.text
    assert store.get_delivery(x.id).status == S.AWAITING_REVIEW  # type: ignore[union-attr]


def test_history_links_to_the_sent_posts_and_health_lists_feeds_and_accounts(
        editor: TestClient, settings: Settings, store: Store) -> None:
    (x, *_) = add_article(store, settings, 1, status=S.PENDING)
    store.claim_specific(x.id, owner="w", now=x.created_at, lease_seconds=60)
    store.mark_sent(x.id, remote_id="77", remote_url="https://x.com/i/web/status/77",
                    now=x.created_at, owner="w")
    html = editor.get("/history").text
    assert 'href="https://x.com/i/web/status/77"' in html
    health = editor.get("/health").text
    assert "news" in health and "dry run" in health and ">required<" in health


def test_bluesky_and_mastodon_posts_are_previewed_as_they_show_them(store: Store) -> None:
    settings = load_settings(
        site_name="Harbour Gazette",
        accounts=[
            {"name": "sky", "platform": "bluesky", "review": "required", "dry_run": True,
             "handle": "gazette.example.org"},
            {"name": "toot", "platform": "mastodon", "review": "required", "dry_run": True,
             "server": "https://social.example.org", "visibility": "unlisted",
             "content_warning": "Local news <b>"},
        ],
        feeds=[{"name": "news", "url": "https://news.example.org/feed"}],
        web={"users": {"editor": hashed(PASSWORD)}, "session_secret": SECRET},
    )
    sky, toot = add_article(store, settings, 7)
    with TestClient(create_app(settings, store), follow_redirects=False) as client:
        assert sign_in(client).status_code == 303
        html = client.get("/").text
    sky_card = html[html.index(f'id="d{sky.id}"'):]
    sky_card = sky_card[:sky_card.index("</article>")]
    # Bluesky: the handle, and the card the bot attaches itself (its rules have no server card)
    assert 'class="preview bsky"' in sky_card and "@gazette.example.org" in sky_card
    assert 'class="card large"' in sky_card and "From news.example.org" in sky_card
    assert f"{sky.payload['post']['length']} / 300 graphemes" in sky_card
    toot_card = html[html.index(f'id="d{toot.id}"'):]
    toot_card = toot_card[:toot_card.index("</article>")]
    assert 'class="preview mast"' in toot_card and "@toot" in toot_card
    assert "unlisted" in toot_card
    assert "Local news &lt;b&gt; <span" in toot_card  # the content warning, escaped
    assert 'class="card large"' in toot_card
