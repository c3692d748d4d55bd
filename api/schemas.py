"""Response models of the public API (v1). Field names are a contract with CRM integrators."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from index.members import MemberScore
from index.search import StatementHit


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
    role_kind: str = Field(description="member (議員質問) / executive (執行部答弁) / witness / chair")
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
    recency: float = Field(description="一致段落の平均の新しさ (1 = 最新)")
    relative: float = Field(description="1位を1とした相対スコア")


class MemberHit(BaseModel):
    member_id: str
    name: str
    assembly_code: str
    assembly_name: str
    score: float
    parts: ScoreParts
    matched_passages: int
    meetings: int
    first_date: date | None
    last_date: date | None
    evidence: list[Statement] = Field(description="根拠となる本人の発言段落")
    answers: list[Statement] = Field(description="その質問に対する執行部答弁")

    @classmethod
    def of(cls, m: MemberScore) -> MemberHit:
        return cls(
            member_id=m.member_id, name=m.name, assembly_code=m.assembly_code, assembly_name=m.assembly_name,
            score=m.score, parts=ScoreParts(**m.parts), matched_passages=m.matched_passages, meetings=m.meetings,
            first_date=m.first_date, last_date=m.last_date, evidence=[Statement.of(h) for h in m.evidence],
            answers=[Statement.of(h) for h in m.answers],
        )


class MemberSearch(BaseModel):
    query: str
    count: int
    offset: int
    data: list[MemberHit]


class StatementSearch(BaseModel):
    query: str
    count: int
    offset: int
    data: list[Statement]


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


class MemberStatements(BaseModel):
    member_id: str
    total: int
    offset: int
    data: list[Statement]


class Assembly(BaseModel):
    assembly_code: str
    name: str
    prefecture: str | None
    meetings: int
    members: int
    first_date: date | None
    last_date: date | None


class Assemblies(BaseModel):
    count: int
    data: list[Assembly]


class Health(BaseModel):
    ok: bool
    index: dict[str, str]
