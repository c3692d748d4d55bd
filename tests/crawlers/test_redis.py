"""Two crawler processes sharing one Redis queue: every page fetched once, every record stored."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from crawlers.rawstore import RawStore

REPO = Path(__file__).resolve().parents[2]
SAAS = REPO / "tests" / "fixtures" / "discussnet-ssp" / "saas"
API = "/dnp/search"

pytestmark = pytest.mark.slow





def test_two_processes_share_the_queue(site, tmp_path, redis_url, hakodate_councils_json, crawl_environ):
    site.add("/tenant/hakodate/js/tenant.js", file=SAAS / "tenant.js")
    site.add(f"{API}/councils/index", hakodate_councils_json, method="POST", content_type="application/json")
    site.add(f"{API}/minutes/get_schedule", file=SAAS / "schedules.json", method="POST", form={"council_id": "1251"})
    site.add(f"{API}/minutes/get_minute", file=SAAS / "minute.json", method="POST")
    raw = tmp_path / "raw"
    # A small delay keeps requests in the shared queue long enough for both processes to take some.
    env = crawl_environ(GIKAI_SCRAPY_DOWNLOAD_DELAY="0.2")
    args = [
        sys.executable, "-m", "crawlers.commands", "crawl", "--assembly", "012025", "--system", "discussnet_ssp",
        "--start-url", site.url("/tenant/hakodate/SpMinuteSearch.html"), "--raw-dir", str(raw), "--redis", redis_url,
    ]
    procs = [subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=90) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]

    fetched = Counter(
        (r.method, r.path, r.form.get("council_id"), r.form.get("schedule_id"))
        for r in site.seen() if r.path != "/robots.txt"
    )
    assert fetched and set(fetched.values()) == {1}, fetched
    assert sum(1 for key in fetched if key[1] == f"{API}/minutes/get_minute") == 7
    assert len(RawStore(raw).latest()) == 7
    stored = sum(int(out.split("stored=")[1].split()[0]) for out, _ in outputs)
    assert stored == 7
