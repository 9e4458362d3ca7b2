"""The article's language: declared by its source, else detected (bot.extract.language)."""

from __future__ import annotations

import pytest

from bot.config import Boilerplate
from bot.extract import extract
from bot.extract.language import decide, detect
from bot.sources.inputs import RawInput

# Short news paragraphs written for these tests, one per language.
TEXTS = {
    "en": "The city council approved the new budget on Monday after a long debate about"
          " the cost of repairing the old bridge over the river.",
    "de": "Der Stadtrat hat am Montag nach einer langen Debatte über die Kosten für die"
          " Reparatur der alten Brücke den neuen Haushalt beschlossen.",
    "fr": "Le conseil municipal a approuvé lundi le nouveau budget après un long débat sur"
          " le coût de la réparation du vieux pont sur la rivière.",
    "es": "El ayuntamiento aprobó el lunes el nuevo presupuesto tras un largo debate sobre"
          " el coste de reparar el viejo puente sobre el río.",
    "pt": "A câmara municipal aprovou na segunda-feira o novo orçamento depois de um longo"
          " debate sobre o custo de reparar a velha ponte sobre o rio.",
    "tr": "Belediye meclisi, nehir üzerindeki eski köprünün onarım maliyeti hakkında uzun"
          " bir tartışmanın ardından pazartesi günü yeni bütçeyi onayladı.",
    "ru": "Городской совет в понедельник утвердил новый бюджет после долгих споров о"
          " стоимости ремонта старого моста через реку.",
    "ar": "وافق مجلس المدينة يوم الاثنين على الميزانية الجديدة بعد نقاش طويل حول تكلفة"
          " إصلاح الجسر القديم فوق النهر.",
    "hi": "नगर परिषद ने सोमवार को नदी पर बने पुराने पुल की मरम्मत की लागत पर लंबी बहस के"
          " बाद नया बजट मंजूर किया।",
    "ja": "市議会は月曜日、川に架かる古い橋の修理費用をめぐる長い議論の末、新しい予算を承認した。",
    "zh": "市议会周一在就修复河上旧桥的费用进行长时间辩论后批准了新预算。",
    "th": "สภาเมืองอนุมัติงบประมาณใหม่เมื่อวันจันทร์หลังจากการอภิปรายอย่างยาวนานเกี่ยวกับค่าซ่อมสะพานเก่า",
}


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_detects_the_language_of_a_short_paragraph(lang: str) -> None:
    found, score = detect(TEXTS[lang])
    assert found == lang
    assert 0 < score <= 1


def test_no_letters_no_language() -> None:
    assert detect("12:30 — 4-2 (3)") == (None, 0.0)


def test_front_matter_always_wins() -> None:
    assert decide("fr", "front_matter", "A title", TEXTS["en"] * 3) == "fr"


def test_html_lang_wins_unless_the_text_clearly_disagrees() -> None:
    long_en = " ".join([TEXTS["en"]] * 3)
    assert decide("de", "html", "", long_en) == "en"  # confident, long enough: the text wins
    assert decide("de", "html", "", TEXTS["en"][:80]) == "de"  # too short to overrule
    assert decide("es", "html", "", " ".join([TEXTS["es"]] * 3)) == "es"


def test_markdown_without_front_matter_gets_a_language() -> None:
    body = "\n\n".join([TEXTS["tr"], TEXTS["tr"]])
    raw = RawInput("markdown", f"# Köprü için yeni bütçe\n\n{body}\n", "a.md")
    assert extract(raw, boilerplate=Boilerplate()).language == "tr"


def test_text_file_in_japanese_gets_a_language() -> None:
    raw = RawInput("text", f"新しい予算を承認\n\n{TEXTS['ja']}\n", "a.txt")
    assert extract(raw, boilerplate=Boilerplate()).language == "ja"
