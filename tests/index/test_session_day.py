"""A session day (`on=`): who raised a need that day lead, then the members of the days around it."""

from datetime import date

import pytest

from index.search import Filters
from index.session_day import MAX_AROUND_DAYS, SessionDay, lead_then_window

FEB26 = date(2020, 2, 26)


def test_the_days_questioners_lead_with_that_days_evidence_then_the_session_follows(searcher):
    ranked = searcher.search_members("子育て支援", limit=10, session_day=SessionDay(FEB26))
    names = [m.name for m in ranked]
    # On the 26th only 増子ひろき and 東村邦浩 take 子育て支援 up; 鈴木章浩 touches it at 1.7 against 5.9.
    day_only = searcher.search_members("子育て支援", limit=10, filters=Filters(since=FEB26, until=FEB26))
    assert [(m.name, round(m.score, 2)) for m in day_only] == [("増子ひろき", 5.86), ("東村邦浩", 5.14), ("鈴木章浩", 1.72)]
    assert names[:2] == ["増子ひろき", "東村邦浩"]
    assert [m.led_on for m in ranked[:2]] == [FEB26, FEB26]
    assert all(e.date == FEB26 for m in ranked[:2] for e in m.evidence)
    # Then the members of ±7 days by their score over those days: 森澤恭子 asked on the 28th (the dev
    # labels grade her 2 for 子育て支援 in this session); a day-only search never shows her.
    assert names[2] == "森澤恭子" and "森澤恭子" not in {m.name for m in day_only}
    rest = ranked[2:]
    assert all(m.led_on is None for m in rest) and len(ranked) == 10
    assert all(date(2020, 2, 19) <= e.date <= date(2020, 3, 4) for m in rest for e in m.evidence)
    assert [m.score for m in rest] == sorted((m.score for m in rest), reverse=True)


def test_pages_of_a_session_day_search_join_up(searcher):
    day = SessionDay(FEB26)
    whole = [m.member_id for m in searcher.search_members("子育て支援", limit=10, session_day=day, evidence=0)]
    pages = [m.member_id for m in searcher.search_members("子育て支援", limit=4, session_day=day, evidence=0)] + \
            [m.member_id for m in searcher.search_members("子育て支援", limit=6, offset=4, session_day=day, evidence=0)]
    assert pages == whole


def test_around_zero_is_the_day_alone_with_its_questioners_marked(searcher):
    ranked = searcher.search_members("子育て支援", limit=10, session_day=SessionDay(FEB26, around=0))
    assert [m.name for m in ranked] == ["増子ひろき", "東村邦浩", "鈴木章浩"]
    assert [m.led_on for m in ranked] == [FEB26, FEB26, None]


def test_lead_then_window_merges_by_key():
    day = [("a", 10.0), ("b", 6.0), ("c", 4.0)]
    window = [("d", 12.0), ("c", 9.0), ("a", 8.0), ("e", 1.0)]
    merged, leaders = lead_then_window(day, window, key=lambda x: x[0], score=lambda x: x[1])
    assert leaders == 2  # b has 0.6 of the best, c only 0.4
    assert merged == [("a", 10.0), ("b", 6.0), ("d", 12.0), ("c", 9.0), ("e", 1.0)]
    assert lead_then_window([], window, key=lambda x: x[0], score=lambda x: x[1]) == (window, 0)
    # Nobody leads on a day where nothing scores above zero.
    assert lead_then_window([("a", 0.0)], window, key=lambda x: x[0], score=lambda x: x[1]) == (window, 0)


@pytest.mark.parametrize("around", [-1, MAX_AROUND_DAYS + 1])
def test_around_out_of_range_is_refused(around):
    with pytest.raises(ValueError, match="around"):
        SessionDay(FEB26, around=around)


def test_the_window_keeps_the_other_filters():
    filters = SessionDay(FEB26, around=3).window(Filters(assembly=["130001"], member_id="x"))
    assert filters == Filters(assembly=["130001"], since=date(2020, 2, 23), until=date(2020, 2, 29), member_id="x")  # 2020 is a leap year


def test_the_window_stops_at_the_first_and_last_dates(searcher):
    assert SessionDay(date.min).window(Filters()) == Filters(since=date.min, until=date(1, 1, 8))
    assert SessionDay(date.max, around=90).window(Filters()).until == date.max
    assert searcher.search_members("子育て支援", session_day=SessionDay(date.min)) == []


def test_eval_reproduces_the_rule_with_other_settings(demo_db):
    """`gikai eval members --lead-share/--around` measure the variants the module's docstring lists."""
    import json

    from typer.testing import CliRunner

    from api.cli import app

    def run(*extra: str) -> dict:
        out = CliRunner().invoke(app, ["eval", "members", "--db", str(demo_db), "--json", *extra])
        assert out.exit_code == 0, out.output
        return json.loads(out.stdout)

    default, everyone = run(), run("--lead-share", "0", "--around", "7")
    assert (default["around_days"], default["lead_share"]) == (7, 0.5)
    assert everyone["lead_share"] == 0.0
    # Every member of the day first puts that day's passing mentions above the session's questioners.
    assert everyone["ndcg@10"]["summary"] < default["ndcg@10"]["summary"]
    assert CliRunner().invoke(app, ["eval", "members", "--db", str(demo_db), "--lead-share", "2"]).exit_code == 2
