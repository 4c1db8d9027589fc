"""Tests for scraper.decode.decode_html."""

from __future__ import annotations

import pytest

from scraper.decode import decode_html, normalize_encoding
from scraper.errors import DecodeError

# A few hundred characters of realistic Japanese, with no markup-level charset hints.
JAPANESE = (
    "総務省では、地域との多様な関わりを持つ「関係人口」の創出・拡大に向けて、"
    "地方公共団体が実施するモデル事業を支援しています。令和六年度は、全国から応募のあった"
    "団体の中から、北海道、青森県、岩手県、宮城県、秋田県、山形県、福島県などの自治体を採択しました。"
    "各団体は、都市部の住民と地域とをつなぐ仕組みづくりや、ふるさと納税を活用した交流、"
    "オンラインでの継続的な関わりの創出など、地域の実情に応じた取組を進めています。"
    "詳細は、各団体の事業概要をご覧ください。お問い合わせは、地域力創造グループ地域自立応援課まで。"
)
SPECIALS = "①②㈱"  # only in cp932, not in strict Shift_JIS


def page(text: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}<title>関係人口</title></head><body><p>{text}</p></body></html>"


def test_empty_body() -> None:
    with pytest.raises(DecodeError, match="^empty body$"):
        decode_html(b"", "text/html")


def test_utf8_bom_wins_over_declarations() -> None:
    html = page(JAPANESE, '<meta charset="shift_jis">')
    text, encoding = decode_html(b"\xef\xbb\xbf" + html.encode("utf-8"), "text/html; charset=Shift_JIS")
    assert encoding == "utf-8"
    assert text == html  # BOM stripped


def test_utf16_bom() -> None:
    html = page(JAPANESE)
    text, encoding = decode_html(b"\xff\xfe" + html.encode("utf-16-le"), None)
    assert (text, encoding) == (html, "utf-16-le")


def test_http_charset_used() -> None:
    html = page(JAPANESE)
    text, encoding = decode_html(html.encode("euc-jp"), 'text/html; charset="EUC-JP"')
    assert (text, encoding) == (html, "euc-jp")


def test_http_charset_wins_over_meta() -> None:
    html = page(JAPANESE, '<meta charset="Shift_JIS">')
    text, encoding = decode_html(html.encode("euc-jp"), "text/html; charset=euc-jp")
    assert (text, encoding) == (html, "euc-jp")


def test_http_latin1_wins_over_meta_per_spec() -> None:
    html = '<html><head><meta charset="utf-8"></head><body>café</body></html>'
    text, encoding = decode_html(html.encode("latin-1"), "text/html; charset=ISO-8859-1")
    assert (text, encoding) == (html, "iso8859-1")


def test_unknown_http_charset_falls_through_to_meta() -> None:
    html = page(JAPANESE, '<meta charset="utf-8">')
    text, encoding = decode_html(html.encode("utf-8"), "text/html; charset=klingon")
    assert (text, encoding) == (html, "utf-8")


def test_meta_charset_shift_jis_decodes_cp932_extensions() -> None:
    html = page(JAPANESE + SPECIALS, '<meta charset="shift_jis">')
    body = html.encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        body.decode("shift_jis")  # why we decode as cp932
    text, encoding = decode_html(body, "text/html")
    assert encoding == "cp932"
    assert text == html
    assert SPECIALS in text


def test_http_equiv_meta() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
    html = page(JAPANESE + SPECIALS, head)
    text, encoding = decode_html(html.encode("cp932"), None)
    assert (text, encoding) == (html, "cp932")


@pytest.mark.parametrize("label", ["Shift_JIS", "shift-jis", "SJIS", "x-sjis", "Windows-31J", "MS_Kanji", "cp932"])
def test_shift_jis_spellings_map_to_cp932(label: str) -> None:
    assert normalize_encoding(label) == "cp932"
    html = page(SPECIALS, f'<meta charset="{label}">')
    assert decode_html(html.encode("cp932"), None) == (html, "cp932")


def test_meta_in_comment_ignored() -> None:
    head = '<!-- <meta charset="euc-jp"> --><meta charset="utf-8">'
    html = page(JAPANESE, head)
    assert decode_html(html.encode("utf-8"), None) == (html, "utf-8")


def test_meta_after_4096_bytes_ignored() -> None:
    html = "<!DOCTYPE html><html><head>" + " " * 5000 + '<meta charset="euc-jp"></head><body>日本</body></html>'
    text, encoding = decode_html(html.encode("utf-8"), None)
    assert (text, encoding) == (html, "utf-8")  # detected, not the late meta


def test_detects_undeclared_cp932() -> None:
    html = page(JAPANESE)
    assert len(JAPANESE) > 250
    text, encoding = decode_html(html.encode("cp932"), "text/html")
    assert (text, encoding) == (html, "cp932")


def test_detects_undeclared_euc_jp() -> None:
    html = page(JAPANESE)
    assert decode_html(html.encode("euc-jp"), None) == (html, "euc-jp")


def test_detects_undeclared_utf8_and_ascii() -> None:
    html = page(JAPANESE)
    assert decode_html(html.encode("utf-8"), "text/html") == (html, "utf-8")
    assert decode_html(b"<html>plain</html>", None) == ("<html>plain</html>", "utf-8")


def test_never_latin1_for_undeclared_japanese() -> None:
    # requests would say ISO-8859-1 for "text/html" without charset; we must not.
    for codec in ("cp932", "euc-jp"):
        _, encoding = decode_html(page(JAPANESE).encode(codec), "text/html")
        assert encoding not in {"iso8859-1", "latin-1", "cp1252"}
        assert encoding == codec


def test_invalid_bytes_for_declared_charset() -> None:
    prefix = page("関係").encode("utf-8")[:40]
    body = prefix + b"\xff\xfe" + b"</html>"
    with pytest.raises(DecodeError) as info:
        decode_html(body, "text/html; charset=utf-8")
    message = str(info.value)
    assert "utf-8" in message
    assert f"byte offset {len(prefix)}" in message


def test_cp932_bytes_declared_utf8_fail() -> None:
    body = page(JAPANESE, '<meta charset="utf-8">').encode("cp932")
    with pytest.raises(DecodeError, match="utf-8"):
        decode_html(body, None)


def test_replacement_character_rejected() -> None:
    body = "<html>ok \ufffd broken</html>".encode("utf-8")
    with pytest.raises(DecodeError) as info:
        decode_html(body, "text/html; charset=utf-8")
    assert "U+FFFD" in str(info.value)
    assert "byte offset 9" in str(info.value)
