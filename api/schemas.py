"""Response models of the public API (v1). Field names are a contract with CRM integrators."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field

from index.session_day import AROUND_DAYS, MAX_AROUND_DAYS

if TYPE_CHECKING:  # the models alone load without the search engine (`gikai search --url`)
    from index.members import MemberScore
    from index.search import StatementHit

NOT_BLANK = r"[^\s\x00-\x1f\x7f]"  # at least one printable, non-space character (q, description)
DANTAI_CODE = r"^[0-9]{6}$"  # an assembly's 団体コード: six ASCII digits
NEXT_CURSOR = ("次のページの cursor。最後のページでは null。結果は先頭から 10,000 件までたどれ、それを過ぎても null "
               "(その先は議会・期間で絞り込んでください)")
TERMS = ("根拠の本文で強調するとよい語: 検索に使った語を、検索語での書き方と正規化した書き方 (子ども・子供) の両方で、"
         "長い順に (最大 30)")


class Error(BaseModel):
    ok: bool = False
    status: int
    error: str = Field(description="何が問題か (what was wrong, naming the parameter)")


class Statement(BaseModel):
    statement_id: str = Field(description="安定ID: 同じ会議録から再構築しても変わらない")
    text: str = Field(description="発言の該当段落 (引用)")
    heading: str | None = Field(default=None, description="段落が属する質問項目の見出し")
    score: float
    speaker: str | None
    speaker_role: str | None
    role_kind: str = Field(description="member (議員質問) / executive (執行部答弁) / witness / chair / post (議員のブログ投稿)")
    member_id: str | None
    member_name: str | None
    meeting_id: str
    meeting_title: str
    meeting_kind: str
    committee: str | None
    date: date | None
    source_url: str = Field(description="会議録の出典URL")
    assembly_code: str
    assembly_name: str
    answers_statement_id: str | None = Field(default=None, description="執行部答弁が答えている質問段落")

    @classmethod
    def of(cls, hit: StatementHit) -> Statement:
        return cls(
            statement_id=hit.statement_id, text=hit.text, heading=hit.heading, score=round(hit.score, 4),
            speaker=hit.speaker, speaker_role=hit.speaker_role, role_kind=hit.role_kind, member_id=hit.member_id,
            member_name=hit.member_name, meeting_id=hit.meeting_id, meeting_title=hit.meeting_title,
            meeting_kind=hit.meeting_kind, committee=hit.committee, date=hit.date, source_url=hit.url,
            assembly_code=hit.assembly_code, assembly_name=hit.assembly_name,
            answers_statement_id=hit.answers_statement_id,
        )


class ScoreParts(BaseModel):
    focus: float = Field(description="本人の質問段落の一致度 (新しさで重み付け、繰り返しは逓減して加算)")
    answers: float = Field(description="その質問への執行部答弁の一致度")
    breadth: float = Field(description="取り上げた会議の数による加点")
    speech: float = Field(default=0.0, description="本人の発言全体 (1回の登壇) の一致度: 最も一致した発言を、選択範囲で最も一致した発言に対する比で。本人の最良の段落が選択範囲の最良の段落の半分に届かなければ、その割合で割り引く")
    posts: float = Field(default=0.0, description="本人のブログ・サイトの投稿の一致度 (議会での発言とは別に、低い重みで)")
    topic: float = Field(default=0.0, description="POST /v1/match のみ: 説明の政策トピックに取り組む本人の質問段落が一致段落の中にあれば"
                                                  "加わる一定の加点 (そのときの根拠はその段落)。議員検索では常に 0")
    recency: float = Field(description="一致段落の平均の新しさ (1 = 最新)")
    relative: float = Field(description="1位を1とした相対スコア")


class MemberHit(BaseModel):
    member_id: str
    name: str
    assembly_code: str
    assembly_name: str
    party: str | None = Field(default=None, description="会派 (名簿の最新。名簿がなければ会議録で「…を代表して」と名乗った最新の会派)")
    score: float
    parts: ScoreParts
    matched_passages: int = Field(description="検索に一致した本人の質問段落の数")
    meetings: int = Field(description="一致した段落がある会議の数")
    first_date: date | None = Field(description="議員の会議録での最初の発言日 (一致した発言の日付ではなく、期間の絞り込みも反映しない。"
                                                "/v1/members/{id} と同じ値)")
    last_date: date | None = Field(description="議員の会議録での最後の発言日 (first_date と同じく議員全体の値)")
    evidence: list[Statement] = Field(description="根拠となる本人の発言段落")
    answers: list[Statement] = Field(description="その質問に対する執行部答弁")
    posts: list[Statement] = Field(default_factory=list,
                                   description="本人のブログ・サイトでもこの課題について書いている投稿 (role_kind=post、会議録ではない)")
    led_on: date | None = Field(
        default=None,
        description="on を指定した検索で、その日に課題を強く取り上げたため先頭に並べた議員ならその日付 (score・parts・evidence は"
                    "その日だけで測った値)。それ以外は null (前後の日を含めて測った値)")

    @classmethod
    def of(cls, m: MemberScore) -> MemberHit:
        return cls(
            member_id=m.member_id, name=m.name, assembly_code=m.assembly_code, assembly_name=m.assembly_name,
            party=m.party, score=m.score, parts=ScoreParts(**m.parts), matched_passages=m.matched_passages, meetings=m.meetings,
            first_date=m.first_date, last_date=m.last_date, evidence=[Statement.of(h) for h in m.evidence],
            answers=[Statement.of(h) for h in m.answers], posts=[Statement.of(h) for h in m.posts], led_on=m.led_on,
        )


class MemberSearch(BaseModel):
    query: str
    terms: list[str] = Field(default_factory=list, description=TERMS)
    count: int
    offset: int
    data: list[MemberHit]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR)


class StatementSearch(BaseModel):
    query: str
    terms: list[str] = Field(default_factory=list, description=TERMS)
    count: int
    offset: int
    data: list[Statement]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR)


class Affiliation(BaseModel):
    assembly_code: str
    party: str | None
    seat: str | None
    district: str | None
    committees: list[str]
    term_start: date | None
    term_end: date | None
    source_url: str = Field(description="名簿のページ、または会派を名乗った会議録")
    observed_at: datetime | None = Field(description="roster: 名簿を取得した日時 (UTC)。minutes では null")
    source: Literal["roster", "minutes"] = Field(
        default="roster", description="roster: 議会サイトの名簿 / minutes: 会議録の発言冒頭「…を代表して」")
    named_on: date | None = Field(default=None, description="minutes: その会派を名乗った最新の発言の日 (出典は source_url)")
    quote: str | None = Field(default=None, description="minutes: 会派を名乗った言葉")


class EarlierParty(BaseModel):
    party: str
    source: Literal["roster", "minutes"] = Field(description="roster: 議会サイトの名簿 / minutes: 会議録で名乗った")
    on: date | None = Field(description="名乗った日 (minutes) または名簿を取得した日 (roster)")
    source_url: str


class Post(BaseModel):
    statement_id: str
    title: str
    date: date | None
    url: str
    excerpt: str = Field(description="冒頭の抜粋 (全文は出典で)")
    topics: list[str] = Field(description="投稿が取り組む政策トピックの名前")


class Member(BaseModel):
    member_id: str
    name: str
    assembly_code: str
    assembly_name: str
    surname_only: bool = Field(description="会議録に姓しかない (委員会の「西沢委員」など) ため同定が保留の人物")
    seats: str | None
    first_date: date | None
    last_date: date | None
    n_speeches: int
    n_questions: int
    reading: str | None = Field(default=None, description="よみ (名簿から)")
    party: str | None = Field(default=None, description="会派・政党 (名簿の最新。名簿がなければ会議録で「…を代表して」と名乗った最新の会派。"
                                                        "出典は affiliations)")
    district: str | None = Field(default=None, description="選挙区")
    committees: list[str] = Field(default_factory=list, description="所属委員会 (名簿の最新)")
    term_start: date | None = None
    term_end: date | None = None
    profile_url: str | None = Field(default=None, description="議会サイトの議員紹介ページ")
    links: dict[str, str] = Field(default_factory=dict,
                                  description="公式サイト・ブログ・SNS (site, blog, x, facebook, instagram, youtube, line …)。SNSはリンクのみで取得はしません")
    affiliations: list[Affiliation] = Field(default_factory=list,
                                            description="名簿で観測した所属と、会議録で名乗った会派の履歴 (日付と出典つき)")
    earlier_parties: list[EarlierParty] = Field(
        default_factory=list, description="affiliations のうち今の会派 (party) と別の会派、新しい順に一つずつ。名前の一方がもう一方を"
                                          "含むもの (名簿の「東京みらい」と会議録の「無所属東京みらい」) は同じ会派として除きます")
    latest_posts: list[Post] = Field(default_factory=list, description="本人のブログ・サイトの最新投稿 (抜粋とトピック)")


class MemberStatements(BaseModel):
    member_id: str
    total: int = Field(description="議員本人の質問段落の数 (議会・期間の絞り込みを反映。q があるときは q に一致する段落の数)")
    terms: list[str] = Field(default_factory=list, description=TERMS + "。q がなければ空")
    offset: int
    data: list[Statement]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR)


class PartyCount(BaseModel):
    name: str = Field(description="会派 (名簿の値、名簿がなければ会議録で名乗った最新の会派)")
    members: int = Field(description="その会派の議員の数")


class Assembly(BaseModel):
    assembly_code: str
    name: str
    prefecture: str | None
    meetings: int = Field(description="Meetings whose minutes have text in the index (members' blog posts "
                                      "and empty records, such as a list page of sessions, are not counted)")
    members: int
    first_date: date | None = Field(description="Date of the earliest of those meetings")
    last_date: date | None = Field(description="Date of the latest of those meetings")
    parties: list[PartyCount] = Field(default_factory=list, description="この議会の議員の会派、人数の多い順 "
                                                                         "(`party` での絞り込みに使えます)")


class Assemblies(BaseModel):
    count: int
    data: list[Assembly]


class Health(BaseModel):
    ok: bool
    index: dict[str, str]


class MatchRequest(BaseModel):
    description: str = Field(
        min_length=1, max_length=2000, pattern=NOT_BLANK,
        description="解決策・課題の説明 (自由記述、2,000字まで)",
        examples=["病児保育のオンライン予約システム。空き状況を確認でき、LINEから予約できる"],
    )
    assemblies: list[Annotated[str, Field(pattern=DANTAI_CODE)]] | None = Field(
        default=None, max_length=100, description="議会の団体コード (6桁)")
    since: date | None = Field(default=None, description="この日以降の発言")
    until: date | None = Field(default=None, description="この日以前の発言")
    party: str | None = Field(default=None, min_length=1, max_length=100, pattern=NOT_BLANK,
                              description="会派で絞る (GET /v1/members/search の party と同じ。会派名の一部でも可)",
                              examples=["都民ファーストの会"])
    on: date | None = Field(
        default=None, description="この日に取り上げた議員を先頭に、続けて前後 around 日の議員 (GET /v1/members/search の on と同じ。"
                                  "since/until とは併用できません)")
    around: int | None = Field(default=None, ge=0, le=MAX_AROUND_DAYS,
                               description=f"on の前後の日数 (0〜{MAX_AROUND_DAYS}、既定 {AROUND_DAYS})")
    limit: int = Field(default=10, ge=1, le=100, description="件数 (1〜100)")
    offset: int = Field(default=0, ge=0, le=10_000,
                        description="先頭からのずらし (cursor の代わりに使えます。cursor があれば無視)")
    cursor: str | None = Field(
        default=None, max_length=200,
        description="前のレスポンスの next_cursor をそのまま渡すと続きのページを返します "
                    "(description・assemblies・since・until・party・on・around は同じにすること。limit は変えられます)",
        examples=["MTAuM2E0ZjBjMmI5ZDFlOGY3Ng"],
    )


class TopicRef(BaseModel):
    topic_id: str
    label: str
    score: float
    passages: int | None = Field(
        default=None,
        description="このトピックに取り組む議員の質問段落の数（検索した議会・期間）。説明のトピックでは議員全体"
                    "（0 = 該当する発言なし）、matched_topics ではその議員自身の数")
    fallback_for: str | None = Field(
        default=None,
        description="説明のトピックのうち検索した会議録に発言がないもの (passages = 0) の代わりに探した上位トピックのとき、"
                    "その元のトピックID (例: 病児保育の発言がなければ 子育て で探す)")


class MatchHit(MemberHit):
    matched_topics: list[TopicRef] = Field(description="説明と議員の根拠段落の両方に現れた政策トピック")
    reason: str = Field(description="この議員を薦める理由 (一行)")


class MatchResult(BaseModel):
    description: str
    topics: list[TopicRef] = Field(description="説明から読み取った政策トピック")
    terms: list[str] = Field(default_factory=list, description=TERMS)
    count: int
    offset: int
    data: list[MatchHit]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR)


class Topic(BaseModel):
    topic_id: str
    label: str
    parent: str | None
    description: str | None
    member_passages: int = Field(description="議員の質問段落のうちこのトピックに取り組むものの数")
    members: int = Field(description="このトピックで質問した議員の数")


class Topics(BaseModel):
    count: int
    data: list[Topic]


class TopicMember(BaseModel):
    member_id: str
    name: str
    assembly_code: str
    assembly_name: str
    party: str | None = Field(default=None, description="会派 (/v1/members/{id} の party と同じ)")
    passages: int
    meetings: int
    score: float = Field(description="段落のトピック得点の和 (4年で半減する新しさの重み付き)")
    last_date: date | None
    top_statement_id: str


class TopicMembers(BaseModel):
    topic_id: str
    label: str
    count: int
    offset: int
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR)
    data: list[TopicMember]


class MemberTopic(BaseModel):
    topic_id: str
    label: str
    parent: str | None
    year: int | None
    source: str = Field(description="assembly (会議録の本人の質問) / posts (本人のブログ・サイト)")
    passages: int
    share: float = Field(description="その年の本人の質問段落に占める割合")
    mean_score: float


class MemberTopics(BaseModel):
    member_id: str
    data: list[MemberTopic]


class SavedSearchCreate(BaseModel):
    query: str = Field(description="保存する検索語 (課題・政策)", examples=["待機児童"], min_length=1, max_length=1000)
    assemblies: list[str] | None = Field(
        default=None, description="対象の議会の団体コード (6桁)。省略するとすべての議会", examples=[["130001"]])
    callback_url: str = Field(description="新しい発言を POST する受信URL (http/https)",
                              examples=["https://crm.example.com/hooks/gikai"], max_length=2000)
    secret: str | None = Field(
        default=None, min_length=16, max_length=200,
        description="署名 (X-Gikai-Signature) の鍵。省略すると生成して作成時のレスポンスで一度だけ返します")


class SavedSearchPublic(BaseModel):
    id: str = Field(examples=["ss_3q2Xk9aB7cD1eF0g"])
    query: str
    assemblies: list[str] | None
    callback_url: str
    created_at: str
    secret: str | None = Field(default=None, description="作成時のみ: 署名の検証に使う鍵 (以後は返しません)")


class SavedSearches(BaseModel):
    count: int
    offset: int
    next_cursor: str | None = None
    data: list[SavedSearchPublic]


class WebhookDeliveryPublic(BaseModel):
    id: str = Field(description="X-Gikai-Delivery ヘッダと同じ配信ID")
    saved_search_id: str
    created_at: str
    index_built_at: str | None
    statements: int = Field(description="この配信に含まれる発言の数")
    status: str = Field(description="pending / delivered / failed")
    attempts: int
    last_status_code: int | None
    last_error: str | None


class WebhookDeliveries(BaseModel):
    count: int
    data: list[WebhookDeliveryPublic]
