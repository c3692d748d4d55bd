"""The index as pandas DataFrames, for analysts in notebooks and scripts.

One small facade over the read-only :class:`~index.search.Searcher`: every method
returns a DataFrame with fixed columns (also when nothing matched), dates as
``datetime64`` and scores as floats. Quotes are excerpts of at most
``EXCERPT_CHARS`` characters with their source URL: the minutes are free to use
(著作権法第40条第1項) but we never hand out the collected full texts of one member.
``sql()`` is the escape hatch for anything else (read-only, SELECT only).

Example::

    >>> from index.frames import Gikai
    >>> g = Gikai()                       # GIKAI_DB_PATH or var/index.duckdb
    >>> g.members("産後ケア", limit=5)[["name", "score", "evidence_url"]]
    >>> g.match("病児保育のオンライン予約。LINEから予約できる")[["name", "matched_topics", "reason"]]
    >>> g.topic_trend("産後ケア", by="month")     # topic id or label
    >>> g.member_timeline(g.members("産後ケア").member_id[0])
    >>> g.assemblies()                     # the 団体コード the index holds
    >>> g.sql("SELECT kind, count(*) AS n FROM meetings GROUP BY kind")

Bad input is an error naming the argument (empty ``q``, negative ``limit``, ``since`` after
``until``, an assembly code the index does not hold, an unknown member), never an empty frame.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from index.people import POST_KIND
from index.search import Filters, Searcher, StatementHit, dict_rows
from index.session_day import session_day_for
from index.topic_profiles import ENGAGED, list_topics, member_topics
from nlp.highlight import excerpt as excerpt_around
from nlp.highlight import query_terms

ROOT = Path(__file__).resolve().parents[1]
EXCERPT_CHARS = 200
TREND_PERIODS = ("month", "meeting", "committee")
ROLE_KINDS = ("member", "executive", "witness", "chair")

# Japanese fonts tried for plots, in order (Debian fonts-noto-cjk, fonts-ipaexfont, macOS, Windows).
JAPANESE_FONTS = ("Noto Sans CJK JP", "IPAexGothic", "IPAGothic", "Hiragino Sans", "Yu Gothic", "Meiryo",
                  "TakaoGothic", "VL Gothic")
JAPANESE_FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                       "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc")

MEMBER_COLUMNS = {
    "rank": "int64", "member_id": "str", "name": "str", "assembly_code": "str", "assembly": "str",
    # score = focus + answers + breadth + speech + posts + topic (the parts of GET /v1/members/search;
    # topic only in match).
    "score": "float64", "relative": "float64", "focus": "float64", "answers": "float64", "breadth": "float64",
    "speech": "float64", "posts": "float64", "topic": "float64",
    "recency": "float64", "matched_passages": "int64", "meetings": "int64",
    "first_date": "datetime", "last_date": "datetime",
    "evidence_statement_id": "str", "evidence_date": "datetime", "evidence_meeting": "str",
    "evidence_excerpt": "str", "evidence_url": "str", "evidence_urls": "str", "answer_url": "str",
    "post_url": "str",
    # The on= day when the member leads for raising the need on it (then score and evidence are that day's).
    "led_on": "datetime",
    # The roster's 会派, else the latest one the member named in the minutes (「…を代表して」).
    "party": "str",
}
SCORE_PARTS = ("focus", "answers", "breadth", "speech", "posts")
MATCH_COLUMNS = {**MEMBER_COLUMNS, "matched_topic_ids": "str", "matched_topics": "str", "reason": "str"}
STATEMENT_COLUMNS = {
    "rank": "int64", "statement_id": "str", "score": "float64", "date": "datetime", "assembly_code": "str",
    "assembly": "str", "meeting_id": "str", "meeting_title": "str", "meeting_kind": "str", "committee": "str",
    "role_kind": "str", "speaker": "str", "speaker_role": "str", "member_id": "str", "member_name": "str",
    "heading": "str", "excerpt": "str", "url": "str", "answers_statement_id": "str",
}
TOPIC_COLUMNS = {"topic_id": "str", "label": "str", "parent": "str", "description": "str",
                 "member_passages": "int64", "members": "int64"}
QUERY_TOPIC_COLUMNS = {"topic_id": "str", "label": "str", "score": "float64", "passages": "int64", "fallback_for": "str"}
PROFILE_COLUMNS = {"year": "Int64", "source": "str", "topic_id": "str", "label": "str", "parent": "str",
                   "passages": "int64", "share": "float64", "mean_score": "float64"}
ASSEMBLY_COLUMNS = {"assembly_code": "str", "name": "str", "prefecture": "str", "meetings": "int64",
                    "members": "int64", "first_date": "datetime", "last_date": "datetime"}
TIMELINE_COLUMNS = {
    "date": "datetime", "meeting_id": "str", "meeting_title": "str", "meeting_kind": "str", "committee": "str",
    "statements": "int64", "topics": "str", "statement_id": "str", "excerpt": "str", "url": "str",
}
_TREND_COMMON = {"passages": "int64", "members": "int64", "meetings": "int64", "total_passages": "int64",
                 "share": "float64"}
TREND_COLUMNS = {
    "month": {"period": "datetime", **_TREND_COMMON},
    "meeting": {"date": "datetime", "meeting_id": "str", "meeting_title": "str", "meeting_kind": "str",
                "committee": "str", "url": "str", **_TREND_COMMON},
    "committee": {"committee": "str", "meeting_kind": "str", "first_date": "datetime", "last_date": "datetime",
                  **_TREND_COMMON},
}


def excerpt(text: str | None, limit: int = EXCERPT_CHARS, terms: Sequence[str] = ()) -> str:
    """Whitespace collapsed, at most ``limit`` characters (an ellipsis marks a cut); around the first
    of ``terms`` (the query's words, ``nlp.highlight.query_terms``) when the text holds one."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    if terms:
        cut = excerpt_around(flat, list(terms), limit - 2)  # room for an ellipsis at each end
        if cut.startswith("…"):
            return cut
    return flat[: limit - 1] + "…"


# pandas 3 has a string dtype ("str", missing = NaN) and DuckDB's .df() uses it; pandas 2 keeps objects.
_STR = "str" if int(pd.__version__.split(".")[0]) >= 3 else "object"


def _frame(rows: Iterable[dict], columns: dict[str, str]) -> pd.DataFrame:
    """Rows as a DataFrame with exactly ``columns``, in order, with the given dtypes."""
    df = pd.DataFrame(list(rows), columns=list(columns))
    for col, kind in columns.items():
        if kind == "datetime":
            df[col] = pd.to_datetime(df[col]).astype("datetime64[ns]")
        elif kind == "str":
            df[col] = df[col].astype(_STR)
        else:
            df[col] = df[col].astype(kind)
    return df


def _as_date(value: str | date | datetime | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{name}: expected a date like 2020-02-26, got {value!r}") from exc


def _text(value, name: str) -> str:
    """A query or description: a string with something in it (the API's 422 ``{name}: must not be empty``)."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected text, got {type(value).__name__} {value!r}")
    value = value.strip()
    if not value:
        raise ValueError(f"{name}: must not be empty")
    return value


def _count(value, name: str, minimum: int = 0) -> int:
    """``limit``/``offset``/``evidence``: a whole number ≥ ``minimum`` (a negative one used to slice from the end)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {value}")
    return value


def _codes(assembly) -> list[str] | None:
    """団体コード as 6-digit strings; an int (130001, or 10006 for 010006 read from a CSV) is zero-padded."""
    if assembly is None:
        return None
    items = [assembly] if isinstance(assembly, (str, int)) else list(assembly)
    codes = []
    for code in items:
        if isinstance(code, int) and not isinstance(code, bool) and 0 < code < 1_000_000:
            code = f"{code:06d}"
        if not isinstance(code, str) or not re.fullmatch(r"[0-9]{6}", code.strip()):
            raise ValueError(f"assembly: {code!r} is not a 6-digit 団体コード (e.g. '130001')")
        codes.append(code.strip())
    return codes or None


def _filters(assembly: str | Sequence[str] | None, since, until, member_id: str | None = None) -> Filters:
    since_d, until_d = _as_date(since, "since"), _as_date(until, "until")
    if since_d and until_d and since_d > until_d:
        raise ValueError(f"since ({since_d}) is after until ({until_d})")
    return Filters(assembly=_codes(assembly), since=since_d, until=until_d, member_id=member_id)


def _party(party: str | None) -> str | None:
    if party is None:
        return None
    return _text(party, "party")


def _roles(roles: str | Sequence[str] | None) -> list[str] | None:
    if roles is None:
        return None
    roles = [roles] if isinstance(roles, str) else list(roles)
    if not roles:
        raise ValueError(f"roles: empty; pass None for every role or some of {list(ROLE_KINDS)}")
    unknown = set(roles) - set(ROLE_KINDS)
    if unknown:
        raise ValueError(f"roles: unknown {sorted(unknown)}; choose from {list(ROLE_KINDS)}")
    return roles


def export_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a frame for Excel and CRM importers: UTF-8 with BOM, dates as YYYY-MM-DD, and text
    cells that a spreadsheet would run as a formula (``= + - @``) prefixed with ``'``."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
    return path


def default_db_path() -> Path:
    """``GIKAI_DB_PATH`` (or .env) as api.settings reads it; a relative path that does not exist
    from the working directory is taken from the project root, so notebooks in ``notebooks/`` find
    ``var/index.duckdb`` too."""
    env = os.environ.get("GIKAI_DB_PATH")
    if env:
        path = Path(env)
    else:
        from api.settings import get_settings

        path = get_settings().db_path
    if not path.is_absolute() and not path.exists() and (ROOT / path).exists():
        return ROOT / path
    return path


def use_japanese_font() -> str | None:
    """Configure matplotlib for Japanese labels; returns the font family used, or None.

    Without a Japanese font, labels render as boxes and the "Glyph … missing" warnings
    are silenced once instead of repeated for every character.
    """
    import matplotlib
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    if not available.intersection(JAPANESE_FONTS):
        for path in JAPANESE_FONT_FILES:
            if Path(path).exists():
                font_manager.fontManager.addfont(path)
        available = {f.name for f in font_manager.fontManager.ttflist}
    family = next((name for name in JAPANESE_FONTS if name in available), None)
    if family is None:
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from", category=UserWarning)
        return None
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, *matplotlib.rcParams["font.sans-serif"]]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return family


class Gikai:
    """DataFrames over a built index (read-only).

    >>> g = Gikai("var/index.duckdb")
    >>> top = g.members("産後ケア", limit=5)
    >>> top[["name", "score", "focus", "answers", "evidence_url"]]
    >>> g.topic_trend("childcare.postpartum", by="meeting")[["date", "passages", "share"]]

    Filters on every search: ``assembly`` (団体コード, one or a list), ``since`` and
    ``until`` (``"2020-02-01"`` or a ``date``).
    """

    def __init__(self, db_path: str | os.PathLike[str] | None = None, searcher: Searcher | None = None):
        if searcher is not None:
            self.searcher = searcher
        else:
            self.searcher = Searcher(Path(db_path) if db_path is not None else default_db_path())
        self._owns_searcher = searcher is None

    @property
    def db_path(self) -> Path:
        return self.searcher.db_path

    def __repr__(self) -> str:
        return f"Gikai({str(self.db_path)!r})"

    def close(self) -> None:
        if self._owns_searcher:
            self.searcher.close()

    def __enter__(self) -> Gikai:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- search ----------------------------------------------------------------
    def members(self, q: str, *, limit: int = 20, offset: int = 0, assembly: str | Sequence[str] | None = None,
                since: str | date | None = None, until: str | date | None = None, evidence: int = 3,
                on: str | date | None = None, around: int | None = None, party: str | None = None) -> pd.DataFrame:
        """Members ranked for a need, one row each, with the score parts and their best evidence.

        ``party``: only the members of a 会派 whose name contains it (``都民ファースト``), with the
        scores and order of the unfiltered ranking (``GET /v1/members/search?party=``).

        ``on`` (a date, not with ``since``/``until``): members who raised the need that day first, with
        that day's score and evidence and ``led_on`` set, then those of ``around`` days either side
        (default 7; ``index.session_day``, ``GET /v1/members/search?on=``).

        ``score`` is the sum of ``focus + answers + breadth + speech + posts`` (as in
        ``GET /v1/members/search``; ``relative`` and ``recency`` are not summed).
        ``first_date``/``last_date`` span everything the member said in the index;
        ``evidence_*`` is their best matching passage (excerpt ≤ 200 characters and its
        source URL), ``evidence_urls`` the sources of all evidence passages, ``answer_url`` the
        executive's answer and ``post_url`` the member's own blog post on it, if any.
        Raises ValueError naming the argument for an empty ``q``, a negative ``limit``/``offset``,
        ``since`` after ``until`` or an assembly code the index does not hold.
        """
        q = _text(q, "q")
        limit, offset, evidence = _count(limit, "limit"), _count(offset, "offset"), _count(evidence, "evidence")
        filters = replace(self._filters(assembly, since, until), party=_party(party))
        session_day = session_day_for(_as_date(on, "on"), around, filters)
        ranked = self.searcher.search_members(q, limit=limit, offset=offset, filters=filters, evidence=evidence,
                                              session_day=session_day)
        terms = query_terms(q)
        return _frame((self._member_row(offset + i + 1, m, terms) for i, m in enumerate(ranked)), MEMBER_COLUMNS)

    def match(self, description: str, *, limit: int = 20, offset: int = 0,
              assembly: str | Sequence[str] | None = None, since: str | date | None = None,
              until: str | date | None = None, on: str | date | None = None, around: int | None = None,
              party: str | None = None) -> pd.DataFrame:
        """Members for a solution description, with the topics they share with it and a reason
        (``on``/``around``/``party`` as in :meth:`members`).

        The topics read from the description are in ``df.attrs["query_topics"]``
        (and as a DataFrame from :meth:`match_topics`).
        """
        from index.match import match_members

        description = _text(description, "description")
        limit, offset = _count(limit, "limit"), _count(offset, "offset")
        filters = replace(self._filters(assembly, since, until), party=_party(party))
        session_day = session_day_for(_as_date(on, "on"), around, filters)
        outcome = match_members(self.searcher, description, filters, limit, offset, session_day=session_day)
        terms = query_terms(description, description=True)
        rows = []
        for i, matched in enumerate(outcome.members):
            row = self._member_row(offset + i + 1, matched.member, terms)
            row["matched_topic_ids"] = " ".join(t.topic_id for t in matched.topics)
            row["matched_topics"] = "、".join(t.label for t in matched.topics)
            row["reason"] = matched.reason
            rows.append(row)
        df = _frame(rows, MATCH_COLUMNS)
        df.attrs["query_topics"] = [t.__dict__.copy() for t in outcome.topics]
        return df

    def match_topics(self, description: str, *, assembly: str | Sequence[str] | None = None,
                     since: str | date | None = None, until: str | date | None = None) -> pd.DataFrame:
        """The policy topics a description names (what :meth:`match` weighs passages on), with
        ``passages``: how many members' passages in the selection take each up (``topics`` of ``POST /v1/match``);
        a row with ``fallback_for`` is a parent topic searched in place of that topic, which no passage takes up."""
        from index.match import description_topics

        description = _text(description, "description")
        topics, _ = description_topics(self.searcher, description, self._filters(assembly, since, until))
        return _frame((t.__dict__.copy() for t in topics), QUERY_TOPIC_COLUMNS)

    def statements(self, q: str, *, limit: int = 20, offset: int = 0, assembly: str | Sequence[str] | None = None,
                   since: str | date | None = None, until: str | date | None = None, member_id: str | None = None,
                   roles: str | Sequence[str] | None = ("member", "executive", "witness")) -> pd.DataFrame:
        """Passages ranked for a query (excerpts with source URLs, not full texts).

        ``member_id`` narrows to one member (KeyError when the index has no such member)."""
        q = _text(q, "q")
        limit, offset = _count(limit, "limit"), _count(offset, "offset")
        if member_id is not None:
            self.member(member_id)
        hits = self.searcher.search_statements(
            q, limit=limit, offset=offset, filters=self._filters(assembly, since, until, member_id),
            role_kinds=tuple(_roles(roles)) if roles is not None else None,
        )
        terms = query_terms(q)
        return _frame((self._statement_row(offset + i + 1, h, terms) for i, h in enumerate(hits)), STATEMENT_COLUMNS)

    # -- assemblies ----------------------------------------------------------------
    def assemblies(self) -> pd.DataFrame:
        """The assemblies in the index (団体コード, name, meetings, members, dates), as ``GET /v1/assemblies``."""
        return _frame(self.searcher.assemblies(), ASSEMBLY_COLUMNS)

    def _filters(self, assembly, since, until, member_id: str | None = None) -> Filters:
        """Validated filters; an assembly code the index holds no minutes for is a ValueError naming it
        (a typo would otherwise read as "nobody there talks about this")."""
        filters = _filters(assembly, since, until, member_id)
        if filters.assembly:
            known = {code for (code,) in self._query(
                "SELECT DISTINCT assembly_code FROM meetings WHERE kind <> $post", {"post": POST_KIND})}
            missing = [code for code in filters.assembly if code not in known]
            if missing:
                raise ValueError(f"assembly: no minutes of {', '.join(map(repr, missing))} in this index; "
                                 f"see Gikai.assemblies() for the codes it holds")
        return filters

    # -- topics ----------------------------------------------------------------
    def topics(self) -> pd.DataFrame:
        """The topic taxonomy with how many member passages and members engage with each."""
        return _frame(list_topics(self.searcher), TOPIC_COLUMNS)

    def resolve_topic(self, topic: str) -> str:
        """A topic id from an id or a label (産後ケア → childcare.postpartum)."""
        rows = self._query("SELECT topic_id, label FROM topics")
        by_id = {tid: tid for tid, _ in rows}
        by_label = {label.casefold(): tid for tid, label in rows}
        found = by_id.get(topic) or by_label.get(str(topic).strip().casefold())
        if found is None:
            raise KeyError(f"unknown topic {topic!r}; see Gikai.topics() for ids and labels")
        return found

    def topic_trend(self, topic: str, by: str = "month", *, roles: str | Sequence[str] | None = "member",
                    assembly: str | Sequence[str] | None = None, since: str | date | None = None,
                    until: str | date | None = None) -> pd.DataFrame:
        """Passages engaging with a topic (tagger score ≥ ENGAGED) per month, meeting or committee.

        ``share`` is ``passages / total_passages``: the topic's part of everything said in that
        period by the same roles (members' questions by default; ``roles=None`` counts everyone).
        ``by="committee"`` groups by committee name, plenary sessions under their kind (本会議, 臨時会).
        Periods with minutes where the topic never came up are kept, with 0 passages (months
        without any minutes do not appear). Members' blog posts are never counted: this is the minutes.
        """
        if by not in TREND_PERIODS:
            raise ValueError(f"by: expected one of {list(TREND_PERIODS)}, got {by!r}")
        topic_id = self.resolve_topic(topic)
        where, params = self._filters(assembly, since, until).sql("p")
        # Blog posts are passages too (role_kind 'post' in a pseudo meeting of kind ブログ), not minutes.
        where = " AND ".join(x for x in (where, "p.role_kind <> 'post'", "m.kind <> $post_kind") if x)
        params["post_kind"] = POST_KIND
        role_list = _roles(roles)
        if role_list:
            where = " AND ".join(x for x in (where, "p.role_kind IN (SELECT unnest($roles))") if x)
            params["roles"] = role_list
        select, group, order = {
            "month": ("date_trunc('month', date)::TIMESTAMP AS period", "period", "period"),
            "meeting": ("date::TIMESTAMP AS date, meeting_id, meeting_title, meeting_kind, committee, url",
                        "ALL", "date NULLS LAST, meeting_id"),
            "committee": ("coalesce(committee, meeting_kind) AS committee, meeting_kind",
                          "ALL", "passages DESC, committee"),
        }[by]
        if by == "month":
            where = " AND ".join(x for x in (where, "p.date IS NOT NULL") if x)
        dates = ", min(date)::TIMESTAMP AS first_date, max(date)::TIMESTAMP AS last_date" if by == "committee" else ""
        sql = f"""
            WITH base AS (
                SELECT p.passage_id, p.member_id, p.meeting_id, p.date, m.title AS meeting_title,
                       m.kind AS meeting_kind, m.committee, m.url,
                       p.passage_id IN (SELECT passage_id FROM passage_topics
                                        WHERE topic_id = $topic AND score >= $engaged) AS engaged
                FROM passages p JOIN meetings m ON m.meeting_id = p.meeting_id
                {('WHERE ' + where) if where else ''}
            )
            SELECT {select},
                   count(*) FILTER (WHERE engaged) AS passages,
                   count(DISTINCT member_id) FILTER (WHERE engaged) AS members,
                   count(DISTINCT meeting_id) FILTER (WHERE engaged) AS meetings,
                   count(*) AS total_passages,
                   round(count(*) FILTER (WHERE engaged) / count(*), 4) AS share{dates}
            FROM base GROUP BY {group} ORDER BY {order}"""
        df = self._frame_sql(sql, {**params, "topic": topic_id, "engaged": ENGAGED}, TREND_COLUMNS[by])
        df.attrs["topic_id"] = topic_id
        return df

    # -- one member --------------------------------------------------------------
    def member(self, member_id: str) -> dict:
        """The member's record (name, assembly, first/last date, counts); KeyError when unknown."""
        found = self.searcher.member(member_id)
        if found is None:
            raise KeyError(f"unknown member {member_id!r}")
        return found

    def member_profile(self, member_id: str, *, posts: bool = False) -> pd.DataFrame:
        """Topic shares of the member's own question passages, per year (year, topic, passages, share).

        A passage can engage with several topics, and parent topics (子育て) are tagged
        alongside their children (産後ケア), so shares within a year add up to more than 1.
        ``source`` is ``assembly`` (the minutes); ``posts=True`` adds the member's blog posts as
        rows of their own (``source == "posts"``, shares of the posts of that year), as
        ``GET /v1/members/{id}/topics`` returns them.
        """
        self.member(member_id)
        rows = [r for r in member_topics(self.searcher, member_id) if posts or r["source"] == "assembly"]
        return _frame(rows, PROFILE_COLUMNS).sort_values(["year", "source", "passages", "topic_id"],
                                                          ascending=[True, True, False, True], ignore_index=True)

    def member_timeline(self, member_id: str, *, since: str | date | None = None,
                        until: str | date | None = None) -> pd.DataFrame:
        """One row per meeting where the member asked: date, how many passages, the topics they
        engaged with, and one excerpt (≤ 200 characters) of their most on-topic passage with its source URL."""
        self.member(member_id)
        where, params = self._filters(None, since, until, member_id).sql("p")
        sql = f"""
            WITH mine AS (
                SELECT p.passage_id, p.statement_id, p.meeting_id, p.text, p.ordinal, p.speech_id,
                       coalesce(max(pt.score), 0) AS best
                FROM passages p LEFT JOIN passage_topics pt
                     ON pt.passage_id = p.passage_id AND pt.score >= $engaged
                WHERE {where} AND p.role_kind = 'member'
                GROUP BY ALL
            ),
            topics_per_meeting AS (
                SELECT meeting_id, string_agg(label, '、' ORDER BY n DESC, topic_id) AS topics
                FROM (SELECT mi.meeting_id, t.topic_id, t.label, count(*) AS n,
                             row_number() OVER (PARTITION BY mi.meeting_id ORDER BY count(*) DESC, t.topic_id) AS r
                      FROM mine mi JOIN passage_topics pt ON pt.passage_id = mi.passage_id AND pt.score >= $engaged
                      JOIN topics t ON t.topic_id = pt.topic_id AND t.parent IS NOT NULL
                      GROUP BY mi.meeting_id, t.topic_id, t.label)
                WHERE r <= 3 GROUP BY meeting_id
            )
            SELECT m.date::TIMESTAMP AS date, m.meeting_id, m.title AS meeting_title, m.kind AS meeting_kind,
                   m.committee, count(*) AS statements, any_value(tp.topics) AS topics,
                   arg_max(mi.statement_id, (mi.best, -mi.passage_id)) AS statement_id,
                   arg_max(mi.text, (mi.best, -mi.passage_id)) AS text, m.url
            FROM mine mi JOIN meetings m ON m.meeting_id = mi.meeting_id
            LEFT JOIN topics_per_meeting tp ON tp.meeting_id = mi.meeting_id
            GROUP BY m.date, m.meeting_id, m.title, m.kind, m.committee, m.url
            ORDER BY m.date NULLS LAST, m.meeting_id"""
        rows = self._query_dicts(sql, {**params, "engaged": ENGAGED})
        for row in rows:
            row["excerpt"] = excerpt(row.pop("text"))
        return _frame(rows, TIMELINE_COLUMNS)

    # -- escape hatch ------------------------------------------------------------
    def sql(self, query: str, params: dict | Sequence | None = None) -> pd.DataFrame:
        """One read-only SELECT over the index tables (see index/schema.sql) as a DataFrame.

        Raises ValueError for anything but a single SELECT (no COPY, ATTACH, SET, …). A SELECT can
        still read local files through DuckDB's table functions (``read_csv('…')``): this is an
        analyst's tool on their own machine, not a boundary to put in front of untrusted input.
        Mind the copyright rule: quote excerpts with source URLs, not a member's full texts.
        """
        try:
            statements = duckdb.extract_statements(query)
        except duckdb.Error as exc:
            raise ValueError(f"sql: {exc}") from exc
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise ValueError("sql: exactly one SELECT statement is allowed (the index is read-only)")
        cur = self.searcher.cursor()
        try:
            return cur.execute(query, params or {}).df()
        finally:
            cur.close()

    # -- helpers -----------------------------------------------------------------
    def _query(self, sql: str, params: dict | None = None) -> list[tuple]:
        cur = self.searcher.cursor()
        try:
            return cur.execute(sql, params or {}).fetchall()
        finally:
            cur.close()

    def _query_dicts(self, sql: str, params: dict | None = None) -> list[dict]:
        cur = self.searcher.cursor()
        try:
            return dict_rows(cur, sql, params)
        finally:
            cur.close()

    def _frame_sql(self, sql: str, params: dict, columns: dict[str, str]) -> pd.DataFrame:
        return _frame(self._query_dicts(sql, params), columns)

    @staticmethod
    def _member_row(rank: int, m, terms: Sequence[str] = ()) -> dict:
        best = m.evidence[0] if m.evidence else None
        return {
            "rank": rank, "member_id": m.member_id, "name": m.name, "assembly_code": m.assembly_code,
            "assembly": m.assembly_name, "score": m.score, "relative": m.parts.get("relative"),
            "focus": m.parts.get("focus"), "answers": m.parts.get("answers"), "breadth": m.parts.get("breadth"),
            "speech": m.parts.get("speech", 0.0), "posts": m.parts.get("posts", 0.0),
            "topic": m.parts.get("topic", 0.0), "recency": m.parts.get("recency"),
            "matched_passages": m.matched_passages, "meetings": m.meetings,
            "first_date": m.first_date, "last_date": m.last_date,
            "evidence_statement_id": best.statement_id if best else None,
            "evidence_date": best.date if best else None,
            "evidence_meeting": best.meeting_title if best else None,
            "evidence_excerpt": excerpt(best.text, terms=terms) if best else None,
            "evidence_url": best.url if best else None,
            "evidence_urls": " ".join(dict.fromkeys(h.url for h in m.evidence)) or None,
            "answer_url": m.answers[0].url if m.answers else None,
            "post_url": m.posts[0].url if getattr(m, "posts", None) else None,
            "led_on": getattr(m, "led_on", None),
            "party": getattr(m, "party", None),
        }

    @staticmethod
    def _statement_row(rank: int, h: StatementHit, terms: Sequence[str] = ()) -> dict:
        return {
            "rank": rank, "statement_id": h.statement_id, "score": h.score, "date": h.date,
            "assembly_code": h.assembly_code, "assembly": h.assembly_name, "meeting_id": h.meeting_id,
            "meeting_title": h.meeting_title, "meeting_kind": h.meeting_kind, "committee": h.committee,
            "role_kind": h.role_kind, "speaker": h.speaker, "speaker_role": h.speaker_role, "member_id": h.member_id,
            "member_name": h.member_name, "heading": h.heading, "excerpt": excerpt(h.text, terms=terms), "url": h.url,
            "answers_statement_id": h.answers_statement_id,
        }
