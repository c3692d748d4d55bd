import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from crawlers.poliinfo import import_files
from crawlers.rawstore import RawStore
from crawlers.records import MemberRecord
from index.build import build_index, meeting_id, member_id
from index.search import Searcher
from nlp.names import name_key
from nlp.speaker import parse_speaker
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


MASUKO = "130001-f10f91f55d9b"  # "130001-" + sha1("増子ひろき")[:12]


def test_member_ids_are_stable_and_spacing_insensitive(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    (mid,) = con.execute("SELECT member_id FROM members WHERE name = '増子ひろき'").fetchone()
    con.close()
    assert mid == MASUKO
    # member_id hashes the key as given; name_key is what folds spacing and honorifics into one key.
    for written in ("増子ひろき", "増子 ひろき", "増子\u3000\u3000ひろき", "増子ひろき君", "増子ひろき議員"):
        assert member_id("130001", name_key(written)) == MASUKO, written
    # As the build reaches it: a padded speaker line with the honorific.
    speaker = parse_speaker("百十六番（増子\u3000ひろき君）")
    assert speaker.name == "増子ひろき" and member_id("130001", name_key(speaker.name)) == MASUKO


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
    again = build_index(raw, db, workers=1)
    assert again.mode == "unchanged" and db.stat().st_ino == inode  # nothing new: the file is left alone
    second = build_index(raw, db, workers=1, full=True)
    assert second.mode == "full" and db.stat().st_ino != inode  # a new file was swapped in
    assert (first.meetings, first.passages, first.members) == (second.meetings, second.passages, second.members)
    assert (again.meetings, again.passages, again.members) == (first.meetings, first.passages, first.members)
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def _store_2020(tmp_path: Path) -> tuple[RawStore, Path, Path]:
    """A raw store holding the 2020 定例会 minutes: (store, its directory, where its index goes)."""
    raw = tmp_path / "raw"
    store = RawStore(raw)
    import_files([PROCEEDINGS_2020], store)
    return store, raw, tmp_path / "index.duckdb"


MASUKO = member_id("130001", name_key("増子ひろき"))


def _party_and_affiliations(db: Path, member: str) -> tuple[str | None, list[tuple]]:
    """A member's party and their affiliation rows (source, party, source_url, named_on, quote) by source."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        (party,) = con.execute("SELECT party FROM members WHERE member_id = ?", [member]).fetchone()
        rows = con.execute("""SELECT source, party, source_url, named_on, quote FROM affiliations
                              WHERE member_id = ? ORDER BY source""", [member]).fetchall()
        return party, rows
    finally:
        con.close()


def _copy_meetings(src: Path, dst: Path, files: list[Path]) -> None:
    for f in files:
        target = dst / f.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)


def _snapshot(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "members": sorted(con.execute(
                "SELECT member_id, name, surname_only, seats, first_date, last_date, n_speeches, n_questions, party "
                "FROM members").fetchall()),
            "affiliations": sorted(con.execute(
                "SELECT member_id, party, source, source_url, named_on, quote FROM affiliations").fetchall()),
            "passages": sorted(con.execute(
                """SELECT p.statement_id, p.member_id, p.n_tokens, a.statement_id FROM passages p
                   LEFT JOIN passages a ON a.passage_id = p.answers_passage_id""").fetchall()),
            "terms": sorted(con.execute("SELECT term, df FROM terms WHERE df > 0").fetchall()),
            "topics": sorted(con.execute(
                """SELECT p.statement_id, t.topic_id, t.score FROM passage_topics t
                   JOIN passages p USING (passage_id)""").fetchall()),
            "vectors": con.execute("SELECT count(*) FROM embeddings").fetchall()[0][0],
        }
    finally:
        con.close()


def _scores(db: Path, query: str) -> dict[str, float]:
    searcher = Searcher(db)
    try:
        return {h.statement_id: round(h.score, 9) for h in searcher.search_statements(query, limit=50)}
    finally:
        searcher.close()


@pytest.mark.slow
def test_incremental_build_equals_full_build(tmp_path, demo_raw):
    files = sorted(RawStore(demo_raw).paths("meeting"))
    raw = tmp_path / "raw"
    _copy_meetings(demo_raw, raw, files[: len(files) // 2])
    db = tmp_path / "index.duckdb"
    assert build_index(raw, db, workers=2).mode == "full"
    _copy_meetings(demo_raw, raw, files[len(files) // 2 :])
    added = build_index(raw, db, workers=2)
    assert added.mode == "incremental"
    assert added.added_meetings == len(files) - len(files) // 2 and added.removed_meetings == 0

    full = tmp_path / "full.duckdb"
    reference = build_index(demo_raw, full, workers=2)
    assert (added.meetings, added.speeches, added.passages, added.members, added.terms, added.topic_links) == (
        reference.meetings, reference.speeches, reference.passages, reference.members, reference.terms,
        reference.topic_links)
    assert _snapshot(db) == _snapshot(full)
    assert len(_snapshot(db)["affiliations"]) == 26  # 会派 named in both halves, merged as a full build reads them
    for query in ("待機児童", "受動喫煙防止条例", "新型コロナウイルス感染症対策"):
        assert _scores(db, query) == _scores(full, query)


@pytest.mark.slow
def test_incremental_build_replaces_a_changed_meeting(tmp_path):
    store, raw, db = _store_2020(tmp_path)
    first = build_index(raw, db, workers=1)
    record = sorted(store.latest("meeting").values(), key=lambda r: r.source_id)[0]
    speeches = list(record.speeches)
    i = next(i for i, sp in enumerate(speeches) if parse_speaker(sp.speaker).role_kind == "member")
    speeches[i] = speeches[i].model_copy(update={"text": speeches[i].text + "\n次に、ゾウガメ保護区の整備について伺います。"})
    store.put(record.model_copy(update={"speeches": speeches, "fetched_at": datetime(2030, 1, 1)}))

    second = build_index(raw, db, workers=1)
    assert second.mode == "incremental"
    assert (second.added_meetings, second.removed_meetings) == (1, 1)
    assert second.meetings == first.meetings
    top = next(iter(_scores(db, "ゾウガメ保護区")))
    assert top.startswith(f"{meeting_id(record)}-{speeches[i].order}-")
    con = duckdb.connect(str(db), read_only=True)
    (versions,) = con.execute("SELECT count(*) FROM meetings WHERE source_id = $s",
                              {"s": record.source_id}).fetchall()[0]
    (mentions,) = con.execute("SELECT count(*) FROM passages WHERE text LIKE '%ゾウガメ%'").fetchall()[0]
    (speeches,) = con.execute("SELECT count(*) FROM speeches WHERE meeting_id = $m",
                              {"m": meeting_id(record)}).fetchall()[0]
    con.close()
    assert versions == 1 and mentions == 1 and speeches == len(record.speeches)


def test_every_kind_of_build_reports_the_surname_links_of_the_index(tmp_path):
    """Committee minutes name members by surname (鈴木委員); the summary of an incremental build and of
    one that changes nothing reports the same links and ambiguities as a full build of the same store."""
    raw = tmp_path / "raw"
    import_files([PROCEEDINGS_2020], RawStore(raw))
    db = tmp_path / "index.duckdb"
    assert build_index(raw, db, workers=1, embedding_model=None).surname_linked == 0
    import_files([PROCEEDINGS_2020.parents[1] / "tokyo-committees" / "bank.json"], RawStore(raw))
    added = build_index(raw, db, workers=1, embedding_model=None)
    unchanged = build_index(raw, db, workers=1, embedding_model=None)
    full = build_index(raw, tmp_path / "full.duckdb", workers=1, embedding_model=None)
    assert (added.mode, unchanged.mode, full.mode) == ("incremental", "unchanged", "full")
    for summary in (added, unchanged, full):
        assert summary.surname_linked == 1
        assert summary.surname_ambiguous == ["130001:鈴木 → 鈴木章浩/鈴木邦和"]
        assert "(1 surname-only linked, 1 ambiguous left unlinked)" in summary.line()


def test_builds_that_do_not_redo_posts_still_report_the_unlinked_ones(tmp_path):
    """A post whose author is in no minutes or roster is left unlinked; a build that changes nothing,
    or only adds meetings, reports it as the full build did (the list used to come back empty)."""
    from crawlers.records import PostRecord

    raw = tmp_path / "raw"
    store = RawStore(raw)
    import_files([PROCEEDINGS_2020], store)
    url = "https://example.invalid/blog/1"
    store.put(PostRecord(source_system="member_pages", source_id=url, assembly_code="130001",
                         member_name="架空太郎", url=url, title="保育について", text="保育所の整備を求めました。"))
    db = tmp_path / "index.duckdb"
    full = build_index(raw, db, workers=1, embedding_model=None)
    assert (full.posts, full.posts_unlinked) == (0, [f"130001:架空太郎 {url}"])
    unchanged = build_index(raw, db, workers=1, embedding_model=None)
    assert unchanged.mode == "unchanged" and unchanged.posts_unlinked == full.posts_unlinked
    # A changed meeting with the same speakers: incremental (new members would make it full, to let them claim posts).
    record = sorted(store.latest("meeting").values(), key=lambda r: r.source_id)[0]
    speeches = list(record.speeches)
    speeches[-1] = speeches[-1].model_copy(update={"text": speeches[-1].text + "\n以上です。"})
    store.put(record.model_copy(update={"speeches": speeches, "fetched_at": datetime(2030, 1, 1)}))
    changed = build_index(raw, db, workers=1, embedding_model=None)
    assert changed.mode == "incremental" and changed.posts_unlinked == full.posts_unlinked


def test_a_roster_makes_a_full_build_and_its_party_comes_before_the_minutes(tmp_path):
    store, raw, db = _store_2020(tmp_path)
    build_index(raw, db, workers=1, embedding_model=None)
    # No roster: the 会派 he spoke for in his 代表質問 of 2020-02-26, with the words and the minutes to cite.
    party, rows = _party_and_affiliations(db, MASUKO)
    assert party == "都民ファーストの会東京都議団"
    assert rows == [("minutes", "都民ファーストの会東京都議団",
                     "https://www.gikai.metro.tokyo.jp/record/proceedings/2020-1/02.html", date(2020, 2, 26),
                     "令和二年第一回東京都議会定例会に当たり、都民ファーストの会東京都議団を代表して、小池知事及び警視総監、"
                     "教育長、都技監、関係局長に質問します。")]
    # A roster changes how members are resolved: the next build is full, and its 会派 comes first while the
    # minutes' stays in the history.
    store.put(MemberRecord(source_system="roster", source_id="https://example.invalid/roster/masuko",
                           assembly_code="130001", name="増子ひろき", party="都民ファーストの会",
                           url="https://example.invalid/roster/masuko"))
    again = build_index(raw, db, workers=1, embedding_model=None)
    assert again.mode == "full" and again.full_reason == "rosters or posts changed"
    party, rows = _party_and_affiliations(db, MASUKO)
    assert party == "都民ファーストの会"
    assert [(r[0], r[1]) for r in rows] == [("minutes", "都民ファーストの会東京都議団"), ("roster", "都民ファーストの会")]


def test_a_changed_meeting_takes_its_party_declaration_with_it(tmp_path):
    # An incremental build that removes a meeting reads every opening again: the 会派 増子ひろき named only in
    # his 代表質問 must not outlive the version of the minutes that said it.
    store, raw, db = _store_2020(tmp_path)
    build_index(raw, db, workers=1, embedding_model=None)
    record = next(r for r in store.latest("meeting").values()
                  if any("都民ファーストの会東京都議団を代表して、小池知事" in sp.text for sp in r.speeches))
    speeches = [sp.model_copy(update={"text": sp.text.replace("都民ファーストの会東京都議団を代表して、", "")})
                for sp in record.speeches]
    store.put(record.model_copy(update={"speeches": speeches, "fetched_at": datetime(2030, 1, 1)}))
    again = build_index(raw, db, workers=1, embedding_model=None)
    assert (again.mode, again.added_meetings, again.removed_meetings) == ("incremental", 1, 1)
    assert _party_and_affiliations(db, MASUKO) == (None, [])
    con = duckdb.connect(str(db), read_only=True)
    try:
        # Everyone else keeps theirs: 21 of the 22 rows of the 2020 定例会 minutes.
        assert con.execute("SELECT count(*) FROM affiliations WHERE source = 'minutes'").fetchone() == (21,)
    finally:
        con.close()


@pytest.mark.slow
def test_killed_build_leaves_previous_index_serving(tmp_path):
    raw = tmp_path / "raw"
    import_files([PROCEEDINGS_2020], RawStore(raw))
    db = tmp_path / "index.duckdb"
    build_index(raw, db, workers=1)
    before = db.read_bytes()
    # full=True: with nothing new in the raw store the build would leave the file alone and write nothing.
    proc = subprocess.Popen(
        [sys.executable, "-c",
         f"from index.build import build_index; build_index({str(raw)!r}, {str(db)!r}, workers=1, full=True)"],
        cwd=os.getcwd(),
    )
    tmp = db.with_name(f".{db.name}.tmp-{proc.pid}")  # where index/build.py writes before swapping in
    deadline = time.monotonic() + 60
    try:
        while not tmp.exists():
            assert proc.poll() is None, f"the build ended (rc={proc.returncode}) before writing {tmp.name}"
            assert time.monotonic() < deadline, f"no {tmp.name} after 60 s"
            time.sleep(0.01)
        assert db.read_bytes() == before  # still writing: nothing swapped in yet
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert tmp.exists()  # killed mid-write: a finished build would have renamed it over the index
    assert db.read_bytes() == before
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM meetings").fetchone()[0] == 8
    con.close()
    assert build_index(raw, db, workers=1).meetings == 8


def test_a_change_to_the_analysis_code_makes_the_next_build_full(tmp_path, monkeypatch):
    """Speaker rules and passage boundaries live in code: a build after an upgrade re-analyses every meeting."""
    import index.build as build

    raw = tmp_path / "raw"
    import_files([PROCEEDINGS_2020], RawStore(raw))
    db = tmp_path / "index.duckdb"
    build_index(raw, db, workers=1, embedding_model=None)
    assert build_index(raw, db, workers=1, embedding_model=None).mode == "unchanged"
    # The same digest over one more module stands for an edited one (the modules' files are not rewritten).
    monkeypatch.setattr(build, "ANALYSIS_MODULES", (*build.ANALYSIS_MODULES, "nlp.embedding"))
    again = build_index(raw, db, workers=1, embedding_model=None)
    assert again.mode == "full" and again.full_reason == "analysis code, tokenizer, topics or embedding model changed"


def test_code_digest_covers_the_source_of_every_analysis_module(tmp_path, monkeypatch):
    from index.build import code_digest

    package = tmp_path / "pkg_digest"
    package.mkdir()
    (package / "__init__.py").write_text("")
    rule = package / "rule.py"
    rule.write_text("LIMIT = 5\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = code_digest(("pkg_digest.rule",))
    rule.write_text("LIMIT = 6\n")
    assert code_digest(("pkg_digest.rule",)) != before
    with pytest.raises(RuntimeError, match="analysis module pkg_digest.missing not found"):
        code_digest(("pkg_digest.missing",))
