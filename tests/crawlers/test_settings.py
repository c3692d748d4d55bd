"""Crawl settings: polite defaults, GIKAI_* overrides, CLI options."""

from __future__ import annotations

from pathlib import Path

from crawlers.settings import crawl_settings, env_overrides


def test_polite_defaults():
    s = crawl_settings(environ={})
    assert s.getbool("ROBOTSTXT_OBEY") is True
    assert s.getbool("AUTOTHROTTLE_ENABLED") is True
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert s.getfloat("DOWNLOAD_DELAY") >= 1.0
    assert s.getfloat("DOWNLOAD_DELAY_JITTER") == 0.5
    # Setting the deprecated RANDOMIZE_DOWNLOAD_DELAY put a ScrapyDeprecationWarning in every crawl's log.
    assert s.getpriority("RANDOMIZE_DOWNLOAD_DELAY") == 0
    assert "contact:" in s["USER_AGENT"] and "https://" in s["USER_AGENT"]
    assert s.getbool("HTTPCACHE_ENABLED") is False
    assert s["JOBDIR"] is None
    assert s.getdict("FEEDS") == {}
    assert list(s.getdict("ITEM_PIPELINES")) == [
        "crawlers.pipelines.ValidateRecordPipeline", "crawlers.pipelines.RawStorePipeline"]
    assert s["SCHEDULER"] != "scrapy_redis.scheduler.Scheduler"


def test_env_overrides_are_typed():
    env = {"GIKAI_SCRAPY_DOWNLOAD_DELAY": "0", "GIKAI_SCRAPY_RETRY_HTTP_CODES": "[500, 503]",
           "GIKAI_CONTACT": "ops@example.jp", "HOME": "/root"}
    assert env_overrides(env) == {
        "DOWNLOAD_DELAY": 0, "RETRY_HTTP_CODES": [500, 503],
        "USER_AGENT": "gikai-crawler/0.1 (+https://github.com/gikai-search/gikai; contact: ops@example.jp)",
    }
    s = crawl_settings(environ=env)
    assert s.getfloat("DOWNLOAD_DELAY") == 0
    assert "ops@example.jp" in s["USER_AGENT"]


def test_user_agent_from_env_wins():
    s = crawl_settings(environ={"GIKAI_CONTACT": "a@b", "GIKAI_USER_AGENT": "custom/1.0"})
    assert s["USER_AGENT"] == "custom/1.0"


def test_cli_options(tmp_path):
    s = crawl_settings(
        environ={}, raw_dir=tmp_path / "raw", jobdir=tmp_path / "job", httpcache=True, obey_robots=False,
        redis_url="redis://127.0.0.1:6379/0", redis_key="discussnet_ssp:012025",
    )
    assert s["RAW_DIR"] == str(tmp_path / "raw")
    assert s["JOBDIR"] == str(tmp_path / "job")
    assert s.getbool("HTTPCACHE_ENABLED") is True
    assert s["HTTPCACHE_DIR"] == str(tmp_path / "httpcache")
    assert s.getbool("ROBOTSTXT_OBEY") is False
    assert s["SCHEDULER"] == "scrapy_redis.scheduler.Scheduler"
    assert s["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert s.getbool("SCHEDULER_PERSIST") is True
    assert s["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert s["SCHEDULER_QUEUE_KEY"] == "gikai:discussnet_ssp:012025:requests"


def test_autothrottle_never_starts_below_the_delay():
    s = crawl_settings(environ={"GIKAI_SCRAPY_DOWNLOAD_DELAY": "5"})
    assert s.getfloat("AUTOTHROTTLE_START_DELAY") == 5


def test_raw_dir_from_gikai_raw_dir(tmp_path):
    from crawlers.settings import default_raw_dir

    env = {"GIKAI_RAW_DIR": str(tmp_path / "raw")}
    assert default_raw_dir(env) == tmp_path / "raw"
    assert default_raw_dir({}) == Path("var/raw")
    assert crawl_settings(environ=env)["RAW_DIR"] == str(tmp_path / "raw")
    # --raw-dir still wins.
    assert crawl_settings(raw_dir=tmp_path / "cli", environ=env)["RAW_DIR"] == str(tmp_path / "cli")
