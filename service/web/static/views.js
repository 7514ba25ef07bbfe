// Result views for YASR besides the table: network (network.js), map and timeline, drawn as plain SVG.
// Each view works on any SELECT answer whose columns fit it; the conventions (docs/guide.md):
//   network   ?state + ?partner (or ?stateA/?stateB, ?from/?to, ?origin/?recipient): one edge a row;
//             or ?partnership + ?state (or ?member): states linked when they share a partnership.
//   map       ?state (or ?member) holding /id/state/{KEY} IRIs, coloured by ?partnership (or ?kind).
//   timeline  ?start (or ?memberSince, ?accessionDate, ?date ...) and, if the answer has it, ?end:
//             a bar from start to end (no end: still in force), a dot when the answer has no end column.
//   all       ?xLabel names ?x; ?kind is the kind of partnership; ?start/?end filter by a chosen date.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
    "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"];
  const EDGE_PAIRS = [["state", "partner"], ["stateA", "stateB"], ["from", "to"], ["origin", "recipient"],
    ["source", "target"]];
  const DIRECTED = new Set(["from", "origin", "source"]);  // these pairs point from the first to the second
  const GROUPS = ["partnership", "alliance", "group"];
  const MEMBERS = ["state", "member"];
  const STARTS = ["start", "startDate", "memberSince", "since", "accessionDate", "signedOn", "date"];
  const ENDS = ["end", "endDate", "memberUntil", "until"];
  let settings = { idBase: "https://w3id.org/alliance-kg/id/", worldUrl: "/ui/static/world.json" };
  let worldPromise = null;

  // ---- reading an answer -------------------------------------------------------------------------
  function answer(yasr) {
    const results = yasr.results;
    if (!results || results.getType() !== "json" || !results.getVariables) return null;
    const variables = results.getVariables() || [];
    if (!variables.length) return null;
    return { variables: variables, rows: results.getBindings() || [] };
  }
  const first = (variables, names) => names.find((n) => variables.includes(n));
  const value = (row, name) => (name && row[name] ? row[name].value : undefined);
  function shortName(iri) {
    const cut = Math.max(iri.lastIndexOf("/"), iri.lastIndexOf("#"));
    return cut >= 0 ? iri.slice(cut + 1) : iri;
  }
  function labelOf(row, name) {
    return value(row, name + "Label") || (row[name] && row[name].type === "uri" ? shortName(row[name].value) : value(row, name));
  }
  function localLink(iri) {  // /id/ IRIs resolve on this server (the entity pages)
    return iri && iri.startsWith(settings.idBase) ? "/id/" + iri.slice(settings.idBase.length) : iri;
  }
  function stateKey(row, name) {
    const iri = value(row, name);
    const base = settings.idBase + "state/";
    if (iri && iri.startsWith(base)) return iri.slice(base.length);
    const iso = value(row, "iso3");
    return iso ? iso.toUpperCase() : null;
  }
  function startColumn(variables) {
    return first(variables, STARTS) ||
      variables.find((v) => /(Since|Start|StartDate|Date)$/.test(v) && !/end/i.test(v));
  }
  function parseDate(text) {
    if (!text) return null;
    const m = /^(-?\d{1,4})(?:-(\d\d))?(?:-(\d\d))?/.exec(text);
    if (!m) return null;
    return Date.UTC(Number(m[1]), m[2] ? Number(m[2]) - 1 : 0, m[3] ? Number(m[3]) : 1);
  }
  function inForce(row, startName, endName, day) {  // no date chosen, or start <= day < end
    if (day === null) return true;
    const start = parseDate(value(row, startName));
    const end = parseDate(value(row, endName));
    return (start === null || start <= day) && (end === null || day < end);
  }
  function el(name, attributes, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, v);
    if (parent) parent.append(node);
    return node;
  }
  function html(tag, attributes, parent, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.append(node);
    return node;
  }
  function title(node, text) { el("title", {}, node).textContent = text; }
  function colourFor(keys) {
    const colours = new Map();
    keys.forEach((k, i) => colours.set(k, PALETTE[i % PALETTE.length]));
    return colours;
  }
  function legend(parent, colours, note, heading) {
    const box = html("div", { class: "akg-legend" }, parent);
    if (heading) html("span", { class: "akg-legend-heading" }, box, heading + ":");
    for (const [name, colour] of colours) {
      const item = html("span", { class: "akg-legend-item" }, box);
      html("i", { style: `background:${colour}` }, item);
      item.append(name);
    }
    if (note) html("span", { class: "akg-note" }, box, note);
  }
  function controls(parent, options) {  // a date field and, when given kinds, a kind selector
    const form = html("form", { class: "akg-controls" }, parent);
    form.addEventListener("submit", (e) => e.preventDefault());
    const dateLabel = html("label", {}, form, options.dateText + " ");
    const date = html("input", { type: "date", name: "date", value: options.date || "" }, dateLabel);
    let kind = null;
    if (options.kinds && options.kinds.length > 1) {
      const kindLabel = html("label", {}, form, " kind ");
      kind = html("select", { name: "kind" }, kindLabel);
      html("option", { value: "" }, kind, "every kind");
      for (const k of options.kinds) html("option", { value: k }, kind, k);
    }
    const status = html("span", { class: "akg-status" }, form);
    return { form: form, date: date, kind: kind, status: status,
      day: () => (date.value ? parseDate(date.value) : null), kindValue: () => (kind ? kind.value : "") };
  }
  function kindsOf(rows, kindName) {
    return kindName ? [...new Set(rows.map((r) => value(r, kindName)).filter(Boolean))].sort() : [];
  }

  // ---- the answer's own date ----------------------------------------------------------------------
  // A view opens on the date the answer is about, never on today's: a date the query binds (a column
  // such as ?date or ?year with one value in every row, or the VALUES / BIND of the query text), else
  // the latest start date in the answer. A year becomes the day of that year on which most rows hold.
  const DATE_NAMES = ["date", "on", "asOf", "day", "year"];
  const iso = (t) => new Date(t).toISOString().slice(0, 10);
  function boundInText(text) {
    const names = DATE_NAMES.join("|");
    const m = new RegExp(`VALUES\\s*\\?(?:${names})\\s*\\{\\s*("?)(-?\\d{4}(?:-\\d\\d-\\d\\d)?)\\1`, "i").exec(text || "") ||
      new RegExp(`BIND\\s*\\(\\s*(")(\\d{4}-\\d\\d-\\d\\d)"(?:\\^\\^\\S+)?\\s+AS\\s+\\?(?:${names})\\s*\\)`, "i").exec(text || "");
    return m ? m[2] : null;
  }
  function boundInAnswer(a) {
    for (const name of DATE_NAMES) {
      if (!a.variables.includes(name)) continue;
      const values = new Set(a.rows.map((r) => value(r, name)));
      const only = [...values][0];
      if (values.size === 1 && only && /^-?\d{4}(-\d\d-\d\d)?/.test(only)) return only.slice(0, /^-?\d{4}$/.test(only) ? undefined : 10);
    }
    return null;
  }
  function bestDayOfYear(rows, startName, endName, year) {
    const candidates = [Date.UTC(year, 0, 1), Date.UTC(year, 6, 1), Date.UTC(year, 11, 31)];
    for (const r of rows) {
      const s = parseDate(value(r, startName));
      if (s !== null && new Date(s).getUTCFullYear() === year) candidates.push(s);
    }
    let best = candidates[0], most = -1;
    for (const day of candidates.sort((x, y) => x - y)) {
      const count = rows.filter((r) => inForce(r, startName, endName, day)).length;
      if (count > most) { best = day; most = count; }
    }
    return best;
  }
  function dateNote(ui, opening) {
    if (ui.day() === null) return "";
    return " on " + ui.date.value + (opening && ui.date.value === opening.date ? ` (${opening.why})` : "");
  }
  // {date: "YYYY-MM-DD", why: "..."} or null when the answer has no dates
  function answerDate(a, startName, endName) {
    const bound = boundInAnswer(a) || boundInText(settings.queryText ? settings.queryText() : "");
    if (bound) {
      if (/^-?\d{4}$/.test(bound)) return { date: iso(bestDayOfYear(a.rows, startName, endName, Number(bound))), why: "in the query's year " + bound };
      return { date: bound, why: "the query's date" };
    }
    const starts = a.rows.map((r) => parseDate(value(r, startName))).filter((t) => t !== null);
    return starts.length ? { date: iso(Math.max(...starts)), why: "the latest date in the answer" } : null;
  }

  // ?status (the in-force queries: "confirmed" or "presumed", ontology/README.md "Coverage") speaks
  // for the date or year the query binds, not for any date picked in a view. statusDate(a) is null when
  // the answer has no ?status column, "" when it binds no date, else that date ("YYYY-MM-DD") or year.
  function statusDate(a) {
    if (!a.variables.includes("status")) return null;
    return boundInAnswer(a) || boundInText(settings.queryText ? settings.queryText() : "") || "";
  }
  // The status is shown on its own date (any day of its year), or with no date picked (every row).
  function statusShown(bound, ui) {
    if (bound === null) return false;
    const picked = ui.date.value;
    return !bound || !picked || (/^-?\d{4}$/.test(bound) ? picked.startsWith(bound + "-") : picked === bound);
  }
  function statusOn(bound) { return bound ? bound : "the query's date"; }
  const presumedRow = (r) => value(r, "status") === "presumed";
  // the hatching of "presumed", as `alliance-kg plot map` draws it (service/graph/exports.py): diagonal
  // grey lines over a lighter fill; HATCH_SWATCH is the same in a legend
  const HATCH_SWATCH = "repeating-linear-gradient(45deg, #555 0 1px, #ccc 1px 4px)";
  function hatchPattern(defs, id) {
    const pattern = el("pattern", { id: id, patternUnits: "userSpaceOnUse", width: 5, height: 5, patternTransform: "rotate(45)" }, defs);
    el("line", { x1: 0, y1: 0, x2: 0, y2: 5, stroke: "#555", "stroke-width": 1.2 }, pattern);
    return `url(#${id})`;
  }

  function plural(n, word) { return n === 1 ? word : word + "s"; }
  function article(word) { return /^[aeiou]/i.test(word) ? "an" : "a"; }
  // What the date field does with the answer's rows: with an end column it keeps those in force on the
  // date; with only a start (events such as a transfer of arms) those dated on or before it.
  function dateMeaning(startName, endName) {
    if (!startName) return "(no dates in this answer)";
    return endName ? "in force on" : "dated on or before";
  }
  // ---- map ----------------------------------------------------------------------------------------
  function mapShape(variables) {
    const stateName = first(variables, MEMBERS) || (variables.includes("iso3") ? "iso3" : null);
    return stateName ? { state: stateName, group: first(variables, GROUPS.concat(["kind"])) } : null;
  }
  const project = ([lon, lat], scale) => [(lon + 180) * scale, (84 - lat) * scale];
  // A row's partnership is an alliance when its ?kind says so (memberships-over-time.rq: "alliance") or its
  // ?isAlliance is true (in-force-on-date.rq), or when the answer's groups are ?alliance themselves.
  function isAlliance(shape, row) {
    if (shape.group === "alliance" || value(row, "isAlliance") === "true") return true;
    const kind = value(row, "kind");
    return !!kind && /alliance/i.test(kind) && !/no alliance|not an alliance/i.test(kind);
  }

  class MapView {
    constructor(yasr) { this.yasr = yasr; this.priority = 2; this.label = "Map"; }
    canHandleResults() {
      const a = answer(this.yasr);
      if (!a || !a.rows.length) return false;
      const shape = mapShape(a.variables);
      return !!(shape && a.rows.some((r) => stateKey(r, shape.state)));
    }
    getIcon() { return icon("M3 6l6-2 6 2 6-2v14l-6 2-6-2-6 2zM9 4v14M15 6v14"); }
    draw() {
      const a = answer(this.yasr);
      const shape = mapShape(a.variables);
      const startName = startColumn(a.variables);
      const endName = first(a.variables, ENDS);
      const root = html("div", { class: "akg-view akg-map" }, this.yasr.resultsEl);
      const opening = startName ? answerDate(a, startName, endName) : null;
      const ui = controls(root, { dateText: startName ? "members on" : "(no dates in this answer)", date: opening ? opening.date : "" });
      if (!startName) ui.date.disabled = true;
      const picture = html("div", { class: "akg-picture" }, root);
      const statusBound = statusDate(a);
      if (!worldPromise) worldPromise = fetch(settings.worldUrl).then((r) => { if (!r.ok) throw new Error(`world map: HTTP ${r.status}`); return r.json(); });
      worldPromise.then((world) => {
        const render = () => {
          picture.replaceChildren();
          const groupsOf = new Map();   // state key -> set of group labels
          const groupSize = new Map();  // group label -> number of states
          const allianceGroups = new Set();
          const showStatus = statusShown(statusBound, ui);
          const confirmedOf = new Map();  // state key -> its groups with a row not presumed
          for (const r of a.rows) {
            if (!inForce(r, startName, endName, ui.day())) continue;
            const key = stateKey(r, shape.state);
            if (!key) continue;
            const group = shape.group ? labelOf(r, shape.group) : "in the answer";
            if (isAlliance(shape, r)) allianceGroups.add(group);
            if (!groupsOf.has(key)) { groupsOf.set(key, new Set()); confirmedOf.set(key, new Set()); }
            if (!groupsOf.get(key).has(group)) { groupsOf.get(key).add(group); groupSize.set(group, (groupSize.get(group) || 0) + 1); }
            if (!showStatus || !presumedRow(r)) confirmedOf.get(key).add(group);
          }
          // alliances first, then the larger: the first colours, the first stripes and the head of each list;
          // within a state, as `alliance-kg plot map` orders them, confirmed before presumed after alliances
          const ordered = [...groupSize.keys()].sort((x, y) => allianceGroups.has(y) - allianceGroups.has(x) ||
            groupSize.get(y) - groupSize.get(x) || x.localeCompare(y));
          const rank = new Map(ordered.map((g, i) => [g, i]));
          const listOf = (key) => [...groupsOf.get(key)].sort((x, y) => allianceGroups.has(y) - allianceGroups.has(x) ||
            confirmedOf.get(key).has(y) - confirmedOf.get(key).has(x) || rank.get(x) - rank.get(y));
          const colours = colourFor(ordered);
          const width = Math.max(640, this.yasr.resultsEl.clientWidth - 20 || 960);
          const scale = width / 360;
          const height = Math.round(142 * scale);
          const svg = el("svg", { width: width, height: height, viewBox: `0 0 ${width} ${height}`, class: "akg-svg", role: "img" }, picture);
          const defs = el("defs", {}, svg);
          const stripes = new Map();  // a state in several groups: diagonal stripes of their colours, in that order
          const fillOf = (list) => {
            if (list.length === 1) return colours.get(list[0]);
            const key = list.join("\n");
            if (!stripes.has(key)) {
              const id = "akg-stripes-" + stripes.size, band = 3;
              const pattern = el("pattern", { id: id, patternUnits: "userSpaceOnUse", width: band * list.length, height: 10,
                patternTransform: "rotate(45)" }, defs);
              list.forEach((g, i) => el("rect", { x: band * i, y: 0, width: band, height: 10, fill: colours.get(g) }, pattern));
              stripes.set(key, `url(#${id})`);
            }
            return stripes.get(key);
          };
          el("rect", { width: width, height: height, class: "akg-sea" }, svg);
          const hatch = hatchPattern(defs, "akg-hatch");
          const when = statusOn(statusBound);
          let coloured = 0;
          for (const country of world.countries) {
            const groups = groupsOf.get(country.key);
            const list = groups ? listOf(country.key) : [];
            // presumed: every partnership of the state on the date is (no source confirms any of them)
            const presumed = !!groups && confirmedOf.get(country.key).size === 0;
            const fill = groups ? fillOf(list) : "#e4e4e4";
            const anchor = el("a", { href: "/id/state/" + country.key, class: "akg-country" + (groups ? " akg-member" : "") +
              (presumed ? " akg-presumed" : ""), "data-key": country.key }, svg);
            if (groups) { coloured++; anchor.dataset.groups = list.join(" | "); }
            const opacity = presumed ? { "fill-opacity": 0.45 } : {};
            if (country.rings.length) {
              const d = country.rings.map((ring) => "M" + ring.map((p) => project(p, scale).map((v) => v.toFixed(1)).join(",")).join("L") + "Z").join("");
              el("path", Object.assign({ d: d, fill: fill }, opacity), anchor);
              if (presumed) el("path", { d: d, fill: hatch, class: "akg-hatch" }, anchor);
            } else if (groups) {
              const [x, y] = project(country.label, scale);
              el("circle", Object.assign({ cx: x, cy: y, r: 3, fill: fill }, opacity), anchor);
            }
            const named = list.map((g) => g + (allianceGroups.has(g) ? " (alliance)" : "") +
              (showStatus && !presumed && !confirmedOf.get(country.key).has(g) ? " (presumed)" : ""));
            title(anchor, country.name + (!groups ? "" :
              (presumed ? `: presumed (no source confirms it on ${when})` : "") + ": " + named.join("; ")));
          }
          // counted by state, not by shape drawn (Australia's outlying territories are drawn apart)
          const presumedStates = [...confirmedOf.values()].filter((groups) => groups.size === 0).length;
          ui.status.textContent = `${groupsOf.size} states in the answer` +
            (showStatus ? ` (${groupsOf.size - presumedStates} confirmed, ${presumedStates} presumed)` : "") + dateNote(ui, opening);
          const shown = presumedStates ? new Map([...colours, ["presumed", HATCH_SWATCH]]) : colours;
          legend(picture, shown, (stripes.size ? "A state in several is striped in their colours, alliances first; hover for the list. " : "") +
            (presumedStates ? `Hatched, lighter: presumed in force on ${when} (?status): every partnership of the state on that date ` +
              "is presumed, with no end recorded and no source confirming it on that date. " : "") +
            (statusBound !== null && !showStatus ? `?status speaks for ${when} only: pick that date to see what is presumed.` : ""),
            allianceGroups.size && allianceGroups.size < ordered.length ? `Alliances first (${allianceGroups.size}), then the other partnerships` : "");
          html("p", { class: "akg-attribution" }, picture, world.attribution);
          svg.dataset.coloured = String(coloured);
        };
        ui.form.addEventListener("change", render);
        render();
      }).catch((error) => { picture.textContent = error.message; });
    }
  }

  // ---- timeline -----------------------------------------------------------------------------------
  class TimelineView {
    constructor(yasr) { this.yasr = yasr; this.priority = 1; this.label = "Timeline"; }
    canHandleResults() {
      const a = answer(this.yasr);
      return !!(a && a.rows.length && startColumn(a.variables) && a.rows.some((r) => parseDate(value(r, startColumn(a.variables))) !== null));
    }
    getIcon() { return icon("M3 12h18M6 8v8M12 6v12M18 9v6"); }
    draw() {
      const a = answer(this.yasr);
      const startName = startColumn(a.variables);
      const endName = first(a.variables, ENDS);
      const groupName = first(a.variables, GROUPS) || first(a.variables, ["kind"]);
      const itemName = first(a.variables, ["state", "member", "event", "item", "partner"]) ||
        a.variables.find((v) => v !== groupName && !v.endsWith("Label") && v !== startName && v !== endName) || groupName;
      const kindName = first(a.variables, ["kind"]);
      // Spells of presumed status (issue 12): with ?lastConfirmed the part of a spell after its last
      // confirmation is presumed; ?status (for the query's date) says which rows are. Such an answer holds
      // spells, not events: without an end column its bars run to the query's date, the day it speaks for.
      const statusBound = statusDate(a);
      const confirmedName = a.variables.includes("lastConfirmed") ? "lastConfirmed" : null;
      const spells = !!endName || statusBound !== null || !!confirmedName;
      const endsOnStatusDay = !endName && !!statusBound && !/^-?\d{4}$/.test(statusBound);
      const openText = endsOnStatusDay ? statusBound + " (the query's date)" : endName ? "today (still in force)" : "today";
      const root = html("div", { class: "akg-view akg-timeline" }, this.yasr.resultsEl);
      const ui = controls(root, { dateText: "mark the date", kinds: kindsOf(a.rows, kindName),
        date: statusBound && !/^-?\d{4}$/.test(statusBound) ? statusBound : "" });
      const picture = html("div", { class: "akg-picture" }, root);
      const render = () => {
        picture.replaceChildren();
        const today = Date.now();
        const statusDay = statusBound ? parseDate(statusBound) : null;  // a year: its first day
        const openEnd = endsOnStatusDay ? statusDay : today;
        const endOf = (r) => parseDate(value(r, endName)) || (spells ? openEnd : parseDate(value(r, startName)));
        // where the presumed part of a row begins, or null: its last confirmation where the answer gives
        // it (the start when it has none), else the status's own date (all that ?status alone tells)
        const presumedFrom = (r) => {
          const s = parseDate(value(r, startName));
          const last = confirmedName ? parseDate(value(r, confirmedName)) : null;
          const presumed = statusBound !== null ? presumedRow(r)
            : last !== null && !value(r, endName) && last < endOf(r);
          if (!presumed) return null;
          const from = confirmedName ? (last === null ? s : last) : (statusDay === null ? s : statusDay);
          return Math.min(Math.max(s, from), endOf(r));
        };
        const dated = [], undated = [];
        for (const r of a.rows) {
          if (ui.kindValue() && value(r, kindName) !== ui.kindValue()) continue;
          (parseDate(value(r, startName)) === null ? undated : dated).push(r);
        }
        const lanes = new Map();
        for (const r of dated) {
          const lane = groupName ? labelOf(r, groupName) : "";
          if (!lanes.has(lane)) lanes.set(lane, []);
          lanes.get(lane).push(r);
        }
        const starts = dated.map((r) => parseDate(value(r, startName)));
        const ends = dated.map(endOf);
        const year = 365.25 * 864e5;
        const from = Math.min(...starts) - year, to = Math.max(...ends, ...starts) + year;
        const width = Math.max(640, this.yasr.resultsEl.clientWidth - 20 || 960);
        const left = 260, right = 20, rowHeight = 15, laneGap = 20, top = 28;
        const x = (t) => left + ((t - from) / (to - from)) * (width - left - right);
        const height = top + dated.length * rowHeight + lanes.size * laneGap + 10;
        const svg = el("svg", { width: width, height: height, viewBox: `0 0 ${width} ${height}`, class: "akg-svg", role: "img" }, picture);
        title(svg, `Timeline of ${dated.length} dated rows`);
        const firstYear = new Date(from).getUTCFullYear(), lastYear = new Date(to).getUTCFullYear();
        const stepYears = [1, 2, 5, 10, 20, 25, 50].find((s) => (lastYear - firstYear) / s <= 12) || 100;
        for (let y = Math.ceil(firstYear / stepYears) * stepYears; y <= lastYear; y += stepYears) {
          const tx = x(Date.UTC(y, 0, 1));
          el("line", { x1: tx, x2: tx, y1: top - 6, y2: height, class: "akg-tick" }, svg);
          el("text", { x: tx, y: top - 10, class: "akg-tick-label", "text-anchor": "middle" }, svg).textContent = String(y);
        }
        const colours = colourFor([...lanes.keys()]);
        const hatch = hatchPattern(el("defs", {}, svg), "akg-timeline-hatch");
        const when = statusOn(statusBound);
        let presumedRows = 0;
        let y = top;
        for (const [lane, rows] of lanes) {
          el("text", { x: 4, y: y + 12, class: "akg-lane" }, svg).textContent = lane;
          y += laneGap - 6;
          rows.sort((p, q) => parseDate(value(p, startName)) - parseDate(value(q, startName)));
          for (const r of rows) {
            const s = parseDate(value(r, startName));
            const e = parseDate(value(r, endName));
            const colour = colours.get(lane);
            const label = itemName && itemName !== groupName ? labelOf(r, itemName) : lane;
            const from = presumedFrom(r);
            const mark = el("a", { href: localLink(value(r, itemName) || value(r, groupName) || "#"),
              class: "akg-mark" + (from !== null ? " akg-presumed" : "") }, svg);
            if (spells) {
              const confirmedUntil = from === null ? endOf(r) : from;
              let solidRight = x(s);
              if (from === null || confirmedUntil > s) {
                const width = Math.max(x(confirmedUntil) - x(s), 2);  // a day's spell is still seen
                el("rect", { x: x(s), y: y + 1, width, height: rowHeight - 3, fill: colour,
                  "fill-opacity": e ? 0.9 : 0.6 }, mark);
                solidRight = x(s) + width;
              }
              if (from !== null) {
                presumedRows++;
                const start = Math.max(x(from), solidRight);  // after the solid part, widened or not
                const part = { x: start, y: y + 1, width: Math.max(x(endOf(r)) - start, 2), height: rowHeight - 3 };
                el("rect", Object.assign({ fill: colour, "fill-opacity": 0.3, class: "akg-presumed-part", "data-from": iso(from) }, part), mark);
                el("rect", Object.assign({ fill: hatch, class: "akg-hatch" }, part), mark);
              }
            } else {
              el("circle", { cx: x(s), cy: y + rowHeight / 2, r: 4, fill: colour }, mark);
            }
            // the presumed part may be a sliver of a long spell: the name in italics says it at any scale
            el("text", { x: left - 6, y: y + rowHeight - 3, "text-anchor": "end",
              class: "akg-row-label" + (from !== null ? " akg-presumed-label" : "") }, mark).textContent = label;
            title(mark, `${label}${lane && label !== lane ? " (" + lane + ")" : ""}: ${value(r, startName)}` +
              (spells ? ` to ${value(r, endName) || openText}` : "") +
              (from === null ? "" : `; presumed from ${iso(from)}` + (confirmedName && value(r, confirmedName) ? " (its last confirmation)" : "") +
                `: no end recorded, and no source confirms it on ${when}`));
            y += rowHeight;
          }
          y += 6;
        }
        if (ui.day() !== null) {
          el("line", { x1: x(ui.day()), x2: x(ui.day()), y1: top - 6, y2: height, class: "akg-today" }, svg);
        }
        // by ?status where the answer gives it (assess-partnerships.rq also says "ended", "not yet")
        const tally = new Map([["confirmed", 0], ["presumed", 0]]);
        for (const r of dated) {
          const status = statusBound !== null ? value(r, "status") || "no status" : presumedFrom(r) === null ? "confirmed" : "presumed";
          tally.set(status, (tally.get(status) || 0) + 1);
        }
        ui.status.textContent = `${dated.length} dated rows` +
          (statusBound !== null || confirmedName ? ` (${[...tally].map(([status, n]) => n + " " + status).join(", ")})` : "") +
          (undated.length ? `, ${undated.length} without a date (listed below)` : "");
        if (presumedRows) {
          legend(picture, new Map([["presumed", HATCH_SWATCH]]), "Hatched, lighter: the presumed part of a spell, " +
            (confirmedName ? "from its last confirmation (?lastConfirmed)" : `from ${when} (?status; the answer has no ?lastConfirmed)`) +
            ` to ${endsOnStatusDay ? when : "today"}: no end is recorded, and no source confirms it since. Its name in italics.`);
        }
        if (undated.length) {
          const list = html("ul", { class: "akg-undated" }, picture);
          for (const r of undated) {
            html("li", {}, list, [groupName && labelOf(r, groupName), itemName && itemName !== groupName && labelOf(r, itemName)].filter(Boolean).join(": "));
          }
        }
      };
      ui.form.addEventListener("change", render);
      render();
    }
  }

  function icon(path) {
    const svg = el("svg", { viewBox: "0 0 24 24", width: 16, height: 16, fill: "none", stroke: "currentColor", "stroke-width": 2 });
    el("path", { d: path }, svg);
    return svg;
  }

  window.AllianceViews = {
    register(Yasr, options) {
      settings = Object.assign(settings, options || {});
      Yasr.registerPlugin("network", window.AllianceViews.NetworkView);
      Yasr.registerPlugin("map", MapView);
      Yasr.registerPlugin("timeline", TimelineView);
    },
    configure(options) { settings = Object.assign(settings, options || {}); },
    MapView: MapView, TimelineView: TimelineView,
    // what network.js draws with (it adds NetworkView)
    kit: { EDGE_PAIRS, DIRECTED, GROUPS, MEMBERS, ENDS, answer, first, value, labelOf,
      localLink, startColumn, inForce, el, html, title, colourFor, legend, controls, kindsOf, answerDate, dateNote,
      plural, article, dateMeaning, icon, statusDate, statusShown, statusOn },
  };
})();
