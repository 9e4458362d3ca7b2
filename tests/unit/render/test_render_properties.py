"""Property tests: whatever the article, every post fits, keeps its link and cuts no word."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.registry import rules_for
from bot.config import Account, Settings
from bot.models import Article, Post, Summary
from bot.render import render_posts
from bot.render.length import plain_length, weighted_length
from bot.render.templates import Templates

ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
CJK = "日本語中文字東京会議開催経済政策한국어"
KANA = "ひらがなカタカナ"
RTL = "שלוםעולםمرحباالعالم"
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧", "🇹🇷", "❤️", "🧵"]
FIXED_TEMPLATE_TOKENS = {"Read", "more:"}  # fixed text of the bundled Facebook template
PAIRS = {"(": ")", "[": "]", "“": "”", "«": "»", '"': '"'}
CLOSERS = set(PAIRS.values())
TRAILING_JUNK = set(" ,;:、，；：-–—/&·|")

latin_word = st.text(ASCII, min_size=1, max_size=12).flatmap(
    lambda w: st.sampled_from([w, w + ",", w + ".", w + "—"]))
cjk_run = st.text(CJK + KANA + "。、", min_size=1, max_size=40)
rtl_word = st.text(RTL, min_size=1, max_size=10)
emoji = st.sampled_from(EMOJI)
url_word = st.text(ASCII.lower() + "-/", min_size=0, max_size=60).map(
    lambda p: f"https://site.example.org/{p}")
tag_word = st.text(ASCII, min_size=1, max_size=15).map(lambda w: "#" + w)
mention = st.text(ASCII + "_", min_size=1, max_size=15).map(lambda w: "@" + w)
no_space_blob = st.text(ASCII + CJK, min_size=100, max_size=600)
word = st.one_of(latin_word, latin_word, latin_word, cjk_run, rtl_word, emoji, url_word,
                 tag_word, mention)


@st.composite
def phrase(draw: st.DrawFn, min_words: int = 1, max_words: int = 40) -> str:
    """Words, some groups wrapped in balanced brackets or quotes."""
    words = draw(st.lists(word, min_size=min_words, max_size=max_words))
    if len(words) >= 2 and draw(st.booleans()):
        i = draw(st.integers(0, len(words) - 2))
        j = draw(st.integers(i + 1, len(words) - 1))
        o = draw(st.sampled_from(sorted(PAIRS)))
        words[i], words[j] = o + words[i], words[j] + PAIRS[o]
    return " ".join(words)


titles = st.one_of(phrase(1, 30), phrase(40, 120), no_space_blob, st.just(""))
sentence = st.one_of(phrase(1, 40).map(lambda s: s + "."), phrase(40, 100).map(lambda s: s + "."),
                     no_space_blob.map(lambda s: s + "。"))
urls = st.one_of(st.none(), url_word, url_word.map(lambda u: u + "x" * 150))
hashtags = st.lists(st.text(ASCII + "ığüşöçé", min_size=1, max_size=20), max_size=4)


@st.composite
def inputs(draw: st.DrawFn) -> tuple[Article, Summary]:
    sents = draw(st.lists(sentence, min_size=0, max_size=5))
    variants = [" ".join(sents[:n]) for n in range(len(sents), 0, -1)]
    if draw(st.booleans()):
        variants = []  # the renderer builds them from the sentences
    hook = draw(st.one_of(st.just(""), st.sampled_from(sents) if sents else st.just(""), sentence))
    article = Article(title=draw(titles), text="body", url=draw(urls))
    return article, Summary(sentences=sents, variants=variants, hook=hook,
                            hashtags=draw(hashtags))


UTM = {"utm_source": "bot", "utm_medium": "social"}


def _accounts(fb_limit: int, yt_limit: int) -> list[Account]:
    return [
        Account(name="x", platform="twitter", utm=UTM),
        Account(name="xt", platform="twitter", utm=UTM, thread=True, thread_max=3),
        Account(name="fb", platform="facebook", utm=UTM, max_length=fb_limit),
        Account(name="yt", platform="youtube", utm=UTM, max_length=yt_limit),
    ]


def _nfc_tokens(text: str) -> set[str]:
    return {unicodedata.normalize("NFC", t) for t in text.split()}


def _is_cjk(ch: str) -> bool:
    return ch in CJK + KANA + "。、"


def _is_balanced(text: str) -> bool:
    marks = "".join(c for c in text if c in PAIRS or c in CLOSERS)
    previous = None
    while marks != previous:
        previous = marks
        for o, c in PAIRS.items():
            marks = marks.replace(o + c, "")
    return marks == ""


def _token_ok(tok: str, allowed: set[str]) -> bool:
    if tok in allowed:
        return True
    base = tok.rstrip("".join(CLOSERS))
    base = base.removesuffix("…")
    if base in allowed:
        return True
    for a in allowed:  # a cut: between CJK characters, or dropping trailing punctuation
        if a.startswith(base) and len(a) > len(base) > 0:
            rest = a[len(base):]
            if set(rest) <= TRAILING_JUNK or (_is_cjk(base[-1]) and _is_cjk(rest[0])):
                return True
    return False


def _check(post: Post, article: Article, summary: Summary) -> None:
    measure = weighted_length if post.platform == "twitter" else plain_length
    assert post.length == measure(post.text)
    assert post.fits and post.length <= post.limit, (post.length, post.limit)
    if article.url:
        link = f"{article.url}?utm_source=bot&utm_medium=social"
        assert post.link == link
        assert link in post.text.split()  # whole, as a word of its own
    else:
        assert post.link is None and "no link: the post has no URL" in post.warnings
    allowed = _nfc_tokens(" ".join([article.title, summary.hook, *summary.sentences,
                                    *summary.variants]))
    allowed |= FIXED_TEMPLATE_TOKENS | {post.link or ""}
    allowed |= {"#" + unicodedata.normalize("NFC", h) for h in summary.hashtags}
    for text in [post.text, *post.thread]:
        for tok in text.split():
            assert _token_ok(tok, allowed), (tok, text)
        assert _is_balanced(text), text
        assert "\n\n\n" not in text
        assert all(line == line.rstrip() for line in text.split("\n"))
    for item in post.thread:
        assert 0 < weighted_length(item) <= 280
    assert len(post.thread) <= 2


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=inputs(), fb_limit=st.integers(300, 700), yt_limit=st.integers(300, 1000))
def test_every_post_fits_keeps_its_link_and_cuts_no_word(
    data: tuple[Article, Summary], fb_limit: int, yt_limit: int
) -> None:
    article, summary = data
    accounts = _accounts(fb_limit, yt_limit)
    settings_ = Settings(accounts=accounts)
    posts = render_posts(
        article, summary, settings_, templates=Templates(settings_), rules_of=rules_for
    )
    assert [p.account for p in posts] == ["x", "xt", "fb", "yt"]
    for post in posts:
        _check(post, article, summary)


def test_the_token_checker_rejects_a_cut_word() -> None:
    # Guard for the property above: a cut Latin word must not pass as allowed.
    allowed = {"alphabet", "日本語", "word,"}
    assert not _token_ok("alpha…", allowed)
    assert _token_ok("日本…", allowed) and _token_ok("word…", allowed)
    assert _is_balanced("a (b “c…”)") and not _is_balanced("a (b “c…")
