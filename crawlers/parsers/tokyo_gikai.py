"""東京都議会 record pages (``www.gikai.metro.tokyo.lg.jp/record/…``), static HTML.

Plenary minutes: ``/record/proceedings/<year>-<n>/<nn>.html`` titled
``令和二年東京都議会会議録第二号``; committee minutes: ``/record/<committee>/<nn>-<nn>.html``
titled ``議会運営委員会速記録第六号``. A page prints its date in 和暦 with kanji
numerals (``令和二年二月二十六日（水曜日）``), the roll-call, then the speeches, each
starting ``○`` + speaker (``○議長（石川良一君）``, ``○百十六番（増子ひろき君）``,
``○野村委員長``) with stage directions in ``〔…登壇〕``. Index pages link to
minutes pages and to further index pages.

Speeches are cut by the shared segmenter (``crawlers.parsers.segment``).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html

from crawlers.encoding import decode_body
from crawlers.parsers.page import MeetingLink, ParsedPage, ParsedSpeech
from crawlers.parsers.segment import split_speeches
from crawlers.parsers.textutil import clean_title, element_text, parse_date

MINUTES_PATH = re.compile(r"/record/[^/]+/(?:[^/]+/)?[0-9][0-9-]*\.html$")
"""``/record/proceedings/2020-1/02.html``, ``/record/assembly-administration/17-06.html``."""

_BLANK_LINES = re.compile(r"\n{2,}")
_CONTAINERS = ("#main", "#mainContent", "#contents", "main", "article", "body")
_CHROME = {"header", "nav", "footer"}
_CHROME_IDS = re.compile(r"^(?:header|footer|nav|gnav|breadcrumbs?|sidebar|side|pankuzu|menu)$", re.IGNORECASE)


def _container(doc):
    for css in _CONTAINERS:
        found = doc.cssselect(css)
        if found:
            return found[0]
    return doc


def _is_chrome(el) -> bool:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    return tag in _CHROME or bool(_CHROME_IDS.match(el.get("id") or ""))


def is_minutes_url(url: str) -> bool:
    return bool(MINUTES_PATH.search(urlsplit(url).path))


def parse(body: bytes, url: str) -> ParsedPage:
    """A minutes page → title, date, speeches; an index page → its minutes links (+ index links)."""
    text_html = decode_body(body)
    if not text_html.strip():
        raise ValueError("empty page")
    doc = lxml.html.fromstring(text_html)
    main = _container(doc)
    heading = main.cssselect("h1") or doc.cssselect("h1")
    title = clean_title(heading[0].text_content()) if heading else None
    if title is None:
        page_title = doc.findtext(".//title")
        title = clean_title(page_title.split("｜")[0]) if page_title else None

    text = element_text(main, skip=_is_chrome)
    # Paragraph breaks come out as blank lines; a speech's text keeps one break per paragraph.
    speeches = [
        ParsedSpeech(speaker=s.speaker, text=_BLANK_LINES.sub("\n", s.text)) for s in split_speeches(text)
    ]
    if speeches or is_minutes_url(url):
        first_speech = re.search(r"^[ \u3000]*[○〇◯◎◆◇]", text, re.MULTILINE)
        head = text[: first_speech.start()] if first_speech else text
        return ParsedPage(kind="minutes", title=title, date=parse_date(head), speeches=speeches)

    meetings: list[MeetingLink] = []
    links: list[str] = []
    for a in main.iter("a"):
        href = a.get("href")
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        absolute = urljoin(url, href.strip())
        path = urlsplit(absolute).path
        if "/record/" not in path:
            continue
        label = " ".join(a.text_content().split())
        if is_minutes_url(absolute):
            meetings.append(MeetingLink(title=label or absolute, date=parse_date(label), url=absolute))
        elif path.endswith(("/", ".html")) and absolute.split("#")[0] != url:
            links.append(absolute.split("#")[0])
    return ParsedPage(kind="meeting_list", title=title, meetings=meetings, links=list(dict.fromkeys(links)))
