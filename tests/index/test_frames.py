"""index.frames: the analyst DataFrames, on the real 2020 Tokyo plenary index."""

from __future__ import annotations

import pandas as pd
import pytest

from index.frames import (
    EXCERPT_CHARS,
    MATCH_COLUMNS,
    MEMBER_COLUMNS,
    PROFILE_COLUMNS,
    STATEMENT_COLUMNS,
    TIMELINE_COLUMNS,
    TOPIC_COLUMNS,
    TREND_COLUMNS,
    Gikai,
    default_db_path,
    excerpt,
    export_csv,
)
from index.topic_profiles import ENGAGED

SOURCE = "https://www.gikai.metro.tokyo.jp/"


@pytest.fixture(scope="module")
def g(demo_db) -> Gikai:
    gikai = Gikai(demo_db)
    yield gikai
    gikai.close()


@pytest.fixture(scope="module")
def postpartum(g) -> pd.DataFrame:
    return g.members("産後ケア", limit=10)


def assert_schema(df: pd.DataFrame, columns: dict[str, str]) -> None:
    assert list(df.columns) == list(columns)
    for col, kind in columns.items():
        dtype = df[col].dtype
        if kind == "datetime":
            assert pd.api.types.is_datetime64_dtype(dtype), (col, dtype)
        elif kind == "str":
            assert pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype), (col, dtype)
        else:
            assert dtype == kind, (col, dtype)


# -- excerpts ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("産後ケアについて伺います。", 200, "産後ケアについて伺います。"),
        ("  産後ケア\n について\u3000 伺います ", 200, "産後ケア について 伺います"),
        ("あ" * 200, 200, "あ" * 200),
        ("あ" * 201, 200, "あ" * 199 + "…"),
        ("病児保育の予約", 4, "病児保…"),
        (None, 200, ""),
    ],
)
def test_excerpt(text, limit, expected):
    assert excerpt(text, limit) == expected
    assert len(excerpt(text, limit)) <= limit


# -- members ----------------------------------------------------------------------
def test_members_schema_and_values(postpartum):
    assert_schema(postpartum, MEMBER_COLUMNS)
    assert len(postpartum) >= 3
    assert postpartum["rank"].tolist() == list(range(1, len(postpartum) + 1))
    assert postpartum.score.is_monotonic_decreasing
    assert postpartum.member_id.is_unique
    assert "森澤恭子" in postpartum.name.head(3).tolist()
    assert (postpartum.assembly == "東京都議会").all()
    assert postpartum.evidence_url.str.startswith(SOURCE).all()
    assert postpartum.evidence_urls.str.split(" ").map(lambda urls: all(u.startswith(SOURCE) for u in urls)).all()
    assert (postpartum.evidence_excerpt.str.len() <= EXCERPT_CHARS).all()
    assert "産後ケア" in postpartum.evidence_excerpt.iloc[0]
    assert (postpartum.evidence_date.dt.year == 2020).all()
    assert (postpartum.focus > 0).all() and (postpartum.recency <= 1).all()
    assert postpartum.relative.iloc[0] == 1.0


def test_members_nothing_found_keeps_columns_and_dtypes(g, postpartum):
    empty = g.members("ｚｚｚｑｑｑ")
    assert empty.empty
    assert_schema(empty, MEMBER_COLUMNS)
    assert empty.dtypes.equals(postpartum.dtypes)


def test_members_until_filters_evidence(g):
    early = g.members("産後ケア", until="2020-02-27", limit=20)
    assert not early.empty
    assert (early.evidence_date <= pd.Timestamp("2020-02-27")).all()


def test_members_offset_continues_ranks(g, postpartum):
    page2 = g.members("産後ケア", limit=3, offset=3)
    assert page2["rank"].tolist() == [4, 5, 6]
    assert page2.member_id.tolist() == postpartum.member_id.iloc[3:6].tolist()


@pytest.mark.parametrize(("kwargs", "message"), [({"since": "2020/02/01"}, "since"), ({"until": "yesterday"}, "until")])
def test_bad_dates_name_the_parameter(g, kwargs, message):
    with pytest.raises(ValueError, match=message):
        g.members("産後ケア", **kwargs)


# -- statements -------------------------------------------------------------------
def test_statements_are_excerpts_with_sources(g):
    df = g.statements("産後ケア", limit=10)
    assert_schema(df, STATEMENT_COLUMNS)
    assert len(df) == 10
    assert df.url.str.startswith(SOURCE).all()
    assert (df.excerpt.str.len() <= EXCERPT_CHARS).all()
    assert "text" not in df.columns
    assert set(df.role_kind) <= {"member", "executive", "witness"}
    assert pd.api.types.is_datetime64_dtype(df.date)


def test_statements_of_one_member(g, postpartum):
    member_id = postpartum.member_id.iloc[0]
    df = g.statements("産後ケア", member_id=member_id, roles="member", limit=5)
    assert not df.empty
    assert (df.member_id == member_id).all() and (df.role_kind == "member").all()


def test_statements_unknown_role(g):
    with pytest.raises(ValueError, match="roles"):
        g.statements("産後ケア", roles=["mayor"])


# -- match ------------------------------------------------------------------------
def test_match_topics_and_reasons(g):
    description = "病児保育と産後ケアのオンライン予約システム。LINEから予約できる"
    df = g.match(description, limit=5)
    assert_schema(df, MATCH_COLUMNS)
    assert len(df) == 5
    assert {t["topic_id"] for t in df.attrs["query_topics"]} >= {"childcare.postpartum", "childcare.sick_child"}
    assert "childcare.postpartum" in df.matched_topic_ids.iloc[0].split()
    assert "産後ケア" in df.matched_topics.iloc[0]
    assert df.reason.str.endswith("。").all()
    assert df.evidence_url.str.startswith(SOURCE).all()

    topics = g.match_topics(description)
    assert list(topics.columns) == ["topic_id", "label", "score"]
    assert topics.topic_id.tolist() == [t["topic_id"] for t in df.attrs["query_topics"]]


# -- topics and trends --------------------------------------------------------------
def test_topics(g):
    df = g.topics()
    assert_schema(df, TOPIC_COLUMNS)
    row = df.set_index("topic_id").loc["childcare.postpartum"]
    assert row.label == "産後ケア" and row.parent == "childcare"
    assert (row.member_passages, row.members) == (6, 6)  # six members, one passage each, in the demo


def test_resolve_topic(g):
    assert g.resolve_topic("産後ケア") == "childcare.postpartum"
    assert g.resolve_topic("childcare.postpartum") == "childcare.postpartum"
    assert g.resolve_topic("line活用") == "dx.line"
    with pytest.raises(KeyError, match="unknown topic"):
        g.resolve_topic("宇宙開発")


@pytest.mark.parametrize("by", ["month", "meeting", "committee"])
def test_topic_trend_schema(g, by):
    df = g.topic_trend("産後ケア", by=by)
    assert_schema(df, TREND_COLUMNS[by])
    assert df.attrs["topic_id"] == "childcare.postpartum"
    assert (df.passages <= df.total_passages).all()
    assert df.share.between(0, 1).all()


def test_topic_trend_counts_agree_with_the_index(g):
    engaged = g.sql(
        """SELECT count(*) AS n FROM passage_topics pt JOIN passages p USING (passage_id)
           WHERE pt.topic_id = 'childcare.postpartum' AND pt.score >= $e AND p.role_kind = 'member'""",
        {"e": ENGAGED},
    ).n.iloc[0]
    assert engaged > 0
    by_meeting = g.topic_trend("childcare.postpartum", by="meeting")
    by_committee = g.topic_trend("childcare.postpartum", by="committee")
    monthly = g.topic_trend("childcare.postpartum", by="month")
    assert by_meeting.passages.sum() == by_committee.passages.sum() == engaged
    assert monthly.passages.sum() == engaged  # every engaged passage of the demo has a date
    assert by_meeting.url.str.startswith(SOURCE).all()
    assert set(by_committee.committee) == {"本会議", "臨時会"}  # the 2020 demo: plenary and extraordinary only
    assert monthly.period.dt.year.eq(2020).all() and monthly.period.dt.day.eq(1).all()
    assert monthly.period.is_monotonic_increasing


def test_topic_trend_roles_and_dates(g):
    members_only = g.topic_trend("感染症対策", by="month")
    everyone = g.topic_trend("感染症対策", by="month", roles=None)
    assert everyone.passages.sum() > members_only.passages.sum()
    assert everyone.total_passages.sum() > members_only.total_passages.sum()
    spring = g.topic_trend("感染症対策", by="month", since="2020-03-01", until="2020-04-30")
    assert spring.period.dt.month.tolist() == [3, 4]


def test_topic_trend_bad_period(g):
    with pytest.raises(ValueError, match="by"):
        g.topic_trend("産後ケア", by="week")


# -- one member ---------------------------------------------------------------------
def test_member_profile(g, postpartum):
    member_id = postpartum.member_id.iloc[0]
    df = g.member_profile(member_id)
    assert_schema(df, PROFILE_COLUMNS)
    assert (df.year == 2020).all()
    assert df.share.between(0, 1).all()
    assert "childcare.postpartum" in set(df.topic_id)


def test_member_timeline_counts_and_excerpts(g, postpartum):
    member_id = postpartum.member_id.iloc[0]
    df = g.member_timeline(member_id)
    assert_schema(df, TIMELINE_COLUMNS)
    total = g.sql("SELECT count(*) AS n FROM passages WHERE member_id = $m AND role_kind = 'member'",
                  {"m": member_id}).n.iloc[0]
    assert df.statements.sum() == total > 0
    assert df.meeting_id.is_unique
    assert df.date.is_monotonic_increasing
    assert df.url.str.startswith(SOURCE).all()
    # Copyright rule: one excerpt per meeting, never the member's full texts.
    assert (df.excerpt.str.len() <= EXCERPT_CHARS).all()
    assert "text" not in df.columns
    assert "産後ケア" in " ".join(df.excerpt)


def test_unknown_member(g):
    for method in (g.member, g.member_profile, g.member_timeline):
        with pytest.raises(KeyError, match="unknown member"):
            method("130001-000000000000")


# -- sql ----------------------------------------------------------------------------
def test_sql_select(g):
    df = g.sql("SELECT kind, count(*) AS meetings, min(date) AS first FROM meetings GROUP BY kind ORDER BY kind")
    assert set(df.kind) == {"本会議", "臨時会"}
    assert pd.api.types.is_datetime64_dtype(df["first"])


@pytest.mark.parametrize(
    "query",
    [
        "COPY meetings TO '/tmp/gikai-frames.csv'",
        "SELECT 1; SELECT 2",
        "DELETE FROM meetings",
        "ATTACH '/tmp/gikai-frames.duckdb' AS x",
        "SET threads = 1",
        "SELEC 1",
    ],
)
def test_sql_refuses_anything_but_one_select(g, query):
    with pytest.raises(ValueError, match="sql"):
        g.sql(query)


# -- export and defaults ------------------------------------------------------------
def test_export_csv(tmp_path, postpartum):
    frame = postpartum[["rank", "name", "evidence_date", "evidence_url"]].copy()
    frame.loc[0, "name"] = "=HYPERLINK(1)"
    path = export_csv(frame, tmp_path / "out" / "members.csv")
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "rank,name,evidence_date,evidence_url"
    assert "'=HYPERLINK(1)" in text
    assert f",{postpartum.evidence_date.iloc[1]:%Y-%m-%d}," in text


def test_default_db_path(monkeypatch, tmp_path):
    monkeypatch.setenv("GIKAI_DB_PATH", str(tmp_path / "x.duckdb"))
    assert default_db_path() == tmp_path / "x.duckdb"
    assert Gikai().db_path == tmp_path / "x.duckdb"
