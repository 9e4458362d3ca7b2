"""Each defect issue 10 found in the corpora, as a small article written for this test, run
through the whole pipeline (read -> extract -> summarise -> render three posts) and checked
with the same checks as ``bench.posts``: no finding may remain."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.post_checks import Case, post_findings
from bot.config import Settings
from bot.extract import extract
from bot.pipeline import prepare_article
from bot.sources.inputs import read_input

P1 = ("The ferry line between the old harbour and the island will reopen in April after two"
      " years of repairs to the piers, the transport authority said on Tuesday.")
P2 = ("Engineers replaced the wooden piles under both landing stages and widened the waiting"
      " hall, which had become too small for the summer crowds.")
P3 = ("Tickets will cost the same as before the closure, and the first boat will leave the"
      " harbour at seven in the morning, the authority added.")


def page(body: str, *, title: str = "Ferry line to reopen in spring | Harbour Gazette",
         head: str = "", lang: str = "en") -> str:
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<title>{title}</title><meta property="og:site_name" content="Harbour Gazette">'
            f'{head}</head><body><article><h1>Ferry line to reopen in spring</h1>{body}'
            "</article></body></html>")


def paragraphs(*texts: str) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


def run(tmp_path: Path, name: str, content: str | bytes) -> tuple[Case, dict[str, list]]:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    settings = Settings()
    article = extract(read_input(str(path), settings.http), boilerplate=settings.boilerplate,
                      url=None if "canonical" in str(content) else "https://gazette.example/a")
    prepared = prepare_article(article, settings, [a for a in settings.accounts if a.enabled])
    a = prepared.article
    case = Case(name, "test", a.title, a.text, a.language, a.site_name, a.url, None, a.tags,
                prepared.summary.hashtags, {p.platform: p.text for p in prepared.posts},
                fits={p.platform: p.fits for p in prepared.posts},
                links={p.platform: p.link for p in prepared.posts})
    return case, {p: post_findings(case, p) for p in case.posts}


FIXTURES = {
    "dateline": page(paragraphs(f"HARBOURTON, Nordland — {P1}", P2, P3)),
    "agency tag": page(paragraphs(f"HARBOURTON (Reuters) - {P1}", P2, P3)),
    "paywall notice": page(paragraphs(
        "This copy is for your personal, non-commercial use only.", P1, P2, P3)),
    "dek without a stop": page(paragraphs("The island has waited two years for its boats",
                                          P1, P2, P3)),
    "headline repeated in the body": page(paragraphs(
        "Review", "Ferry line to reopen in spring", P1, P2, P3)),
    "metadata line": page(paragraphs(
        f"05/10/2018 - Posted by: Ana Borba - Category: Transport - Tags: ferry {P1}", P2, P3)),
    "table": page(paragraphs(P1) + "<table><tr><td>Boat</td><td>Time</td></tr><tr><td>First"
                  "</td><td>07:00</td></tr></table>" + paragraphs(P2, P3)),
    "e-mail and copyright": page(paragraphs(
        "desk@gazette.example © Harbour Gazette 2024", P1, P2, P3)),
    "watch the video": page(paragraphs("Watch the video of the new piers below.", P1, P2, P3)),
    "image credit": page(paragraphs("Photo: Harbour Gazette / Ana Borba", P1, P2, P3)),
    "bullets": page("<ul><li>" + P1 + "</li><li>" + P2 + "</li></ul>" + paragraphs(P3)),
    "site name after the headline": page(paragraphs(P1, P2, P3),
                                         title="Ferry line to reopen in spring - Harbour Gazette"),
    "site name before the headline": page(paragraphs(P1, P2, P3),
                                          title="Harbour Gazette | Ferry line to reopen in spring"),
    "og:url on another host and in http": page(paragraphs(P1, P2, P3), head=(
        '<link rel="canonical" href="https://gazette.example/ferry">'
        '<meta property="og:url" content="http://share.gazette-mirror.example/ferry">')),
    "menu sent as tags": page(paragraphs(P1, P2, P3), head=(
        '<meta property="article:tag" content="Home Page">'
        '<meta property="article:tag" content="General News">'
        '<meta property="article:tag" content="Human Rights">')),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_no_finding_remains(tmp_path: Path, name: str) -> None:
    case, found = run(tmp_path, "page.html", FIXTURES[name])
    assert not any(found.values()), (found, case.posts)
    assert case.posts["facebook"].count("Ferry line to reopen in spring") == 1


def test_og_url_elsewhere_loses_to_the_canonical_link(tmp_path: Path) -> None:
    case, _ = run(tmp_path, "page.html", FIXTURES["og:url on another host and in http"])
    assert case.url == "https://gazette.example/ferry"


def test_menu_tags_give_no_hashtag_and_names_take_their_place(tmp_path: Path) -> None:
    case, _ = run(tmp_path, "page.html", FIXTURES["menu sent as tags"])
    assert not {"HomePage", "GeneralNews", "HumanRights"} & set(case.hashtags)


def test_a_windows_1252_page_is_read(tmp_path: Path) -> None:
    text = "Le bac reprendra en avril, après deux ans de travaux sur les pontons du port."
    html = page(paragraphs(text, text.replace("avril", "mai")), lang="fr").replace(
        '<meta charset="utf-8">', "")
    case, _ = run(tmp_path, "page.html", html.encode("cp1252"))
    assert "après" in case.posts["facebook"] and case.language == "fr"


@pytest.mark.parametrize(("name", "text"), [
    ("arabic.txt", "عودة العبارة في الربيع\n\nستعود العبارة بين الميناء والجزيرة في أبريل بعد"
                   " عامين من الإصلاحات. هل سيكون السعر كما كان؟ قالت الهيئة إن السعر لن يتغير."),
    ("japanese.txt", "フェリーが春に再開\n\n港と島を結ぶフェリーは、二年間の修理を経て"
                     "四月に再開する。運賃は以前と同じだという。最初の船は朝七時に出港する。"),
    ("hindi.txt", "वसंत में फेरी फिर शुरू होगी\n\nबंदरगाह और द्वीप के बीच फेरी दो साल की"
                  " मरम्मत के बाद अप्रैल में फिर शुरू होगी। किराया पहले जैसा रहेगा।"
                  " पहली नाव सुबह सात बजे चलेगी।"),
])
def test_other_scripts_get_a_summary_and_the_headline_once(
        tmp_path: Path, name: str, text: str) -> None:
    case, found = run(tmp_path, name, text)
    title = text.split("\n", 1)[0]
    assert case.language in ("ar", "ja", "hi")
    for platform, post in case.posts.items():
        assert post.count(title) <= 1, post
        assert not [f for f in found[platform] if f[0] == "headline_twice"]
    assert case.posts["facebook"] != title  # a summary from the body, not the headline alone
