import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from crawlers.poliinfo import import_files
from crawlers.rawstore import RawStore
from index.build import build_index, member_id
from tests.conftest import PROCEEDINGS_2020


def test_demo_index_counts(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    meetings, = con.execute("SELECT count(*) FROM meetings").fetchone()
    member_rows = con.execute("SELECT name FROM members").fetchall()
    executives = con.execute(
        "SELECT count(*) FROM members WHERE name IN ('小池百合子', '内藤淳', '藤田裕司')").fetchone()[0]
    exec_passages = con.execute(
        "SELECT count(*) FROM passages WHERE role_kind = 'executive' AND member_id IS NOT NULL").fetchone()[0]
    urls = {u for (u,) in con.execute("SELECT DISTINCT url FROM meetings").fetchall()}
    con.close()
    assert meetings == 11  # 8 plenary days + 3 extraordinary records of 2020
    names = {n for (n,) in member_rows}
    assert {"増子ひろき", "石川良一", "森澤恭子", "もり愛"} <= names
    assert executives == 0 and exec_passages == 0
    assert all(u.startswith("https://www.gikai.metro.tokyo.jp/record/") for u in urls)


def test_member_ids_are_stable_and_spacing_insensitive(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    (mid,) = con.execute("SELECT member_id FROM members WHERE name = '増子ひろき'").fetchone()
    con.close()
    assert mid == member_id("130001", "増子ひろき")


def test_answer_linked_to_the_question_it_answers(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    row = con.execute(
        """SELECT q.text FROM passages a JOIN speeches s ON s.speech_id = a.speech_id
           JOIN passages q ON q.passage_id = a.answers_passage_id
           WHERE s.role = '福祉保健局長' AND a.text LIKE '%学童クラブについて%' AND a.date = DATE '2020-02-26'"""
    ).fetchone()
    (asker,) = con.execute(
        """SELECT q.speaker_name FROM speeches a JOIN speeches q ON q.speech_id = a.answers_speech_id
           WHERE a.role = '知事' AND a.text LIKE '増子ひろき議員の代表質問にお答えいたします%'"""
    ).fetchone()
    con.close()
    assert asker == "増子ひろき"
    assert row is not None and "学童クラブ" in row[0]


def test_build_replaces_index_atomically_and_is_repeatable(tmp_path):
    raw = tmp_path / "raw"
    import_files([PROCEEDINGS_2020], RawStore(raw))
    db = tmp_path / "index.duckdb"
    first = build_index(raw, db, workers=1)
    inode = db.stat().st_ino
    second = build_index(raw, db, workers=1)
    assert db.stat().st_ino != inode  # a new file was swapped in
    assert (first.meetings, first.passages, first.members) == (second.meetings, second.passages, second.members)
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


@pytest.mark.slow
def test_killed_build_leaves_previous_index_serving(tmp_path):
    raw = tmp_path / "raw"
    import_files([PROCEEDINGS_2020], RawStore(raw))
    db = tmp_path / "index.duckdb"
    build_index(raw, db, workers=1)
    before = db.read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-c", f"from index.build import build_index; build_index({str(raw)!r}, {str(db)!r}, workers=1)"],
        cwd=os.getcwd(),
    )
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert db.read_bytes() == before
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM meetings").fetchone()[0] == 8
    con.close()
    assert build_index(raw, db, workers=1).meetings == 8
