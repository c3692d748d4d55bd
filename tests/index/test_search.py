"""Statement hits as the API shows them: every field as the passages table holds it."""

import duckdb

QUERIES = ["待機児童", "新型コロナウイルス感染症の検査体制", "東京オリンピック・パラリンピック", "防災"]


def test_hits_carry_the_fields_of_their_passages(searcher, demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    checked = answered = 0
    for q in QUERIES:
        for hit in searcher.search_statements(q, limit=20):
            row = con.execute(
                """SELECT p.statement_id, p.text, p.role_kind, p.member_id, p.meeting_id, p.date, p.assembly_code,
                          p.speaker_name, p.speaker_role, a.statement_id, m.url
                   FROM passages p JOIN meetings m USING (meeting_id)
                   LEFT JOIN passages a ON a.passage_id = p.answers_passage_id
                   WHERE p.passage_id = ?""", [hit.passage_id]).fetchall()[0]
            assert (hit.statement_id, hit.text, hit.role_kind, hit.member_id, hit.meeting_id, hit.date,
                    hit.assembly_code, hit.speaker, hit.speaker_role, hit.answers_statement_id, hit.url) == row
            checked += 1
            answered += hit.answers_statement_id is not None
    con.close()
    assert checked == 20 * len(QUERIES)
    assert answered > 0  # executive answers linked to the question they answer are among them
