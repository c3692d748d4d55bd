"""Registry: systems detected from URLs, robots.txt status and permissions per assembly."""

from __future__ import annotations

import pytest

from crawlers.registry import (
    Assembly,
    Registry,
    RobotsRule,
    UnknownAssemblyError,
    default_registry,
    detect_system,
    load_registry,
    read_permissions,
)


@pytest.mark.parametrize(
    "url, system",
    [
        ("https://ssp.kaigiroku.net/tenant/hakodate/SpMinuteSearch.html", "discussnet_ssp"),
        ("http://giji.city.yokohama.lg.jp/tenant/yokohama/MinuteSearch.html?tab=detail", "discussnet_ssp"),
        ("https://smart.discussvision.net/smart/tenant/kahoku/WebView/rd/council_1.html", "unsupported"),
        ("http://www.city.chiyoda.tokyo.dbsr.jp/index.php/1263831?Template=search-phrase", "dbsearch"),
        ("http://sapporo.gijiroku.com/voices/g07v_search.asp", "voices"),
        ("https://toda.gijiroku.com/", "voices"),
        ("https://www.city.example.jp/VOICES/index.html", "voices"),
        ("https://www.kensakusystem.jp/katsushika/index.html", "kensakusystem"),
        ("https://www.record.gikai.metro.tokyo.lg.jp/", "tokyo_gikai"),
        ("https://www.gikai.metro.tokyo.jp/record/proceedings/2020-1/02.html", "tokyo_gikai"),
        ("https://kokkai.ndl.go.jp/api/meeting", "kokkai"),
        ("http://local-politics.jp/otaru/#/hatsugen", "unsupported"),
        ("", "unsupported"),
    ],
)
def test_detect_system(url, system):
    assert detect_system(url) == system


def test_registry_has_every_municipality_and_the_diet():
    reg = default_registry()
    assert len(reg.municipalities()) == 1794
    assert reg.get("000001").name == "衆議院"
    assert reg.get("000002").system == "kokkai"


def test_hakodate():
    reg = default_registry()
    hakodate = reg.get("012025")
    assert (hakodate.name, hakodate.prefecture, hakodate.system) == ("函館市議会", "北海道", "discussnet_ssp")
    assert reg.status(hakodate) == "blocked"
    assert reg.blocking_rule(hakodate).disallow == "/dnp/"


def test_prefecture_name():
    assert default_registry().get("130001").name == "東京都議会"


def test_self_hosted_discussnet_is_not_blocked_by_the_saas_robots():
    reg = default_registry()
    assert reg.status(reg.get("141003")) == "reachable"


@pytest.mark.parametrize(
    "code, name, system",
    [
        # Self-hosted installations, on the municipality's own host.
        ("131091", "品川区議会", "dbsearch"),        # kaigiroku.city.shinagawa.tokyo.jp/index.php/…?Template=search-phrase
        ("131113", "大田区議会", "voices"),          # www.gikai-ota-tokyo.jp/ota/g08v_search.asp
        ("282219", "丹波篠山市議会", "kensakusystem"),  # kensaku.sasayama.jp/cgi-bin3/Search2.exe?Code=…
    ],
)
def test_self_hosted_systems_are_recognised(code, name, system):
    reg = default_registry()
    assembly = reg.get(code)
    assert (assembly.name, assembly.system, reg.status(assembly)) == (name, system, "reachable")


def test_self_hosted_voices_cgi_is_beside_its_search_page():
    from crawlers.parsers.voices import cgi_url

    ota = default_registry().get("131113")
    assert cgi_url(ota.url) == "http://www.gikai-ota-tokyo.jp/ota/cgi/voiweb.exe"


def test_unknown_code_names_it():
    with pytest.raises(UnknownAssemblyError, match="unknown assembly code '999999'"):
        default_registry().get("999999")


def test_summary_counts_all_assemblies():
    summary = default_registry().summary()
    assert sum(summary["total"].values()) == 1794
    assert summary["discussnet_ssp"] == {"reachable": 1, "blocked": 531, "permitted": 0, "unsupported": 0}
    assert summary["dbsearch"]["reachable"] == 166
    assert summary["voices"]["reachable"] == 84
    assert summary["kensakusystem"]["reachable"] == 143
    assert summary["total"] == {"reachable": 395, "blocked": 531, "permitted": 0, "unsupported": 868}
    assert summary["unsupported"]["unsupported"] == summary["total"]["unsupported"]


def test_permission_turns_blocked_into_permitted(tmp_path):
    permissions = tmp_path / "permissions.yaml"
    permissions.write_text('"012025": "agreement with 函館市議会事務局, 2025-01-15"\n', encoding="utf-8")
    reg = load_registry(permissions_path=permissions)
    assert reg.status(reg.get("012025")) == "permitted"
    assert reg.summary()["discussnet_ssp"]["permitted"] == 1


def test_bad_permission_file_names_the_entry(tmp_path):
    permissions = tmp_path / "permissions.yaml"
    permissions.write_text('"12A": "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad entry"):
        read_permissions(permissions)


def test_wildcard_robots_rule_blocks_voices_cgi():
    voices = Assembly("011002", "北海道", "札幌市", "http://sapporo.gijiroku.com/voices/g07v_search.asp", system="voices")
    reg = Registry([voices], [RobotsRule("*.gijiroku.com", "/voices/cgi/")])
    assert reg.status(voices) == "blocked"
    assert Registry([voices], [RobotsRule("*.gijiroku.com", "/private/")]).status(voices) == "reachable"
