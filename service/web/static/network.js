// The network view of the query UI (views.js has the conventions and the helpers it shares): states or
// actors as nodes, one line a row or a shared partnership, big partnerships as blocs.
(function () {
  "use strict";
  const { EDGE_PAIRS, DIRECTED, GROUPS, MEMBERS, ENDS, answer, first, value, labelOf, localLink, startColumn,
    inForce, el, html, title, colourFor, legend, controls, kindsOf, answerDate, dateNote, plural, article, dateMeaning,
    icon, statusDate, statusShown, statusOn } = window.AllianceViews.kit;

  // A partnership with more members than this (on the chosen date) is drawn as one node, a bloc, joined to
  // each member: NATO's 32 members make 32 lines instead of 496 crossing ones.
  const BLOC_SIZE = 8;

  // What one line of the network stands for, in words (the legend's name for it when there is no ?kind).
  function edgeMeaning(shape, directed) {
    if (shape.group) return `states sharing ${article(shape.group)} ${shape.group}`;
    return directed ? `from ?${shape.pair[0]} to ?${shape.pair[1]}` : `?${shape.pair[0]} and ?${shape.pair[1]} in one row`;
  }
  // Names where they overlap no other name and no node: blocs and the best-linked nodes first, each tried
  // right, left, above and below its node; a name that fits nowhere is shown only on hover.
  function placeLabels(labels, nodes, width, height) {
    const taken = nodes.map((d) => ({ x: d.x - d.r, y: d.y - d.r, w: 2 * d.r, h: 2 * d.r, node: d }));
    let hidden = 0;
    labels.sort((p, q) => (q.node.bloc ? 1 : 0) - (p.node.bloc ? 1 : 0) || q.node.degree - p.node.degree);
    const fitting = (d, text) => {
      const w = text.getComputedTextLength() + 2, h = d.bloc ? 13 : 11, gap = d.r + 3;
      const places = [[d.x + gap, d.y - h / 2, "start"], [d.x - gap - w, d.y - h / 2, "end"],
        [d.x - w / 2, d.y - gap - h, "middle"], [d.x - w / 2, d.y + gap, "middle"]];
      return places.map(([x, y, anchor]) => ({ x: x, y: y, w: w, h: h, anchor: anchor }))
        .find((box) => box.x >= 0 && box.y >= 0 && box.x + box.w <= width && box.y + box.h <= height &&
          !(d.bloc ? taken.filter((t) => !t.node) : taken).some((t) => t.node !== d &&
            box.x < t.x + t.w && t.x < box.x + box.w && box.y < t.y + t.h && t.y < box.y + box.h));
    };
    for (const { node: d, text } of labels) {
      let fit = fitting(d, text);
      const short = /\(([^()]+)\)\s*$/.exec(d.label);  // "North Atlantic Treaty Organization (NATO)": NATO
      if (!fit && d.bloc && short) { text.textContent = short[1]; fit = fitting(d, text); }
      const w = fit ? fit.w : 0, h = fit ? fit.h : 0;
      if (!fit) { text.classList.add("akg-label-hidden"); hidden++; continue; }
      taken.push(Object.assign({ node: null }, fit));
      const x = fit.anchor === "start" ? fit.x + 1 : fit.anchor === "end" ? fit.x + w - 1 : fit.x + w / 2;
      text.setAttribute("x", x.toFixed(1));
      text.setAttribute("y", (fit.y + h - 3).toFixed(1));
      text.setAttribute("text-anchor", fit.anchor);
    }
    return hidden;
  }

  // ---- network ------------------------------------------------------------------------------------
  function networkShape(variables) {
    const pair = EDGE_PAIRS.find(([a, b]) => variables.includes(a) && variables.includes(b));
    if (pair) return { pair: pair };
    const group = first(variables, GROUPS);
    const member = first(variables, MEMBERS);
    return group && member ? { group: group, member: member } : null;
  }

  function networkEdges(rows, shape, startName, endName, day, kindName, kind, showStatus) {
    const nodes = new Map();
    const edges = new Map();
    const keep = rows.filter((r) => inForce(r, startName, endName, day) && (!kind || value(r, kindName) === kind));
    const node = (row, name) => {
      const id = value(row, name);
      if (!nodes.has(id)) nodes.set(id, { id: id, label: labelOf(row, name), degree: 0 });
      return nodes.get(id);
    };
    const directed = !!(shape.pair && DIRECTED.has(shape.pair[0]));
    // ?status (queries/in-force-on-date.rq and the others that give it): "presumed" where no source
    // confirms the row on the query's date. A line is presumed only if every row behind it is.
    const presumedRow = (r) => showStatus && value(r, "status") === "presumed";
    const link = (a, b, via, kindValue, undated, membership, presumed) => {
      if (a.id === b.id) return;
      const key = directed || membership || a.id < b.id ? a.id + " " + b.id : b.id + " " + a.id;
      if (!edges.has(key)) {
        edges.set(key, { a: a, b: b, via: new Set(), kind: kindValue, undated: true, membership: membership, presumed: true });
        a.degree++; b.degree++;
      }
      const edge = edges.get(key);
      if (via) edge.via.add(via);
      edge.undated = edge.undated && undated;
      edge.presumed = edge.presumed && presumed;
    };
    if (shape.pair) {
      for (const r of keep) {
        if (!value(r, shape.pair[0]) || !value(r, shape.pair[1])) continue;
        const via = value(r, "partnershipLabel") || value(r, "alliances") || value(r, "items") || value(r, "itemLabel") || value(r, "eventLabel");
        link(node(r, shape.pair[0]), node(r, shape.pair[1]), via, value(r, kindName), !value(r, startName), false, presumedRow(r));
      }
    } else {
      const byGroup = new Map();
      for (const r of keep) {
        const g = value(r, shape.group);
        if (!g || !value(r, shape.member)) continue;
        if (!byGroup.has(g)) byGroup.set(g, { label: labelOf(r, shape.group), kind: value(r, kindName), members: new Map() });
        const member = node(r, shape.member);
        const undated = !value(r, startName);
        const known = byGroup.get(g).members.get(member.id);
        byGroup.get(g).members.set(member.id, { node: member, undated: known ? known.undated && undated : undated,
          presumed: known ? known.presumed && presumedRow(r) : presumedRow(r) });
      }
      for (const [g, { label, kind: groupKind, members }] of byGroup) {
        const list = [...members.values()];
        if (list.length > BLOC_SIZE) {  // one node for the bloc, a line to each member: n lines, not n(n-1)/2
          const hub = { id: g, label: label, degree: 0, bloc: true, members: list.length };
          nodes.set(g, hub);
          for (const m of list) link(hub, m.node, label, groupKind, m.undated, true, m.presumed);
          continue;
        }
        for (let i = 0; i < list.length; i++) {
          for (let j = i + 1; j < list.length; j++) {
            link(list[i].node, list[j].node, label, groupKind, list[i].undated || list[j].undated, false,
              list[i].presumed || list[j].presumed);
          }
        }
      }
    }
    return { nodes: [...nodes.values()], edges: [...edges.values()], directed: directed };
  }

  // ForceAtlas2-like layout (repulsion grows with degree, linear attraction, gravity), started from a
  // fixed circle so that the same answer gives the same picture; then scaled to fit the canvas.
  function layoutComponent(nodes, edges, left, top, width, height) {
    const n = nodes.length;
    nodes.forEach((d, i) => {
      const angle = (2 * Math.PI * i) / Math.max(n, 1);
      d.x = 100 * Math.cos(angle);
      d.y = 100 * Math.sin(angle);
    });
    if (n > 1) {
      const repulsion = 40, gravity = 0.05;
      for (let step = 0, speed = 10; step < 400; step++, speed *= 0.99) {
        for (const d of nodes) { d.dx = -gravity * (d.degree + 1) * d.x; d.dy = -gravity * (d.degree + 1) * d.y; }
        for (let i = 0; i < n; i++) {
          for (let j = i + 1; j < n; j++) {
            const a = nodes[i], b = nodes[j];
            const dx = a.x - b.x, dy = a.y - b.y;
            const distance2 = Math.max(dx * dx + dy * dy, 0.01);
            const force = (repulsion * (a.degree + 1) * (b.degree + 1)) / distance2;
            a.dx += dx * force; a.dy += dy * force; b.dx -= dx * force; b.dy -= dy * force;
          }
        }
        for (const e of edges) {
          const dx = e.a.x - e.b.x, dy = e.a.y - e.b.y;
          e.a.dx -= dx; e.a.dy -= dy; e.b.dx += dx; e.b.dy += dy;
        }
        for (const d of nodes) {
          const length = Math.max(Math.hypot(d.dx, d.dy), 0.01);
          const move = Math.min(length / (d.degree + 1), speed);
          d.x += (d.dx / length) * move;
          d.y += (d.dy / length) * move;
        }
      }
    }
    const xs = nodes.map((d) => d.x), ys = nodes.map((d) => d.y);
    const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const margin = 20, labelRoom = 90;
    const scale = Math.min((width - 2 * margin - labelRoom) / Math.max(maxX - minX, 1),
      (height - 2 * margin) / Math.max(maxY - minY, 1));
    for (const d of nodes) {
      d.x = left + margin + (d.x - minX) * scale + (width - 2 * margin - labelRoom - (maxX - minX) * scale) / 2;
      d.y = top + margin + (d.y - minY) * scale + (height - 2 * margin - (maxY - minY) * scale) / 2;
    }
  }

  // Each connected part is laid out alone, in a column as wide as the square root of its size.
  function layout(nodes, edges, width, height) {
    const part = new Map(nodes.map((d) => [d, d]));
    const find = (d) => { while (part.get(d) !== d) d = part.get(d); return d; };
    for (const e of edges) part.set(find(e.a), find(e.b));
    const parts = new Map();
    for (const d of nodes) {
      const root = find(d);
      if (!parts.has(root)) parts.set(root, { nodes: [], edges: [] });
      parts.get(root).nodes.push(d);
    }
    for (const e of edges) parts.get(find(e.a)).edges.push(e);
    const ordered = [...parts.values()].sort((p, q) => q.nodes.length - p.nodes.length);
    const total = ordered.reduce((sum, p) => sum + Math.sqrt(p.nodes.length), 0);
    let left = 0;
    for (const p of ordered) {
      const share = (width * Math.sqrt(p.nodes.length)) / total;
      layoutComponent(p.nodes, p.edges, left, 0, share, height);
      left += share;
    }
  }

  class NetworkView {
    constructor(yasr) { this.yasr = yasr; this.priority = 3; this.label = "Network"; }
    canHandleResults() {
      const a = answer(this.yasr);
      return !!(a && a.rows.length && networkShape(a.variables));
    }
    getIcon() { return icon("M4 4h4v4H4zM16 4h4v4h-4zM10 16h4v4h-4zM6 8l6 8M18 8l-6 8M8 6h8"); }
    draw() {
      const a = answer(this.yasr);
      const shape = networkShape(a.variables);
      const startName = startColumn(a.variables);
      const endName = first(a.variables, ENDS);
      const kindName = first(a.variables, ["kind", "kindLabel", "confidence"]);
      const root = html("div", { class: "akg-view akg-network" }, this.yasr.resultsEl);
      const opening = startName ? answerDate(a, startName, endName) : null;
      const ui = controls(root, { dateText: dateMeaning(startName, endName), kinds: kindsOf(a.rows, kindName),
        date: opening ? opening.date : "" });
      if (!startName) ui.date.disabled = true;
      const picture = html("div", { class: "akg-picture" }, root);
      const statusBound = statusDate(a);
      const render = () => {
        picture.replaceChildren();
        const showStatus = statusShown(statusBound, ui);
        const { nodes, edges, directed } = networkEdges(a.rows, shape, startName, endName, ui.day(), kindName, ui.kindValue(), showStatus);
        const blocs = nodes.filter((d) => d.bloc);
        const actors = nodes.length - blocs.length;
        ui.status.textContent = `${actors} ${shape.group ? plural(actors, "state") : plural(actors, "node")}` +
          (blocs.length ? `, ${blocs.length} ${plural(blocs.length, "bloc")}` : "") + `, ${edges.length} ${plural(edges.length, "line")}` +
          (shape.group ? ` (states sharing ${article(shape.group)} ${shape.group})` : "") + dateNote(ui, opening);
        const width = Math.max(640, this.yasr.resultsEl.clientWidth - 20 || 900);
        const height = Math.max(420, Math.min(760, 220 + nodes.length * 6));
        layout(nodes, edges, width, height);
        const meaning = edgeMeaning(shape, directed);
        const kinds = [...new Set(edges.map((e) => e.kind || meaning))].sort();
        const colours = colourFor(kinds);
        const colourOf = (e) => colours.get(e.kind || meaning);
        const svg = el("svg", { width: width, height: height, viewBox: `0 0 ${width} ${height}`, class: "akg-svg", role: "img" }, picture);
        title(svg, "Network: " + ui.status.textContent);
        const defs = el("defs", {}, svg);
        for (const [kind, colour] of colours) {
          const marker = el("marker", { id: "akg-arrow-" + kinds.indexOf(kind), viewBox: "0 0 10 10", refX: 18, refY: 5,
            markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
          el("path", { d: "M0,0L10,5L0,10z", fill: colour }, marker);
        }
        const edgeLayer = el("g", { class: "akg-edges" }, svg);
        // an arrow each way between two nodes (Russia to Iran and Iran to Russia): each bends to its own
        // left, so the two are seen apart instead of one over the other
        const arrows = new Set(directed ? edges.map((e) => e.a.id + " " + e.b.id) : []);
        let twoWay = 0;
        for (const e of edges) {
          const look = { stroke: colourOf(e), "stroke-width": e.membership ? 1 : Math.min(1 + e.via.size, 5),
            "stroke-opacity": e.membership ? 0.4 : 0.55, class: "akg-edge" + (e.membership ? " akg-membership" : "") };
          let line;
          if (arrows.has(e.b.id + " " + e.a.id)) {
            twoWay++;
            const dx = e.b.x - e.a.x, dy = e.b.y - e.a.y, length = Math.max(Math.hypot(dx, dy), 1);
            const bend = Math.min(40, 0.25 * length);
            const cx = (e.a.x + e.b.x) / 2 + (dy / length) * bend, cy = (e.a.y + e.b.y) / 2 - (dx / length) * bend;
            line = el("path", Object.assign(look, { d: `M${e.a.x},${e.a.y}Q${cx},${cy} ${e.b.x},${e.b.y}`, fill: "none" }), edgeLayer);
            line.classList.add("akg-two-way");
          } else {
            line = el("line", Object.assign(look, { x1: e.a.x, y1: e.a.y, x2: e.b.x, y2: e.b.y }), edgeLayer);
          }
          if (e.membership) line.dataset.bloc = e.a.id;
          if (directed) {
            line.setAttribute("marker-end", `url(#akg-arrow-${kinds.indexOf(e.kind || meaning)})`);
            line.dataset.from = e.a.id;
            line.dataset.to = e.b.id;
          }
          if (e.undated) line.setAttribute("stroke-dasharray", "4 3");
          else if (e.presumed) { line.setAttribute("stroke-dasharray", "1 3"); line.classList.add("akg-presumed"); }
          title(line, (e.membership ? `${e.b.label}: member of ${e.a.label}` :
            `${e.a.label} – ${e.b.label}${e.via.size ? ": " + [...e.via].join("; ") : ""}`) +
            (e.presumed ? ` (presumed in force: no source confirms it on ${statusOn(statusBound)})` : ""));
        }
        const nodeLayer = el("g", { class: "akg-nodes" }, svg);
        const labels = [];
        for (const d of nodes) {
          const anchor = el("a", { href: localLink(d.id), class: d.bloc ? "akg-bloc" : "akg-node" }, nodeLayer);
          d.r = d.bloc ? 5 + Math.min(Math.sqrt(d.members), 8) : 3 + Math.min(Math.sqrt(d.degree), 5);
          if (d.bloc) {
            const colour = colourOf(edges.find((e) => e.a === d) || {});
            el("rect", { x: d.x - d.r, y: d.y - d.r, width: 2 * d.r, height: 2 * d.r, rx: 2, fill: colour }, anchor);
            title(anchor, `${d.label}: a bloc of ${d.members} members, each joined to it by a line`);
          } else {
            el("circle", { cx: d.x, cy: d.y, r: d.r }, anchor);
            title(anchor, `${d.label}: ${d.degree} ${plural(d.degree, "line")}`);
          }
          const text = el("text", { x: d.x + d.r + 3, y: d.y + 4 }, anchor);
          text.textContent = d.label;
          labels.push({ node: d, text: text });
        }
        const hidden = placeLabels(labels, nodes, width, height);
        legend(picture, colours, (directed ? "arrows point from ?" + shape.pair[0] + " to ?" + shape.pair[1] + ". " : "") +
          (twoWay ? "Where arrows run both ways between two nodes, each is curved to its own side. " : "") +
          (blocs.length ? `A square is a partnership of more than ${BLOC_SIZE} members (a bloc), with a line to each member. ` : "") +
          (edges.some((e) => e.undated) ? "Dashed: undated. " : "") +
          (edges.some((e) => e.presumed && !e.undated) ? "Dotted: presumed in force on the query's date (?status): " +
            "no end is recorded, and no source confirms it since its last confirmation. " : "") +
          (statusBound !== null && !showStatus ? `?status speaks for ${statusOn(statusBound)} only: pick that date to see what is presumed. ` : "") +
          (hidden ? `${hidden} ${plural(hidden, "name")} not written where ${hidden === 1 ? "it" : "they"} would overlap: hover a node to see it.` : ""),
          !kindName ? "" : shape.group ? "Colour: the kind of the shared partnership" : "Colour: ?" + kindName);
      };
      ui.form.addEventListener("change", render);
      render();
    }
  }


  window.AllianceViews.NetworkView = NetworkView;
})();
