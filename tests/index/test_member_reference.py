"""The naive reference and the labels' ceiling, measured the way `gikai eval members --reference` does."""

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from api.cli import app
from index.evaluate import evaluate_members, load_queries
from index.member_reference import member_references
from tests.conftest import ROOT

QUERIES = ROOT / "data/eval/member-queries-dev.jsonl"


@pytest.fixture(scope="module")
def queries():
    return load_queries(QUERIES)


def test_naive_reference_unfiltered_is_the_issues_reference(demo_db, queries):
    # The fixture is the 2020 plenary minutes: the issue's reference (topic 0.759, summary 0.861)
    # was measured like this, without a date filter.
    result = member_references(demo_db, queries, dates="none")
    assert result["reference_speeches"] == 86
    assert result["naive_ndcg@10"] == {"summary": pytest.approx(0.854, abs=0.01), "topic": pytest.approx(0.737, abs=0.01)}
    assert result["ceiling_ndcg@10"] == {"summary": 1.0, "topic": 1.0}


def test_with_the_date_filter_labels_cap_summary_below_the_target(demo_db, queries, searcher):
    result = member_references(demo_db, queries, dates="day")
    ceiling = result["ceiling_ndcg@10"]
    # Grade-1 members of summary queries mostly asked on another day of the session.
    assert ceiling["summary"] == pytest.approx(0.9373, abs=1e-4) and ceiling["summary"] < 0.95
    assert ceiling["topic"] == pytest.approx(0.9797, abs=1e-4)
    ours = evaluate_members(searcher, queries, dates="day")["ndcg@10"]
    assert ours["summary"] <= ceiling["summary"] and ours["topic"] <= ceiling["topic"]
    # On this 2020-only index the naive method is a close competitor under the date filter.
    assert result["naive_ndcg@10"]["summary"] == pytest.approx(0.925, abs=0.01)


def test_on_the_session_day_both_methods_rank_the_same_way_and_ours_leads(demo_db, queries, searcher):
    """The default protocol (index.session_day) applied to the naive method as well: its members of the
    day lead by the same rule, then its members of ±7 days."""
    result = member_references(demo_db, queries)
    assert result["ceiling_ndcg@10"] == {"summary": pytest.approx(0.9929, abs=1e-4),
                                         "topic": pytest.approx(0.995, abs=1e-4)}
    naive = result["naive_ndcg@10"]
    assert naive == {"summary": pytest.approx(0.935, abs=0.01), "topic": pytest.approx(0.918, abs=0.01)}
    ours = evaluate_members(searcher, queries)["ndcg@10"]
    assert ours["summary"] > naive["summary"] and ours["topic"] > naive["topic"]


def test_reference_since_restricts_the_corpus_and_the_cli_prints_it(demo_db):
    later = member_references(demo_db, load_queries(QUERIES)[:5], since=date(2020, 6, 1))
    assert 0 < later["reference_speeches"] < 86 and later["reference_since"] == "2020-06-01"
    out = CliRunner().invoke(app, ["eval", "members", "--db", str(demo_db), "--queries", str(QUERIES),
                                   "--reference", "--json"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert set(body) >= {"ndcg@10", "naive_ndcg@10", "ceiling_ndcg@10", "reference_speeches"}
