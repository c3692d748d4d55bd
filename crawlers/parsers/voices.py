"""VOICES / gijiroku.com (``voices/g08v_search.asp``, ``voices/cgi/voiweb.exe``).

A Shift_JIS CGI with one action parameter:

* ``ACT=100`` — 会議日程一覧, the meeting list: one row per sitting, the session
  name as text and the sitting (``12月26日-01号``) as a link that opens
  ``ACT=200`` — in a ``javascript:winopen('…')`` handler on most hosts, in the
  ``href`` on others;
* ``ACT=200`` — a frameset: the speaker sidebar and the ``hat`` frame showing
  one statement (``ACT=203&HUID=…``);
* the sidebar — one ``ACT=203&HUID=…`` link per statement;
* ``ACT=203`` — statements. With ``HATSUGENMODE=1`` it returns the whole
  document in one response, which is what the spider asks for.

Page kinds: ``meeting_list`` (``ACT=100``), ``minutes`` (``ACT=203``; speeches
split from the text), ``other`` for the frameset (``links``: the whole-document
URL first, then the frames) and the sidebar (``links``: the statements in order).

Query strings carry Shift_JIS percent-encoding (``TITL_SUBT=%97%DF%98a…``); they
are passed on untouched, never re-encoded.
"""

from __future__ import annotations

import re
from datetime import date as Date
from urllib.parse import unquote, urlsplit, urlunsplit

from parsel import Selector

from crawlers.encoding import decode_body
from crawlers.parsers.page import MeetingLink, ParsedPage
from crawlers.parsers.segment import MARKERS, split_speeches
from crawlers.parsers.textutil import (
    absolute_url,
    clean_title,
    date_from_code,
    element_text,
    era_year,
    parse_date,
    to_int,
)

_ACT = re.compile(r"[?&]ACT=(\d+)", re.IGNORECASE)
_OPEN_JS = re.compile(r"""(?:winopen|window\.open)\s*\(\s*['"]([^'"]+)['"]""", re.IGNORECASE)
_UNID = re.compile(r"[?&]UNID=[A-Za-z]*_?([RHST]\d{6})", re.IGNORECASE)
_MONTH_DAY = re.compile(r"([0-9０-９]{1,2})\s*月\s*([0-9０-９]{1,2})\s*日")
_TITLE_LINE = re.compile(r"(令和|平成|昭和).{0,12}年.*(会|委員会|協議会|審査会)")


def act_of(url: str) -> str | None:
    m = _ACT.search(url)
    return m.group(1) if m else None


def query_param(url: str, name: str) -> str | None:
    """Raw (still percent-encoded) value of a query parameter."""
    for part in urlsplit(url).query.split("&"):
        key, _, value = part.partition("=")
        if key.upper() == name.upper():
            return value
    return None


def _target(a) -> str | None:
    """Where a list link really goes: its href, or the URL in its onClick handler."""
    href = a.attrib.get("href") or ""
    if act_of(href):
        return href
    m = _OPEN_JS.search(a.attrib.get("onclick") or "")
    return m.group(1) if m else None


def title_from_url(url: str) -> str | None:
    """The system's own title, ``TITL_SUBT`` decoded from Shift_JIS."""
    raw = query_param(url, "TITL_SUBT")
    if not raw:
        return None
    return clean_title(unquote(raw, encoding="cp932", errors="replace"))


def whole_document_url(statement_url: str) -> str:
    """``ACT=203`` URL of one statement → the same document with every statement."""
    parts = urlsplit(statement_url)
    query = [p for p in parts.query.split("&") if p and not p.upper().startswith("HATSUGENMODE=")]
    query.append("HATSUGENMODE=1")
    return urlunsplit(parts._replace(query="&".join(query)))


def _sitting_date(session: str, label: str, target: str) -> Date | None:
    m = _UNID.search(target)
    if m:
        found = date_from_code(m.group(1))
        if found:
            return found
    year = era_year(session)
    md = _MONTH_DAY.search(label) or _MONTH_DAY.search(session)
    if year and md:
        month, day = to_int(md.group(1)), to_int(md.group(2))
        # A 年度 session (令和５年度予算…) sits in January–March of the next year.
        if month is not None and month <= 3 and "年度" in session:
            year += 1
        try:
            return Date(year, month or 0, day or 0)
        except ValueError:
            pass
    return parse_date(session) or parse_date(label)


def _session_text(a) -> str:
    """Session name written before the sitting link in the same cell (``令和　６年　３月定例会,``)."""
    el = a.root
    pieces: list[str] = []
    prev = el.getprevious()
    while prev is not None:
        if prev.tail:
            pieces.append(prev.tail)
        prev = prev.getprevious()
    parent = el.getparent()
    if parent is not None and parent.text:
        pieces.append(parent.text)
    text = "".join(reversed(pieces))
    return text.strip().rstrip(",，、").strip()


def _meetings(sel: Selector, url: str) -> list[MeetingLink]:
    meetings: list[MeetingLink] = []
    seen: set[str] = set()
    for a in sel.css("a"):
        target = _target(a)
        if not target or act_of(target) != "200":
            continue
        absolute = absolute_url(url, target)
        key = query_param(target, "FINO") or absolute
        if not absolute or key in seen:
            continue
        seen.add(key)
        label = clean_title(element_text(a.root)) or ""
        session = _session_text(a)
        title = title_from_url(target) or "｜".join(p for p in (session, label) if p)
        meetings.append(MeetingLink(title=title, date=_sitting_date(session, label, target), url=absolute))
    return meetings


def _pager(sel: Selector, url: str) -> list[str]:
    current = query_param(url, "PAGE") or "1"
    links: list[str] = []
    for a in sel.css("a[href]"):
        href = a.attrib["href"]
        if act_of(href) != "100" or query_param(href, "PAGE") is None:
            continue
        # Links that open one meeting's branch carry FINO/TITL_SUBT; they show
        # the same page again and are not pages of the list.
        if query_param(href, "FINO") is not None or query_param(href, "TITL_SUBT") is not None:
            continue
        if query_param(href, "PAGE") == current:
            continue
        absolute = absolute_url(url, href)
        if absolute and absolute not in links:
            links.append(absolute)
    return links


def _statement_text(sel: Selector) -> str:
    body = sel.css("body")
    if not body:
        return ""
    return element_text(body[0].root, skip=lambda el: el.tag in ("form", "FORM"))


def _minutes(sel: Selector, url: str) -> ParsedPage:
    text = _statement_text(sel)
    head_lines = [line.strip() for line in text.split("\n") if line.strip()][:15]
    title = title_from_url(url)
    if not title and head_lines and head_lines[0][0] not in MARKERS and _TITLE_LINE.search(head_lines[0]):
        title = head_lines[0]
    date = None
    m = _UNID.search(url)
    if m:
        date = date_from_code(m.group(1))
    if date is None:
        date = parse_date("\n".join(line for line in head_lines if line[0] not in MARKERS))
    return ParsedPage(kind="minutes", speeches=split_speeches(text), title=title, date=date)


def parse(body: bytes, url: str) -> ParsedPage:
    sel = Selector(text=decode_body(body))

    frames = sel.css("frame[src], iframe[src]")
    if frames:
        srcs = [s for s in (absolute_url(url, f.attrib["src"]) for f in frames) if s]
        statements = [s for s in srcs if act_of(s) == "203"]
        links = ([whole_document_url(statements[0])] if statements else []) + srcs
        return ParsedPage(kind="other", title=title_from_url(url), links=list(dict.fromkeys(links)))

    meetings = _meetings(sel, url)
    if meetings:
        return ParsedPage(kind="meeting_list", meetings=meetings, links=_pager(sel, url))

    if sel.xpath("//a[starts-with(translate(@name,'huid','HUID'),'HUID')]"):
        return _minutes(sel, url)

    statements = []
    for a in sel.css("a[href]"):
        href = a.attrib["href"]
        if act_of(href) == "203" and query_param(href, "HUID"):
            absolute = absolute_url(url, href)
            if absolute and absolute not in statements:
                statements.append(absolute)
    if statements:
        return ParsedPage(kind="other", title=clean_title(sel.css("title::text").get()), links=statements)
    if act_of(url) == "203":
        return _minutes(sel, url)

    links = []
    for a in sel.css("a[href]"):
        href = a.attrib["href"]
        if act_of(href) == "100" and query_param(href, "FINO") is None:
            absolute = absolute_url(url, href)
            if absolute and absolute not in links:
                links.append(absolute)
    return ParsedPage(kind="other", title=clean_title(sel.css("title::text").get()), links=links)


def list_url(cgi_url: str, year: int) -> str:
    """``ACT=100`` meeting list of one calendar year, as the search page submits it."""
    parts = urlsplit(cgi_url)
    query = f"ACT=100&KENSAKU=0&SORT=0&KTYP=0,1,2,3&KGTP=1,3&FYY={year}&TYY={year}"
    return urlunsplit(parts._replace(query=query, fragment=""))


def cgi_url(any_url: str) -> str:
    """``…/voices/cgi/voiweb.exe`` for any page of the same host (search page or CGI)."""
    parts = urlsplit(any_url)
    path = parts.path
    if path.lower().endswith("voiweb.exe"):
        return urlunsplit(parts._replace(query="", fragment=""))
    m = re.search(r"^(.*/voices)/", path, re.IGNORECASE)
    root = m.group(1) if m else path.rsplit("/", 1)[0]
    return urlunsplit(parts._replace(path=f"{root}/cgi/voiweb.exe", query="", fragment=""))


__all__ = ["parse", "list_url", "cgi_url", "whole_document_url", "title_from_url"]
