"""/assess and /changes: printable briefings linking every entity to its page, JSON by Accept, 400s."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_assess_html_is_a_briefing_linking_to_id_pages(client):
    response = client.get("/assess?states=RUS,PRK&on=2025-01-01")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "@page { size: A4" in page and "<nav" not in page
    assert '<a href="/id/partnership/russia-dprk">Russia-North Korea alliance' in page
    assert '<a href="/id/scope-condition/russia-dprk-article-4">' in page
    assert "(mutual defence)" in page
    links = re.findall(r'href="([^"]+)"', page)
    assert all(link.startswith(("/id/", "/ontology", "http")) for link in links), [l for l in links if not l.startswith(("/id/", "/ontology", "http"))][:3]
    assert not [link for link in links if link.startswith("https://w3id.org/alliance-kg/id/")]


def test_assess_json_by_accept_follows_the_schema(client):
    response = client.get("/assess?states=RUS,CHN,IRN,PRK&on=2025-01-01", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    report = response.get_json()
    jsonschema.validate(report, json.loads((DOCS / "assess.schema.json").read_text()))
    assert report["on"] == "2025-01-01" and [s["iso3"] for s in report["states"]] == ["RUS", "CHN", "IRN", "PRK"]
    assert any(d["label"] == "Iran to Russia: Shahed drones" for d in report["diffusion"])


def test_changes_json_and_html(client):
    response = client.get("/changes?from=2022-01-01&to=2025-01-01&states=FIN,SWE",
                          headers={"Accept": "application/json"})
    report = response.get_json()
    jsonschema.validate(report, json.loads((DOCS / "changes.schema.json").read_text()))
    assert {(c["date"], c["label"]) for c in report["changes"] if c["kind"] == "member joined"} == {
        ("2023-04-04", "Finland in NATO"), ("2024-03-07", "Sweden in NATO"),
        # their security agreements with Ukraine (data/curated/new-since-2018-security-agreements.ttl)
        ("2024-04-03", "Finland in the Finland-Ukraine security partnership (Agreement on Security Cooperation and Long-Term Support)"),
        ("2024-05-31", "Sweden in the Sweden-Ukraine security partnership (Agreement on Security Cooperation)")}
    page = client.get("/changes?from=2022-01-01&to=2025-01-01").get_data(as_text=True)
    assert '<a href="/id/membership/nato-FIN">Finland in NATO</a>' in page


def test_bad_input_is_a_400_naming_it(client):
    cases = {
        "/assess?states=RUS,ZZZ": "ZZZ",
        "/assess?states=RUS&on=2025-13-01": "on",
        "/assess": "states",
        "/changes?from=2025-01-01&to=2022-01-01": "from",
        "/changes?to=2025-01-01": "from",
        "/changes?from=2022-01-01&to=2025-02-30": "to",
        "/changes?from=yesterday&to=2025-01-01": "from",
    }
    for url, named in cases.items():
        response = client.get(url)
        assert response.status_code == 400, url
        assert named in response.get_data(as_text=True), url


def test_home_and_state_pages_offer_the_reports(client):
    home = client.get("/").get_data(as_text=True)
    assert '<a href="/assess?states=RUS,CHN,IRN,PRK">assess</a>' in home
    assert 'action="/assess"' in home and '<a href="/changes?from=2022-01-01">what changed</a>' in home
    state = client.get("/id/state/FIN", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert '<a href="/assess?states=FIN">' in state and '/changes?from=2022-01-01&amp;states=FIN' in state
    # the link works: without `to`, the report runs to the curation date (else today)
    joined = client.get("/changes?from=2022-01-01&states=FIN", headers={"Accept": "application/json"}).get_json()
    assert any(c["label"] == "Finland in NATO" for c in joined["changes"])
