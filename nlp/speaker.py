"""Who is speaking: turn a raw speaker string of the minutes into a Speaker.

Forms seen in real minutes::

    百十六番（増子ひろき君）      seat number + name           → member (question)
    議長（石川良一君）            presiding officer            → member (chair)
    知事（小池百合子君）          executive                    → executive
    福祉保健局長（内藤淳君）      executive with a department  → executive
    西沢委員 / 野村委員長         committee minutes: surname + role
    松永スポーツ振興局招致推進部長  committee minutes: surname + executive title
    稲垣参考人 / 福永証人         witnesses
    ◆12番（山田太郎議員）        other vendors add markers and 議員
    （伊藤よしのり議長）          kensakusystem (葛飾区): full name + title in parentheses
    塩田　委員長                  VOICES (つくば市): surname, padding space, title
    null                          unattributed text (roll calls, agenda)

Executives are never members: only ``role_kind`` member and chair speakers get a
member id, and only ``member`` (questioning) speeches count as engagement.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from nlp.names import display_name, numeral_to_int

RoleKind = Literal["member", "chair", "executive", "staff", "witness", "unknown"]


@dataclass(frozen=True)
class Speaker:
    raw: str | None
    role: str | None
    name: str | None
    seat: int | None
    role_kind: RoleKind
    # True when the minutes give only a surname (committee style 西沢委員), so
    # the name cannot be merged with a full name without more evidence.
    surname_only: bool = False

    @property
    def is_member(self) -> bool:
        return self.role_kind in ("member", "chair")


_MARKERS = "○〇◯◎◆◇●□■△▲☆★・"
_NUMERAL = r"[0-9０-９〇零一二三四五六七八九十百千]+"
_PAREN = re.compile(r"^(?P<role>.+?)[（(](?P<name>[^（）()]+)[）)]$")
_SEAT = re.compile(rf"^(?P<num>{_NUMERAL})番(?:議員)?$")

_CHAIR_ROLES = ("議長", "副議長", "仮議長", "委員長", "副委員長", "分科会長", "副分科会長", "会長", "副会長", "座長")
_MEMBER_ROLES = ("委員", "議員", "理事")
_WITNESS_ROLES = ("参考人", "証人", "公述人", "陳述人")
# Assembly secretariat: they read agendas and roll calls, never policy.
_STAFF_PATTERN = re.compile(r"(書記|事務局|議会局|議事部長|議事課長|速記)")
# Titles that belong to the executive even though they end in a member-like
# suffix (教育委員会委員長, 選挙管理委員会委員長, 代表監査委員).
_EXECUTIVE_OVERRIDE = re.compile(r"(委員会|監査委員|農業委員|公安委員|教育委員|選挙管理委員)")
_EXECUTIVE_SUFFIX = re.compile(
    r"(知事|市長|町長|村長|区長|長官|大臣|副大臣|政務官|局長|部長|課長|室長|所長|本部長|次長|"
    r"参事|主幹|技監|総監|管理者|理事者|理事|担当|監|長|官|補佐|主事|説明員|政府参考人|兼務)$"
)
# Words a department name starts with; used to find where a surname ends in
# committee-style executive titles such as 谷島東京オリンピック招致本部招致推進部長.
_ORG_HEADS = (
    "東京", "都", "スポーツ", "オリンピック", "福祉", "保健", "総務", "財務", "主税", "生活", "都市", "環境",
    "産業", "中央", "港湾", "会計", "教育", "病院", "交通", "水道", "下水道", "消防", "警視", "選挙", "人事",
    "監査", "議会", "政策", "建設", "住宅", "青少年", "知事", "副知事", "戦略", "市場", "新市場", "労働",
    "子供", "子ども", "健康", "危機", "防災", "企画", "管理", "経営", "事業", "技監", "総監", "参事", "理事",
    "局長", "部長", "課長", "本部長", "担当", "次長", "室長", "所長", "情報", "デジタル", "多摩", "島しょ",
    "大会", "招致", "組織", "市長", "町長", "村長", "区長", "教育長", "技術", "特命", "調整", "報道", "広報",
    # 鈴木議事部長 / 小栗調査部長 (議会局, i.e. staff), 斎藤金融監理部長 / 十河金融支援担当部長.
    "議事", "調査", "金融",
)
# Titles printed after a full name in kensakusystem minutes (（青木克德区長）, （植竹　貴副区長）).
_NAME_TITLES = tuple(
    sorted(
        _CHAIR_ROLES + _MEMBER_ROLES + _WITNESS_ROLES
        + ("知事", "副知事", "市長", "副市長", "町長", "副町長", "村長", "副村長", "区長", "副区長", "教育長",
           "教育委員", "教育委員長", "代表監査委員", "監査委員", "事務局長", "議会事務局長", "会計管理者", "臨時議長"),
        key=len,
        reverse=True,
    )
)


# Up to 6 characters: あかねがくぼ委員 is a member who writes her surname in six kana.
_SURNAME = re.compile(r"[一-龥々ヶぁ-んァ-ヴー]{1,6}(?:[（(][^（）()]{1,3}[）)])?")


def _strip_markers(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).strip()
    return text.lstrip(_MARKERS).strip()


def _classify_role(role: str) -> RoleKind:
    if _STAFF_PATTERN.search(role):
        return "staff"
    if any(role.endswith(w) for w in _WITNESS_ROLES):
        return "witness"
    if _EXECUTIVE_OVERRIDE.search(role):
        return "executive"
    if role in _CHAIR_ROLES or (role.endswith(("委員長", "議長")) and not _EXECUTIVE_SUFFIX.search(role[:-3] or "x")):
        return "chair"
    if role in _MEMBER_ROLES or role.endswith("議員"):
        return "member"
    if _EXECUTIVE_SUFFIX.search(role):
        return "executive"
    return "unknown"


def _split_name_and_title(text: str) -> tuple[str | None, str]:
    """Full name + title (kensakusystem): 伊藤よしのり議長 → (伊藤よしのり, 議長); 植竹 貴副区長 → (植竹貴, 副区長)."""
    compact = re.sub(r"\s+", "", text)
    for cut in range(2, len(compact) - 1):
        if compact[cut:] in _NAME_TITLES:
            return compact[:cut], compact[cut:]
    for cut in range(2, min(9, len(compact) - 1)):
        rest = compact[cut:]
        if rest.startswith(_ORG_HEADS) and _EXECUTIVE_SUFFIX.search(rest):
            return compact[:cut], rest
    return None, text


def _split_surname_and_title(text: str) -> tuple[str | None, str]:
    """西沢委員 → (西沢, 委員); 松永スポーツ振興局招致推進部長 → (松永, スポーツ振興局招致推進部長)."""
    text = re.sub(r"\s+", "", text)  # 塩田　委員長 (VOICES pads the surname)
    for role in sorted(_CHAIR_ROLES + _MEMBER_ROLES + _WITNESS_ROLES + ("書記",), key=len, reverse=True):
        if text.endswith(role) and len(text) > len(role):
            head = text[: -len(role)]
            # 教育委員会委員長 is a title, not a surname + 委員長.
            # 中央卸売市場理事 / 総務局理事 are titles too: a surname does not end in a department.
            if (
                not _EXECUTIVE_OVERRIDE.search(text)
                and _SURNAME.fullmatch(head)
                and not re.search(r"(局|課|市場|庁|本部|省)$", head)
            ):
                return head, role
    for cut in range(1, min(5, len(text) - 1)):
        rest = text[cut:]
        if rest.startswith(_ORG_HEADS) and re.fullmatch(r"[一-龥々ヶぁ-んァ-ヴー（）()]+", text[:cut]):
            return text[:cut], rest
    return None, text


def parse_speaker(raw: str | None) -> Speaker:
    if raw is None or raw.strip() in ("", "null", "None"):
        return Speaker(raw, None, None, None, "unknown")
    text = _strip_markers(raw)
    wrapped = re.fullmatch(r"[（(](?P<inner>[^（）()]+)[）)]", text)
    if wrapped:
        # kensakusystem: （伊藤よしのり議長）, （青木克德区長）, （久保洋子教育委員）.
        name, title = _split_name_and_title(wrapped.group("inner"))
        if name is not None:
            return Speaker(raw, title, display_name(name), None, _classify_role(title))
        text = wrapped.group("inner").strip()
    match = _PAREN.match(text)
    if match:
        role, name = match.group("role").strip(), display_name(match.group("name"))
        seat_match = _SEAT.match(role)
        if seat_match:
            return Speaker(raw, "議員", name, numeral_to_int(seat_match.group("num")), "member")
        # 伊藤（裕）参考人 style: the parenthesis disambiguates a surname.
        kind = _classify_role(role)
        return Speaker(raw, role, name or None, None, kind)
    seat_match = re.match(rf"^(?P<num>{_NUMERAL})番(?P<name>.+)$", text)
    if seat_match:
        return Speaker(raw, "議員", display_name(seat_match.group("name")), numeral_to_int(seat_match.group("num")), "member")
    surname, title = _split_surname_and_title(text)
    kind = _classify_role(title)
    if surname is None and kind == "unknown" and re.fullmatch(r"[一-龥々ぁ-んァ-ヴー\s\u3000]+(君|議員)", text):
        # Bare "山田太郎君" (Diet minutes and some vendors): a member speaking.
        return Speaker(raw, "議員", display_name(text), None, "member")
    if surname is not None:
        surname = display_name(surname)
    return Speaker(raw, title, surname, None, kind, surname_only=surname is not None and kind in ("member", "chair"))
