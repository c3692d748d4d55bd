"""The 会派 a member names when speaking for it.

A 代表質問 or a 討論 opens with the group the member speaks for: 「都議会自由民主党を代表して質問いたします」,
「私は、日本共産党都議団を代表して討論を行います」. Where no roster has been crawled (the demo minutes), that
is the only record of a member's 会派, and a dated one with its source: members move between groups
(都議会民進党 → 都議会立憲民主党・民主クラブ), so the latest declaration is the current one.

Only the opening of a speech is read: 「…を代表して」 later in a speech is about someone else
(「都民を代表して」 in a quotation, 「委員会を代表して」 in a chair's report).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

OPENING_CHARS = 200
QUOTE_AFTER = 40  # characters of the sentence quoted after 「を代表して」 (質問 or 討論, and on what)

_DECLARED = re.compile(
    r"(?:^|[、。\n])(?:(?:私たち|私ども|わたくし|私)(?:は|も)?)?[、，]?"
    r"(?P<group>[^、。，\n「」『』（）()\s]{2,30}?)を代表(?:して|いたしまして|しまして|し、)"
)
# What a speaker also speaks "for" that is not a 会派: a committee (委員長報告), the sponsors of a bill,
# the members of a delegation, the residents.
_NOT_A_GROUP = re.compile(
    r"委員|提出|提案|発議|議員各位|理事者|者$|名の|^会派$|^当会派|^我が|^(都|市|区|町|村|県|府|道|住|国)民(の皆様|の皆さん)?$"
)
# A group's name has one of these: 党, 会 (都民ファーストの会), 団 (都議団), クラブ, ネットワーク, みらい …
_GROUPISH = re.compile(r"党|会|団|クラブ|ネット|みらい|フォーラム|連合|維新|無所属|の風|Tokyo|TOKYO")


@dataclass(frozen=True)
class Declaration:
    group: str
    quote: str  # the words that name it (「…東京都議団を代表して…」), for the member page to cite


def declared_group(text: str) -> Declaration | None:
    """The group named in 「…を代表して」 at the opening of a speech, or None."""
    opening = text[:OPENING_CHARS]
    for match in _DECLARED.finditer(opening):
        # NFKC: minutes print names in full-width letters (かがやけＴｏｋｙｏ); one group, one spelling.
        group = unicodedata.normalize("NFKC", match.group("group")).lstrip("・")
        if _NOT_A_GROUP.search(group) or not _GROUPISH.search(group):
            continue
        start = max(opening.rfind("。", 0, match.start("group")), opening.rfind("\n", 0, match.start("group"))) + 1
        end = text.find("。", match.end(), match.end() + QUOTE_AFTER)
        quote = text[start:end + 1] if end >= 0 else text[start:match.end() + QUOTE_AFTER].rstrip("、") + "…"
        return Declaration(group, quote.strip())
    return None


# -- comparing 会派 names (the party filter, a member's earlier groups) --------------------------


def party_key(name: str) -> str:
    """A 会派 name as the party filter compares it: NFKC (全角の英数字), without spaces or a ・, and
    自由民主 spelt 自民 (the groups call themselves both: 東京都議会自由民主党, 都議会自民党)."""
    return re.sub(r"[\s・･]", "", unicodedata.normalize("NFKC", name)).replace("自由民主", "自民")


def same_party(a: str, b: str) -> bool:
    """One group spelt two ways (a roster's 東京みらい, the minutes' 無所属東京みらい): one ``party_key`` inside the other."""
    x, y = party_key(a), party_key(b)
    return x in y or y in x


def earlier_parties(party: str | None, affiliations: list[dict]) -> list[dict]:
    """The other groups in a member's affiliations (latest first), each once, with where and when it was recorded."""
    out: list[dict] = []
    for a in affiliations:
        name = a["party"]
        if not name or (party and same_party(name, party)) or any(same_party(name, e["party"]) for e in out):
            continue
        on = a["named_on"] or (a["observed_at"].date() if a["observed_at"] else None)
        out.append({"party": name, "source": a["source"], "on": on, "source_url": a["source_url"]})
    return out
