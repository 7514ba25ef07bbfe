"""Exports for other tools: the state network as GraphML (Gephi, NetworkX) and pictures for reports.

The state network: one node per state that belongs to a security partnership, one edge per pair of
states that share at least one, weighted by how many they share. With a date, only memberships in
force on that date count (no end date means still in force; undated memberships, which cannot be
placed in time, are left out).
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from service import iris

WORLD_MAP = Path(__file__).resolve().parents[1] / "web" / "static" / "world.json"

MEMBERSHIPS = """
PREFIX akg:  <https://w3id.org/alliance-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
SELECT ?partnership ?partnershipLabel ?isAlliance ?membership ?state ?stateLabel ?iso3 ?cowCode ?wikidata ?start ?end
WHERE {
  ?partnership a akg:SecurityPartnership ; rdfs:label ?partnershipLabel ; akg:hasMember ?state .
  ?state a akg:State ; rdfs:label ?stateLabel .
  OPTIONAL { ?state akg:iso3 ?iso3 }
  OPTIONAL { ?state akg:cowCode ?cowCode }
  OPTIONAL { ?state owl:sameAs ?wikidata FILTER STRSTARTS(STR(?wikidata), "http://www.wikidata.org/entity/") }
  OPTIONAL {
    ?partnership akg:hasMembership ?membership . ?membership akg:member ?state .
    OPTIONAL { ?membership akg:startDate ?memberSince } OPTIONAL { ?membership akg:endDate ?memberUntil }
  }
  OPTIONAL { ?partnership akg:startDate ?partnershipStart }
  OPTIONAL { ?partnership akg:endDate ?partnershipEnd }
  BIND (COALESCE(?memberSince, ?partnershipStart) AS ?start)
  BIND (COALESCE(?memberUntil, ?partnershipEnd) AS ?end)
  BIND (EXISTS { ?partnership a akg:Alliance } AS ?isAlliance)
}
ORDER BY ?partnership ?state
"""


# From when each alliance is one (ontology/README.md, "Alliances on a date"): the earliest day one of its scope
# conditions holds, by the condition's own akg:startDate, else its agreement's entry into force (else the
# agreement's start, else its signature), else the partnership's start; an undated condition of an undated
# partnership holds always. The reasoner's akg:Alliance is undated: the EU has it for Article 42(7), which the
# Treaty of Lisbon brought in on 2009-12-01.
ALLIANCE_SINCE = """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?partnership (MIN(?from) AS ?since) WHERE {
  ?partnership a akg:Alliance ; akg:hasScopeCondition ?condition .
  OPTIONAL { ?condition akg:startDate ?conditionStart }
  OPTIONAL { ?condition akg:declaredIn ?agreement .
             OPTIONAL { ?agreement akg:enteredIntoForce ?inForce } OPTIONAL { ?agreement akg:startDate ?agreementStart }
             OPTIONAL { ?agreement akg:signedOn ?signed } }
  OPTIONAL { ?partnership akg:startDate ?partnershipStart }
  BIND (COALESCE(?conditionStart, ?inForce, ?agreementStart, ?signed, ?partnershipStart, "0001-01-01"^^xsd:date) AS ?from)
} GROUP BY ?partnership"""

# The latest confirmation of each partnership and membership (ontology/README.md, "Coverage": several
# values, the latest counts), and how far the curation of the present reaches.
LAST_CONFIRMED = """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
SELECT ?x (MAX(?c) AS ?last) WHERE { ?x akg:lastConfirmed ?c } GROUP BY ?x"""
CURATED_UNTIL = """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
SELECT (MAX(?d) AS ?until) WHERE { ?dataset a akg:Dataset ; akg:curatedUntil ?d }"""


class ExportError(ValueError):
    """A request for an export that cannot be met (bad date, nothing to draw, unknown file type)."""


def parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ExportError(f"--on {text!r} is not a date of the form YYYY-MM-DD") from None


def curated_until(store) -> dt.date | None:
    """The dataset's akg:curatedUntil, or None when the graph declares none."""
    for row in store.query(CURATED_UNTIL).rows():
        if "until" in row:
            return dt.date.fromisoformat(row["until"].value[:10])
    return None


def memberships(store, on: dt.date | None = None, alliances_only: bool = False) -> list[dict]:
    """One dict per (partnership, state), in force on `on` when given. With a date, "isAlliance" says whether
    it is an alliance on that day (ALLIANCE_SINCE), and each carries "status": "confirmed" when a source
    states it in force on or after `on` (its latest akg:lastConfirmed, the membership's, else the
    partnership's), else "presumed"; and "lastConfirmed"."""
    last, since = {}, {}
    if on is not None:
        last = {row["x"].value: row["last"].value[:10] for row in store.query(LAST_CONFIRMED).rows() if "last" in row}
        since = {row["partnership"].value: dt.date.fromisoformat(row["since"].value[:10])
                 for row in store.query(ALLIANCE_SINCE).rows() if "since" in row}
    found = []
    for row in store.query(MEMBERSHIPS).rows():
        record = {name: term.value for name, term in row.items()}
        record["isAlliance"] = record.get("isAlliance") == "true"
        if on is not None and record["isAlliance"]:
            record["isAlliance"] = record["partnership"] in since and since[record["partnership"]] <= on
        if alliances_only and not record["isAlliance"]:
            continue
        if on is not None:
            start, end = record.get("start"), record.get("end")
            if start is None or dt.date.fromisoformat(start[:10]) > on:
                continue
            if end is not None and dt.date.fromisoformat(end[:10]) <= on:
                continue
            confirmed = last.get(record.get("membership", "")) or last.get(record["partnership"])
            record["lastConfirmed"] = confirmed
            record["status"] = "confirmed" if confirmed and dt.date.fromisoformat(confirmed) >= on else "presumed"
        found.append(record)
    return found


def state_network(store, on: dt.date | None = None, alliances_only: bool = False):
    """The networkx.Graph of states linked by shared partnerships, with attributes for Gephi."""
    import networkx as nx

    graph = nx.Graph(name="alliance-kg state network", date=on.isoformat() if on else "any time",
                     alliancesOnly=alliances_only)
    members: dict[str, list[dict]] = {}
    for record in memberships(store, on, alliances_only):
        state = record["state"]
        if state not in graph:
            graph.add_node(state, label=record["stateLabel"], iri=state,
                           key=state.removeprefix(iris.ID + "state/"),
                           iso3=record.get("iso3", ""), cowCode=int(record.get("cowCode", -1)),
                           wikidata=record.get("wikidata", ""))
        members.setdefault(record["partnership"], []).append(record)
    for partnership, records in members.items():
        for i, a in enumerate(records):
            for b in records[i + 1:]:
                if a["state"] == b["state"]:
                    continue
                if not graph.has_edge(a["state"], b["state"]):
                    graph.add_edge(a["state"], b["state"], weight=0, partnerships=[], alliance=False)
                edge = graph.edges[a["state"], b["state"]]
                if a["partnershipLabel"] not in edge["partnerships"]:
                    edge["partnerships"].append(a["partnershipLabel"])
                    edge["weight"] += 1
                edge["alliance"] = edge["alliance"] or a["isAlliance"]
    for _, _, data in graph.edges(data=True):  # GraphML attributes are scalars
        data["partnerships"] = " | ".join(sorted(data["partnerships"]))
    return graph


def write_graphml(graph, output) -> None:
    import networkx as nx
    nx.write_graphml(graph, output, named_key_ids=True)


def plot_network(graph, output: Path, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    if graph.number_of_nodes() == 0:
        raise ExportError("no state belongs to a partnership on that date: nothing to draw")
    positions = nx.spring_layout(graph, seed=7, k=0.6, weight="weight")
    figure, axes = plt.subplots(figsize=(12, 9))
    alliance_edges = [(a, b) for a, b, d in graph.edges(data=True) if d["alliance"]]
    other_edges = [(a, b) for a, b, d in graph.edges(data=True) if not d["alliance"]]
    nx.draw_networkx_edges(graph, positions, edgelist=other_edges, ax=axes, edge_color="#2ca02c", alpha=0.4,
                           style="dashed")
    nx.draw_networkx_edges(graph, positions, edgelist=alliance_edges, ax=axes, edge_color="#1f77b4", alpha=0.35)
    sizes = [30 + 8 * graph.degree(n) for n in graph]
    nx.draw_networkx_nodes(graph, positions, ax=axes, node_size=sizes, node_color="#1d3557")
    nx.draw_networkx_labels(graph, positions, labels={n: d["label"] for n, d in graph.nodes(data=True)},
                            ax=axes, font_size=7, verticalalignment="bottom")
    axes.set_title(title)
    axes.plot([], [], color="#1f77b4", label="share an alliance")
    axes.plot([], [], color="#2ca02c", linestyle="dashed", label="share another security partnership")
    axes.legend(loc="lower left", fontsize=8)
    axes.axis("off")
    _save(figure, output)


def map_title(day: dt.date, curated: dt.date | None, alliances_only: bool, records: list[dict]) -> str:
    """The title states the data horizon: how far curation reaches and what "presumed" rests on."""
    what = "Alliances" if alliances_only else "Security partnerships"
    horizon = f"curated to {curated.isoformat()}" if curated else "no curation date declared"
    presumed = sorted({r["lastConfirmed"] for r in records if r.get("status") == "presumed" and r.get("lastConfirmed")})
    if presumed:
        since = presumed[0] if len(presumed) == 1 else f"their last confirmation, {presumed[0]} to {presumed[-1]}"
        note = f"presumed (hatched, lighter) = no source after {since}"
    else:
        note = "none presumed"
    return f"{what} in force on {day.isoformat()} (alliance-kg: data {horizon}; {note})"


def map_assignment(records: list[dict]) -> dict[str, dict]:
    """Per state key: its partnerships in force, in the order the map shows them, and the one whose
    colour it takes. Alliances come first, then confirmed before presumed, then the larger (NATO for
    its members, not a consultation pact that happens to be bigger); the rest are listed."""
    size: dict[str, set[str]] = {}
    for r in records:
        size.setdefault(r["partnershipLabel"], set()).add(r["state"])
    per_state: dict[str, dict[str, dict]] = {}
    for r in records:
        key = r["state"].removeprefix(iris.ID + "state/")
        entry = per_state.setdefault(key, {}).setdefault(r["partnershipLabel"], {
            "partnership": r["partnershipLabel"], "alliance": r["isAlliance"], "status": r.get("status", "confirmed")})
        if r.get("status") == "confirmed":
            entry["status"] = "confirmed"
    assignment = {}
    for key, partnerships in per_state.items():
        ordered = sorted(partnerships.values(), key=lambda p: (
            not p["alliance"], p["status"] != "confirmed", -len(size[p["partnership"]]), p["partnership"]))
        assignment[key] = {"colour": ordered[0]["partnership"], "presumed": ordered[0]["status"] == "presumed",
                           "partnerships": [p["partnership"] for p in ordered]}
    return assignment


def plot_map(records: list[dict], output: Path, title: str) -> dict:
    """States coloured by their first partnership in map_assignment's order, presumed ones hatched
    and lighter. Returns what was drawn: {"title", "states": map_assignment, "legend": [(label, hex)]}."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import to_hex
    from matplotlib.patches import Patch

    if not records:
        raise ExportError("no state belongs to a partnership on that date: nothing to draw")
    world = json.loads(WORLD_MAP.read_text(encoding="utf-8"))
    assignment = map_assignment(records)
    shown = {}  # partnership -> number of states in its colour
    for entry in assignment.values():
        shown[entry["colour"]] = shown.get(entry["colour"], 0) + 1
    ordered = sorted(shown, key=lambda g: (-shown[g], g))
    # saturated colours only: lighter shades mean "presumed" on this map
    palette = plt.get_cmap("tab10").colors + plt.get_cmap("Dark2").colors
    colour = {g: to_hex(palette[i % len(palette)]) for i, g in enumerate(ordered)}
    figure, axes = plt.subplots(figsize=(14, 7))
    layers = {False: ([], []), True: ([], [])}  # presumed? -> polygons, fills
    dots = []
    for country in world["countries"]:
        entry = assignment.get(country["key"])
        fill = colour[entry["colour"]] if entry else "#e3e3e3"
        presumed = bool(entry and entry["presumed"])
        for ring in country["rings"]:
            layers[presumed][0].append(ring)
            layers[presumed][1].append(fill)
        if not country["rings"] and entry:
            dots.append((country["label"], fill, presumed))
    polygons, fills = layers[False]
    axes.add_collection(PolyCollection(polygons, facecolors=fills, edgecolors="white", linewidths=0.3))
    polygons, fills = layers[True]
    if polygons:
        axes.add_collection(PolyCollection(polygons, facecolors=fills, alpha=0.45, edgecolors="white",
                                           linewidths=0.3))
        axes.add_collection(PolyCollection(polygons, facecolors="none", edgecolors="#555555", hatch="////",
                                           linewidths=0))
    for (x, y), fill, presumed in dots:
        axes.plot(x, y, "o", color=fill, alpha=0.45 if presumed else 1, markersize=4)
    axes.set_xlim(-180, 180)
    axes.set_ylim(-58, 84)
    axes.set_aspect("equal")
    axes.axis("off")
    axes.set_title(title, fontsize=9)
    legend = [(g, colour[g]) for g in ordered[:16]]
    handles = [Patch(color=c, label=g) for g, c in legend]
    handles.append(Patch(facecolor="#bbbbbb", edgecolor="#555555", hatch="////", label="presumed"))
    axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=2, fontsize=7,
                frameon=False, title_fontsize=6,
                title="each state in the colour of its alliance: alliances first, confirmed before presumed, "
                      "then the larger; " + world["attribution"])
    _save(figure, output)
    return {"title": title, "states": assignment, "legend": legend}


def check_picture_file(output: Path) -> str:
    suffix = output.suffix.lower().lstrip(".")
    if suffix not in {"png", "svg"}:
        raise ExportError(f"cannot write {output}: the file name must end in .png or .svg")
    if not output.parent.is_dir():
        raise ExportError(f"cannot write {output}: no folder {output.parent}")
    return suffix


def _save(figure, output: Path) -> None:
    import matplotlib.pyplot as plt
    try:
        suffix = check_picture_file(output)
    except ExportError:
        plt.close(figure)
        raise
    partial = output.with_name(output.name + ".part")
    figure.savefig(partial, format=suffix, dpi=150, bbox_inches="tight")
    plt.close(figure)
    partial.replace(output)
