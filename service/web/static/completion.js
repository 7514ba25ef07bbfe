// Autocompletion of the ontology's own terms in the query editor: typing `akg:` (or `<` and the
// ontology's namespace) offers its classes and properties with their label and definition, read from
// /ui/terms.json, so that a person need not know the vocabulary by heart. Registered before YASGUI
// builds its editor; the stock class and property completers ask an outside service (LOV), so they
// are kept away from our namespace.
(function () {
  "use strict";
  const settings = JSON.parse(document.getElementById("workbench-settings").textContent);
  const namespace = settings.prefixes.akg;
  const LIMIT = 200;
  let terms = null;
  const loaded = fetch(settings.termsUrl).then((r) => {
    if (!r.ok) throw new Error(`terms: HTTP ${r.status}`);
    return r.json();
  }).then((list) => { terms = list; return list; }).catch((error) => {
    console.warn("no autocompletion of akg: terms:", error.message);
    terms = [];
    return terms;
  });

  // What the token under the cursor asks for: the namespace's prefix as the query declares it (or as
  // the service does, when the query has not declared it yet), or a full IRI in angle brackets.
  function wanted(yasqe, token) {
    const text = token.string;
    if (text.startsWith("<")) {
      const iri = text.slice(1).replace(/>$/, "");
      return iri.startsWith(namespace) ? { prefix: null, local: iri.slice(namespace.length) } : null;
    }
    const colon = text.indexOf(":");
    if (colon < 0) return null;
    const prefix = text.slice(0, colon);
    const declared = Object.assign({}, settings.prefixes, yasqe.getPrefixesFromQuery())[prefix];
    return declared === namespace ? { prefix: prefix, local: text.slice(colon + 1) } : null;
  }

  function inPrefixDeclaration(yasqe, token) {
    const previous = yasqe.getPreviousNonWsToken(yasqe.getDoc().getCursor().line, token);
    return !!previous && /^prefix$/i.test(previous.string || "");
  }

  function matches(local) {
    const needle = local.toLowerCase();
    const byName = terms.filter((t) => t.iri.slice(namespace.length).toLowerCase().startsWith(needle));
    const byLabel = needle.length < 3 ? [] : terms.filter((t) => !byName.includes(t) &&
      t.label.toLowerCase().includes(needle));
    return byName.concat(byLabel).slice(0, LIMIT);
  }

  const byText = new Map();
  function render(element, _data, hint) {
    const term = byText.get(hint.text);
    element.classList.add("akg-hint");
    const name = document.createElement("span");
    name.className = "akg-hint-name";
    name.textContent = hint.text;
    element.append(name);
    if (!term) return;
    const label = document.createElement("span");
    label.className = "akg-hint-label";
    label.textContent = term.label + " · " + term.kind;
    const definition = document.createElement("span");
    definition.className = "akg-hint-definition";
    definition.textContent = term.definition;
    element.append(label, definition);
    element.title = term.definition;
  }

  const Yasqe = Yasgui.Yasqe;
  Yasqe.registerAutocompleter({
    name: "akg-terms",
    bulk: false,
    autoShow: true,
    persistenceId: null,
    isValidCompletionPosition: (yasqe) => {
      const token = yasqe.getCompleteToken();
      return wanted(yasqe, token) !== null && !inPrefixDeclaration(yasqe, token);
    },
    get: (yasqe, token) => loaded.then(() => {
      const asked = wanted(yasqe, token);
      if (!asked) return [];
      return matches(asked.local).map((term) => {
        const text = asked.prefix === null ? `<${term.iri}>` : `${asked.prefix}:${term.iri.slice(namespace.length)}`;
        byText.set(text, term);
        return text;
      });
    }),
    postprocessHints: (_yasqe, hints) => hints.map((hint) => Object.assign(hint, { render: render })),
  });
  for (const name of ["class", "property"]) {
    const stock = Yasqe.Autocompleters[name];
    if (!stock) continue;
    const valid = stock.isValidCompletionPosition;
    stock.isValidCompletionPosition = (yasqe) =>
      wanted(yasqe, yasqe.getCompleteToken()) === null && valid(yasqe);
  }
  window.akgTerms = { loaded: loaded };
})();
