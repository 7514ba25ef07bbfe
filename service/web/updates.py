"""SPARQL 1.1 Update as the protocol asks: `using-graph-uri` / `using-named-graph-uri` set the dataset.

Oxigraph takes no dataset option for updates, so the protocol's graphs are written into each
DELETE/INSERT ... WHERE operation as USING / USING NAMED clauses, which mean exactly that. An
update that names its own dataset (USING, or WITH) as well gets 400, as the protocol says.
"""
from __future__ import annotations

from service.store import safety


class DatasetConflict(ValueError):
    pass


def with_protocol_dataset(update: str, using: list[str], using_named: list[str]) -> str:
    """The update with USING/USING NAMED inserted before the WHERE of every operation that has one."""
    if not using and not using_named:
        return update
    blanked = safety.blank_opaque(update)
    for keyword in ("USING", "WITH"):
        for _offset in safety.keyword_positions(update, keyword, blanked):
            raise DatasetConflict(f"The update names its dataset with {keyword} and the request with "
                                  "using-graph-uri/using-named-graph-uri: send one or the other.")
    clause = "".join(f" USING <{g}>" for g in using) + "".join(f" USING NAMED <{g}>" for g in using_named) + " "
    depth, insert_at = 0, []
    wheres = set(safety.keyword_positions(update, "WHERE", blanked))
    deletes = list(safety.keyword_positions(update, "DELETE", blanked))
    for offset, char in enumerate(blanked):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and offset in wheres:
            # DELETE WHERE { } (the short form) takes no USING: it reads only what it deletes
            preceding = blanked[:offset].rstrip()
            if any(preceding.endswith(blanked[d:d + 6]) and d + 6 == len(preceding) for d in deletes):
                continue
            insert_at.append(offset)
    for offset in reversed(insert_at):
        update = update[:offset] + clause + update[offset:]
    return update


def check_iris(graphs: list[str], parameter: str) -> None:
    for graph in graphs:
        if not graph or any(c in graph for c in '<>"{}|^`\\ \n\t'):
            raise ValueError(f"'{parameter}' must be an absolute IRI, not {graph!r}")
