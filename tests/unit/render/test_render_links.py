"""UTM parameters on links."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from bot.render.links import with_utm

UTM = {"utm_source": "twitter", "utm_medium": "social"}


def test_adds_parameters_to_a_plain_url() -> None:
    assert with_utm("https://ex.org/a", UTM) == "https://ex.org/a?utm_source=twitter&utm_medium=social"


def test_existing_parameters_and_fragment_are_kept_verbatim() -> None:
    url = "https://ex.org/a?q=a+b&path=%2Fx&flag#section-2"
    out = with_utm(url, {"utm_source": "fb"})
    assert out == "https://ex.org/a?q=a+b&path=%2Fx&flag&utm_source=fb#section-2"


def test_a_parameter_we_set_is_replaced_in_place_and_duplicates_go() -> None:
    url = "https://ex.org/?utm_source=old&id=7&utm_source=older"
    out = with_utm(url, {"utm_source": "new"})
    assert out == "https://ex.org/?utm_source=new&id=7"


def test_values_are_percent_encoded() -> None:
    out = with_utm("https://ex.org/a", {"utm_campaign": "spring sale & more/ü"})
    assert dict(parse_qsl(urlsplit(out).query)) == {"utm_campaign": "spring sale & more/ü"}
    assert " " not in out and "&" not in out.split("utm_campaign=")[1]


def test_no_parameters_leaves_the_url_alone() -> None:
    url = "https://ex.org/a?b=%zz#x"
    assert with_utm(url, {}) == url


def test_scheme_host_and_path_are_untouched() -> None:
    url = "https://user@Ex.org:8443/ünï/path;p?x=1"
    parts, out = urlsplit(url), urlsplit(with_utm(url, UTM))
    assert (out.scheme, out.netloc, out.path) == (parts.scheme, parts.netloc, parts.path)
    assert parse_qsl(out.query) == [("x", "1"), *UTM.items()]
