// The query UI at /: YASGUI preset on this endpoint with the project's prefixes, and the saved
// queries of queries/ offered as titled examples. The result views are in views.js.
(function () {
  "use strict";
  const settings = JSON.parse(document.getElementById("workbench-settings").textContent);
  // The starter shows its SELECT at once: the two prefixes it uses, not all fourteen the graph knows
  // (an undeclared one gets an error naming the PREFIX line to add).
  const declare = (p) => `PREFIX ${p}: <${settings.prefixes[p]}>`;
  const starter = "# Pick a question on the left to load its query, or write your own here; \u25b6 runs it.\n" +
    "# Type akg: for the ontology's classes and properties.\n" +
    declare("akg") + "\n" + declare("rdfs") + "\n\nSELECT ?partnership ?partnershipLabel WHERE {\n" +
    "  ?partnership a akg:Alliance ; rdfs:label ?partnershipLabel .\n} ORDER BY ?partnershipLabel\n";

  window.AllianceViews.register(Yasgui.Yasr, settings);
  // The table opens in YASR's "Simple view": plain labels, not "Russia"@en or "true"^^xsd:boolean, with
  // IRIs still links. Its own switch turns the raw RDF view back on.
  const Table = Yasgui.Yasr.plugins.table;
  const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const LINKABLE = /^(https?|urn|ftp|mailto):/i;  // no javascript: link, whatever an IRI says
  Yasgui.Yasr.registerPlugin("table", class PlainTable extends Table {
    constructor(yasr) {
      super(yasr);
      this.persistentConfig = Object.assign({ compact: true }, this.persistentConfig);
      // YASR redraws the table and its controls when a switch is flipped, emptying the filter box: the
      // filtered rows would give way to the first page of the whole answer. Keep the filter across the switch.
      for (const name of ["handleSetCompactToggle", "handleSetEllipsisToggle"]) {
        const toggle = this[name];
        this[name] = (event) => {
          const filter = this.tableFilterField ? this.tableFilterField.value : "";
          toggle(event);
          if (!filter || !this.tableFilterField || !this.dataTable) return;
          this.tableFilterField.value = filter;
          this.dataTable.search(filter).draw("page");
        };
      }
    }
    // When the table opens, DataTables asks every cell of every row for its type, sort and search text,
    // and (to size the columns) its HTML; YASR passed each through DOMPurify: 14,000 sanitisations for a
    // 4,662-row answer, most of the 10 s before the first page showed. The texts are only compared, so
    // they go as they are; the Simple view's HTML is written here from escaped text, as YASR writes it
    // (an IRI by its prefixed name, a link; a literal by its value). The raw view keeps YASR's own.
    getColumns() {
      const prefixes = Object.entries(this.yasr.getPrefixes() || {});
      const simple = (cell) => {
        if (cell.type !== "uri") return `<div><span class='nonIri'>${escapeHtml(cell.value)}</span></div>`;
        const prefix = prefixes.find(([, iri]) => iri && cell.value.startsWith(iri));
        const name = escapeHtml(prefix ? prefix[0] + ":" + cell.value.slice(prefix[1].length) : cell.value);
        return LINKABLE.test(cell.value) ? `<div><span><a class='iri' target='_self' href='${escapeHtml(cell.value)}'>${name}</a></span></div>`
          : `<div><span>${name}</span></div>`;
      };
      return super.getColumns().map((column, index) => index === 0 ? column : Object.assign({}, column, {
        render: (cell, type, row, meta) => cell === "" ? cell : type !== "display" ? cell.value
          : this.persistentConfig.compact ? simple(cell) : column.render(cell, type, row, meta),
      }));
    }
  });
  const endpoint = new URL(settings.endpoint, window.location.href).href;
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    persistenceId: null,   // every visit starts from the preset, not from a stale tab
    populateFromUrl: true,
    yasqe: { value: starter },
    yasr: { prefixes: settings.prefixes, pluginOrder: ["table", "response", "network", "map", "timeline"] },
  });
  window.workbench = { yasgui: yasgui, settings: settings };
  // The views open on the date the query binds (its VALUES ?date or ?year), so they read its text.
  window.AllianceViews.configure({ queryText: () => yasgui.getTab().getQuery() });

  // The table links /id/ IRIs to their published address (w3id.org); point them at this server's
  // entity pages instead, as the views do, when a person is about to follow one.
  const localise = (event) => {
    const anchor = event.target.closest && event.target.closest("a[href]");
    const href = anchor ? anchor.getAttribute("href") : "";  // SVG links have no string .href
    if (href.startsWith(settings.idBase)) {
      anchor.setAttribute("href", "/id/" + href.slice(settings.idBase.length));
      anchor.removeAttribute("target");
    }
  };
  for (const type of ["mouseover", "focusin", "click"]) document.getElementById("yasgui").addEventListener(type, localise, true);

  const list = document.getElementById("example-list");
  const info = document.getElementById("example-info");
  const filter = document.getElementById("example-filter");

  function showInfo(example) {
    info.hidden = false;
    info.replaceChildren();
    const title = document.createElement("h2");
    title.textContent = example.title;
    info.append(title);
    for (const [label, key] of [["Question", "question"], ["Serves", "serves"], ["Expect", "expects"]]) {
      if (!example[key]) continue;
      const p = document.createElement("p");
      const b = document.createElement("b");
      b.textContent = label + ": ";
      p.append(b, example[key]);
      info.append(p);
    }
  }

  function load(example) {
    const tab = yasgui.getTab();
    tab.setQuery(example.query);
    showInfo(example);
    for (const li of list.querySelectorAll("li")) li.classList.toggle("current", li.dataset.name === example.name);
  }

  fetch(settings.examplesUrl).then((r) => {
    if (!r.ok) throw new Error(`examples: HTTP ${r.status}`);
    return r.json();
  }).then((examples) => {
    for (const example of examples) {
      const li = document.createElement("li");
      li.dataset.name = example.name;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "example" + (example.qualityCheck ? " qc" : "");
      button.textContent = example.title;
      button.title = example.question;
      button.addEventListener("click", () => load(example));
      li.append(button);
      list.append(li);
    }
    list.dataset.count = String(examples.length);
  }).catch((error) => {
    list.textContent = "Could not load the examples: " + error.message;
  });

  filter.addEventListener("input", () => {
    const needle = filter.value.toLowerCase();
    for (const li of list.querySelectorAll("li")) {
      li.hidden = needle !== "" && !li.textContent.toLowerCase().includes(needle) &&
        !li.querySelector("button").title.toLowerCase().includes(needle);
    }
  });
})();
