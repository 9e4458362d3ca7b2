"""render_post / render_posts: the fitting order, threads, warnings, links and hashtags."""

from __future__ import annotations

import pytest

from bot.adapters.registry import rules_for
from bot.config import Account, Settings
from bot.models import Article, Summary
from bot.render import render_post, render_posts
from bot.render.length import weighted_length
from bot.render.templates import Templates

URL = "https://news.example.org/2026/story"
S1 = "The council approved the new tram line on Tuesday."
S2 = "Construction starts in May and should take two years."
S3 = "Critics say the budget is far too optimistic."
HOOK = "Trams return."
TITLE = "City approves tram line"
V3, V2, V1 = f"{S1} {S2} {S3}", f"{S1} {S2}", S1
SUMMARY = Summary(sentences=[S1, S2, S3], variants=[V3, V2, V1], hook=HOOK, hashtags=["Trams"])
ARTICLE = Article(title=TITLE, text="...", url=URL, image="https://news.example.org/tram.jpg")


def fb_text(title: str, summary: str, tags: str = "\n\n#Trams") -> str:
    """What the bundled Facebook template makes of these pieces (no UTM configured)."""
    body = f"\n\n{summary}" if summary else ""
    return f"{title}{body}\n\n{URL}{tags}"


def fb_post(limit: int) -> tuple[str, list[str]]:
    account = Account(name="fb", platform="facebook", max_length=limit)
    settings = Settings(accounts=[account])
    post = render_post(ARTICLE, SUMMARY, account, settings, Templates(settings), rules_for(account))
    assert post.fits and post.length <= limit
    return post.text, post.warnings


def test_the_richest_variant_is_used_when_it_fits() -> None:
    assert fb_post(len(fb_text(TITLE, V3)))[0] == fb_text(TITLE, V3)


@pytest.mark.parametrize(
    ("limit_from", "expected"),
    [
        (fb_text(TITLE, V3), fb_text(TITLE, V2)),  # one character short: one sentence fewer
        (fb_text(TITLE, V2), fb_text(TITLE, V1)),
        (fb_text(TITLE, V1), fb_text(TITLE, HOOK)),  # then the hook
        (fb_text(TITLE, HOOK), fb_text(TITLE, "")),  # then the title alone
        (fb_text(TITLE, ""), fb_text(TITLE, "", tags="")),  # then hashtags go
    ],
)
def test_step_down_order(limit_from: str, expected: str) -> None:
    assert fb_post(len(limit_from) - 1)[0] == expected


def test_after_the_steps_the_title_is_cut_at_a_word_boundary() -> None:
    # "City approves…" fits; "City approves tram…" needs 5 more characters.
    limit = len(fb_text("City approves…", "", tags=""))
    text, warnings = fb_post(limit + 4)
    assert text == fb_text("City approves…", "", tags="")
    assert "title shortened to fit" in warnings


def test_hashtags_go_before_words_are_cut() -> None:
    text, warnings = fb_post(len(fb_text(TITLE, "")) - 1)
    assert TITLE in text and "#Trams" not in text
    assert "hashtags dropped to fit" in warnings


def test_x_cuts_the_headline_when_even_it_is_too_long() -> None:
    long_title = " ".join(["headline"] * 40)  # 359 characters
    hook = "Residents " + " ".join(["celebrate"] * 40) + "."
    article = Article(title=long_title, text="...", url=URL)
    summary = Summary(sentences=[], hook=hook, hashtags=["Trams"])
    account = Account(name="x", platform="twitter")
    settings = Settings(accounts=[account])
    post = render_post(article, summary, account, settings, Templates(settings), rules_for(account))
    assert post.fits and post.length == weighted_length(post.text) <= 280
    first, rest = post.text.split("\n\n", 1)
    # X carries the news: the headline, cut at a word, rather than the hook
    assert first.startswith("headline headline") and first.endswith("headline…")
    assert rest == URL  # the link survives; hashtags dropped before words were cut
    assert "title shortened to fit" in post.warnings


def test_the_link_gets_the_account_utm_and_is_never_cut() -> None:
    account = Account(name="x", platform="twitter", utm={"utm_source": "x", "utm_medium": "social"})
    settings = Settings(accounts=[account])
    article = Article(title="t " * 300, text="...", url=URL + "?id=5#c")
    post = render_post(article, SUMMARY, account, settings, Templates(settings), rules_for(account))
    link = URL + "?id=5&utm_source=x&utm_medium=social#c"
    assert post.link == link
    assert link in post.text.split()


def test_no_url_gives_a_warning_and_no_link() -> None:
    account = Account(name="fb", platform="facebook")
    settings = Settings(accounts=[account])
    article = Article(title=TITLE, text="...")
    post = render_post(article, SUMMARY, account, settings, Templates(settings), rules_for(account))
    assert post.link is None
    assert "Read more" not in post.text and "None" not in post.text
    assert "no link: the post has no URL" in post.warnings


def test_post_fields() -> None:
    settings = Settings()
    posts = render_posts(ARTICLE, SUMMARY, settings, rules_of=rules_for)
    assert [(p.platform, p.account) for p in posts] == [
        ("twitter", "x"), ("facebook", "facebook"), ("youtube", "youtube")]
    for p in posts:
        assert p.image == ARTICLE.image and p.title == TITLE
        assert p.fits and p.thread == [] and p.warnings == []
        assert p.link is not None and p.link in p.text
    x = posts[0]
    assert (x.limit, x.length) == (280, weighted_length(x.text))
    assert posts[1].limit == 63206 and posts[2].limit == 1000


def test_render_posts_uses_only_enabled_accounts_by_default() -> None:
    settings = Settings(accounts=[
        Account(name="x", platform="twitter"),
        Account(name="off", platform="facebook", enabled=False),
    ])
    assert [p.account for p in render_posts(
        ARTICLE, SUMMARY, settings, rules_of=rules_for
    )] == ["x"]
    only = [settings.accounts[1]]
    assert [p.account for p in render_posts(
        ARTICLE, SUMMARY, settings, only, rules_of=rules_for
    )] == ["off"]


def test_hashtags_are_cleaned_and_limited_per_account() -> None:
    tags = ["#grain deal", "2026", "GrainDeal", "Énergie"]
    summary = Summary(sentences=[S1], hook="", hashtags=tags)
    fb = Account(name="fb", platform="facebook")
    one = Account(name="one", platform="facebook", hashtags=1)
    settings = Settings(accounts=[fb, one])
    posts = render_posts(ARTICLE, summary, settings, rules_of=rules_for)
    assert posts[0].text.endswith("\n\n#GrainDeal #Énergie")
    assert posts[1].text.endswith("\n\n#GrainDeal")


def test_x_shows_at_most_two_hashtags() -> None:
    summary = Summary(sentences=[S1], hook="", hashtags=["A1", "B2", "C3"])
    settings = Settings(accounts=[Account(name="x", platform="twitter")])
    post = render_posts(ARTICLE, summary, settings, rules_of=rules_for)[0]
    assert post.text.endswith("#A1 #B2")


def test_control_characters_and_line_breaks_in_article_data_are_cleaned() -> None:
    article = Article(title="Bad\x00 title\nwith\r\nbreaks\ufeff", text="...", url=URL)
    summary = Summary(sentences=["One\u0007 sentence\n\n\nhere."], hook="", hashtags=[])
    settings = Settings(accounts=[Account(name="fb", platform="facebook")])
    post = render_posts(article, summary, settings, rules_of=rules_for)[0]
    assert post.text == f"Bad title with breaks\n\nOne sentence here.\n\n{URL}"


def test_without_variants_the_sentences_are_stepped_down() -> None:
    summary = Summary(sentences=[S1, S2, S3], hook="", hashtags=[])
    account = Account(name="fb", platform="facebook", max_length=len(fb_text(TITLE, V2, "")))
    post = render_posts(ARTICLE, summary, Settings(accounts=[account]), rules_of=rules_for)[0]
    assert post.text == fb_text(TITLE, V2, "")


def _thread_setup() -> tuple[list[str], Summary]:
    sents = [f"Point {i}: " + " ".join(["detail"] * 18) + "." for i in range(1, 8)]
    assert {len(s) for s in sents} == {135}
    return sents, Summary(sentences=sents, hook="", hashtags=["Trams"])


def test_thread_mode_carries_the_remaining_sentences() -> None:
    sents, summary = _thread_setup()
    account = Account(name="x", platform="twitter", thread=True, thread_max=4)
    post = render_posts(ARTICLE, summary, Settings(accounts=[account]), rules_of=rules_for)[0]
    assert post.fits and URL in post.text
    # Sentences are 135 characters: two of them plus "\n\n" + link (23) + "\n\n#Trams" make
    # 304 > 280, so the first post takes one. The six left go two per follow-up
    # (135 + 1 + 135 = 271 <= 280): three follow-ups, which thread_max=4 allows.
    assert sents[0] in post.text and sents[1] not in post.text
    assert post.thread == [f"{sents[1]} {sents[2]}", f"{sents[3]} {sents[4]}",
                           f"{sents[5]} {sents[6]}"]
    assert all(weighted_length(t) <= 280 for t in post.thread)


def test_thread_is_capped_by_thread_max() -> None:
    sents, summary = _thread_setup()
    account = Account(name="x", platform="twitter", thread=True, thread_max=2)
    post = render_posts(ARTICLE, summary, Settings(accounts=[account]), rules_of=rules_for)[0]
    assert post.thread == [f"{sents[1]} {sents[2]}"]


def test_no_thread_without_thread_mode_or_when_everything_fits() -> None:
    _, summary = _thread_setup()
    plain = Account(name="x", platform="twitter")
    assert render_posts(
        ARTICLE, summary, Settings(accounts=[plain]), rules_of=rules_for
    )[0].thread == []
    # X shows the headline and the lead; thread mode carries the rest of the summary
    threaded = Account(name="x", platform="twitter", thread=True)
    post = render_posts(ARTICLE, SUMMARY, Settings(accounts=[threaded]), rules_of=rules_for)[0]
    assert S1 in post.text and post.thread == [f"{S2} {S3}"]


def test_a_post_that_cannot_fit_is_flagged_not_hidden() -> None:
    account = Account(name="fb", platform="facebook", max_length=20)
    post = render_posts(ARTICLE, SUMMARY, Settings(accounts=[account]), rules_of=rules_for)[0]
    assert not post.fits and post.length > post.limit == 20
    assert post.text == URL
    assert any(w.startswith("too long:") for w in post.warnings)
