"""What each HTML page shows: an entity's facts, tables and partner network; the ontology's terms."""
from __future__ import annotations

import datetime as dt
import math

from service.graph import describe, exports
from service import iris

AKG = iris.AKG
PARTNERSHIP, ACTOR = AKG + "SecurityPartnership", AKG + "Actor"
LINKS_OUT = {iris.PREFIXES["owl"] + "sameAs", AKG + "atopId", AKG + "cowCode", AKG + "iso3"}
NETWORK_LIMIT = 48
INCOMING_LIMIT = 500
TERM_KINDS = ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "NamedIndividual")


def curie(iri: str) -> str:
    """A short name for an IRI: prefix:local where a project prefix fits, else the IRI."""
    for prefix, namespace in sorted(iris.PREFIXES.items(), key=lambda item: -len(item[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def ontology_page(store, modules: list[str], iri: str) -> dict:
    """The terms of the given ontology modules by kind, with the document's own header statements."""
    terms = describe.ontology_terms(store, modules)
    names = describe.labels(store, {t["term"] for t in terms} | _referenced(terms))
    groups = {kind: [t for t in terms if iris.PREFIXES["owl"] + kind in t["kind"]] for kind in TERM_KINDS}
    for members in groups.values():
        members.sort(key=lambda t: names.get(t["term"], t["term"]).lower())
    header = describe.statements(store, iri)[2] if describe.exists(store, iri) else []
    header_names = describe.labels(store, {v.value for s in header for v, _ in s.values if v.is_iri}
                                   | {s.predicate for s in header})
    return {"iri": iri, "groups": groups, "labels": names | header_names, "header": header,
            "modules": sorted(m.rsplit("/", 1)[1] for m in describe.ontology_modules(store))}


def _referenced(terms: list[dict]) -> set[str]:
    return {iri for t in terms for column in ("parent", "domain", "range", "source") for iri in t[column]}


def entity_page(store, iri: str) -> dict:
    """Everything the HTML page of one resource shows."""
    asserted_types, entailed_types, statements = describe.statements(store, iri)
    all_types = {t.value for t in asserted_types + entailed_types}
    page = {"iri": iri, "asserted_types": asserted_types, "entailed_types": entailed_types,
            "links_out": [s for s in statements if s.predicate in LINKS_OUT],
            "statements": sorted((s for s in statements if s.predicate not in LINKS_OUT),
                                 key=lambda s: (s.predicate != iris.PREFIXES["rdfs"] + "label", curie(s.predicate))),
            "sources": describe.sources(store, iri), "incoming": describe.incoming(store, iri, INCOMING_LIMIT), "incoming_limit": INCOMING_LIMIT,
            "members": [], "scope_conditions": [], "agreements": [], "partnerships": [], "diffusion": [],
            "network": None}
    if PARTNERSHIP in all_types:
        page["members"] = describe.members(store, iri)
        page["scope_conditions"] = describe.scope_conditions(store, iri)
        page["agreements"] = describe.agreements(store, iri)
    if ACTOR in all_types:
        page["partnerships"] = describe.partnerships_of(store, iri)
        page["diffusion"] = describe.diffusion_of(store, iri)
    mentioned = _mentioned(page, all_types)
    names = describe.labels(store, mentioned)
    if ACTOR in all_types:
        page["network"] = network_picture(iri, describe.partners(store, iri, dt.date.today().isoformat()), names, store)
    page["labels"] = names
    page["members"].sort(key=lambda m: (m["start"] or "9999", names.get(m["member"], m["member"])))
    # on the curation date an open membership no source confirms that far is presumed, as in the in-force queries
    page["curated_until"] = exports.curated_until(store) if page["members"] else None
    for row in page["members"]:
        open_ = row["start"] and not row["end"]
        row["presumed"] = bool(open_ and page["curated_until"]
                               and (not row["confirmed"] or row["confirmed"][:10] < page["curated_until"].isoformat()))
    for statement in page["statements"]:
        statement.values.sort(key=lambda pair: names.get(pair[0].value, pair[0].value))
    page["label"] = names.get(iri) or iri.rsplit("/", 1)[-1]
    page["partnerships_now"], page["partnerships_past"] = fold_partnerships(page["partnerships"], names)
    return page


# History folds by period, so that a state page leads with the present (issue 16 item 5).
PERIODS = ((1914, "before 1914"), (1946, "1914–1945: the world wars"), (1992, "1946–1991: the Cold War"),
           (10000, "since 1992"))


def fold_partnerships(rows: list[dict], names: dict, today: dt.date | None = None):
    """The partnerships in force today (no end, or one after today), alliances first; and the ended
    ones as [(period, rows)] by the year they started, latest period first."""
    today = (today or dt.date.today()).isoformat()
    now = [r for r in rows if not r.get("end") or r["end"][:10] > today]
    now.sort(key=lambda r: (not r.get("alliance"), names.get(r["partnership"], r["partnership"]).lower()))
    past: dict[str, list[dict]] = {}
    for r in sorted((r for r in rows if r.get("end") and r["end"][:10] <= today), key=lambda r: r.get("start") or ""):
        year = int(r["start"][:4]) if r.get("start") else None
        period = "undated start" if year is None else next(name for limit, name in PERIODS if year < limit)
        past.setdefault(period, []).append(r)
    order = [name for _, name in reversed(PERIODS)] + ["undated start"]
    return now, [(p, past[p]) for p in order if p in past]


def _mentioned(page: dict, types: set[str]) -> set[str]:
    """Every IRI the page names, so that one query fetches all their labels."""
    found = {page["iri"]} | types
    for statement in page["statements"] + page["links_out"]:
        found.add(statement.predicate)
        found |= {v.value for v, _ in statement.values if v.is_iri}
    found |= {s.value for s, _, _ in page["incoming"] if s.is_iri} | {p for _, p, _ in page["incoming"]}
    for rows in (page["members"], page["partnerships"], page["diffusion"]):
        for row in rows:
            found |= {v for k, v in row.items() if isinstance(v, str) and v.startswith(("http://", "https://"))}
            found |= set(row.get("sources", []))
    for rows in (page["scope_conditions"], page["agreements"], page["sources"]):
        for row in rows:
            found |= {v for vs in row.values() for v in (vs if isinstance(vs, list) else [vs])
                      if isinstance(v, str) and v.startswith(("http://", "https://"))}
    return found


def network_picture(center: str, partners: list[dict], names: dict, store) -> dict | None:
    """A radial picture of the present: the actor in the middle, on a circle the partners it shares a
    partnership in force with (line width by how many) or military diffusion with; each name along its
    ray, so that neighbours' names never cross. Partners of ended partnerships only are the `past`, listed
    apart (Austria-Hungary does not stand beside the Houthis)."""
    if not partners:
        return None
    present = [p for p in partners if p["shared_now"] or p["diffusion"]]
    past = [p for p in partners if not (p["shared_now"] or p["diffusion"])]
    shown = present[:NETWORK_LIMIT]
    names = names | describe.labels(store, {p["partner"] for p in partners} - set(names))
    size, radius = 640, 230
    middle = size / 2
    nodes = []
    for index, partner in enumerate(shown):
        angle = 2 * math.pi * index / len(shown) - math.pi / 2
        x, y = middle + radius * math.cos(angle), middle + radius * math.sin(angle)
        right = math.cos(angle) >= -1e-9
        nodes.append({"iri": partner["partner"], "label": names.get(partner["partner"], curie(partner["partner"])),
                      "x": round(x, 1), "y": round(y, 1), "shared": partner["shared_now"],
                      "diffusion": partner["diffusion"], "anchor": "start" if right else "end",
                      "label_x": round(middle + (radius + 10) * math.cos(angle), 1),
                      "label_y": round(middle + (radius + 10) * math.sin(angle), 1),
                      "rotate": round(math.degrees(angle) if right else math.degrees(angle) + 180, 1)})
    past_rows = sorted(({"iri": p["partner"], "label": names.get(p["partner"], curie(p["partner"])), "shared": p["shared"]}
                        for p in past), key=lambda p: (-p["shared"], p["label"].lower()))
    not_drawn = [{"iri": p["partner"], "label": names.get(p["partner"], curie(p["partner"])), "shared": p["shared_now"]}
                 for p in present[NETWORK_LIMIT:]]
    return {"size": size, "middle": middle, "center": center, "nodes": nodes, "past": past_rows,
            "not_drawn": not_drawn, "label": names.get(center, curie(center))}
