"""Assessments and change reports: the paper's framework filled in for a set of states on a date, and
what changed between two dates. Every fact comes from a saved query in queries/ (the SPARQL an analyst
can read and send to /sparql), with the states and dates injected into its VALUES clauses; this module
only arranges the answers. JSON shapes: docs/assess.schema.json, docs/changes.schema.json."""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable

from service.config import PROJECT_ROOT
from service.iris import AKG, ID

QUERIES_DIR = PROJECT_ROOT / "queries"
STATE = ID + "state/"
Runner = Callable[[str], list[dict]]  # SPARQL SELECT text -> solutions as {variable: lexical value}


class AssessmentError(ValueError):
    """Bad input, naming the parameter at fault (`field`)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def store_runner(store) -> Runner:
    """Run saved queries on a Store (the CLI's in-process graph)."""
    return lambda text: [{k: v.value for k, v in row.items()} for row in store.query(text).rows()]


def saved_query(name: str, **values: str) -> str:
    """The text of queries/NAME.rq with each `VALUES ?var { ... }` (every occurrence) replaced."""
    text = (QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")
    for variable, value in values.items():
        pattern = re.compile(r"VALUES \?" + variable + r" \{[^}]*\}")
        if not pattern.search(text):
            raise LookupError(f"queries/{name}.rq has no VALUES ?{variable} clause")
        text = pattern.sub(lambda _m: f"VALUES ?{variable} {{ {value} }}", text)
    return text


def parse_date(value, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise AssessmentError(field, f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None


def _date_literal(day: dt.date) -> str:
    return f'"{day.isoformat()}"^^xsd:date'


def parse_codes(codes, field: str = "states") -> list[str]:
    """ISO 3166-1 alpha-3 codes from a list or comma/space-separated strings, upper-cased, in order."""
    found = []
    for chunk in codes or []:
        for code in re.split(r"[,\s]+", chunk.strip()):
            if not code:
                continue
            if not re.fullmatch(r"[A-Za-z]{3}", code):
                raise AssessmentError(field, f"{field}: {code!r} is not an ISO 3166-1 alpha-3 code")
            if code.upper() not in found:
                found.append(code.upper())
    return found


def resolve_states(run: Runner, codes: list[str]) -> tuple[list[dict], str | None]:
    """The states the codes name, and the dataset's akg:curatedUntil (None when not declared)."""
    if not codes:
        raise AssessmentError("states", "states: name at least one state (ISO 3166-1 alpha-3 code)")
    answer = run(saved_query("assess-states", iso3=" ".join(f'"{c}"' for c in codes)))
    by_code = {}
    for row in answer:
        by_code.setdefault(row["iso3"], {"iso3": row["iso3"], "iri": row["state"], "label": row["stateLabel"]})
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise AssessmentError("states", f"states: unknown state code{'s' if len(unknown) > 1 else ''} "
                                        f"{', '.join(unknown)} (the graph has no state with that akg:iso3)")
    curated = next((row["curatedUntil"] for row in answer if row.get("curatedUntil")), None)
    return [by_code[c] for c in codes], curated


def default_date(curated_until: str | None) -> dt.date:
    return dt.date.fromisoformat(curated_until) if curated_until else dt.date.today()


def _state_values(states: list[dict]) -> str:
    return " ".join(f"<{s['iri']}>" for s in states)


def _split(value: str | None) -> list[str]:
    return value.split() if value else []


def _sources(run: Runner, iris_: set[str]) -> dict[str, dict]:
    if not iris_:
        return {}
    found = {}
    for row in run(saved_query("sources-described", source=" ".join(f"<{i}>" for i in sorted(iris_)))):
        found.setdefault(row["source"], {
            "iri": row["source"], "title": row.get("sourceTitle") or row["source"],
            "citation": row.get("citation"), "issued": row.get("issued"), "publisher": row.get("publisher"),
            "url": row.get("url"), "pages": row.get("pages"), "part_of": row.get("workTitle"),
        })
    return found


class _SourceBook:
    """Collects the source IRIs a report cites, then fills them in with one query."""

    def __init__(self):
        self.lists: list[tuple[list, list[str]]] = []

    def cite(self, iris_: list[str]) -> list:
        target: list = []
        self.lists.append((target, sorted(set(iris_))))
        return target

    def fill(self, run: Runner) -> None:
        described = _sources(run, {i for _, iris_ in self.lists for i in iris_})
        for target, iris_ in self.lists:
            target.extend(described.get(i, {"iri": i, "title": i}) for i in iris_)


# --------------------------------------------------------------------------------------------------
# assess
# --------------------------------------------------------------------------------------------------

def assess(run: Runner, codes, on=None) -> dict:
    """The assessment of the states named by `codes` on the date `on` (default: akg:curatedUntil,
    else today). Raises AssessmentError on bad input."""
    codes = parse_codes(codes)
    on_date = parse_date(on, "on") if on not in (None, "") else None
    states, curated = resolve_states(run, codes)
    on_date = on_date or default_date(curated)
    values = {"state": _state_values(states), "date": _date_literal(on_date)}
    book = _SourceBook()

    observations = _observations(run, values, book)
    issues = _framework(run, observations)
    partnerships = _partnerships(run, values, len(states), book)
    diffusion = _diffusion(run, values, book)
    unobserved = [{"iri": r["indicator"], "label": r["indicatorLabel"],
                   "question": r.get("question"), "question_label": r.get("questionLabel")}
                  for r in run(saved_query("assess-unobserved-indicators", **values))]
    credibility = _credibility(run, partnerships)
    book.fill(run)
    report = {
        "kind": "assessment",
        "states": states, "on": on_date.isoformat(), "curated_until": curated,
        "issues": issues, "partnerships": partnerships, "diffusion": diffusion,
        "credibility": credibility, "unobserved_indicators": unobserved,
    }
    report["notes"] = _notes(report)
    return report


def _observations(run: Runner, values: dict, book: _SourceBook) -> dict[str, list[dict]]:
    by_indicator: dict[str, list[dict]] = {}
    for r in run(saved_query("assess-observations", **values)):
        by_indicator.setdefault(r["indicator"], []).append({
            "iri": r["observation"], "label": r["observationLabel"], "date": r.get("observed"),
            "trend": r.get("trendLabel"), "confidence": r.get("confidenceLabel"), "quote": r.get("quote"),
            "actors": _split(r.get("actors")), "sources": book.cite(_split(r.get("sources"))),
        })
    return by_indicator


def _framework(run: Runner, observations: dict[str, list[dict]]) -> list[dict]:
    issues: dict[str, dict] = {}
    for r in run(saved_query("framework-indicators-by-guiding-question")):
        issue = issues.setdefault(r["issue"], {"iri": r["issue"], "label": r["issueLabel"], "questions": {}})
        question = issue["questions"].setdefault(r["question"], {
            "iri": r["question"], "label": r["questionLabel"], "order": int(r["questionOrder"]),
            "mechanisms": {}, "indicators": {}})
        mechanism = question["mechanisms"].setdefault(r["mechanism"], {
            "iri": r["mechanism"], "label": r["mechanismLabel"], "indicators": []})
        if r.get("indicator"):
            if r["indicator"] not in mechanism["indicators"]:
                mechanism["indicators"].append(r["indicator"])
            question["indicators"].setdefault(r["indicator"], {
                "iri": r["indicator"], "label": r["indicatorLabel"],
                "observations": observations.get(r["indicator"], [])})
    explained = {r["term"]: {"definition": r.get("definition"), "example": r.get("example"),
                             "paper_section": r.get("sectionTitle")}
                 for r in run(saved_query("framework-terms-explained"))}
    for issue in issues.values():  # the paper's own words on each element of its table
        issue.update(explained.get(issue["iri"], {}))
        for q in issue["questions"].values():
            q.update(explained.get(q["iri"], {}))
            for element in [*q["mechanisms"].values(), *q["indicators"].values()]:
                element.update(explained.get(element["iri"], {}))
    result = []
    for issue in issues.values():
        questions = sorted(issue["questions"].values(), key=lambda q: q["order"])
        for q in questions:
            q["mechanisms"] = list(q["mechanisms"].values())
            q["indicators"] = list(q["indicators"].values())
        issue["questions"] = questions
        result.append(issue)
    result.sort(key=lambda i: min((q["order"] for q in i["questions"]), default=0))
    return result


def _partnerships(run: Runner, values: dict, asked: int, book: _SourceBook) -> list[dict]:
    asked_states = set(re.findall(r"<([^>]+)>", values["state"]))
    found: dict[str, dict] = {}
    for r in run(saved_query("assess-partnerships", **values)):
        p = found.setdefault(r["partnership"], {
            "iri": r["partnership"], "label": r["partnershipLabel"], "alliance": r["alliance"] == "true",
            "recorded_status": r["status"], "start": r.get("start"), "end": r.get("end"),
            "last_confirmed": r.get("lastConfirmed"), "institutionalisation": r.get("institutionalisationLabel"),
            "size_class": r.get("sizeClassLabel"), "hedge": r.get("hedge"), "members": {},
            "scope_conditions": [], "agreements": [], "quotes": [], "sources": []})
        if r["member"] not in p["members"]:
            p["members"][r["member"]] = {
                "iri": r["member"], "label": r["memberLabel"], "in_set": r["member"] in asked_states,
                "start": r.get("memberStart"), "end": r.get("memberEnd"),
                "last_confirmed": r.get("memberLastConfirmed"), "status": r["memberStatus"]}
    evidence = run(saved_query("assess-partnership-evidence", state=values["state"]))
    source_iris: dict[str, list[str]] = {}
    for r in evidence:
        p = found.get(r["partnership"])
        if p is None:  # it starts after the date
            continue
        if r["kind"] in ("scope condition", "agreement") and any(
                item["iri"] == r["item"] for item in p["scope_conditions"] + p["agreements"]):
            continue  # one row per date or label the item has: the first is kept
        if r["kind"] == "scope condition":
            p["scope_conditions"].append({
                "iri": r["item"], "label": r.get("itemLabel", r["item"]), "type": r.get("itemTypeLabel"),
                "mutual_defence": r.get("itemType") == AKG + "MutualDefenseClause",
                "declared_on": r.get("itemDate"), "quote": r.get("detail")})
        elif r["kind"] == "agreement":
            p["agreements"].append({"iri": r["item"], "label": r.get("itemLabel", r["item"]),
                                    "type": r.get("itemTypeLabel"), "date": r.get("itemDate")})
        elif r["kind"] == "quote":
            p["quotes"].append(r["detail"])
        else:
            source_iris.setdefault(r["partnership"], []).append(r["item"])
    needed = 2 if asked > 1 else 1
    for iri, p in found.items():
        p["members"] = sorted(p["members"].values(), key=lambda m: (not m["in_set"], m["label"]))
        p["status"] = _status_among(p, needed)
        p["why"] = _why(p)
        p["sources"] = book.cite(source_iris.get(iri, []))
    curated_first = lambda p: (p["status"] == "ended", "/partnership/atop-" in p["iri"], not p["alliance"], p["label"])
    return sorted(found.values(), key=curated_first)


def _status_among(p: dict, needed: int) -> str:
    """Confirmed / presumed / ended, among the asked states: the partnership's own end first; then
    it holds among them while `needed` of their memberships have neither ended nor not yet begun, and
    is confirmed only when each of those is."""
    if p["recorded_status"] == "ended":
        return "ended"
    current = [m for m in p["members"] if m["in_set"] and m["status"] in ("confirmed", "presumed")]
    if len(current) < needed:
        return "ended" if any(m["in_set"] and m["status"] == "ended" for m in p["members"]) else "not yet"
    return "confirmed" if all(m["status"] == "confirmed" for m in current) else "presumed"


def _why(p: dict) -> str:
    if p["scope_conditions"]:
        names = "; ".join(s["label"] for s in p["scope_conditions"])
        return f"An alliance: it declares a scope condition for the use of force ({names})."
    text = "Not an alliance: no scope condition for the use of force is recorded."
    if p["hedge"]:
        text += f" The source hedges: \u201c{p['hedge']}\u201d."
    return text


def _diffusion(run: Runner, values: dict, book: _SourceBook) -> list[dict]:
    return [{
        "iri": r["event"], "label": r["eventLabel"], "direction": r["direction"],
        "from": {"iri": r["from"], "label": r["fromLabel"]}, "to": {"iri": r["to"], "label": r["toLabel"]},
        "items": r["items"].split(" | ") if r.get("items") else [], "confidence": r.get("confidenceLabel"),
        "via": {"iri": r["via"], "label": r["viaLabel"]} if r.get("via") else None,
        "date": r.get("start"), "quote": r.get("quote"), "sources": book.cite(_split(r.get("sources"))),
    } for r in run(saved_query("assess-diffusion", **values))]


def _credibility(run: Runner, partnerships: list[dict]) -> dict:
    """The paper's reliability estimates and means of credibility (general), and the signals each
    partnership in force gives: a treaty, public commitments, a declared clause, integrated institutions."""
    estimates = [{"iri": r["estimate"], "label": r["estimateLabel"], "period": f"{r['periodStart']}-{r['periodEnd']}",
                  "fulfilment_rate": float(r["fulfilmentRate"]), "hedge": r.get("hedge"), "study": r.get("studyTitle")}
                 for r in run(saved_query("reliability-estimates"))]
    means = [{"iri": r["item"], "label": r["itemLabel"], "role": r["roleLabel"], "definition": r["definition"]}
             for r in run(saved_query("credibility-sources-and-risks"))]
    signals = []
    for p in partnerships:
        if p["status"] in ("ended", "not yet"):
            continue
        found = [f"{a['type']}: {a['label']}" for a in p["agreements"] if a.get("type")]
        found += [f"declared scope condition: {s['label']}" for s in p["scope_conditions"]]
        if p["institutionalisation"]:
            found.append(f"institutionalisation: {p['institutionalisation']}")
        signals.append({"partnership": p["iri"], "label": p["label"], "signals": found})
    return {"reliability_estimates": estimates, "means_and_risks": means, "signals": signals}


def _notes(report: dict) -> list[str]:
    """What the graph does not know, said plainly."""
    names = ", ".join(s["label"] for s in report["states"])
    notes = []
    if report["curated_until"] and report["on"] > report["curated_until"]:
        notes.append(f"The graph's curation reaches {report['curated_until']}; anything after it is presumed.")
    elif not report["curated_until"]:
        notes.append("The graph declares no curation date (akg:curatedUntil): every status without a later "
                     "confirmation (akg:lastConfirmed) is presumed.")
    holding = [p for p in report["partnerships"] if p["status"] in ("confirmed", "presumed")]
    if not holding:
        notes.append(f"The graph knows of no partnership among {names} in force on {report['on']}.")
    elif not any(p["status"] == "confirmed" for p in holding):
        notes.append(f"No source confirms any partnership among {names} on {report['on']}: the "
                     f"{len(holding)} listed as in force are presumed (no source records their end).")
    if not any(q["indicators"] and any(i["observations"] for i in q["indicators"])
               for issue in report["issues"] for q in issue["questions"]):
        notes.append(f"The graph holds no observation of any indicator concerning {names}.")
    if not report["diffusion"]:
        notes.append(f"The graph records no military diffusion among, to or from {names}.")
    return notes


# --------------------------------------------------------------------------------------------------
# changes
# --------------------------------------------------------------------------------------------------

def changes(run: Runner, date_from, date_to, codes=None) -> dict:
    """What changed from `date_from` to `date_to` (both included; `date_to` defaults as assess's `on`),
    for the states named (any if none)."""
    start = parse_date(date_from, "from")
    codes = parse_codes(codes)
    states, curated = resolve_states(run, codes) if codes else ([], None)
    if not codes:
        curated = next((r.get("curatedUntil") for r in run(saved_query("assess-states", iso3='"RUS"'))), None)
    end = parse_date(date_to, "to") if date_to not in (None, "") else default_date(curated)
    if start > end:
        raise AssessmentError("from", f"from ({start}) is after to ({end})")
    text = saved_query("changes-between-dates", state=_state_values(states) if states else "UNDEF")
    text = re.sub(r"VALUES \(\?from \?to\) \{[^}]*\}",
                  lambda _m: f"VALUES (?from ?to) {{ ({_date_literal(start)} {_date_literal(end)}) }}", text)
    book = _SourceBook()
    listed = [{
        "date": r["date"], "kind": r["kind"], "iri": r["subject"], "label": r["subjectLabel"],
        "partnership": {"iri": r["partnership"], "label": r.get("partnershipLabel", r["partnership"])}
        if r.get("partnership") else None,
        "states": _split(r.get("states")), "sources": book.cite(_split(r.get("sources"))),
    } for r in run(text)]
    book.fill(run)
    notes = [] if listed else ["The graph records no change in this period" +
                               (f" concerning {', '.join(s['label'] for s in states)}." if states else ".")]
    if curated and end.isoformat() > curated:
        notes.append(f"The graph's curation reaches {curated}: later changes may be missing.")
    return {"kind": "changes", "from": start.isoformat(), "to": end.isoformat(), "states": states,
            "curated_until": curated, "changes": listed, "notes": notes}
