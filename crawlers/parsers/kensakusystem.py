"""kensakusystem.jp (``/<tenant>/cgi-bin3/…``), a Shift_JIS CGI.

The browsing flow, every step over GET:

* ``See.exe?Code=<token>`` — the tree. Nodes have no href: each is
  ``javascript:document.viewtree.submit()`` with the node label put into the
  form's ``treedepth`` field by its ``onClick``. The label is sent back
  percent-encoded in cp932, trailing space included. Once a session is open the
  tree lists its sittings as ``ResultFrame.exe?…fileName=R070214A…`` links;
* ``ResultFrame.exe`` — a frameset: ``r_Speakers.exe`` (the speaker index, MENU)
  and ``r_TextFrame.exe`` (one speech at a time, TEXTW);
* ``r_Speakers.exe`` — the speaker index, with a download form holding one
  ``downloadPos`` per speech;
* ``GetPerson.exe?Code=&fileName=&downloadPos=…`` — the form's target: the
  selected speeches as plain text with a ``開催日：`` / ``会議名：`` header. One
  request returns the whole sitting.

Page kinds: the tree → ``other`` (``links``: tree nodes), or ``meeting_list``
once it lists sittings; the frameset → ``other`` with the speaker-index frame
(the text frame shows single speeches and is left out); the speaker index →
``other`` with the download URL, title and date; the download and any HTML page
with speech headings → ``minutes``.

Dates come from the sitting's file name (``R070214A`` → 2025-02-14) when the
page has no printed date.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from parsel import Selector

from crawlers.encoding import decode_body
from crawlers.parsers.page import MeetingLink, ParsedPage
from crawlers.parsers.segment import MARKERS, split_speeches
from crawlers.parsers.textutil import absolute_url, clean_title, date_from_code, element_text, parse_date

_TREEDEPTH = re.compile(r"treedepth\.value\s*=\s*'([^']*)'")
_FILE_NAME = re.compile(r"(?:fileName=|\?[^/]*/)([RHST]\d{6}[A-Za-z0-9]*)", re.IGNORECASE)
_YEAR_LABEL = re.compile(r"^(?:令和|平成|昭和)\s*(?:元|\d{1,2})年")
_HTML = re.compile(r"^\s*(?:<!DOCTYPE|<html|<head|<body|<frameset|<meta|<title|<!--)", re.IGNORECASE)
_HEADER_FIELD = re.compile(r"^\s*(開催日|会議名)\s*[：:]\s*(.*)$", re.MULTILINE)
# GetPerson.exe marks printed page breaks with <PAGE="12"> in its plain text.
_PAGE_MARK = re.compile(r'<PAGE="?\d+"?>', re.IGNORECASE)


def file_name(url: str) -> str | None:
    """The sitting's file name (``R070214A``) in any of the system's URL shapes."""
    m = _FILE_NAME.search(url)
    return m.group(1) if m else None


def tree_url(see_url: str, code: str, label: str) -> str:
    """``See.exe`` URL opening one tree node, encoded as the page's own form would."""
    base = urlunsplit(urlsplit(see_url)._replace(query="", fragment=""))
    return f"{base}?Code={code}&treedepth={quote(label.encode('cp932'), safe='')}"


def _treedepth_of(url: str) -> str | None:
    for part in urlsplit(url).query.split("&"):
        key, _, value = part.partition("=")
        if key.lower() == "treedepth":
            return unquote(value, encoding="cp932", errors="replace")
    return None


def _minutes_from_text(text: str, url: str, title: str | None = None) -> ParsedPage:
    text = _PAGE_MARK.sub("", text)
    fields = {m.group(1): m.group(2).strip() for m in _HEADER_FIELD.finditer(text[:2000])}
    name = file_name(url)
    date = parse_date(fields.get("開催日")) or (date_from_code(name) if name else None)
    if date is None:
        head = [line for line in text.split("\n")[:15] if line.strip() and line.strip()[0] not in MARKERS]
        date = parse_date("\n".join(head))
    return ParsedPage(
        kind="minutes",
        speeches=split_speeches(text),
        title=clean_title(fields.get("会議名")) or title,
        date=date,
    )


def _speaker_index(sel: Selector, url: str) -> ParsedPage | None:
    positions = [i.attrib.get("value", "") for i in sel.css('input[name="downloadPos"]')]
    positions = [p for p in positions if p]
    if not positions:
        return None
    form = sel.xpath('//input[@name="downloadPos"]/ancestor::form[1]')
    action = absolute_url(url, form.attrib.get("action")) if form else None
    hidden = [
        (i.attrib["name"], i.attrib.get("value", ""))
        for i in (form.css('input[type="hidden"]') if form else [])
        if i.attrib.get("name")
    ]
    query = "&".join(f"{k}={quote(v.encode('cp932'), safe='')}" for k, v in hidden)
    query += "".join(f"&downloadPos={p}" for p in positions)
    links = [f"{action}?{query.lstrip('&')}"] if action else []

    name = dict(hidden).get("fileName") or file_name(url)
    # The index repeats the tree path down to this sitting: 令和 7年 › 第1回定例会 › （第1日 2月14日）.
    path_labels = []
    for a in sel.css("a[href]"):
        href = a.attrib["href"]
        if "treedepth=" in href or (name and name in href and "r_Speakers" in href):
            label = clean_title(element_text(a.root))
            if label and label not in path_labels:
                path_labels.append(label)
    title = "".join(path_labels) or None
    date = date_from_code(name) if name else None
    return ParsedPage(kind="other", title=title, date=date, links=links)


def _tree(sel: Selector, url: str) -> ParsedPage | None:
    form = sel.xpath('//form[.//input[@name="treedepth"]]')
    labels = list(dict.fromkeys(_TREEDEPTH.findall(" ".join(sel.xpath("//@onclick").getall()))))
    sittings = [
        a for a in sel.css("a[href]") if "ResultFrame" in a.attrib["href"] and file_name(a.attrib["href"])
    ]
    if not labels and not sittings:
        return None
    links: list[str] = []
    if form and labels:
        see = absolute_url(url, form.attrib.get("action")) or url
        code = form.css('input[name="Code"]::attr(value)').get() or ""
        links = [tree_url(see, code, label) for label in labels]

    session = (_treedepth_of(url) or "").strip()
    year = _YEAR_LABEL.match(session)
    if year and session[year.end() :].strip():
        session = session[year.end() :].strip()
        if "年" not in session:
            session = f"{year.group(0)} {session}"
    meetings: list[MeetingLink] = []
    seen: set[str] = set()
    for a in sittings:
        href = absolute_url(url, a.attrib["href"])
        name = file_name(a.attrib["href"])
        if not href or name in seen:
            continue
        seen.add(name)
        label = clean_title(element_text(a.root)) or name
        title = label if "年" in label or not session else f"{session}{label}"
        meetings.append(MeetingLink(title=title, date=date_from_code(name) or parse_date(label), url=href))
    if meetings:
        return ParsedPage(kind="meeting_list", meetings=meetings, links=links)
    return ParsedPage(kind="other", title=clean_title(sel.css("title::text").get()), links=links)


def parse(body: bytes, url: str) -> ParsedPage:
    text = decode_body(body)
    if not _HTML.match(text):
        return _minutes_from_text(text.replace("\r\n", "\n").replace("\r", "\n"), url)

    sel = Selector(text=text)
    title = clean_title(sel.css("title::text").get())

    frames = sel.css("frame[src], iframe[src]")
    if frames:
        srcs = [s for s in (absolute_url(url, f.attrib["src"]) for f in frames) if s]
        index = [s for s in srcs if "r_Speakers" in s or "Speakers" in s]
        name = file_name(url) or next((file_name(s) for s in srcs if file_name(s)), None)
        return ParsedPage(
            kind="other", title=title, date=date_from_code(name) if name else None, links=index or srcs
        )

    index = _speaker_index(sel, url)
    if index is not None:
        return index

    tree = _tree(sel, url)
    if tree is not None:
        return tree

    body_node = sel.css("body")
    body_text = element_text(body_node[0].root) if body_node else ""
    speeches_page = _minutes_from_text(body_text, url, title=title)
    if speeches_page.speeches:
        return speeches_page

    links = []
    for a in sel.css("a[href]"):
        href = a.attrib["href"]
        if re.search(r"See\.exe\?Code=", href, re.IGNORECASE):
            absolute = absolute_url(url, href)
            if absolute and absolute not in links:
                links.append(absolute)
    return ParsedPage(kind="other", title=title, links=links)
