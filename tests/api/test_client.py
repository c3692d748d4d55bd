"""`gikai search|match --url`: the CLI asks a running server and prints what it prints from the index."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.deps import current_settings
from api.main import create_app
from api.settings import Settings
from api.state import StateDB
from tests.api.conftest import _free_port, serve_app

runner = CliRunner()

ASKS = [
    ["search", "待機児童", "--limit", "3"],
    ["search", "待機児童", "--statements", "--limit", "4"],
    ["search", "保育", "--assembly", "130001", "--since", "2020-02-27", "--until", "2020-02-27"],
    ["match", "産後ケアの予約と空き状況をオンラインで確認できるサービス", "--limit", "3"],
    ["search", "子育て支援", "--on", "2020-02-26", "--limit", "4"],
    ["match", "子育て支援", "--on", "2020-02-26", "--around", "2", "--limit", "4"],
    ["search", "待機児童", "--party", "共産", "--limit", "5"],
    ["match", "子育て支援", "--on", "2020-02-26", "--party", "都民ファースト", "--limit", "3"],
]


@pytest.mark.parametrize("args", ASKS, ids=lambda a: " ".join(a[:2]))
def test_remote_answers_equal_local_ones(demo_db, server, args):
    local = runner.invoke(cli, [*args, "--json", "--db", str(demo_db)])
    remote = runner.invoke(cli, [*args, "--json", "--url", server])
    assert local.exit_code == 0 and remote.exit_code == 0, remote.output
    assert json.loads(remote.stdout) == json.loads(local.stdout)
    assert json.loads(remote.stdout)["data"]  # every ask above has answers on the demo index
    assert json.loads(remote.stdout)["terms"]  # the words to mark, as the API gives them


def test_remote_table_names_the_members_and_reasons(server):
    r = runner.invoke(cli, ["match", "産後ケアの予約をオンラインで", "--limit", "2", "--url", server])
    assert r.exit_code == 0, r.output
    assert "トピック: 産後ケア" in r.stdout
    assert "1. 森澤恭子: 産後ケアについて1回の会議で1件の発言" in r.stdout


def _cells(table: str) -> list[list[str]]:
    """A rich table's rows as the text of each cell, its folded lines joined."""
    rows: list[list[str]] = []
    current: list[str] | None = None
    for line in table.splitlines():
        if line.startswith("│"):
            parts = [p.strip() for p in line.strip("│").split("│")]
            if current is None:
                current = [""] * len(parts)
            current = [c + p for c, p in zip(current, parts, strict=True)]
        elif current is not None:  # a rule between rows, or the bottom edge
            rows.append(current)
            current = None
    return rows


@pytest.mark.parametrize("where", ["--db", "--url"])
def test_statement_table_shows_whole_quotes_and_urls(demo_db, server, where):
    """Japanese has no spaces to wrap at: rich cut each quote and URL to one line and … (80 columns here)."""
    ask = ["search", "子どもの居場所", "--statements", "--limit", "3"]
    r = runner.invoke(cli, [*ask, where, str(demo_db) if where == "--db" else server])
    assert r.exit_code == 0, r.output
    hits = json.loads(runner.invoke(cli, [*ask, "--json", "--db", str(demo_db)]).stdout)["data"]
    rows = _cells(r.stdout)
    assert len(rows) == len(hits) == 3
    for (_, _, cited, quote), hit in zip(rows, hits, strict=True):
        assert cited.endswith(hit["source_url"])
        # (spaces where a folded line ended are lost with the border: compare without them)
        assert len(quote) > 60 and quote.lstrip("…").rstrip("…").replace(" ", "") in "".join(hit["text"].split())
        assert "子供" in quote or "居場所" in quote


def test_member_table_quotes_around_the_matched_words(demo_db):
    r = runner.invoke(cli, ["search", "子どもの居場所", "--limit", "2", "--db", str(demo_db)])
    assert r.exit_code == 0, r.output
    hits = json.loads(runner.invoke(cli, ["search", "子どもの居場所", "--limit", "2", "--json", "--db",
                                          str(demo_db)]).stdout)["data"]
    for row, hit in zip(_cells(r.stdout), hits, strict=True):
        evidence = row[4]
        for e in hit["evidence"][:2]:
            assert e["source_url"] in evidence
        assert "居場所" in evidence

@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "  "], "GET {url}/v1/members/search: 422 q: must not be empty"),
        (["search", "保育", "--since", "2021-01-01", "--until", "2020-01-01"],
         "GET {url}/v1/members/search: 422 since (2021-01-01) is after until (2020-01-01)"),
        (["match", "a" * 3000], "POST {url}/v1/match: 422 description: 3000 characters; at most 2000 are accepted"),
        (["search", "保育\udcff"], "query: malformed Unicode (unpaired surrogate)"),
        (["search", "保育", "--on", "2020-02-26", "--since", "2020-02-01"],
         "GET {url}/v1/members/search: 422 on: cannot be combined with since/until; on searches the days around it "
         "(around, 7 by default)"),
    ],
)
def test_remote_errors_carry_the_servers_message(server, args, message):
    r = runner.invoke(cli, [*args, "--url", server])
    assert r.exit_code == 2
    assert " ".join(r.stderr.split()) == "error: " + message.format(url=server)


def test_session_day_locally(demo_db):
    r = runner.invoke(cli, ["search", "子育て支援", "--on", "2020-02-26", "--limit", "3", "--db", str(demo_db)])
    assert r.exit_code == 0, r.output
    names = [row[1] for row in _cells(r.stdout)]
    assert names == ["増子ひろき(02/26 に発言)", "東村邦浩(02/26 に発言)", "森澤恭子"]
    bad = runner.invoke(cli, ["search", "保育", "--on", "2020-02-26", "--until", "2020-03-01", "--db", str(demo_db)])
    assert bad.exit_code == 2
    assert " ".join(bad.stderr.split()).startswith("error: on: cannot be combined with since/until")
    assert runner.invoke(cli, ["search", "保育", "--on", "26/2/2020", "--db", str(demo_db)]).exit_code == 2
    statements = runner.invoke(cli, ["search", "保育", "--statements", "--on", "2020-02-26", "--db", str(demo_db)])
    assert statements.exit_code == 2 and "--on/--around/--party rank members" in " ".join(statements.stderr.split())


def test_party_locally(demo_db):
    r = runner.invoke(cli, ["search", "待機児童", "--party", "共産", "--limit", "3", "--json", "--db", str(demo_db)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)["data"]
    assert [m["name"] for m in data[:2]] == ["和泉なおみ", "曽根はじめ"]
    assert {m["party"] for m in data} == {"日本共産党都議団"}
    blank = runner.invoke(cli, ["search", "保育", "--party", " ", "--db", str(demo_db)])
    assert blank.exit_code == 2 and " ".join(blank.stderr.split()) == "error: party: must not be empty"


def test_unreachable_server_is_named():
    url = f"http://127.0.0.1:{_free_port()}"
    r = runner.invoke(cli, ["search", "保育", "--url", url])
    assert r.exit_code == 2
    assert " ".join(r.stderr.split()).startswith(f"error: cannot reach {url}/v1/members/search:")


def test_api_key_from_the_environment(demo_db, tmp_path):
    state = tmp_path / "state.sqlite3"
    key, _ = StateDB(state).create_key("analyst")
    app = create_app(demo_db)
    settings = Settings(state_path=state, demo_mode=False)
    app.dependency_overrides[current_settings] = lambda: settings
    with serve_app(demo_db, app=app) as url:
        refused = runner.invoke(cli, ["search", "保育", "--url", url])
        allowed = runner.invoke(cli, ["search", "保育", "--url", url, "--json"], env={"GIKAI_API_KEY": key})
    assert refused.exit_code == 2 and "401 an API key is required" in " ".join(refused.stderr.split())
    assert allowed.exit_code == 0 and json.loads(allowed.stdout)["data"]
