"""What the server answers when its index file is missing or from another version of the code."""

import shutil

import duckdb
import pytest
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


def edited_copy(demo_db, tmp_path, sql: str):
    """A copy of the demo index with ``sql`` run on it."""
    old = tmp_path / "index.duckdb"
    shutil.copyfile(demo_db, old)
    con = duckdb.connect(str(old))
    con.execute(sql)
    con.close()
    return old


def swap_in_rebuilt(demo_db, old) -> None:
    """A rebuilt file takes ``old``'s place, as `gikai build` swaps it in."""
    fresh = old.with_name("new.duckdb")
    shutil.copyfile(demo_db, fresh)
    fresh.replace(old)


OUTDATED = {
    # A file of the previous version: not a 500 on a column the old schema lacks.
    "format": ("UPDATE build_info SET value = '4' WHERE key = 'format'", "/v1/members/search",
               "{old}: index built in format 4, this version reads format " + FORMAT_VERSION
               + "; run `gikai build` to rebuild it", None, ("name", "荒木ちはる")),
    # Vectors made before the model was retrained (or by the plain chiVe default): query vectors of one
    # model against passage vectors of another would rank quietly worse. Member ranking does not use them.
    "model": ("UPDATE build_info SET value = '0123456789abcdef' WHERE key = 'embedding_fingerprint'",
              "/v1/statements/search", "{old}: its vectors were made by another build of the embedding model "
              "chive-gikai than the one this server loads; run `gikai build` to rebuild it", "/v1/members/search",
              ("text", "待機児童")),
}


@pytest.mark.parametrize("case", OUTDATED)
def test_an_outdated_index_is_refused_by_name_until_it_is_rebuilt(tmp_path, demo_db, case):
    sql, refused, error, still_served, (field, expected) = OUTDATED[case]
    old = edited_copy(demo_db, tmp_path, sql)
    with TestClient(create_app(old)) as client:
        r = client.get(refused, params={"q": "待機児童"})
        assert r.status_code == 503
        assert r.json()["error"] == error.format(old=old)
        if still_served:
            assert client.get(still_served, params={"q": "待機児童"}).status_code == 200
        else:
            assert client.get("/healthz").status_code == 503
        # A rebuilt file swapped in is served without a restart.
        swap_in_rebuilt(demo_db, old)
        r = client.get(refused, params={"q": "待機児童"})
        assert r.status_code == 200 and expected in r.json()["data"][0][field]
