"""Roster and blog crawl → build with the demo minutes → member API, ranking and topics (issue: members beyond the minutes)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from index.build import member_id

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crawled_index(crawled_members_index):
    return crawled_members_index


def test_build_links_roster_members_and_posts_to_minutes_speakers(crawled_index):
    _, summary = crawled_index
    assert summary.posts == 6 and summary.posts_unlinked == []


def test_a_build_that_changes_nothing_reports_the_same_posts(crawled_index):
    from index.build import build_index

    db, _ = crawled_index
    again = build_index(db.parent / "raw", db, workers=1)
    assert again.mode == "unchanged" and (again.posts, again.posts_unlinked) == (6, [])


def test_blog_posts_are_not_counted_as_meetings_of_the_assembly(crawled_index):
    db, _ = crawled_index
    with TestClient(create_app(db)) as client:
        (assembly,) = client.get("/v1/assemblies").json()["data"]
    # The 8 plenary days of 2020 (the 6 blog posts, Feb–Mar 2020, are not meetings).
    assert (assembly["meetings"], assembly["first_date"], assembly["last_date"]) == (8, "2020-02-19", "2020-06-03")


def test_member_record_has_committees_links_and_posts(crawled_index):
    db, _ = crawled_index
    with TestClient(create_app(db)) as client:
        member = client.get(f"/v1/members/{member_id('130001', '森沢恭子')}").json()
    # The minutes speaker, enriched: two questions in the 2020 plenary minutes (the third, in an
    # extraordinary session, is not in this raw store).
    assert member["name"] == "森澤恭子" and member["n_questions"] == 2
    assert member["committees"] and member["party"]
    assert set(member["links"]) & {"blog", "site"}
    titles = {p["title"] for p in member["latest_posts"]}
    assert len(titles) == 2
    assert all(p["url"].startswith("http://localhost") for p in member["latest_posts"])
    assert member["affiliations"] and member["affiliations"][0]["source_url"].startswith("http://127.0.0.1")


def test_posts_are_separate_labelled_evidence_in_search_and_match(crawled_index):
    db, _ = crawled_index
    with TestClient(create_app(db)) as client:
        hits = client.get("/v1/members/search", params={"q": "保育士の確保", "limit": 100}).json()["data"]
        match = client.post("/v1/match", json={"description": "保育士の確保と保育園の待機児童対策", "limit": 100}).json()["data"]
        statements = client.get("/v1/statements/search", params={"q": "保育士の確保", "limit": 50}).json()["data"]
    morisawa = next(m for m in hits if m["name"] == "森澤恭子")
    assert morisawa["parts"]["posts"] == pytest.approx(0.2103, abs=1e-4)
    assert len(morisawa["posts"]) == 1 and morisawa["posts"][0]["role_kind"] == "post"
    assert "保育園の待機児童対策" in (morisawa["posts"][0]["heading"] or "")
    assert all(e["role_kind"] == "member" for e in morisawa["evidence"])  # never mistaken for assembly speech
    assert any(m["posts"] for m in match)
    assert all(s["role_kind"] != "post" for s in statements)  # statement search is the minutes only


def test_topic_profile_combines_assembly_and_posts(crawled_index):
    db, _ = crawled_index
    with TestClient(create_app(db)) as client:
        rows = client.get(f"/v1/members/{member_id('130001', '森沢恭子')}/topics").json()["data"]
    assert {r["source"] for r in rows} == {"assembly", "posts"}
