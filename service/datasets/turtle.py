"""Byte-stable Turtle for generated data files (not rdflib's serializer, whose output order and
prefix choice are not guaranteed): subjects sorted by IRI, predicates in a given order, objects
sorted. The same graph gives the same bytes on every run and in every process."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

# Conservative Turtle local names (PN_LOCAL allows more): letters, digits, "_", "-", inner ".".
_SAFE_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


class TurtleWriter:
    """Writes graphs of IRIs and literals (no blank nodes) with fixed prefixes."""

    def __init__(self, prefixes: Mapping[str, str], predicate_order: Iterable[URIRef] = ()):
        self.prefixes = dict(prefixes)
        # longest namespace first, so that "id/state/" wins over "id/"
        self._by_length = sorted(self.prefixes.items(), key=lambda kv: (-len(str(kv[1])), kv[0]))
        self.order = {p: i for i, p in enumerate(predicate_order)}

    def iri(self, term: URIRef) -> str:
        text = str(term)
        for prefix, ns in self._by_length:
            base = str(ns)
            if text.startswith(base) and _SAFE_LOCAL.fullmatch(text[len(base):]):
                return f"{prefix}:{text[len(base):]}"
        if any(c in text for c in '<>"{}|^`\\ '):
            raise ValueError(f"IRI cannot be written: {text!r}")
        return f"<{text}>"

    def literal(self, term: Literal) -> str:
        lexical = "".join(_ESCAPES.get(c, c) for c in str(term))
        lexical = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04X}", lexical)
        if term.language:
            return f'"{lexical}"@{term.language}'
        if term.datatype is None or term.datatype == XSD.string:
            return f'"{lexical}"'
        if term.datatype == XSD.integer and re.fullmatch(r"[+-]?\d+", str(term)):
            return str(term)
        if term.datatype == XSD.boolean and str(term) in ("true", "false"):
            return str(term)
        return f'"{lexical}"^^{self.iri(term.datatype)}'

    def term(self, term) -> str:
        if isinstance(term, Literal):
            return self.literal(term)
        if isinstance(term, URIRef):
            return self.iri(term)
        raise ValueError(f"cannot write {term!r} (blank nodes are not used in generated files)")

    def _object_key(self, term) -> tuple[str, str]:
        """Literals by language tag, then text; IRIs by their written form."""
        return ((term.language or "") if isinstance(term, Literal) else "", self.term(term))

    def serialize(self, g: Graph, header: Iterable[str] = ()) -> bytes:
        lines = [f"# {line}" if line else "#" for line in header]
        if lines:
            lines.append("")
        lines += [f"@prefix {prefix}: <{ns}> ." for prefix, ns in sorted(self.prefixes.items())]
        for s in sorted(set(g.subjects()), key=str):
            lines.append("")
            preds = sorted(set(g.predicates(s)), key=lambda p: (self.order.get(p, len(self.order)), str(p)))
            blocks = []
            for p in preds:
                objs = [self.term(o) for o in sorted(g.objects(s, p), key=self._object_key)]
                head = "a" if p == RDF.type else self.iri(p)
                blocks.append(f"    {head} " + " ,\n        ".join(objs))
            lines.append(self.term(s) + "\n" + " ;\n".join(blocks) + " .")
        return ("\n".join(lines) + "\n").encode("utf-8")
