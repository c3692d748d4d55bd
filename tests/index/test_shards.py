"""Assembly-sharded builds on a local Ray cluster, and the federated reader over them.

The raw store holds the bundled 2020 Tokyo minutes (130001) and the 2001–2019
extraordinary sessions relabelled as two made-up assemblies (999001 before 2010,
999002 from 2010), so there are three assemblies of different sizes and no
passage is duplicated between them.
"""

from __future__ import annotations

import duckdb
import pytest
import ray

from crawlers.poliinfo import import_files, read_poliinfo
from crawlers.rawstore import RawStore
from index.build import build_index
from index.search import Filters, Searcher
from index.shards import ShardedSearcher, build_shards, make_shard_view, plan_shards, raw_to_parquet
from tests.conftest import DEMO_2020, ROOT

EXTRAORDINARY = ROOT / "data" / "demo" / "tokyo-extraordinary-2001-2019.json"
ASSEMBLIES = {"130001", "999001", "999002"}


def _made_up(code: str) -> dict:
    return {"assembly_code": code, "assembly_name": f"架空議会{code}", "prefecture": "架空県"}


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("shard-raw")
    store = RawStore(root)
    import_files([DEMO_2020], store)
    for record in read_poliinfo(EXTRAORDINARY):
        code = "999001" if record.date and record.date.year < 2010 else "999002"
        store.put(record.model_copy(update=_made_up(code)))
    return root


@pytest.fixture(scope="module")
def single(raw, tmp_path_factory):
    db = tmp_path_factory.mktemp("shard-single") / "index.duckdb"
    build_index(raw, db, workers=1, embedding_model=None)
    searcher = Searcher(db)
    yield db, searcher
    searcher.close()


@pytest.fixture(scope="module")
def manifest(raw, tmp_path_factory):
    # One Ray session for the module; build_shards reuses a running one.
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield build_shards(raw, tmp_path_factory.mktemp("shards"), 2, embedding_model=None)
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def federated(manifest):
    searcher = ShardedSearcher(manifest)
    yield searcher
    searcher.close()


def test_plan_balances_bytes_and_keeps_assemblies_whole(raw):
    plan = plan_shards(raw, 2)
    assert [s["shard"] for s in plan] == [0, 1]
    # The largest assembly alone on one shard, the two small ones together on the other.
    assert [s["assemblies"] for s in plan] == [["130001"], ["999001", "999002"]]
    assert len(plan_shards(raw, 10)) == 3  # never an empty shard
    assert [s["assemblies"] for s in plan_shards(raw, 1)] == [sorted(ASSEMBLIES)]


def test_shard_view_holds_only_its_assemblies(raw, tmp_path):
    view = make_shard_view(raw, tmp_path / "view", ["999001"])
    store = RawStore(view)
    codes = {r.assembly_code for r in store.latest("meeting").values()}
    assert codes == {"999001"}
    assert (raw / "meeting" / "999001").is_dir()  # the raw store itself is untouched


def test_raw_store_as_parquet_is_lossless_and_partitioned(raw, tmp_path):
    report = raw_to_parquet(raw, tmp_path / "pq")
    assert report["meeting"]["records"] == 28 and report["meeting"]["parquet_bytes"] < report["meeting"]["json_bytes"]
    assert (tmp_path / "pq" / "meeting" / "assembly_code=999001" / "year=2001").is_dir()
    # Codes are strings (010006 keeps its zero): read the partition keys without type guessing.
    got = duckdb.sql(
        f"""SELECT assembly_code, source_id, len(speeches), list_sum([len(s.text) for s in speeches])
            FROM read_parquet('{tmp_path}/pq/meeting/**/*.parquet', hive_partitioning = true,
                              hive_types_autocast = false)"""
    ).fetchall()
    records = RawStore(raw).latest("meeting").values()
    expected = {(r.assembly_code, r.source_id, len(r.speeches), sum(len(s.text) for s in r.speeches))
                for r in records}
    assert set(got) == expected


@pytest.mark.slow
def test_manifest_covers_every_assembly_once(manifest):
    owned = [code for s in manifest["shards"] for code in s["assemblies"]]
    assert sorted(owned) == sorted(ASSEMBLIES)
    assert manifest["engine"]["name"] == "ray" and manifest["n_shards"] == 2
    assert all(s["seconds"] > 0 and s["file_bytes"] > 0 for s in manifest["shards"])


@pytest.mark.slow
def test_shard_files_partition_the_single_index(manifest, single):
    db, _ = single
    con = duckdb.connect(str(db), read_only=True)
    (total,) = con.execute("SELECT count(*) FROM passages").fetchone()
    (single_terms,) = con.execute("SELECT count(*) FROM terms").fetchone()
    con.close()
    counted = 0
    for shard in manifest["shards"]:
        con = duckdb.connect(f"{manifest['dir']}/{shard['file']}", read_only=True)
        (n,) = con.execute("SELECT count(*) FROM passages").fetchone()
        codes = {c for (c,) in con.execute("SELECT DISTINCT assembly_code FROM passages").fetchall()}
        con.close()
        assert n == shard["passages"]
        assert codes == set(shard["assemblies"])
        counted += n
    assert counted == total == manifest["stats"]["passages"]
    assert manifest["stats"]["terms"] == single_terms  # the global dictionary is the union of the shards'


@pytest.mark.slow
@pytest.mark.parametrize("query, assembly", [("待機児童", ["130001"]), ("待機児童", None), ("知事 所信", None)])
def test_federated_statements_match_the_single_index(federated, single, query, assembly):
    _, searcher = single
    filters = Filters(assembly=assembly)
    expected = searcher.search_statements(query, limit=10, filters=filters)
    got = federated.search_statements(query, limit=10, filters=filters)
    assert expected, "the query must match something"
    assert [h.statement_id for h in got] == [h.statement_id for h in expected]
    assert [h.score for h in got] == pytest.approx([h.score for h in expected], rel=1e-6)  # the single index keeps float32 weights
    if assembly:
        assert federated.route(assembly) == [0]
        assert {h.shard for h in got} == {0} and {h.assembly_code for h in got} == set(assembly)


@pytest.mark.slow
def test_federated_search_reaches_every_shard_that_matches(federated):
    hits = federated.search_statements("知事 所信", limit=50)
    assert {h.shard for h in hits} == {0, 1}
    assert {h.assembly_code for h in hits} >= {"130001", "999002"}


@pytest.mark.slow
def test_federated_members_routed_to_their_shard(federated, single):
    _, searcher = single
    filters = Filters(assembly=["130001"])
    expected = searcher.search_members("待機児童", limit=5, filters=filters)
    got = federated.search_members("待機児童", limit=5, filters=filters)
    assert got and {m.shard for m in got} == {0}
    # Same member on top; scores differ a little because the shard's idf is its own.
    assert got[0].member_id == expected[0].member_id
