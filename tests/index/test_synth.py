"""The benchmark's synthetic corpus: deterministic, nationwide, N statements, real sentences only."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from crawlers.rawstore import RawStore
from index import synth
from index.build import build_index
from nlp.names import numeral_to_int
from nlp.passages import answered_member
from nlp.speaker import parse_speaker


@pytest.fixture(scope="module")
def pools() -> synth.SentencePools:
    return synth.load_pools()


@pytest.fixture(scope="module")
def meetings(pools) -> list[synth.SynthMeeting]:
    return list(synth.Generator(pools, synth.plan_assemblies(0)).meetings(30_000))


def _source_blob() -> str:
    parts = []
    for source in synth.default_sources():
        files = sorted(source.glob("**/*.json*")) if source.is_dir() else [source]
        for file in files:
            if file.suffix == ".jsonl":
                parts += [json.loads(line).get("text") or json.loads(line).get("utterance") or ""
                          for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
            else:
                parts += [s["Utterance"] for m in json.loads(file.read_text(encoding="utf-8")) for s in m["Proceeding"]]
    return "\n".join(parts)


def test_sources_are_in_the_repository():
    root = Path(synth.__file__).resolve().parents[1]
    assert all(str(s).startswith(str(root / "data")) for s in synth.default_sources())


def test_assemblies_are_the_registry_with_about_30000_members():
    assemblies = synth.plan_assemblies(0)
    assert 1700 <= len(assemblies) <= 1900
    assert len({a.code for a in assemblies}) == len(assemblies)
    assert all(re.fullmatch(r"\d{6}", a.code) and a.name.endswith("議会") for a in assemblies)
    assert 28_000 <= sum(len(a.members) for a in assemblies) <= 32_000
    assert all(len(set(a.members)) == len(a.members) for a in assemblies)  # one name, one member
    assert {a.name for a in assemblies} >= {"東京都議会", "札幌市議会", "函館市議会"}
    assert synth.plan_assemblies(0) == synth.plan_assemblies(0)
    assert synth.plan_assemblies(1)[0].members != synth.plan_assemblies(0)[0].members


@pytest.mark.parametrize("n", [1, 9, 10, 11, 20, 99, 116, 120, 1000])
def test_kanji_seat_numbers_parse_back(n):
    assert numeral_to_int(synth.kanji_number(n)) == n


def test_speaker_strings_parse_as_members_executives_and_chairs(meetings):
    assemblies = {a.code: a for a in synth.plan_assemblies(0)}
    kinds = set()
    for meeting in meetings[:200]:
        assembly = assemblies[meeting.record.assembly_code]
        for speech in meeting.record.speeches:
            speaker = parse_speaker(speech.speaker)
            kinds.add(speaker.role_kind)
            assert speaker.role_kind in ("member", "chair", "executive"), speech.speaker
            assert speaker.name and not speaker.surname_only, speech.speaker
            if speaker.is_member:
                assert speaker.name in assembly.members, speech.speaker
                if speaker.seat:
                    assert assembly.members[speaker.seat - 1] == speaker.name
            else:
                assert speaker.name not in assembly.members
    assert kinds == {"member", "chair", "executive"}


def test_answers_name_the_member_they_answer(meetings):
    linked = 0
    for meeting in meetings[:100]:
        last_member = None
        for speech in meeting.record.speeches:
            speaker = parse_speaker(speech.speaker)
            if speaker.role_kind == "member":
                last_member = speaker.name
            target = answered_member(speech.text)
            if target:
                assert speaker.role_kind == "executive" and target == last_member
                linked += 1
    assert linked >= 200


def test_spread_over_many_assemblies_members_and_years(meetings):
    codes = {m.record.assembly_code for m in meetings}
    speakers = set().union(*(m.speakers for m in meetings))
    years = {m.record.date.year for m in meetings}
    assert len(codes) >= 400
    assert len(speakers) >= 3000
    assert years == set(range(2001, 2021))
    assert {m.record.meeting_kind for m in meetings} >= {"本会議", "委員会"}
    record = meetings[0].record
    assert record.source_system == "synthetic"
    assert record.url.startswith("https://example.invalid/synthetic/")


def test_counts_exactly_n_statements(pools, meetings):
    assert sum(m.passages for m in meetings) == 30_000
    for m in meetings[:50]:
        assert m.passages == sum(synth.count_passages(s.speaker, s.text) for s in m.record.speeches)


def test_deterministic_and_a_smaller_n_is_a_prefix(pools, meetings):
    again = list(synth.Generator(pools, synth.plan_assemblies(0)).meetings(30_000))
    assert [m.record for m in again] == [m.record for m in meetings]
    small = list(synth.Generator(pools, synth.plan_assemblies(0)).meetings(5_000))
    assert [m.record for m in small[:-1]] == [m.record for m in meetings[: len(small) - 1]]
    other = list(synth.Generator(pools, synth.plan_assemblies(0), batch=1).meetings(5_000))
    assert {m.record.source_id for m in other}.isdisjoint(m.record.source_id for m in meetings)


def test_realistic_passage_lengths(meetings):
    from nlp.passages import clean_speech_text, split_passages

    lengths = [len(p.text) for m in meetings[:200] for s in m.record.speeches
               for p in split_passages(clean_speech_text(s.text))]
    mean = sum(lengths) / len(lengths)
    assert 150 <= mean <= 330, mean  # Tokyo minutes: ~230 characters
    assert max(lengths) <= 1200


_TEMPLATES = re.compile(r"(にお答えいたします。$|^[〇一二三四五六七八九十百千0-9０-９]+番、?\S+(君|議員)。$)")


def test_only_real_sentences(meetings):
    blob = _source_blob()
    sentences = [s for m in meetings[:300] for speech in m.record.speeches for para in speech.text.split("\n")
                 for s in re.findall(r"[^。]*。", para) if not _TEMPLATES.search(s)]
    assert len(sentences) > 5000
    sample = random.Random(7).sample(sentences, 400)
    missing = [s for s in sample if s not in blob]
    assert not missing, missing[:5]


def test_synthesize_writes_a_raw_store_the_build_indexes_to_n_statements(tmp_path):
    raw = tmp_path / "raw"
    summary = synth.synthesize(raw, 1500, seed=3)
    assert summary.statements == 1500
    files = sorted(p.name for p in RawStore(raw).paths("meeting"))
    assert len(files) == summary.meetings
    again = synth.synthesize(tmp_path / "again", 1500, seed=3)
    assert sorted(p.name for p in RawStore(tmp_path / "again").paths("meeting")) == files  # same content hashes
    assert again.members == summary.members
    built = build_index(raw, tmp_path / "index.duckdb", workers=1, embedding_model=None)
    assert built.passages == 1500
    assert built.members == summary.members
