import pytest

SANGO = "産後ケアの予約と空き状況をオンラインで確認できるサービス。出産後の母親の孤立を防ぐ"


def test_match_sango_care_returns_members_with_sango_evidence(client):
    r = client.post("/v1/match", json={"description": SANGO, "limit": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "maternal.postpartum_care" in {t["topic_id"] for t in body["topics"]} or any(
        t["label"] == "産後ケア" for t in body["topics"])
    first = body["data"][0]
    assert any("産後" in (e["heading"] or "") + e["text"] for e in first["evidence"])
    assert any(t["label"] == "産後ケア" for t in first["matched_topics"])
    assert first["reason"].startswith("産後ケア") and first["reason"].endswith("。")
    assert all(e["source_url"].startswith("https://www.gikai.metro.tokyo.jp/") for e in first["evidence"])


def test_match_respects_filters(client):
    r = client.post("/v1/match", json={"description": SANGO, "since": "2020-02-27", "until": "2020-02-28"})
    assert r.status_code == 200
    for m in r.json()["data"]:
        assert all("2020-02-27" <= e["date"] <= "2020-02-28" for e in m["evidence"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"description": ""}, "description"),
        ({"description": "   "}, "description: must not be empty"),
        ({"description": "あ" * 2001}, "description"),
        ({"description": "保育", "assemblies": ["13"]}, "assemblies"),
        ({"description": "保育", "since": "2020-03-01", "until": "2020-02-01"}, "is after until"),
        ({"description": "保育", "limit": 0}, "limit"),
        ({}, "description"),
    ],
)
def test_match_bad_input_is_422(client, body, message):
    r = client.post("/v1/match", json=body)
    assert r.status_code == 422, r.text
    assert message in r.json()["error"]


def test_match_malformed_json_is_422(client):
    r = client.post("/v1/match", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
