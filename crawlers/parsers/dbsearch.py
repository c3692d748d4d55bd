"""DB-Search (大和速記情報センター, ``*.dbsr.jp/index.php/...``).

Two generations of templates are in use and both are handled by structure
rather than by one municipality's markup:

* the current one (音更町 …): top page with session links, ``Template=list``
  result pages whose pager is a POST form, and ``Template=document`` pages that
  carry the whole document as ``li.voice-block`` items with the title and date in
  the header;
* the framed one (青森市 …): ``Template=list`` result pages with GET pager links,
  and documents opened as a frameset (``doc-one-frame`` / ``doc-all-frame``) whose
  ``doc-page`` frame holds every speech as ``div.page-text__voice`` and whose
  command frame holds the title.

The number in ``index.php/<n>`` is a session id: links are always taken from the
response and never built from a remembered number. :func:`stable_url` removes it
to give a document an id that survives re-crawls.

Page kinds: frameset → ``other`` with the speech frame in ``links``; result list
→ ``meeting_list`` with the documents and the next page in ``links``; document
or speech frame → ``minutes``; command frame → ``other`` with the title; top and
library pages → ``other`` with the result-list links.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from parsel import Selector

from crawlers.encoding import decode_body
from crawlers.parsers.page import MeetingLink, ParsedPage, ParsedSpeech
from crawlers.parsers.segment import split_speeches
from crawlers.parsers.textutil import absolute_url, clean_title, element_text, parse_date

_DOC_HREF = re.compile(r"[?&]Template=(?:document|doc-[\w-]+|view)\b", re.IGNORECASE)
_DOC_ID = re.compile(r"[?&](?:DocumentID|Id)=(\d+)", re.IGNORECASE)
_LIST_HREF = re.compile(r"[?&]Template=(?:list|search-library)\b", re.IGNORECASE)
_SESSION_PATH = re.compile(r"/index\.php/\d+")
_ISO = re.compile(r"(?:19|20)\d{2}-\d{1,2}-\d{1,2}")

# Blocks holding one speech each, in the templates seen so far.
_VOICE_BLOCKS = (
    "li.voice-block",
    "div.page-text__voice",
    "[data-voice_code] .voice__text",
)
_VOICE_TEXT = (".voice__text", ".page-text__text")


def stable_url(url: str) -> str:
    """``…/index.php/848322?Template=document&Id=1673#one`` → ``…/index.php?Template=document&Id=1673``.

    Drops the session number and the fragment, so the same document has the same
    id on every crawl.
    """
    parts = urlsplit(url)
    path = _SESSION_PATH.sub("/index.php", parts.path)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def document_id(url: str) -> str | None:
    m = _DOC_ID.search(url)
    return m.group(1) if m else None


def _skip_numbers(el) -> bool:
    cls = el.get("class") or ""
    return any(c in cls for c in ("__number", "VoiceAnchor", "voice__detail", "voice-detail"))


def _page_title(sel: Selector) -> str | None:
    for query in (".command__docname", "h2.command__title", "h1.command__title", ".command__title"):
        node = sel.css(query)
        if node:
            return clean_title(element_text(node[0].root))
    return None


def _speeches(sel: Selector) -> list[ParsedSpeech] | None:
    for query in _VOICE_BLOCKS:
        blocks = sel.css(query)
        if not blocks:
            continue
        speeches: list[ParsedSpeech] = []
        for block in blocks:
            texts = [t for q in _VOICE_TEXT for t in block.css(q)] or [block]
            for text_node in texts[:1]:
                speeches.extend(split_speeches(element_text(text_node.root, skip=_skip_numbers)))
        return speeches
    return None


def _next_page(sel: Selector, url: str) -> str | None:
    # GET pager (framed template): the link labelled 次.
    for a in sel.css(".pagination a, .paging a, nav a"):
        label = "".join(a.css("::text").getall()).strip()
        if label.startswith("次"):
            return absolute_url(url, a.attrib.get("href"))
    # POST pager (current template): a submit button Page=N in a form; the list
    # route also answers GET, which keeps the spider free of CSRF bookkeeping.
    for button in sel.css('button[name="Page"]'):
        label = (button.attrib.get("aria-label") or "") + "".join(button.css("::text").getall())
        if "次" not in label or button.attrib.get("aria-disabled") == "true":
            continue
        form = button.xpath("ancestor::form[1]")
        action = form.attrib.get("action") if form else None
        params = {
            i.attrib.get("name"): i.attrib.get("value", "")
            for i in (form.css('input[type="hidden"]') if form else [])
            if i.attrib.get("name") and i.attrib.get("name") != "_token"
        }
        params.setdefault("Template", "list")
        params["Page"] = button.attrib.get("value", "")
        base = absolute_url(url, action) or url
        query = dict(parse_qsl(urlsplit(base).query))
        query.update(params)
        return urlunsplit(urlsplit(base)._replace(query=urlencode(query)))
    return None


def _meetings(sel: Selector, url: str) -> list[MeetingLink]:
    anchors = [
        a
        for a in sel.css("a[href]")
        if _DOC_HREF.search(a.attrib["href"]) and _DOC_ID.search(a.attrib["href"])
    ]
    meetings: list[MeetingLink] = []
    seen: set[str] = set()
    for a in anchors:
        href = absolute_url(url, a.attrib["href"])
        doc = document_id(a.attrib["href"])
        if not href or doc is None or doc in seen:
            continue
        seen.add(doc)
        title = clean_title(element_text(a.root)) or ""
        meetings.append(MeetingLink(title=title, date=_item_date(a), url=href))
    return meetings


def _item_date(anchor) -> object:
    """Date written next to a result entry: the nearest ancestor holding only this entry."""
    own = element_text(anchor.root)
    for ancestor in anchor.root.iterancestors():
        entries = [a for a in ancestor.iter("a") if _DOC_HREF.search(a.get("href") or "")]
        if len(entries) > 1:
            break
        text = element_text(ancestor).replace(own, " ")
        m = _ISO.search(text)
        found = parse_date(m.group(0)) if m else parse_date(text)
        if found:
            return found
    return parse_date(own)


def parse(body: bytes, url: str) -> ParsedPage:
    sel = Selector(text=decode_body(body))

    frames = sel.css("frame[src], iframe[src]")
    if frames:
        srcs = [s for s in (absolute_url(url, f.attrib["src"]) for f in frames) if s]
        # The command and voice-list frames are controls; the speech frame
        # (Template=doc-page) is the one that carries the minutes.
        pages = [s for s in srcs if re.search(r"Template=doc-page\b", s, re.IGNORECASE)]
        title = clean_title(sel.css("title::text").get())
        return ParsedPage(kind="other", title=title, links=pages or srcs)

    speeches = _speeches(sel)
    if speeches is not None:
        date_node = sel.css(".command__date")
        date = parse_date(element_text(date_node[0].root)) if date_node else None
        return ParsedPage(kind="minutes", speeches=speeches, title=_page_title(sel), date=date)

    # The command frame links the previous and next documents; it is a control,
    # not a result list, so it is recognised before documents are collected.
    title = _page_title(sel)
    if title:
        return ParsedPage(kind="other", title=title)

    meetings = _meetings(sel, url)
    if meetings:
        next_page = _next_page(sel, url)
        return ParsedPage(kind="meeting_list", meetings=meetings, links=[next_page] if next_page else [])

    # An unknown document template: the speech headings in the running text
    # are the evidence, whatever the markup around them.
    body_node = sel.css("body")
    if body_node:
        speeches = split_speeches(element_text(body_node[0].root, skip=_skip_numbers))
        if speeches:
            date = parse_date(" ".join(sel.css("[class*=date]::text").getall()))
            return ParsedPage(kind="minutes", speeches=speeches, title=_page_title(sel), date=date)

    links: list[str] = []
    for a in sel.css("a[href]"):
        href = a.attrib["href"]
        if _LIST_HREF.search(href) and (
            re.search(r"QueryType=New|TermStart|Cabinet", href, re.IGNORECASE) or "search-library" in href
        ):
            absolute = absolute_url(url, href)
            if absolute and absolute not in links:
                links.append(absolute)
    return ParsedPage(kind="other", title=clean_title(sel.css("title::text").get()), links=links)
