"""RDF/XML from clients, read by expat before the RDF parser sees it: no entity declarations, no
deep nesting.

Internal entities expand (a 700-byte body became a 300 MB literal), and the RDF/XML parser takes
time quadratic in the nesting depth; both are refused with a message naming the limit. expat reads
the document as XML (any encoding it declares), so no spelling of `<!ENTITY` slips past a text scan.
"""
from __future__ import annotations

from xml.parsers import expat

MAX_DEPTH = 64  # elements inside elements; RDF/XML written by tools rarely goes past 10


class XmlRefused(ValueError):
    """The document is refused; the message says why and where."""


def check(data: bytes, max_depth: int = MAX_DEPTH) -> None:
    """Raise XmlRefused if `data` declares entities or nests deeper than `max_depth`; a document
    that is not well-formed is left for the RDF parser to report."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0

    def where() -> str:
        return f"line {parser.CurrentLineNumber}, column {parser.CurrentColumnNumber + 1}"

    def entity(name, *_):
        raise XmlRefused(f"RDF/XML with entity declarations is refused (<!ENTITY {name} ...> at {where()}): "
                         "write the values out instead of declaring entities")

    def start(*_):
        nonlocal depth
        depth += 1
        if depth > max_depth:
            raise XmlRefused(f"RDF/XML nested more than {max_depth} elements deep is refused (at {where()})")

    def end(*_):
        nonlocal depth
        depth -= 1

    parser.EntityDeclHandler = entity
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return  # not well-formed: the RDF parser says where, in its own words
