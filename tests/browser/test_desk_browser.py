"""The editor's desk in a real headless Chromium, against a running ``bot run``.

The scenarios run in this order on one daemon: sign in, the queue with the three platform
previews, a title with ``<script>``, an X edit past 280 (red counter, refused save), approve
(the daemon sends it; the history links to it), skip, reschedule, the same decisions from
the CLI, a POST without the CSRF token, a phone-sized queue and, last (it locks the
address out), repeated wrong passwords.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.render.length import weighted_length

from .conftest import ARTICLES, PASSWORD, Stack, wait_for


def item(page: Any, stack: Stack, key: str, account: str) -> Any:
    return page.locator(f"article#d{stack.ids[(key, account)]}")


def test_sign_in_with_a_wrong_then_the_right_password(browser: Any, stack: Stack) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(stack.desk + "/history")
    assert page.url.startswith(stack.desk + "/login")
    page.fill("input[name=name]", "editor")
    page.fill("input[name=password]", "not the password")
    page.click("button.primary")
    assert page.locator(".flash.error").inner_text() == "Wrong name or password."
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(stack.desk + "/history")  # back where the editor was going
    assert page.locator("h1").inner_text() == "History"
    ctx.close()


def test_the_queue_previews_each_platform(page: Any, stack: Stack) -> None:
    page.goto(stack.desk + "/")
    assert page.locator("[data-waiting]").inner_text() == "9"
    x = item(page, stack, "ferry", "x")
    assert x.locator(".preview.x .card img").evaluate("img => img.naturalWidth") == 600
    assert "From news.example.org" in x.locator(".preview.x .card").inner_text()
    who = x.locator(".preview.x .who").inner_text().split()
    assert who == ["Harbour", "Gazette", "@x", "·", "now"]
    fb = item(page, stack, "ferry", "facebook")
    card = fb.locator(".preview.fb .card")
    assert card.locator(".domain").inner_text() == "NEWS.EXAMPLE.ORG"
    assert card.locator(".card-title").inner_text() == ARTICLES["ferry"][0]
    assert card.locator(".description").inner_text().startswith("The city's harbour ferry")
    assert card.locator("img").evaluate("img => img.naturalWidth") == 600
    yt = item(page, stack, "ferry", "youtube")
    yt_text = yt.locator(".preview.yt .text").inner_text()
    assert ARTICLES["ferry"][0] in yt_text and "news.example.org/2026/fer…" in yt_text
    page.screenshot(path=str(stack.shots / "queue.png"))
    for account, name in (("x", "x"), ("facebook", "facebook"), ("youtube", "youtube")):
        item(page, stack, "ferry", account).screenshot(
            path=str(stack.shots / f"preview-{name}.png"))


def test_a_script_in_a_title_is_shown_as_text(page: Any, stack: Stack) -> None:
    page.goto(stack.desk + "/")
    title = item(page, stack, "script", "x").locator("a.title").inner_text()
    assert '<script>alert("desk")</script> Market hours change' in title
    page.goto(f"{stack.desk}/d/{stack.ids[('script', 'facebook')]}")
    assert page.locator("h1").inner_text().endswith('<script>alert("desk")</script> '
                                                    "Market hours change")
    assert page.dialogs == []  # nothing ran
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0


def test_an_x_post_past_280_turns_the_counter_red_and_is_refused(page: Any,
                                                                  stack: Stack) -> None:
    did = stack.ids[("library", "x")]
    before = stack.show("library", "x")["text"]
    page.goto(f"{stack.desk}/d/{did}")
    counter = page.locator("[data-counter]")
    assert "over" not in (counter.get_attribute("class") or "")
    link = stack.show("library", "x")["link"]
    draft = "The reading garden is open until nine. " * 7 + link
    assert weighted_length(draft) == 296  # 7 x 39 characters and the link's 23
    page.fill("textarea[name=text]", draft)
    page.wait_for_selector("[data-counter].over")
    assert counter.locator("[data-length]").inner_text() == "296"
    assert counter.evaluate("el => getComputedStyle(el).color") == "rgb(200, 29, 37)"
    assert "too long for X: 296 > 280" in page.locator("[data-problem]").inner_text()
    page.screenshot(path=str(stack.shots / "editor-too-long.png"))
    with page.expect_response(lambda r: r.url.endswith(f"/d/{did}/edit")) as answer:
        page.click("button[data-action=save]")
    assert answer.value.status == 422
    assert "too long for X: 296 > 280" in page.locator("[data-error]").inner_text()
    assert stack.show("library", "x")["text"] == before  # nothing was saved


def test_approve_sends_it_and_the_history_links_to_the_post(page: Any, stack: Stack) -> None:
    page.goto(stack.desk + "/")
    item(page, stack, "ferry", "x").locator("button[data-action=approve]").click()
    page.wait_for_url(stack.desk + "/")
    assert "approved" in page.locator(".flash").first.inner_text()
    posts = wait_for("the daemon to post on X", lambda: stack.x.posts)
    assert posts[0]["text"].startswith(stack.show("ferry", "x")["text"][:40])

    def linked() -> bool:
        page.goto(stack.desk + "/history")
        return page.locator(f"#h{stack.ids[('ferry', 'x')]} a.posted").count() == 1

    wait_for("the history to link to the post", linked)
    href = page.locator(f"#h{stack.ids[('ferry', 'x')]} a.posted").get_attribute("href")
    assert href == f"https://x.com/i/web/status/{posts[0]['id']}"
    page.screenshot(path=str(stack.shots / "history.png"))
    assert [e["kind"] for e in stack.show("ferry", "x")["history"]][:3] == [
        "queued", "approved", "claimed"]


def test_skip(page: Any, stack: Stack) -> None:
    page.goto(stack.desk + "/")
    item(page, stack, "library", "facebook").locator("button[data-action=skip]").click()
    page.wait_for_url(stack.desk + "/")
    assert item(page, stack, "library", "facebook").count() == 0  # gone from the queue
    shown = stack.show("library", "facebook")
    assert shown["status"] == "skipped" and shown["history"][-1]["actor"] == "web:editor"


def test_reschedule(page: Any, stack: Stack) -> None:
    page.goto(stack.desk + "/")
    form = item(page, stack, "library", "youtube").locator("form.reschedule")
    form.locator("input[name=at]").fill("2031-05-01T09:30")
    form.locator("button").click()
    page.wait_for_url(stack.desk + "/")
    assert "rescheduled to 2031-05-01 09:30" in page.locator(".flash").first.inner_text()
    assert "Thu 01 May 2031 09:30 UTC" in item(page, stack, "library", "youtube").inner_text()
    shown = stack.show("library", "youtube")
    assert shown["due"] == "2031-05-01T09:30:00+00:00" and shown["status"] == "awaiting_review"


def test_the_same_decisions_from_the_cli(page: Any, stack: Stack) -> None:
    fb, x_lib = stack.ids[("ferry", "facebook")], stack.ids[("library", "x")]
    yt, x_scr = stack.ids[("ferry", "youtube")], stack.ids[("script", "x")]
    assert stack.json("approve", str(fb))["approved"][0]["status"] == "pending"
    link = stack.show("library", "x")["link"]
    text = f"The library garden is open until nine. {link}"
    assert stack.json("edit", str(x_lib), "--text", text)["edited"][0]["id"] == x_lib
    assert stack.json("reschedule", str(yt), "--at", "2031-06-01T10:00")["rescheduled"]
    assert stack.json("skip", str(x_scr))["skipped"][0]["status"] == "skipped"
    wait_for("the daemon to post on Facebook", lambda: stack.fb.posts)

    page.goto(stack.desk + "/")
    assert page.locator(f"article#d{x_lib} .preview .text").inner_text().startswith(
        "The library garden is open until nine.")
    assert "Sun 01 Jun 2031 10:00 UTC" in page.locator(f"article#d{yt}").inner_text()
    assert page.locator(f"article#d{x_scr}").count() == 0
    assert page.locator(f"article#d{fb}").count() == 0  # sent

    def linked() -> bool:
        page.goto(stack.desk + "/history")
        return page.locator(f"#h{fb} a.posted").count() == 1

    wait_for("the history to link to the Facebook post", linked)
    assert page.locator(f"#h{fb} a.posted").get_attribute("href").startswith(
        "https://www.facebook.com/")
    actors = {e["actor"] for e in stack.show("library", "x")["history"]}
    assert any(a and a.startswith("cli:") for a in actors)


def test_a_post_without_the_csrf_token_is_forbidden(page: Any, stack: Stack) -> None:
    did = stack.ids[("script", "facebook")]
    version = str(stack.show("script", "facebook")["version"])
    page.goto(stack.desk + "/")
    for form in ({"version": version}, {"version": version, "csrf": "forged"}):
        res = page.request.post(f"{stack.desk}/d/{did}/approve", form=form)
        assert res.status == 403 and "CSRF" in res.text()
    assert stack.show("script", "facebook")["status"] == "awaiting_review"


def test_the_queue_fits_a_phone(browser: Any, signed_in: Any, stack: Stack) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                is_mobile=True, has_touch=True,
                                storage_state=signed_in.storage_state())
    page = phone.new_page()
    page.goto(stack.desk + "/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("button[data-action=approve]").first.is_visible()
    page.screenshot(path=str(stack.shots / "queue-phone.png"))
    phone.close()


def test_repeated_wrong_passwords_are_throttled(browser: Any, stack: Stack) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(stack.desk + "/login")
    for _ in range(5):
        page.fill("input[name=name]", "editor")
        page.fill("input[name=password]", "guessing")
        page.click("button.primary")
        assert page.locator(".flash.error").inner_text() == "Wrong name or password."
    page.fill("input[name=name]", "editor")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST"
                              ) as answer:
        page.click("button.primary")
    assert answer.value.status == 429
    assert "Too many failed sign-ins" in page.locator(".flash.error").inner_text()
    assert httpx.get(stack.desk + "/", follow_redirects=False).status_code == 303
    ctx.close()
