"""Turn fetched HTML bytes into text, the careful way for Japanese pages.

The encoding is chosen in this order (roughly the WHATWG "encoding sniffing"
order, minus its legacy fallbacks):

1. a byte order mark (UTF-8, UTF-16 LE/BE);
2. the ``charset`` parameter of the HTTP ``Content-Type`` header;
3. ``<meta charset=...>`` or ``<meta http-equiv=... content="...; charset=...">``
   in the first 4096 bytes (comments skipped);
4. detection: UTF-8 if the bytes are valid UTF-8, ISO-2022-JP if they carry its
   escapes, else charset_normalizer, preferring Japanese encodings.

Every Shift_JIS spelling is decoded as ``cp932`` (its Windows superset, which has
①, ②, ㈱ ...). Decoding is strict: invalid bytes, or a result containing U+FFFD,
raise :class:`DecodeError` naming the encoding and the byte offset. We never
fall back to ISO-8859-1 the way ``requests.Response.text`` does.
"""

from __future__ import annotations

import codecs
import logging
import re

import charset_normalizer

from scraper.errors import DecodeError

log = logging.getLogger(__name__)

META_SCAN_BYTES = 4096

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels compared after lowercasing and dropping everything but [a-z0-9].
_CP932_KEYS = frozenset(
    {"shiftjis", "sjis", "xsjis", "sjisopen", "mskanji", "csshiftjis", "windows31j", "cswindows31j",
     "cp932", "ms932", "xmscp932", "ibm943"}
)
_EUCJP_KEYS = frozenset({"eucjp", "xeucjp", "cseucpkdfmtjapanese", "ujis"})
_JAPANESE = frozenset({"cp932", "euc-jp", "iso2022-jp"})
_UNICODE = frozenset({"utf-8", "utf-16-le", "utf-16-be", "utf-16", "utf-32"})
_DETECT_ISOLATION = ["cp932", "shift_jis", "euc_jp", "iso2022_jp"]

_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^"';,\s]+)""", re.IGNORECASE)
_META_TAG = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
_ISO2022_ESCAPE = re.compile(rb"\x1b\$[@B]|\x1b\(J")


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Return (text, encoding_name). Order: BOM, then HTTP charset param, then
    ``<meta charset>`` / ``<meta http-equiv content=...charset=...>`` in the first
    4096 bytes, then detection (charset_normalizer).

    Shift_JIS in any spelling (and detected shift_jis) is decoded as 'cp932';
    EUC-JP stays 'euc-jp'. An HTTP charset wins over a conflicting meta.
    Decoding is strict: failure, or U+FFFD in the result, raises DecodeError
    naming the encoding and byte offset. Encoding names are normalised
    lowercase Python codec names ('utf-8', 'cp932', 'euc-jp', ...).
    """
    if not body:
        raise DecodeError("empty body")
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return _decode_strict(body, encoding, "byte order mark", skip=len(bom)), encoding
    encoding = http_charset(content_type)
    if encoding:
        return _decode_strict(body, encoding, "HTTP Content-Type charset"), encoding
    encoding = meta_charset(body)
    if encoding:
        return _decode_strict(body, encoding, "<meta> charset"), encoding
    encoding = detect_encoding(body)
    return _decode_strict(body, encoding, "detected"), encoding


def normalize_encoding(label: str) -> str | None:
    """Map a charset label to a normalised Python codec name, or None if unknown.

    >>> normalize_encoding("Shift_JIS"), normalize_encoding("EUC-JP"), normalize_encoding("UTF8")
    ('cp932', 'euc-jp', 'utf-8')
    """
    key = re.sub(r"[^a-z0-9]", "", label.lower())
    if key in _CP932_KEYS:
        return "cp932"
    if key in _EUCJP_KEYS:
        return "euc-jp"
    try:
        info = codecs.lookup(label.strip())
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True):  # e.g. base64, rot13, zlib
        return None
    name = info.name.lower().replace("_", "-")
    if name == "shift-jis":
        return "cp932"
    return name


def http_charset(content_type: str | None) -> str | None:
    """The normalised charset parameter of a Content-Type header, if usable."""
    if not content_type:
        return None
    match = _HTTP_CHARSET.search(content_type)
    if not match:
        return None
    encoding = normalize_encoding(match.group(1))
    if encoding is None:
        log.warning("ignoring unknown HTTP charset %r", match.group(1))
    return encoding


def meta_charset(body: bytes) -> str | None:
    """The normalised charset declared by a <meta> tag in the first 4096 bytes."""
    head = _COMMENT.sub(b"", body[:META_SCAN_BYTES])
    for tag in _META_TAG.finditer(head):
        match = _META_CHARSET.search(tag.group(0))
        if not match:
            continue
        label = match.group(1).decode("ascii")
        encoding = normalize_encoding(label)
        if encoding is None:
            log.warning("ignoring unknown <meta> charset %r", label)
            continue
        if encoding.startswith(("utf-16", "utf-32")):
            return "utf-8"  # a meta we could read in ASCII cannot be UTF-16 (WHATWG)
        return encoding
    return None


def detect_encoding(body: bytes) -> str:
    """Guess the encoding of undeclared bytes, preferring Japanese encodings."""
    if _ISO2022_ESCAPE.search(body) and body.isascii():
        return "iso2022-jp"
    if body.isascii():
        return "utf-8"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    best = charset_normalizer.from_bytes(body).best()
    encoding = normalize_encoding(best.encoding) if best else None
    if encoding not in _JAPANESE | _UNICODE:
        japanese = charset_normalizer.from_bytes(body, cp_isolation=_DETECT_ISOLATION).best()
        if japanese is not None:
            encoding = normalize_encoding(japanese.encoding)
    if encoding is None:
        raise DecodeError("could not detect the encoding (no BOM, HTTP charset or <meta> charset)")
    if encoding not in _JAPANESE | _UNICODE:
        log.warning("detected non-Japanese encoding %s", encoding)
    return encoding


def _decode_strict(body: bytes, encoding: str, source: str, *, skip: int = 0) -> str:
    """Decode ``body[skip:]`` strictly; report failures with absolute byte offsets."""
    data = body[skip:]
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        bad = body[offset : offset + 4].hex(" ")
        raise DecodeError(f"cannot decode as {encoding} ({source}): invalid bytes {bad} at byte offset {offset}") from exc
    except LookupError as exc:
        raise DecodeError(f"cannot decode: unknown encoding {encoding} ({source})") from exc
    # cp932 and EUC-JP cannot encode U+FFFD, so a strict decode never yields it
    index = -1 if encoding in ("cp932", "euc-jp") else text.find("\ufffd")
    if index >= 0:
        try:
            offset: int | str = skip + len(text[:index].encode(encoding))
        except UnicodeEncodeError:
            offset = f"? (character {index})"
        raise DecodeError(f"decoding as {encoding} ({source}) produced U+FFFD at byte offset {offset}")
    return text
