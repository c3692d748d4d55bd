"""CLI commands through typer's test runner (crawls themselves run in test_spider_*.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from crawlers.commands import register
from tests.crawlers.conftest import REPO, crawl_env

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAAS = FIXTURES / "discussnet-ssp" / "saas"


@pytest.fixture(scope="module")
def app():
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def cli(app):
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_sources_json(cli):
    result = cli("sources", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["assemblies"] == 1794
    assert data["by_system"]["discussnet_ssp"]["blocked"] == 531
    assert sum(data["by_system"]["total"].values()) == 1794


def test_sources_table(cli):
    result = cli("sources")
    assert result.exit_code == 0, result.output
    assert "discussnet_ssp" in result.output and "531" in result.output


def test_parse_minute_json(cli):
    result = cli("parse", "--system", "discussnet_ssp", str(SAAS / "minute.json"), "--json")
    assert result.exit_code == 0, result.output
    page = json.loads(result.output.splitlines()[0])
    assert page["kind"] == "minutes"
    assert page["date"] == "2024-02-22"
    assert len(page["speeches"]) == 20
    assert page["speeches"][0]["speaker"] == "議長（吉田崇仁）"
    assert set(page) == {"kind", "meetings", "speeches", "date", "title"}


def test_parse_several_files_one_line_each(cli):
    files = [SAAS / "tenant.js", SAAS / "schedules.json", FIXTURES / "kokkai" / "meeting-page2.json"]
    result = cli("parse", "--system", "discussnet_ssp", *map(str, files[:2]), "--json")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["kind"] for line in result.output.splitlines()] == ["other", "meeting_list"]


def test_parse_bad_file_is_named_and_others_still_parsed(cli, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"tenant_minutes": [', encoding="utf-8")
    result = cli("parse", "--system", "discussnet_ssp", str(broken), str(SAAS / "minute.json"), "--json")
    assert result.exit_code == 1
    assert f"error: {broken}: JSONDecodeError" in result.output
    assert '"kind": "minutes"' in result.output


def test_parse_missing_file(cli, tmp_path):
    result = cli("parse", "--system", "kokkai", str(tmp_path / "nope.json"))
    assert result.exit_code == 1
    assert "nope.json" in result.output


def test_parse_unknown_system_is_a_usage_error(cli):
    result = cli("parse", "--system", "nosuch", str(SAAS / "minute.json"))
    assert result.exit_code == 2


def test_parse_tokyo_human_readable(cli):
    page = FIXTURES / "tokyo_gikai" / "record" / "proceedings" / "2020-1" / "02.html"
    result = cli("parse", "--system", "tokyo_gikai", str(page), "--url",
                 "https://www.gikai.metro.tokyo.lg.jp/record/proceedings/2020-1/02.html")
    assert result.exit_code == 0, result.output
    assert "minutes, 0 meetings, 6 speeches, date 2020-02-26" in result.output


def test_crawl_unknown_assembly_exit_2(cli):
    result = cli("crawl", "--assembly", "999999")
    assert result.exit_code == 2
    assert "unknown assembly code '999999'" in result.output


def test_crawl_unsupported_assembly_exit_2(cli):
    result = cli("crawl", "--assembly", "012033")  # 小樽市: local-politics.jp, no spider
    assert result.exit_code == 2
    assert "012033" in result.output and "no spider" in result.output


def test_crawl_bad_since_exit_2(cli):
    result = cli("crawl", "--assembly", "012025", "--since", "2024-13-01")
    assert result.exit_code == 2
    assert "--since '2024-13-01'" in result.output


def test_crawl_unknown_system_exit_2(cli):
    result = cli("crawl", "--assembly", "012025", "--system", "nosuch")
    assert result.exit_code == 2


@pytest.mark.parametrize("url", ["notaurl", "ftp://example.jp/voices/", "http://[::1/x", "/voices/g08v_search.asp"])
def test_crawl_bad_start_url_exit_2(cli, url):
    # Before: exit 0 and "fetched=0 stored=0 …", the cause only in Scrapy's log.
    result = cli("crawl", "--assembly", "082201", "--system", "voices", "--start-url", url)
    assert result.exit_code == 2
    assert f"--start-url {url!r}: expected an http:// or https:// URL" in result.output


def test_crawl_members_bad_urls_exit_2(cli):
    result = cli("crawl-members", "--assembly", "130001", "--start-url", "membership.html")
    assert result.exit_code == 2
    assert "--start-url 'membership.html'" in result.output
    result = cli("crawl-members", "--assembly", "130001", "--blog-url", "blog", "--member", "増子ひろき")
    assert result.exit_code == 2
    assert "--blog-url 'blog'" in result.output


def test_spider_that_cannot_start_is_a_crawl_error(tmp_path):
    """The library path (no CLI check): a start URL the spider cannot request fails the crawl, naming it."""
    code = (
        "from crawlers.runner import CrawlError, CrawlTarget, run_crawl\n"
        "try:\n"
        f"    run_crawl(CrawlTarget('082201', 'voices', 'notaurl', 'direct'), raw_dir={str(tmp_path / 'raw')!r})\n"
        "except CrawlError as exc:\n"
        "    print('CrawlError:', exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=crawl_env(), capture_output=True, text=True,
                            timeout=60)
    assert "CrawlError: crawl of 082201 (notaurl) could not start" in result.stdout, result.stderr[-2000:]
    assert "Missing scheme in request url: notaurl/cgi/voiweb.exe" in result.stderr


@pytest.mark.parametrize("command", ["crawl", "crawl-members"])
def test_help_names_the_raw_dir_default(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "$GIKAI_RAW_DIR" in result.output  # a "[default: …]" help text is eaten by rich markup
