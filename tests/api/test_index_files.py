"""What the server answers when its index file is missing or from another version of the code."""

import shutil

import duckdb
from fastapi.testclient import TestClient

from api.main import create_app
from index.format import FORMAT_VERSION


def test_without_an_index_every_search_is_503_naming_the_file(tmp_path):
    missing = tmp_path / "index.duckdb"
    with TestClient(create_app(missing)) as client:
        for path in ("/healthz", "/v1/members/search?q=待機児童", "/v1/statements/search?q=待機児童"):
            r = client.get(path)
            assert r.status_code == 503, path
            assert r.json()["error"] == f"{missing}: no index; run `gikai build` first"


def test_an_index_of_another_format_is_refused_until_it_is_rebuilt(tmp_path, demo_db):
    old = tmp_path / "index.duckdb"
    shutil.copyfile(demo_db, old)
    con = duckdb.connect(str(old))
    con.execute("UPDATE build_info SET value = '4' WHERE key = 'format'")  # a file of the previous version
    con.close()
    with TestClient(create_app(old)) as client:
        r = client.get("/v1/members/search", params={"q": "待機児童"})
        # Not a 500 on a column the old schema lacks: the file and the remedy are named.
        assert r.status_code == 503
        assert r.json()["error"] == (f"{old}: index built in format 4, this version reads format {FORMAT_VERSION}; "
                                     "run `gikai build` to rebuild it")
        assert client.get("/healthz").status_code == 503
        # A rebuilt file swapped in is served without a restart.
        shutil.copyfile(demo_db, tmp_path / "new.duckdb")
        (tmp_path / "new.duckdb").replace(old)
        r = client.get("/v1/members/search", params={"q": "待機児童"})
        assert r.status_code == 200 and r.json()["data"][0]["name"] == "荒木ちはる"


def test_vectors_of_another_build_of_the_model_are_refused_until_the_index_is_rebuilt(tmp_path, demo_db):
    old = tmp_path / "index.duckdb"
    shutil.copyfile(demo_db, old)
    con = duckdb.connect(str(old))
    # As if built before the model was retrained (or with the plain chiVe model as the default).
    con.execute("UPDATE build_info SET value = '0123456789abcdef' WHERE key = 'embedding_fingerprint'")
    con.close()
    with TestClient(create_app(old)) as client:
        r = client.get("/v1/statements/search", params={"q": "待機児童"})
        # Query vectors of one model against passage vectors of another would rank quietly worse: refuse by name.
        assert r.status_code == 503
        assert r.json()["error"] == (f"{old}: its vectors were made by another build of the embedding model "
                                     "chive-gikai than the one this server loads; run `gikai build` to rebuild it")
        # Member ranking does not use the vectors and goes on.
        assert client.get("/v1/members/search", params={"q": "待機児童"}).status_code == 200
        shutil.copyfile(demo_db, tmp_path / "new.duckdb")
        (tmp_path / "new.duckdb").replace(old)
        r = client.get("/v1/statements/search", params={"q": "待機児童"})
        assert r.status_code == 200 and r.json()["data"]
