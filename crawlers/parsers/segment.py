"""Split the running text of a minutes document into speeches.

Japanese minutes mark each speech with a symbol at the start of a line followed
by the speaker: ``○議長（石川良一君）　ただいまから…``. The symbol varies by
assembly and role (``○ 〇 ◯`` chair and members, ``◎`` executives, ``◆ ◇``
questioners and answerers), and so does the speaker:

* role and name in brackets: ``議長（石川良一君）``, ``３番（山田君）``,
  ``百十六番（増子ひろき君）``, ``市長（山田一郎）``, ``12番(山田太郎議員)``;
* name only in brackets: ``（伊藤よしのり議長）`` (kensakusystem);
* no brackets: ``西沢委員``, ``濱口太史君``, ``塩田　委員長`` (VOICES pads the
  name and role with a full-width space and ends the speaker with two).

The speaker string is returned verbatim, without the symbol. The text may follow
on the same line, with or without a space, or start on the next line.

What is *not* a speech, and how it is handled:

* text before the first speaker (cover page, 出席議員 roll-call, 議事日程,
  attendance lists, 開議 time stamps) is dropped;
* a symbol line that names a section rather than a person (``○議事日程``,
  ``○出席議員（３８名）``, ``◎開議の宣告``, ``◎日程第１　会議録署名議員の指名``)
  ends the current speech, and the lines after it up to the next speaker are
  dropped — they are agenda items, roll-calls or the clerk's stage text;
* a rule line (``──────``, ``――――``) ends the current speech the same way:
  minutes draw it between a speech and the agenda item or recess note after it;
* the signature block at the end (``地方自治法第123条…ここに署名する``,
  ``議　長　　山田太郎``) ends the last speech;
* stage directions inside a speech (``〔「異議なし」と呼ぶ者あり〕``) stay in
  its text, except one written right after the speaker (``〔登壇〕``), which
  belongs to the heading and is dropped;
* a speaker with no text at all is dropped.
"""

from __future__ import annotations

import re

from crawlers.parsers.page import ParsedSpeech

MARKERS = "○〇◯◎◆◇"

_HEAD = re.compile(rf"^[ \t\u3000]*[{MARKERS}][ \t\u3000]*(?P<rest>.*)$")
_BRACKETED = re.compile(r"^(?P<role>[^\s()（）〔〕「」、。]{0,30}?)[（(](?P<name>[^()（）\n]{1,40})[）)]")
_STAGE_AFTER_SPEAKER = re.compile(
    r"^[ \t\u3000]*(?:[〔［\[][^〕］\]\n]{0,30}[〕］\]]|[（(](?:登[ \u3000]*壇|降壇|自席|起立|挙手)[^）)\n]{0,10}[）)])"
)
_WS = re.compile(r"[ \t\u3000]+")

# How speaker strings end: a title of address, a member's or an official's role.
_SPEAKER_SUFFIX = re.compile(
    r"(?:君|議員|委員|員|長|知事|参与|理事|監|官|者|人|士|参事|主幹|補佐|主査|主事|主任|係|幹|氏|さん|様)$"
)
# A speaker glued to the speech with no space: only the common roles are trusted,
# since any shorter rule would cut ordinary sentences.
_GLUED_SPEAKER = re.compile(
    r"^(.{0,20}?(?:副委員長|委員長|副議長|議長|副市長|市長|副町長|町長|副村長|村長|副区長|区長|副知事|知事"
    r"|教育長|局長|部長|課長|室長|所長|次長|参事|管理者|参考人|議員|委員|君))(?=[^\s\u3000])"
)
# Section headings that share the speech symbols. Applied to the role part of a
# bracketed heading (so 「○出席議員（３８名）」 is refused but 「議事課長（…）」 is not)…
_HEADING_WORDS = (
    "日程|出席|欠席|事件|宣告|署名|会議録|名簿|休憩|再開|散会|閉会|開会|延会|開議|閉議|諸般|付議"
    "|説明のため|職務のため|議事日程"
)
_HEADING_ROLE = re.compile(_HEADING_WORDS)
# …and, more broadly, to an unbracketed one, where a topic heading and a bare
# name look alike.
_HEADING_BARE = re.compile(
    _HEADING_WORDS
    + r"|議事|本日|会期|議案|請願|陳情|意見書|報告|質問|質疑|討論|採決|表決|選挙|決議|動議|一般"
    r"|の件|について|第[0-9０-９一二三四五六七八九十]"
)
_HEADCOUNT = re.compile(r"^[\s\u3000]*[0-9０-９〇一二三四五六七八九十百]+[\s\u3000]*名[\s\u3000]*$")

_RULE = re.compile(r"^[\s\u3000]*[─━―‐－—\-＝=＿_〜～]{5,}[\s\u3000]*$")
_SIGNATURE = re.compile(
    r"ここに署名する|^[ \t\u3000]{4,}(?:議[ \t\u3000]*長|副[ \t\u3000]*議[ \t\u3000]*長|委[ \t\u3000]*員[ \t\u3000]*長"
    r"|署[ \t\u3000]*名[ \t\u3000]*議[ \t\u3000]*員)(?:[ \t\u3000]|$)"
)

_MAX_SPEAKER = 40


def _bare_speaker_ok(speaker: str, has_text: bool) -> bool:
    if not speaker or len(speaker) > _MAX_SPEAKER or _HEADING_BARE.search(speaker):
        return False
    if _SPEAKER_SUFFIX.search(speaker):
        return True
    # A short bare name followed by text on the same line (○山田太郎　質問します);
    # a standalone short line without a role suffix is a topic heading (◎一般質問).
    return has_text and len(speaker) <= 12


def parse_heading(line: str) -> tuple[str, str] | None | bool:
    """Read a speech heading line.

    Returns ``(speaker, text on the same line)`` for a speaker, ``False`` for a
    symbol line that is a section heading, and ``None`` for an ordinary line.
    """
    m = _HEAD.match(line)
    if not m:
        return None
    rest = m.group("rest").rstrip()
    if not rest:
        return False

    b = _BRACKETED.match(rest)
    if b:
        role, name = b.group("role"), b.group("name")
        if _HEADING_ROLE.search(role) or _HEADCOUNT.match(name) or name.lstrip().startswith("第"):
            return False
        speaker = rest[: b.end()]
        after = rest[b.end() :]
        stage = _STAGE_AFTER_SPEAKER.match(after)
        if stage:
            after = after[stage.end() :]
        return speaker, after.strip()

    parts = _WS.split(rest, maxsplit=2)
    seps = _WS.findall(rest)
    if len(parts) == 1:
        token = parts[0]
        if len(token) <= 20 and _bare_speaker_ok(token, has_text=False):
            return token, ""
        glued = _GLUED_SPEAKER.match(token)
        if glued and _bare_speaker_ok(glued.group(1), has_text=True):
            return glued.group(1), token[glued.end(1) :]
        return False

    first, sep = parts[0], seps[0]
    speaker, after = first, rest[len(first) + len(sep) :]
    # 「塩田　委員長　　改めまして」: name and role padded apart by one space, the
    # speech set off by two.
    if len(sep) == 1 and len(parts) == 3 and len(seps) > 1 and len(seps[1]) >= 2:
        second = parts[1]
        if (
            len(second) <= 10
            and _SPEAKER_SUFFIX.search(second)
            and not _SPEAKER_SUFFIX.search(first)
            and not _HEADING_BARE.search(second)
        ):
            speaker = f"{first}{sep}{second}"
            after = rest[len(speaker) + len(seps[1]) :]
    stage = _STAGE_AFTER_SPEAKER.match(after)
    if stage:
        after = after[stage.end() :]
    if not _bare_speaker_ok(speaker, has_text=bool(after.strip())):
        return False
    return speaker, after.strip()


def split_speeches(text: str) -> list[ParsedSpeech]:
    """Speeches of a minutes text, in order; see the module docstring for the rules."""
    speeches: list[ParsedSpeech] = []
    speaker: str | None = None
    lines: list[str] = []
    open_ = False

    def flush() -> None:
        if speaker is not None:
            body = "\n".join(line.rstrip() for line in lines).strip()
            if body:
                speeches.append(ParsedSpeech(speaker=speaker, text=body))

    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        head = parse_heading(line)
        if head is False:
            flush()
            speaker, lines, open_ = None, [], False
            continue
        if head is not None:
            flush()
            speaker, first = head
            lines = [first] if first else []
            open_ = True
            continue
        if not open_:
            continue
        if _RULE.match(line) or _SIGNATURE.search(line):
            open_ = False
            continue
        lines.append(line)
    flush()
    return speeches
