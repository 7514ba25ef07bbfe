"""Assessments and change reports (graph/assessments.py) on the shipped graph: the paper's cases, states
the paper never discusses, the changes of 2022-2025, and the documented JSON shape."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from service import iris
from service.graph import assessments as A

DOCS = Path(__file__).resolve().parents[2] / "docs"
P = iris.ID + "partnership/"
S = iris.ID + "state/"


@pytest.fixture(scope="module")
def run(store):
    return A.store_runner(store)


def schema(name):
    return json.loads((DOCS / name).read_text(encoding="utf-8"))


def partnership(report, key):
    return next((p for p in report["partnerships"] if p["iri"] == P + key), None)


def test_russia_dprk_is_an_alliance_by_its_mutual_defence_clause(run):
    # data/paper/partnerships.ttl: the 2024 treaty, Article 4; the paper: "only the relationship between
    # Russia and North Korea qualifies as a bona fide alliance".
    report = A.assess(run, ["RUS", "PRK"], "2025-01-01")
    jsonschema.validate(report, schema("assess.schema.json"))
    p = partnership(report, "russia-dprk")
    assert p["alliance"] is True
    assert p["status"] in ("confirmed", "presumed")  # presumed until a lastConfirmed reaches 2025-01-01
    assert [s["iri"] for s in p["scope_conditions"]] == [iris.ID + "scope-condition/russia-dprk-article-4"]
    assert p["scope_conditions"][0]["mutual_defence"] is True
    assert "Article 4" in p["why"]
    assert {m["iri"] for m in p["members"]} == {S + "RUS", S + "PRK"}
    assert {s["iri"] for s in p["sources"]} >= {iris.ID + "source/schmitt-2025-nato"}
    assert p["size_class"] == "bilateral alliance"
    # before the treaty's entry into force (4 December 2024) the partnership is not listed at all
    assert partnership(A.assess(run, ["RUS", "PRK"], "2024-06-18"), "russia-dprk") is None
    assert partnership(A.assess(run, ["RUS", "PRK"], "2024-12-03"), "russia-dprk") is None


def test_russia_china_is_no_alliance_and_keeps_the_hedge(run):
    report = A.assess(run, ["RUS", "CHN"], "2025-01-01")
    p = partnership(report, "russia-china")
    assert p["alliance"] is False and p["scope_conditions"] == []
    assert p["hedge"] == "unless a secret clause between the two countries exists"
    assert "secret clause" in p["why"] and p["why"].startswith("Not an alliance")
    sco = partnership(report, "sco")
    assert sco["alliance"] is False and sco["institutionalisation"] == "standing organisation"


def test_four_states_diffusion_observations_and_gaps(run):
    report = A.assess(run, ["RUS", "CHN", "IRN", "PRK"], "2025-01-01")
    jsonschema.validate(report, schema("assess.schema.json"))
    shahed = next(d for d in report["diffusion"] if d["iri"].endswith("/iran-russia-shahed-drones"))
    assert (shahed["from"]["iri"], shahed["to"]["iri"], shahed["direction"]) == (S + "IRN", S + "RUS", "among")
    assert shahed["items"] == ["Shahed drones"] and shahed["confidence"] == "stated"
    assert shahed["sources"][0]["title"] == "So what? What the emergence of new alliances means for NATO"
    houthis = [d for d in report["diffusion"] if d["to"]["iri"].endswith("/houthis")]
    assert houthis and {d["direction"] for d in houthis} == {"from"}
    questions = {q["label"]: q for i in report["issues"] for q in i["questions"]}
    assert len(report["issues"]) == 2 and len(questions) == 6
    treaties = next(i for q in questions.values() for i in q["indicators"]
                    if i["iri"] == iris.AKG + "DiplomaticVisitsTreatiesIndicator")
    assert any(o["iri"].endswith("/russia-dprk-treaty-2024") and o["date"] == "2024-06-19" for o in treaties["observations"])
    assert treaties["example"].startswith("The signing of the Russia-North Korea comprehensive strategic partnership treaty")
    assert treaties["paper_section"].startswith("What about future alliances?")
    unobserved = {i["iri"] for i in report["unobserved_indicators"]}
    assert iris.AKG + "ConsultationMechanismsIndicator" in unobserved
    assert iris.AKG + "DiplomaticVisitsTreatiesIndicator" not in unobserved
    signals = next(s for s in report["credibility"]["signals"] if s["partnership"] == P + "russia-dprk")
    assert any(s.startswith("treaty:") for s in signals["signals"])
    assert len(report["credibility"]["reliability_estimates"]) == 2


def test_aukus_is_reported_without_a_scope_condition(run):
    report = A.assess(run, ["AUS", "GBR", "USA"], "2025-01-01")
    aukus = partnership(report, "aukus")
    assert aukus is not None and aukus["alliance"] is False and aukus["scope_conditions"] == []
    assert {m["iri"] for m in aukus["members"]} == {S + "AUS", S + "GBR", S + "USA"}
    assert partnership(report, "anzus")["alliance"] is True


def test_the_sahel_says_plainly_what_the_graph_does_not_know(run):
    report = A.assess(run, ["MLI", "BFA", "NER"], "2025-01-01")
    jsonschema.validate(report, schema("assess.schema.json"))
    aes = [p for p in report["partnerships"] if "sahel" in p["iri"] or "Sahel" in p["label"]]
    if not aes:  # the Alliance of Sahel States (2023) is not in the graph: the report must not pretend
        assert not any(p["status"] == "confirmed" for p in report["partnerships"])
        assert any("No source confirms any partnership" in n or "knows of no partnership" in n for n in report["notes"])
    assert "The graph holds no observation of any indicator concerning Mali, Burkina Faso, Niger." in report["notes"]
    assert "The graph records no military diffusion among, to or from Mali, Burkina Faso, Niger." in report["notes"]
    assert len(report["unobserved_indicators"]) == 8  # every indicator of the framework


def test_changes_2022_to_2025(run):
    report = A.changes(run, "2022-01-01", "2025-01-01")
    jsonschema.validate(report, schema("changes.schema.json"))
    seen = {(c["date"], c["kind"], c["iri"]) for c in report["changes"]}
    assert ("2023-04-04", "member joined", iris.ID + "membership/nato-FIN") in seen  # NATO's member page
    assert ("2024-03-07", "member joined", iris.ID + "membership/nato-SWE") in seen
    # formed on the 2024 treaty's entry into force, not its signature of 19 June (ontology/README.md, "Dates")
    assert ("2024-12-04", "partnership formed", P + "russia-dprk") in seen
    assert not any(c[0] == "2024-06-19" and c[2] == P + "russia-dprk" for c in seen)
    # a scope condition is dated by its treaty's entry into force (data/curated/new-since-2018.ttl:
    # Interfax, 5 December 2024, citing KCNA), the signature only where no entry into force is known
    assert ("2024-12-04", "scope condition declared", iris.ID + "scope-condition/russia-dprk-article-4") in seen
    assert any(c[:2] == ("2024-12-04", "member left") for c in seen)  # from the 2000 treaty it replaced
    assert all(c["sources"] and all(s["title"] for s in c["sources"]) for c in report["changes"])
    assert all("2022-01-01" <= c["date"] <= "2025-01-01" for c in report["changes"])
    nordic = A.changes(run, "2022-01-01", "2025-01-01", ["FIN,SWE"])
    # NATO (its member page), and their security agreements with Ukraine of 3 April and 31 May 2024 (Kyiv Independent;
    # Swedish government: data/curated/new-since-2018-security-agreements.ttl)
    assert {c["iri"] for c in nordic["changes"] if c["kind"] == "member joined"} == {
        iris.ID + "membership/nato-FIN", iris.ID + "membership/nato-SWE",
        iris.ID + "membership/finland-ukraine-FIN", iris.ID + "membership/sweden-ukraine-SWE"}


@pytest.mark.parametrize("call, field", [
    (lambda run: A.assess(run, ["RUS", "XYZ"]), "states"),
    (lambda run: A.assess(run, ["RUS"], "2025-02-30"), "on"),
    (lambda run: A.assess(run, []), "states"),
    (lambda run: A.changes(run, "2025-01-01", "2022-01-01"), "from"),
    (lambda run: A.changes(run, "2022-01-01", "soon"), "to"),
])
def test_bad_input_names_the_parameter(run, call, field):
    with pytest.raises(A.AssessmentError) as caught:
        call(run)
    assert caught.value.field == field and field in str(caught.value)


def test_default_date_is_the_curation_date_or_today(run):
    import datetime as dt
    states, curated = A.resolve_states(run, ["RUS"])
    report = A.assess(run, ["RUS"])
    assert report["on"] == (curated or dt.date.today().isoformat())


def test_cli_assess_and_changes(shipped, monkeypatch):
    from click.testing import CliRunner

    from service import cli
    monkeypatch.setattr(cli, "_build", lambda: shipped)
    runner = CliRunner()
    text = runner.invoke(cli.main, ["assess", "RUS", "PRK", "--on", "2025-01-01"])
    assert text.exit_code == 0, text.output
    assert "Russia-North Korea alliance (Comprehensive Strategic Partnership) [confirmed] ALLIANCE" in text.output  # the paper's record, confirmed to 2025-01-17
    markdown = runner.invoke(cli.main, ["assess", "RUS", "CHN", "--on", "2025-01-01", "--format", "markdown"])
    assert "[Russia-China strategic partnership](https://w3id.org/alliance-kg/id/partnership/russia-china)" in markdown.output
    as_json = runner.invoke(cli.main, ["changes", "--from", "2022-01-01", "--to", "2025-01-01", "--states", "FIN",
                                       "--states", "SWE", "--format", "json"])
    jsonschema.validate(json.loads(as_json.output), schema("changes.schema.json"))
    bad = runner.invoke(cli.main, ["assess", "RUS", "QQQ"])
    assert bad.exit_code == 2 and "unknown state code QQQ" in bad.output
    bad = runner.invoke(cli.main, ["changes", "--from", "2025-01-01", "--to", "2024-01-01"])
    assert bad.exit_code == 2 and "is after to" in bad.output


def test_status_reads_last_confirmed_where_the_data_carry_it():
    """The same queries once issue 12's akg:lastConfirmed is in the data: confirmed up to it, presumed
    after it (and with none at all), ended at an end, "not yet" before a member joins."""
    from service.store.oxigraph import OxigraphStore
    store = OxigraphStore()
    store.update("""
        PREFIX akg: <https://w3id.org/alliance-kg/ontology#>  PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>  PREFIX id: <https://w3id.org/alliance-kg/id/>
        INSERT DATA {
          <https://w3id.org/alliance-kg/id/partnership/p> a akg:SecurityPartnership ; rdfs:label "P" ;
              akg:startDate "2020-01-01"^^xsd:date ; akg:hasMembership <urn:m:a>, <urn:m:b>, <urn:m:c>, <urn:m:d> ;
              akg:hasMember <urn:s:A>, <urn:s:B>, <urn:s:C>, <urn:s:D> .
          <urn:m:a> akg:member <urn:s:A> ; akg:startDate "2020-01-01"^^xsd:date ; akg:lastConfirmed "2025-01-01"^^xsd:date .
          <urn:m:b> akg:member <urn:s:B> ; akg:startDate "2020-01-01"^^xsd:date .
          <urn:m:c> akg:member <urn:s:C> ; akg:startDate "2020-01-01"^^xsd:date ; akg:endDate "2023-01-01"^^xsd:date .
          <urn:m:d> akg:member <urn:s:D> ; akg:startDate "2024-06-01"^^xsd:date .
          <urn:s:A> rdfs:label "A" . <urn:s:B> rdfs:label "B" . <urn:s:C> rdfs:label "C" . <urn:s:D> rdfs:label "D" .
        }""")
    run = A.store_runner(store)

    def statuses(day):
        text = A.saved_query("assess-partnerships", state="<urn:s:A> <urn:s:B> <urn:s:C> <urn:s:D>",
                             date=f'"{day}"^^xsd:date')
        return {r["memberLabel"]: r["memberStatus"] for r in run(text)}

    assert statuses("2024-01-01") == {"A": "confirmed", "B": "presumed", "C": "ended", "D": "not yet"}
    assert statuses("2025-06-01") == {"A": "presumed", "B": "presumed", "C": "ended", "D": "presumed"}
