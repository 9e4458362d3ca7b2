"""Template lookup, validation, error messages and the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.registry import rules_for
from bot.config import PLATFORMS, Account, Settings
from bot.errors import ConfigError, RenderError
from bot.models import Article, Summary
from bot.render.renderer import render_post
from bot.render.templates import Templates, sample_contexts, tidy
from tests.conftest import ROOT

ARTICLE = Article(title="Headline", text="Body.", url="https://ex.org/a", author=None)
SUMMARY = Summary(sentences=["One sentence."], hook="One sentence.", hashtags=["Tag"])


def _settings(**kw: object) -> Settings:
    return Settings(**kw)  # type: ignore[arg-type]


def test_bundled_templates_are_the_same_in_both_places() -> None:
    package = sorted(p.name for p in (ROOT / "bot" / "templates").glob("*.j2"))
    user = sorted(p.name for p in (ROOT / "templates").glob("*.j2"))
    assert package == user == sorted(f"{platform}.j2" for platform in PLATFORMS)
    for name in package:
        assert (ROOT / "bot" / "templates" / name).read_bytes() == (
            ROOT / "templates" / name
        ).read_bytes(), name


def test_bundled_templates_validate_for_the_default_accounts() -> None:
    settings = _settings()
    Templates(settings).validate()  # raises on any problem


def test_account_template_wins_over_templates_dir_and_bundled(tmp_path: Path) -> None:
    tdir = tmp_path / "tpl"
    tdir.mkdir()
    (tdir / "twitter.j2").write_text("DIR {{ title }}\n", encoding="utf-8")
    own = tmp_path / "mine.j2"
    own.write_text("MINE {{ title }} {{ link }}\n", encoding="utf-8")
    plain = Account(name="x", platform="twitter")
    custom = Account(name="x2", platform="twitter", template=own)
    fb = Account(name="fb", platform="facebook")
    settings = _settings(templates_dir=tdir, accounts=[plain, custom, fb])
    t = Templates(settings)
    assert render_post(
        ARTICLE, SUMMARY, plain, settings, t, rules_for(plain)
    ).text == "DIR Headline"
    assert render_post(
        ARTICLE, SUMMARY, custom, settings, t, rules_for(custom)
    ).text == "MINE Headline https://ex.org/a"
    # No facebook.j2 in the folder: the bundled one is used.
    assert t.source_for(fb).name == "bot/templates/facebook.j2"
    fb_text = render_post(ARTICLE, SUMMARY, fb, settings, t, rules_for(fb)).text
    assert fb_text.startswith("Headline\n\nOne sentence.")


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "twitter.j2"
    bad.write_text("{{ title }}\n\n{{ summary }\n", encoding="utf-8")
    settings = _settings(templates_dir=tmp_path)
    with pytest.raises(ConfigError) as info:
        Templates(settings).validate()
    msg = str(info.value)
    assert msg.startswith(f"{bad} line 3: ")
    assert "'}'" in msg and "\n" not in msg


def test_undefined_variable_is_caught_by_validate_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "facebook.j2"
    bad.write_text("{{ title }}\n{{ sumary }}\n", encoding="utf-8")
    settings = _settings(templates_dir=tmp_path)
    with pytest.raises(ConfigError) as info:
        Templates(settings).validate()
    assert str(info.value) == f"{bad} line 2: 'sumary' is undefined"


def test_validate_catches_templates_that_break_on_missing_optional_data(tmp_path: Path) -> None:
    bad = tmp_path / "youtube.j2"
    bad.write_text("{{ title }}\nBy {{ article.author.upper() }}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"youtube\.j2 line 2: "):
        Templates(_settings(templates_dir=tmp_path)).validate()


def test_validate_lists_every_broken_template(tmp_path: Path) -> None:
    (tmp_path / "twitter.j2").write_text("{% if %}\n", encoding="utf-8")
    (tmp_path / "youtube.j2").write_text("{{ nope }}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Templates(_settings(templates_dir=tmp_path)).validate()
    assert len(info.value.problems) == 2
    assert "(and 1 more)" in str(info.value)


def test_validate_checks_only_the_accounts_given(tmp_path: Path) -> None:
    (tmp_path / "twitter.j2").write_text("{{ nope }}\n", encoding="utf-8")
    settings = _settings(templates_dir=tmp_path)
    Templates(settings).validate([Account(name="fb", platform="facebook")])


def test_render_time_failure_is_a_render_error_naming_file_and_line(tmp_path: Path) -> None:
    tpl = tmp_path / "t.j2"
    tpl.write_text("{{ title }}\n{{ article.author.upper() }}\n", encoding="utf-8")
    account = Account(name="x", platform="twitter", template=tpl)
    settings = _settings(accounts=[account])
    with pytest.raises(RenderError) as info:
        render_post(ARTICLE, SUMMARY, account, settings, Templates(settings), rules_for(account))
    assert str(info.value).startswith(f"{tpl} line 2: ")


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ title.__class__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ hashtags.append.__self__ }}",
    ],
)
def test_sandbox_blocks_attribute_escapes(tmp_path: Path, source: str) -> None:
    tpl = tmp_path / "evil.j2"
    tpl.write_text(f"ok\n{source}\n", encoding="utf-8")
    account = Account(name="x", platform="twitter", template=tpl)
    settings = _settings(accounts=[account])
    with pytest.raises(ConfigError, match=r"evil\.j2 line 2: .*unsafe"):
        Templates(settings).validate()
    with pytest.raises(RenderError, match="unsafe"):
        render_post(ARTICLE, SUMMARY, account, settings, Templates(settings), rules_for(account))


def test_none_prints_as_nothing_and_the_hashtag_filter(tmp_path: Path) -> None:
    tpl = tmp_path / "t.j2"
    tpl.write_text(
        "[{{ article.author }}] {{ 'climate change' | hashtag }} {{ '2026' | hashtag }}|",
        encoding="utf-8",
    )
    account = Account(name="x", platform="twitter", template=tpl)
    settings = _settings(accounts=[account])
    assert render_post(
        ARTICLE, SUMMARY, account, settings, Templates(settings), rules_for(account)
    ).text == (
        "[] #ClimateChange |"
    )


def test_every_context_variable_is_available(tmp_path: Path) -> None:
    tpl = tmp_path / "t.j2"
    tpl.write_text(
        "{{ platform }}/{{ account }}/{{ site_name }}/{{ title }}/{{ summary }}/"
        "{{ sentences | join('+') }}/{{ hook }}/{{ link }}/{{ hashtags | join(',') }}/"
        "{{ hashtag_line }}/{{ article.title }}/{{ article.tags | join(',') }}",
        encoding="utf-8",
    )
    account = Account(name="x", platform="twitter", template=tpl,
                      utm={"utm_source": "x"})
    settings = _settings(accounts=[account], site_name="The Site")
    article = Article(title="T", text="b", url="https://ex.org/", tags=["a", "b"])
    summary = Summary(sentences=["S1.", "S2."], hook="H.", hashtags=["One", "Two"])
    text = render_post(
        article, summary, account, settings, Templates(settings), rules_for(account)
    ).text
    assert text == (
        "twitter/x/The Site/T/S1. S2./S1.+S2./H./https://ex.org/?utm_source=x/One,Two/"
        "#One #Two/T/a,b"
    )


def test_tidy_collapses_blank_lines_and_trailing_spaces() -> None:
    assert tidy("  a  b \t\n\n\n\nc   \n\n") == "a b\n\nc"
    assert tidy("e\u0301") == "\u00e9"


def test_sample_contexts_cover_every_documented_variable() -> None:
    from bot.render.templates import CONTEXT_KEYS

    for ctx in sample_contexts("twitter", "x"):
        assert set(ctx) == set(CONTEXT_KEYS)


def test_a_missing_template_file_is_a_config_error(tmp_path: Path) -> None:
    gone = tmp_path / "gone.j2"
    account = Account(name="x", platform="twitter", template=gone)
    with pytest.raises(ConfigError, match=r"gone\.j2: cannot read"):
        Templates(_settings(accounts=[account])).validate()
