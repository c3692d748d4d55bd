"""Assembly member lists (議員名簿 / 議員一覧) and member profile pages → roster entries.

One generic extractor for the layouts municipal sites use, tried in this order:

(a) ``table``: a ``<table>`` whose header row names the columns (氏名/議員名,
    ふりがな/よみ, 会派, 議席番号, 選挙区, 所属委員会, 任期); a one-cell row inside
    the table (``<th colspan=5>都民ファーストの会</th>``) sets the 会派 of the rows
    below it, as do a ``<caption>`` or the heading just before the table;
(b) ``cards``: repeated sibling blocks (``<li>``, ``<div class="member">``…), each
    with a name, a 会派 (by class such as ``party``/``kaiha`` or a ``会派：`` label)
    and usually a link to the member's profile page;
(c) ``profiles``: definition lists or two-column label tables (``<dt>会派</dt>``),
    one per member, named by an 氏名 row or by the heading above them — a page
    of one member's profile, or a page with a heading per member.

Where a site differs, ``crawlers/rosters.yaml`` gives CSS (or XPath, starting with
``/``, ``./`` or ``(``) selectors that replace the generic guess (see
:class:`RosterConfig`). :func:`parse_profile` reads one member's profile page for
the committees and outbound links the list does not show.

Pure functions: bytes and URL in, dataclasses out; no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date as Date
from typing import Any
from urllib.parse import urlsplit

import lxml.html

from crawlers.encoding import decode_body
from crawlers.parsers.links import classify, member_links
from crawlers.parsers.textutil import absolute_url, element_text, parse_date, to_int
from nlp.names import display_name, name_key

FIELDS = ("name", "reading", "party", "seat", "district", "committees", "term", "links")
SELECTOR_FIELDS = ("name", "reading", "party", "seat", "district", "committees", "term", "profile_link")

_KANA = re.compile(r"^[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f\s・･ー－-]+$")
_WS = re.compile(r"[\s\u3000]+")
_LABEL_SEP = re.compile(r"^\s*([^：:\n]{1,14}?)\s*[：:]\s*(.+?)\s*$")
_PARENS = re.compile(r"^(.*?)[\s\u3000]*[（(]([^）)]*)[）)][\s\u3000]*$")
_COMMITTEE_SPLIT = re.compile(r"[、，,／/\n;；]|\u3000+|\s{2,}")
_ROLE = re.compile(r"[（(][^）)]*[）)]|\s*(?:副?委員長|理事|委員)$")
_TERM_SPLIT = re.compile(r"[～〜~]|から|－|―")
_CHROME_TAGS = {"header", "nav", "footer", "aside", "script", "style", "noscript"}
_CHROME_IDS = re.compile(
    r"^(?:header|footer|g?nav\w*|global\w*|breadcrumbs?|topicpath|sidebar|side|pankuzu|menu|sns\w*|share\w*)$",
    re.IGNORECASE,
)
_CONTENT = ("main", "#main", "#mainContent", "#main-content", "#contents", "#content", "article", "body")
_NOT_NAMES = re.compile(r"議員|名簿|一覧|会派|委員会|議会|トップ|ページ|戻る|詳細|プロフィール|ホーム|サイト|ブログ|お問い合わせ")

_CLASS_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("reading", re.compile(r"kana|furigana|yomi|ruby|reading|hurigana", re.IGNORECASE)),
    ("party", re.compile(r"party|kaiha|faction|seito", re.IGNORECASE)),
    ("seat", re.compile(r"seat|giseki", re.IGNORECASE)),
    ("district", re.compile(r"district|senkyoku|area", re.IGNORECASE)),
    ("committees", re.compile(r"committee|iinkai", re.IGNORECASE)),
    ("term", re.compile(r"\bterm\b|ninki", re.IGNORECASE)),
    ("name", re.compile(r"name|shimei|simei", re.IGNORECASE)),
)


# -- results ---------------------------------------------------------------
@dataclass
class RosterEntry:
    """What a list or profile page says about one member; empty fields are unknown."""

    name: str = ""
    reading: str | None = None
    party: str | None = None
    seat: str | None = None
    district: str | None = None
    committees: list[str] = field(default_factory=list)
    term_start: Date | None = None
    term_end: Date | None = None
    profile_url: str | None = None
    links: dict[str, str] = field(default_factory=dict)

    def merged(self, other: RosterEntry) -> RosterEntry:
        """This entry with the gaps filled from ``other`` (a profile page); committees and links united."""
        committees = list(dict.fromkeys([*self.committees, *other.committees]))
        links = {**other.links, **self.links}
        values: dict[str, Any] = {"committees": committees, "links": links}
        for name in ("name", "reading", "party", "seat", "district", "term_start", "term_end", "profile_url"):
            values[name] = getattr(self, name) or getattr(other, name)
        return replace(self, **values)


@dataclass
class RosterPage:
    layout: str
    """``config``, ``table``, ``cards``, ``profiles`` or ``none``."""
    members: list[RosterEntry]
    pages: list[str] = field(default_factory=list)
    """Further list pages to read (only from the ``pages`` selector of the configuration)."""


@dataclass(frozen=True)
class RosterConfig:
    """Per-assembly settings from ``crawlers/rosters.yaml``; every selector is optional.

    ``member`` selects one block per member; ``name``, ``reading``, ``party``,
    ``seat``, ``district``, ``committees``, ``term`` and ``profile_link`` are
    relative to that block. ``pages`` selects links to more list pages,
    ``content`` the part of a profile page that belongs to the member (links
    outside it — the city's own SNS accounts in the footer — are ignored).
    """

    start_url: str | None = None
    member: str | None = None
    selectors: Mapping[str, str] = field(default_factory=dict)
    pages: str | None = None
    content: str | None = None
    follow_profiles: bool = True
    note: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> RosterConfig:
        data = dict(data or {})
        selectors = dict(data.pop("selectors", None) or {})
        unknown = set(selectors) - set(SELECTOR_FIELDS)
        if unknown:
            raise ValueError(f"unknown roster selector(s) {sorted(unknown)}; expected {SELECTOR_FIELDS}")
        known = {"start_url", "member", "pages", "content", "follow_profiles", "note"}
        extra = set(data) - known
        if extra:
            raise ValueError(f"unknown roster setting(s) {sorted(extra)}; expected {sorted(known | {'selectors'})}")
        return cls(selectors=selectors, **data)


# -- small helpers ---------------------------------------------------------
def _norm(text: str | None) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


def _is_kana(text: str) -> bool:
    return bool(text.strip()) and bool(_KANA.match(text.strip()))


def label_field(label: str) -> str | None:
    """Which field a header cell or label names: ``議席番号`` → seat, ``ふりがな`` → reading…"""
    t = _WS.sub("", unicodedata.normalize("NFKC", label or "")).strip("：:・")
    if not t or len(t) > 14:
        return None
    has_name = re.search(r"氏名|議員名|名前", t)
    if "議席" in t:
        return "seat"
    if re.search(r"ふりがな|フリガナ|よみ|ヨミ|読み|かな|カナ", t) and not has_name:
        return "reading"
    if has_name:
        return "name"
    if re.search(r"会派|政党", t):
        return "party"
    if "選挙区" in t:
        return "district"
    if "委員" in t:
        return "committees"
    if "任期" in t:
        return "term"
    if re.search(r"ホームページ|ブログ|HP|URL|SNS|リンク|ウェブ|web", t, re.IGNORECASE):
        return "links"
    return None


def _select(root, selector: str) -> list:
    selector = selector.strip()
    if selector.startswith(("/", "./", "(")):
        return root.xpath(selector)
    return root.cssselect(selector)


def _is_chrome(el) -> bool:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag in _CHROME_TAGS:
        return True
    return bool(_CHROME_IDS.match(el.get("id") or "")) or any(
        _CHROME_IDS.match(c) for c in (el.get("class") or "").split()
    )


def _in_chrome(el) -> bool:
    node = el
    while node is not None:
        if isinstance(node.tag, str) and _is_chrome(node):
            return True
        node = node.getparent()
    return False


def _text(el) -> str:
    if isinstance(el, str):
        return el.strip()
    return element_text(el).strip()


def _anchors(el, base_url: str) -> list[tuple[str, str]]:
    out = []
    for a in el.iter("a"):
        url = absolute_url(base_url, a.get("href"))
        if url and not _in_chrome(a):
            out.append((url, _norm(a.text_content()) + " " + _norm(a.get("title") or "")))
    return out


def _own_host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _profile_link(el, base_url: str) -> str | None:
    """First link of a block that is neither a member link (SNS, blog, site) nor a file."""
    own = _own_host(base_url)
    for url, _ in _anchors(el, base_url):
        if urlsplit(url).path.lower().endswith((".pdf", ".jpg", ".png", ".gif", ".doc", ".docx", ".xls", ".xlsx")):
            continue
        if classify(url, "", own) is None and _own_host(url) == own:
            return url
    return None


def name_and_reading(el) -> tuple[str, str | None]:
    """Name and its reading from a name cell: ruby, a kana element, a kana line, or kana in parentheses."""
    reading = None
    if isinstance(el, str):
        text = el
    else:
        el = _copy(el)
        rts = el.xpath(".//rt")
        if rts:
            reading = "".join(rt.text_content() for rt in rts).strip() or None
            for rt in rts:
                _drop(rt)
            for rp in el.xpath(".//rp"):
                _drop(rp)
        for sub in el.xpath(".//*[@class]"):
            if _CLASS_HINTS[0][1].search(sub.get("class") or "") and _is_kana(sub.text_content()):
                reading = reading or _norm(sub.text_content())
                _drop(sub)
        text = element_text(el)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    kana_lines = [line for line in lines if _is_kana(line)]
    other = [line for line in lines if not _is_kana(line)]
    if other and kana_lines:
        reading = reading or _norm(kana_lines[0])
        lines = other
    elif not other and len(kana_lines) > 1:  # a hiragana-only name with its reading below
        reading = reading or _norm(kana_lines[1])
        lines = kana_lines[:1]
    text = " ".join(lines)
    m = _PARENS.match(text)
    if m and _is_kana(m.group(2)):
        text, reading = m.group(1), reading or _norm(m.group(2))
    elif m and m.group(1).strip():  # 増子ひろき（116番） and the like
        text = m.group(1)
    name = display_name(text)
    name = re.sub(r"^(?:議員|氏名)[：:]?", "", name)
    return name, reading


def _copy(el):
    return lxml.html.fromstring(lxml.html.tostring(el, encoding="unicode"))


def _drop(el) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    prev = el.getprevious()
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def committees_from(text: str) -> list[str]:
    """``厚生委員会（副委員長）、議会運営委員会`` → [厚生委員会, 議会運営委員会]."""
    out = []
    for part in _COMMITTEE_SPLIT.split(text or ""):
        part = _ROLE.sub("", part.strip()).strip()
        part = re.sub(r"^(?:所属|常任|特別)?委員会?[：:]", "", part).strip()
        if part and len(part) <= 40 and not re.fullmatch(r"[-－―なし無]+", part):
            out.append(part)
    return list(dict.fromkeys(out))


def seat_from(text: str) -> str | None:
    """``116``, ``百十六番``, ``第１１６番`` → ``116``; other text as written."""
    t = _norm(text)
    m = re.search(r"([0-9]+|[〇一二三四五六七八九十百]+)\s*番?", t)
    if m:
        n = to_int(m.group(1))
        if n is not None:
            return str(n)
    return t or None


def term_from(text: str) -> tuple[Date | None, Date | None]:
    """``令和3年7月23日～令和7年7月22日`` → (start, end)."""
    parts = _TERM_SPLIT.split(text or "", maxsplit=1)
    start = parse_date(parts[0]) if parts else None
    end = parse_date(parts[1]) if len(parts) > 1 else None
    return start, end


def _set(entry: RosterEntry, fname: str, value_el, base_url: str) -> None:
    """Store a field's value (an element or text) on ``entry``."""
    text = _text(value_el)
    if fname != "name" and (m := _LABEL_SEP.match(text.replace("\n", " "))) and label_field(m.group(1)) == fname:
        text = m.group(2)  # a class-named element that also prints its label: 選挙区：北区
        value_el = text if fname != "links" else value_el
    elif fname == "seat" or fname == "district":
        text = re.sub(r"^(?:議席番号|議席|選挙区)[\s\u3000]*", "", _norm(text))
    if fname == "name":
        name, reading = name_and_reading(value_el)
        if name and not entry.name:
            entry.name = name
        entry.reading = entry.reading or reading
        if not isinstance(value_el, str):
            entry.profile_url = entry.profile_url or _profile_link(value_el, base_url)
    elif fname == "reading":
        entry.reading = entry.reading or (_norm(text) or None)
    elif fname == "party":
        entry.party = entry.party or (_norm(text) or None)
    elif fname == "seat":
        entry.seat = entry.seat or seat_from(text)
    elif fname == "district":
        entry.district = entry.district or (_norm(text) or None)
    elif fname == "committees":
        entry.committees = list(dict.fromkeys([*entry.committees, *committees_from(text)]))
    elif fname == "term":
        start, end = term_from(text)
        entry.term_start, entry.term_end = entry.term_start or start, entry.term_end or end
    elif fname == "links" and not isinstance(value_el, str):
        _add_links(entry, _anchors(value_el, base_url), base_url)


def _add_links(entry: RosterEntry, anchors: Iterable[tuple[str, str]], base_url: str) -> None:
    found = member_links(anchors, _own_host(base_url))
    entry.links = {**found, **entry.links}


def _plausible_name(name: str) -> bool:
    return 2 <= len(name) <= 16 and not re.search(r"[0-9０-９]", name) and not _NOT_NAMES.search(name)


# -- layout (a): tables ----------------------------------------------------
def _cells(tr) -> list:
    out = []
    for cell in tr:
        if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
            continue
        span = to_int(cell.get("colspan") or "1") or 1
        out.extend([cell] * min(span, 20))
    return out


def _rows(table) -> list:
    return [tr for tr in table.iter("tr") if _nearest_table(tr) is table]


def _nearest_table(el):
    node = el.getparent()
    while node is not None and node.tag != "table":
        node = node.getparent()
    return node


def _heading_before(el) -> str | None:
    """Text of the nearest heading before ``el`` (siblings, then the parent's siblings)."""
    node = el
    for _ in range(4):
        sib = node.getprevious()
        while sib is not None:
            if isinstance(sib.tag, str):
                if re.fullmatch(r"h[1-6]", sib.tag.lower()):
                    return _norm(sib.text_content()) or None
                inner = sib.xpath(".//h2|.//h3|.//h4|.//h5")
                if inner:
                    return _norm(inner[-1].text_content()) or None
            sib = sib.getprevious()
        node = node.getparent()
        if node is None:
            break
    return None


def _group_party(text: str | None) -> str | None:
    """A heading names a 会派 unless it is a page heading (議員名簿, 一覧…)."""
    if not text:
        return None
    text = re.sub(r"[（(]\s*[0-9０-９]+\s*名?人?[）)]$", "", text).strip()
    if re.search(r"名簿|一覧|議員|委員会|プロフィール|[0-9０-９]+年", text) or len(text) > 30:
        return None
    return text or None


def parse_tables(doc, base_url: str) -> list[RosterEntry]:
    members: list[RosterEntry] = []
    for table in doc.iter("table"):
        rows = _rows(table)
        header_idx, columns = None, {}
        for i, tr in enumerate(rows[:3]):
            cols = {j: label_field(_text(c)) for j, c in enumerate(_cells(tr))}
            cols = {j: f for j, f in cols.items() if f}
            if "name" in cols.values() and len(cols) >= 2:
                header_idx, columns = i, cols
                break
        if header_idx is None:
            continue
        caption = table.find("caption")
        party = _group_party(_norm(caption.text_content()) if caption is not None else None)
        party = party or _group_party(_heading_before(table))
        width = len(_cells(rows[header_idx]))
        for tr in rows[header_idx + 1 :]:
            cells = _cells(tr)
            distinct = list(dict.fromkeys(cells))
            if len(distinct) == 1 and width > 1:  # a 会派 subheading row
                party = _group_party(_norm(distinct[0].text_content())) or party
                continue
            if len(distinct) < 2:
                continue
            entry = RosterEntry()
            for j, fname in sorted(columns.items()):
                if j < len(cells):
                    _set(entry, fname, cells[j], base_url)
            if not entry.name or not _plausible_name(entry.name):
                continue
            entry.party = entry.party or party
            entry.profile_url = entry.profile_url or _profile_link(tr, base_url)
            _add_links(entry, _anchors(tr, base_url), base_url)
            members.append(entry)
    return members


# -- layout (b): cards -----------------------------------------------------
_CARD_TAGS = ("li", "div", "article", "section", "dl")


def _label_lines(el) -> list[tuple[str, str]]:
    """``会派：都民ファーストの会`` lines and dt/dd, th/td pairs inside a block."""
    pairs = []
    for dt in el.iter("dt"):
        dd = dt.getnext()
        if dd is not None and dd.tag == "dd":
            pairs.append((dt, dd))
    for tr in el.iter("tr"):
        cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("th", "td")]
        if len(cells) == 2 and cells[0].tag == "th":
            pairs.append((cells[0], cells[1]))
    out = []
    for label_el, value_el in pairs:
        fname = label_field(_text(label_el))
        if fname:
            out.append((fname, value_el))
    if not out:
        for line in element_text(el).split("\n"):
            m = _LABEL_SEP.match(line)
            if m and (fname := label_field(m.group(1))):
                out.append((fname, m.group(2)))
    return out


def _card(el, base_url: str) -> RosterEntry | None:
    entry = RosterEntry()
    hinted = False
    for sub in el.iter():
        if sub is el or not isinstance(sub.tag, str):
            continue
        classes = sub.get("class") or ""
        for fname, pattern in _CLASS_HINTS:
            if classes and pattern.search(classes):
                if fname == "reading" and not _is_kana(sub.text_content()):
                    continue
                _set(entry, fname, sub, base_url)
                hinted = hinted or fname != "name"
                break
    labelled = _label_lines(el)
    for fname, value in labelled:
        _set(entry, fname, value, base_url)
    if not entry.name:
        for tag in ("h2", "h3", "h4", "h5", "strong", "b", "a"):
            found = [s for s in el.iter(tag) if _norm(s.text_content())]
            if found:
                name, reading = name_and_reading(found[0])
                if _plausible_name(name):
                    entry.name, entry.reading = name, entry.reading or reading
                    break
    if not entry.name or not _plausible_name(entry.name):
        return None
    if not (hinted or labelled or entry.reading):
        return None  # a bare link list (navigation), not a member card
    entry.profile_url = entry.profile_url or _profile_link(el, base_url)
    _add_links(entry, _anchors(el, base_url), base_url)
    return entry


def parse_cards(doc, base_url: str) -> list[RosterEntry]:
    groups: dict[tuple, list] = {}
    for el in doc.iter(*_CARD_TAGS):
        parent = el.getparent()
        if parent is None or _in_chrome(el):
            continue
        # Blocks with a class group across the page (one list per 会派); bare ones per parent.
        key = (None, el.tag, el.get("class")) if el.get("class") else (parent, el.tag, "")
        groups.setdefault(key, []).append(el)
    found: list[tuple[list, list[tuple[Any, RosterEntry]]]] = []
    for (_parent, _tag, _cls), els in groups.items():
        if len(els) < 2:
            continue
        cards = [(e, c) for e in els if (c := _card(e, base_url))]
        if len(cards) >= max(2, len(els) // 2):
            found.append((els, cards))
    members = []
    for els, cards in found:
        # A group whose blocks contain another group's blocks is a wrapper: keep the innermost.
        if any(other is not els and any(_contains(e, o) for e in els for o in other) for other, _ in found):
            continue
        for el, card in cards:
            card.party = card.party or _group_party(_heading_before(el.getparent()))
            members.append(card)
    return members


def _contains(ancestor, el) -> bool:
    node = el.getparent()
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


# -- layout (c): profiles --------------------------------------------------
def _profile_blocks(root) -> list:
    blocks = list(root.iter("dl"))
    for table in root.iter("table"):
        rows = _rows(table)
        if rows and all(
            len([c for c in tr if isinstance(c.tag, str) and c.tag in ("th", "td")]) == 2
            and tr[0].tag == "th"
            for tr in rows
        ):
            blocks.append(table)
    return [b for b in blocks if not _in_chrome(b)]


def parse_profiles(root, base_url: str, default_name: str | None = None) -> list[RosterEntry]:
    members = []
    for block in _profile_blocks(root):
        labelled = _label_lines(block)
        fields = {f for f, _ in labelled}
        if not fields - {"links"}:
            continue
        entry = RosterEntry()
        for fname, value in labelled:
            _set(entry, fname, value, base_url)
        if not entry.name:
            heading = _heading_before(block) or default_name
            if heading:
                entry.name, reading = name_and_reading(heading)
                entry.reading = entry.reading or reading
        if not entry.name or not _plausible_name(entry.name):
            continue
        _add_links(entry, _anchors(block, base_url), base_url)
        members.append(entry)
    return members


# -- configured selectors --------------------------------------------------
def parse_configured(doc, base_url: str, config: RosterConfig) -> list[RosterEntry]:
    members = []
    for block in _select(doc, config.member or ""):
        entry = RosterEntry()
        for fname, selector in config.selectors.items():
            for value in _select(block, selector):
                if fname == "profile_link":
                    href = value if isinstance(value, str) else value.get("href")
                    entry.profile_url = entry.profile_url or absolute_url(base_url, href)
                else:
                    _set(entry, fname, value, base_url)
        if not entry.name:
            continue
        if entry.profile_url is None and "profile_link" not in config.selectors:
            entry.profile_url = _profile_link(block, base_url)
        _add_links(entry, _anchors(block, base_url), base_url)
        members.append(entry)
    return members


# -- entry points ------------------------------------------------------------
def _has(entry: RosterEntry, fname: str) -> bool:
    if fname == "term":
        return bool(entry.term_start or entry.term_end)
    return bool(getattr(entry, fname))


def _document(body: bytes):
    text = decode_body(body)
    if not text.strip():
        raise ValueError("empty page")
    return lxml.html.fromstring(text)


def _dedupe(members: list[RosterEntry]) -> list[RosterEntry]:
    by_name: dict[str, RosterEntry] = {}
    for m in members:
        by_name[m.name] = by_name[m.name].merged(m) if m.name in by_name else m
    return list(by_name.values())


def parse(body: bytes, url: str, config: RosterConfig | None = None) -> RosterPage:
    """A member list page → its members (and, with a ``pages`` selector, more list pages)."""
    doc = _document(body)
    pages: list[str] = []
    if config and config.pages:
        for el in _select(doc, config.pages):
            href = el if isinstance(el, str) else el.get("href")
            if (link := absolute_url(url, href)) and link != url:
                pages.append(link)
    if config and config.member:
        return RosterPage("config", _dedupe(parse_configured(doc, url, config)), pages)
    for layout, extract in (("table", parse_tables), ("cards", parse_cards), ("profiles", parse_profiles)):
        members = extract(doc, url)
        if members:
            return RosterPage(layout, _dedupe(members), list(dict.fromkeys(pages)))
    return RosterPage("none", [], list(dict.fromkeys(pages)))


def _content(doc, config: RosterConfig | None):
    if config and config.content:
        found = _select(doc, config.content)
        if found:
            return found[0]
    for css in _CONTENT:
        found = doc.cssselect(css)
        if found:
            return found[0]
    return doc


def parse_profile(body: bytes, url: str, config: RosterConfig | None = None, name: str | None = None) -> RosterEntry:
    """One member's profile page → what it adds: committees, links, reading, 会派, seat, term.

    ``name`` is the name the list gave; the page's own 氏名 row or ``<h1>`` is used
    when there is none. Links are taken from the page's content only, never from
    its header, navigation or footer (where the city's own accounts are).
    """
    doc = _document(body)
    content = _content(doc, config)
    entries = parse_profiles(content, url, default_name=name)
    if name:
        same = [e for e in entries if name_key(e.name) == name_key(name)]
        entries = same or entries[:1]
    entry = entries[0] if entries else RosterEntry()
    for e in entries[1:]:
        entry = entry.merged(e)
    if not entry.name:
        heading = content.cssselect("h1") or doc.cssselect("h1")
        if name:
            entry.name = name
        elif heading:
            entry.name, entry.reading = name_and_reading(heading[0])
    # Free text: 「会派：東京みらい」「所属委員会：厚生委員会、…」 lines fill what is still unknown.
    for line in element_text(content, skip=_is_chrome).split("\n"):
        m = _LABEL_SEP.match(line)
        fname = label_field(m.group(1)) if m else None
        if fname and fname not in ("name", "links") and not _has(entry, fname):
            _set(entry, fname, m.group(2), url)
    _add_links(entry, _anchors(content, url), url)
    entry.links = {k: v for k, v in entry.links.items() if v != url}
    return entry

