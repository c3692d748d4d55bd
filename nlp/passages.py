"""Split a speech into passages a reader can quote.

A 代表質問 runs to 30,000 characters over twenty subjects; evidence must be the
paragraph about the subject asked, not the whole speech. The speaker marks
subjects in the text itself:

* a short heading paragraph ``子育て支援、女性活躍について伺います。`` opens a subject;
* ``まず、`` ``次に、`` ``最後に、`` open one (questions and answers alike);
* ``…知事の見解を伺います。`` closes a sub-question, as do its other polite forms (``…お伺いいたします。``
  ``…どう認識していますか。`` ``…教えてください。`` ``…ではありませんか。``) and a demand without a question
  (``…検討を求めておきます。`` ``…要望しておきます。``): the next subject often follows unannounced.
  A demand right after a question (``また、…求めておきます。``) is that question's addendum and joins it.

Each passage keeps the heading it falls under until its question closes
(``…伺います。``); after that only a new heading or opener sets one. Speakers
move on unannounced (芸術文化 right after ``待機児童について伺います。``) as
often as they ask a sub-question of the same heading (学童クラブ under
``子育て支援、女性活躍について伺います。``), and a stale heading both shows
and matches as if it were the subject. Measured on the dev member queries
(topic nDCG@10, date-filtered): 0.913 carrying every heading, 0.918 closing
them, 0.912 closing all but broad ones (with 、・及び).

Also here: cleaning what is not speech out of the text (stage directions
``〔…登壇〕``, interjections ``（拍手）``, roll calls) and finding which
member's question an executive answers (``増子ひろき議員の代表質問にお答えいたします``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.names import display_name

MAX_PASSAGE_CHARS = 900
MIN_PASSAGE_CHARS = 80

_STAGE = re.compile(r"〔[^〔〕]*〕")
# Interjections recorded in parentheses: （拍手）, （「異議なし」と呼ぶ者あり）, （発言する者あり）.
# Also （発言する者多し）, （「横暴じゃないか」と呼び、その他発言する者多し）, （宮川証人「済みません…」と呼ぶ）.
_INTERJECTION = re.compile(
    r"（[^（）]*(?:拍手|呼ぶ者あり|発言する者|議場騒然|笑声|私語)[^（）]*）|（[^（）]*」と呼[ぶび][^（）「」]{0,12}）"
)
_ROLL_CALL_LINE = re.compile(r"^[〇一二三四五六七八九十百千0-9０-９]+番\S+君$")
_OPENERS = re.compile(r"^(まず|次に|次いで|最後に|初めに|はじめに|続いて|第[一二三四五六七八九十]+に|一点目|二点目|三点目|四点目|五点目)[、，,]?")
_HEADING = re.compile(
    r"(について|に関して|に関する)(?P<tail>[^。]{0,12})(伺います|伺う|お伺いします|質問します|お尋ねします|です|質問いたします)。$"
)
# ``…観戦について、どのように取り組むのか伺います。`` is a question, not a subject line.
_QUESTION_TAIL = re.compile(r"どのよう|いかが|のか|見解|所見|認識|考え")
# A demand without a question. Right after a question it is that question's addendum (``…見解を伺います。``
# then ``また、西多摩地域においても…求めておきます。``): it joins the question's passage.
_DEMAND_ENDS = "求めます|求めておきます|求めておきたいと思います|求めるものです|要望します|要望いたします|要望しておきます"
_DEMAND = re.compile(rf"({_DEMAND_ENDS})。?$")
_CLOSER = re.compile(
    rf"(伺います|伺いたい|お伺いします|伺いいたします|尋ねいたします|お聞きします|お聞きいたします|"
    rf"(伺い|お聞きし|お尋ねし)たいと(思います|存じます)|"
    rf"(お聞かせ|聞かせて|教えて|説明|示して|お示し|明らかにして|答えて)ください|"
    rf"{_DEMAND_ENDS}|お答えください|見解を|所見を|いかがですか|いかがか|でしょうか|ですか|ますか|ませんか|尋ねします|伺う)[。？?]?$"
)
# ``そこで、…について伺います。`` concludes the paragraphs before it; it is the question, not a new heading.
_CONCLUDES = re.compile(r"^(そこで|そのため|したがって|以上|これらを踏まえ|こうしたことから)")
# ``そこでお伺いします。`` announces the question in the next paragraph: it closes nothing yet.
_LEAD_IN = re.compile(r"^(そこで|以下|以上を踏まえ)?[、，,]?(改めて|まず|二点)?[、，,]?(お)?(伺い|尋ね|聞き|質問)(いた)?します[。．]?$")
_ANSWER_TO = re.compile(r"^(?P<name>[^、。\s]{1,12}?)(?:議員|委員)の(?P<kind>[^、。\s]{0,8}質問)に(?:お)?答え")


@dataclass(frozen=True)
class Passage:
    ordinal: int
    heading: str | None
    text: str
    start: int  # character offset of the passage in the cleaned speech text


def clean_speech_text(text: str) -> str:
    """Remove stage directions, interjections and roll-call lines; keep paragraphs."""
    text = _STAGE.sub("", text)
    text = _INTERJECTION.sub("", text)
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip().strip("\u3000")
        if not stripped or _ROLL_CALL_LINE.match(re.sub(r"[\s\u3000]", "", stripped)):
            continue
        lines.append(stripped)
    return "\n".join(lines)


def is_roll_call(text: str) -> bool:
    """Attendance lists (出席議員 …) are not speech."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if not lines:
        return True
    hits = sum(1 for ln in lines if _ROLL_CALL_LINE.match(re.sub(r"[\s\u3000]", "", ln)))
    return hits >= 5 and hits / len(lines) > 0.3


def _sentences(paragraph: str) -> list[str]:
    parts = re.split(r"(?<=[。！？])", paragraph)
    return [p for p in parts if p]


def split_passages(text: str) -> list[Passage]:
    """Split a cleaned speech into passages at the speaker's own subject boundaries."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    passages: list[Passage] = []
    heading: str | None = None
    current: list[str] = []
    current_heading: str | None = None
    offset = 0
    start = 0
    after_question = False  # the last passage was closed by a question

    def flush() -> None:
        nonlocal current, start
        body = "\n".join(current).strip()
        if body:
            passages.append(Passage(len(passages), current_heading, body, start))
        current = []

    for para in paragraphs:
        heading_match = _HEADING.search(para) if len(para) <= 60 else None
        is_heading = (
            heading_match is not None
            and not _QUESTION_TAIL.search(heading_match.group("tail"))
            and not (current and _CONCLUDES.match(para))
        )
        opens = is_heading or bool(_OPENERS.match(para))
        if (
            after_question and not current and not opens and _DEMAND.search(para)
            and len(passages[-1].text) + len(para) < MAX_PASSAGE_CHARS
        ):
            last = passages[-1]
            passages[-1] = Passage(last.ordinal, last.heading, f"{last.text}\n{para}", last.start)
            offset += len(para) + 1
            after_question = False
            continue
        after_question = False
        size = sum(len(p) for p in current)
        if current and (opens or size + len(para) > MAX_PASSAGE_CHARS) and size >= MIN_PASSAGE_CHARS:
            flush()
        if not current:
            start = offset
            if is_heading:
                heading = para
            elif opens:
                # 次に、大会経費の課題です。 opens a new subject: the old heading no longer applies.
                first = _sentences(para)[0]
                heading = first if len(first) <= 60 else None
            current_heading = heading
        if len(para) > MAX_PASSAGE_CHARS:
            # One paragraph longer than a passage: cut at sentence ends.
            for sentence in _sentences(para):
                if current and sum(len(p) for p in current) + len(sentence) > MAX_PASSAGE_CHARS:
                    flush()
                    start = offset
                    current_heading = heading
                current.append(sentence)
        else:
            current.append(para)
        offset += len(para) + 1
        if (
            _CLOSER.search(para)
            and not is_heading
            and not _LEAD_IN.match(para)
            and sum(len(p) for p in current) >= MIN_PASSAGE_CHARS
        ):
            flush()
            after_question = not _DEMAND.search(para)
            # A closed question also closes its heading: what follows without a heading or an opener
            # is as often the next subject (芸術文化 after 待機児童について伺います) as a sub-question.
            heading = None
    flush()
    return passages


def answered_member(text: str) -> str | None:
    """``増子ひろき議員の代表質問にお答えいたします`` → 増子ひろき."""
    first = text.lstrip("\u3000 \n")[:80]
    match = _ANSWER_TO.match(first)
    return display_name(match.group("name")) if match else None
