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
    """The update with USING/USING NAMED inserted before the WHERE of every operation that has one.
    Decided on the parsed update, not the text: the clauses are placed in the text as the engine reads it
    (escapes expanded, CR a line end) and the result parsed again; if any DELETE/INSERT ... WHERE lacks
    them, the update is refused rather than run over the whole store."""
    if not using and not using_named:
        return update
    operations = safety.update_operations(update)
    if operations is None:
        raise ValueError("The update could not be parsed to apply using-graph-uri/using-named-graph-uri to it.")
    for operation in operations:
        for part, keyword in (("using", "USING"), ("withClause", "WITH")):
            if part in operation:
                raise DatasetConflict(f"The update names its dataset with {keyword} and the request with "
                                      "using-graph-uri/using-named-graph-uri: send one or the other.")
    rewritten = _insert_using(safety.engine_text(update), using, using_named)
    expected = len(using) + len(using_named)
    placed = safety.update_operations(rewritten) or []
    if len(placed) != len(operations) or any(
            op.name == "Modify" and len(op["using"] if "using" in op else []) != expected for op in placed):
        raise ValueError("using-graph-uri/using-named-graph-uri could not be applied to every operation of this "
                         "update; nothing was run.")
    return rewritten


def _insert_using(update: str, using: list[str], using_named: list[str]) -> str:
    blanked = safety.blank_opaque(update)
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
