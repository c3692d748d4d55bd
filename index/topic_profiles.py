"""Topic-level views of the index: the taxonomy with counts, a member's topic profile,
and the members most engaged with one topic.

A passage *engages* with a topic when its tagger score is at least ENGAGED
(a passage that only names the topic in a list scores lower, see nlp/topics.py).
"""

from __future__ import annotations

import duckdb

from index.search import ENGAGED, Filters, Searcher, dict_rows

__all__ = ["ENGAGED", "list_topics", "member_topics", "topic", "topic_members"]


def list_topics(searcher: Searcher) -> list[dict]:
    """The taxonomy with how many member passages and members engage with each topic (per index file)."""
    return searcher.per_index("topics", lambda cur: _topic_counts(searcher, cur))


def _topic_counts(searcher: Searcher, cur: duckdb.DuckDBPyConnection) -> list[dict]:
    # Counted from the topic scores and passage columns the searcher holds in memory. The same counts
    # as a join of passage_topics and passages in DuckDB (a test compares them), which at a million
    # statements took 0.5-2 s and more memory than a server process's DuckDB may use.
    counts = searcher.topic_engagement(cur, ENGAGED)
    rows = dict_rows(cur, "SELECT topic_id, label, parent, description FROM topics "
                          "ORDER BY parent NULLS FIRST, topic_id")
    for row in rows:
        row["member_passages"], row["members"] = counts.get(row["topic_id"], (0, 0))
    return rows


def topic(searcher: Searcher, topic_id: str) -> dict | None:
    cur = searcher.cursor()
    try:
        rows = dict_rows(cur, "SELECT * FROM topics WHERE topic_id = $id", {"id": topic_id})
        return rows[0] if rows else None
    finally:
        cur.close()


def member_topics(searcher: Searcher, member_id: str) -> list[dict]:
    """Share of the member's own passages per topic and year, assembly questions and posts apart."""
    cur = searcher.cursor()
    try:
        return dict_rows(
            cur,
            """WITH mine AS (
                   SELECT passage_id, year(date) AS year,
                          CASE role_kind WHEN 'post' THEN 'posts' ELSE 'assembly' END AS source
                   FROM passages WHERE member_id = $id AND role_kind IN ('member', 'post')),
               totals AS (SELECT year, source, count(*) AS total FROM mine GROUP BY year, source)
               SELECT t.topic_id, t.label, t.parent, m.year, m.source, count(*) AS passages,
                      round(count(*) / any_value(tt.total), 4) AS share, round(avg(pt.score), 4) AS mean_score
               FROM mine m JOIN passage_topics pt USING (passage_id) JOIN topics t USING (topic_id)
               JOIN totals tt ON tt.year IS NOT DISTINCT FROM m.year AND tt.source = m.source
               WHERE pt.score >= $engaged
               GROUP BY t.topic_id, t.label, t.parent, m.year, m.source
               ORDER BY m.year DESC NULLS LAST, m.source, passages DESC, t.topic_id""",
            {"id": member_id, "engaged": ENGAGED},
        )
    finally:
        cur.close()


def topic_members(searcher: Searcher, topic_id: str, filters: Filters, limit: int, offset: int) -> list[dict]:
    """Members ranked by how many of their questions engage with the topic (recent ones weigh more);
    with ``filters.party``, only that 会派's members, in the same order."""
    where, params = filters.sql()
    cur = searcher.cursor()
    try:
        if filters.party:
            _, _, member_ids = searcher.passage_columns()
            in_party = searcher.members_in_party(cur, filters.party)
            where = " AND ".join(filter(None, [where, "p.member_id IN (SELECT unnest($party_members))"]))
            params["party_members"] = [member_ids[c] for c in in_party.nonzero()[0].tolist()]
        reference = cur.execute("SELECT max(date) FROM passages").fetchall()[0][0]
        return dict_rows(
            cur,
            f"""SELECT p.member_id, mb.name, mb.assembly_code, a.name AS assembly_name, mb.party,
                       count(*) AS passages, count(DISTINCT p.meeting_id) AS meetings,
                       round(sum(pt.score * pow(0.5, coalesce(date_diff('day', p.date, $ref::DATE), 0) / 1461.0)), 4)
                           AS score,
                       max(p.date) AS last_date,
                       arg_max(p.statement_id, pt.score) AS top_statement_id
                FROM passage_topics pt
                JOIN passages p ON p.passage_id = pt.passage_id
                JOIN members mb ON mb.member_id = p.member_id
                JOIN assemblies a ON a.assembly_code = mb.assembly_code
                WHERE pt.topic_id = $topic AND pt.score >= $engaged AND p.role_kind = 'member'
                      {('AND ' + where) if where else ''}
                GROUP BY ALL ORDER BY score DESC, p.member_id LIMIT $limit OFFSET $offset""",
            {**params, "topic": topic_id, "engaged": ENGAGED, "ref": reference, "limit": limit, "offset": offset},
        )
    finally:
        cur.close()
