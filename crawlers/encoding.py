"""Decode a minutes system's response body into text.

Japanese council systems are old CGI applications: they declare ``Shift_JIS``
(or ``x-sjis``) but their text contains Windows characters outside JIS X 0208 —
circled digits (①), ㈱, and the variant kanji of members' names (髙, 﨑). Python's
``shift_jis`` codec rejects those, so every Shift_JIS declaration is decoded as
``cp932``, the superset Windows (and therefore the servers) actually use.

Some hosts were migrated and now send UTF-8 while the old meta tag still says
Shift_JIS; bytes that are valid UTF-8 are taken as UTF-8 whatever the label says.

Text is returned as decoded — no NFKC or width folding: full-width digits and
spaces carry meaning for the speech splitter, and normalisation is the build's job.
"""

from __future__ import annotations

import re

_SJIS_ALIASES = {
    "shift_jis",
    "shift-jis",
    "shiftjis",
    "sjis",
    "s_jis",
    "x-sjis",
    "x_sjis",
    "ms_kanji",
    "csshiftjis",
    "windows-31j",
    "cp932",
    "ms932",
    "mskanji",
}
_EUC_ALIASES = {"euc-jp", "euc_jp", "eucjp", "x-euc-jp", "cseucpkdfmtjapanese"}
_UTF8_ALIASES = {"utf-8", "utf8", "utf_8"}

# Only the head is searched: a meta tag after the first few KB would not be
# honoured by a browser either.
_SNIFF_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def normalize_charset(name: str | None) -> str | None:
    """Map a declared charset label to the Python codec that decodes it correctly."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if not label:
        return None
    if label in _SJIS_ALIASES:
        return "cp932"
    if label in _EUC_ALIASES:
        return "euc_jp"
    if label in _UTF8_ALIASES:
        return "utf-8"
    if label in {"iso-2022-jp", "csiso2022jp", "iso2022jp"}:
        return "iso2022_jp_ext"
    return label


def declared_charset(body: bytes, content_type: str | bytes | None = None) -> str | None:
    """The charset the response claims: the HTTP header first, then the document's meta tag.

    Returns the label as written (``Shift_JIS``, ``x-sjis``…), or ``None``.
    """
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        if m:
            return m.group(1)
    head = body[:_SNIFF_BYTES]
    for pattern in (_META_CHARSET, _XML_ENCODING):
        m = pattern.search(head)
        if m:
            return m.group(1).decode("ascii", "replace")
    return None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_body(body: bytes, declared: str | None = None) -> str:
    """Decode ``body`` whatever its declaration says.

    ``declared`` is the charset label from the response (see :func:`declared_charset`);
    when ``None`` the document's own meta tag is read. Rules, in order:

    1. a UTF-8 byte-order mark wins;
    2. bytes that are valid UTF-8 and contain non-ASCII are UTF-8, even under a
       Shift_JIS label (re-encoded mirrors and migrated hosts);
    3. a Shift_JIS-family label is decoded as cp932;
    4. otherwise the declared codec, then cp932, then EUC-JP;
    5. if nothing decodes cleanly, cp932 with replacement characters, so a single
       corrupt byte costs one character rather than the page.
    """
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", errors="replace")
    if declared is None:
        declared = declared_charset(body)
    codec = normalize_charset(declared)

    if not body.isascii():
        as_utf8 = _strict(body, "utf-8")
        if as_utf8 is not None:
            return as_utf8

    candidates = [c for c in (codec, "cp932", "euc_jp") if c]
    for candidate in dict.fromkeys(candidates):
        text = _strict(body, candidate)
        if text is not None:
            return text
    fallback = codec if codec in {"cp932", "euc_jp", "utf-8"} else "cp932"
    return body.decode(fallback, errors="replace")
